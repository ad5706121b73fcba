//! Request bodies of the payment split commands.

use crate::routes::schemas::{Id, PayoutFailureReasonDoc};
use bazaar_domain::ids::{PaymentId, PayoutId, RefundId, VendorId};
use bazaar_domain::money::{FeeRate, Money};
use bazaar_domain::payment_split::{ChargebackId, PayoutFailureReason};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::routes::common::MoneyDoc;

/// A vendor and an amount.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorAmount {
    /// The vendor.
    #[schema(value_type = Id)]
    pub vendor: VendorId,
    /// The amount.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

/// Pairs, as the domain takes them.
pub(super) fn pairs(amounts: Vec<VendorAmount>) -> Vec<(VendorId, Money)> {
    amounts.into_iter().map(|a| (a.vendor, a.amount)).collect()
}

/// Split a captured payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputeSplitBody {
    /// The capture at the payment provider.
    #[schema(value_type = Id)]
    pub payment_id: PaymentId,
    /// The amount captured.
    #[schema(value_type = MoneyDoc)]
    pub captured: Money,
    /// The platform fee rate snapshotted at checkout, in basis points.
    #[schema(value_type = u32, minimum = 0, maximum = 10_000)]
    pub fee_rate_bps: FeeRate,
    /// Each vendor's gross, one entry per vendor.
    #[schema(min_items = 1)]
    pub vendors: Vec<VendorAmount>,
}

/// When a vendor's share stops being held.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulePayoutBody {
    /// The share becomes payable at this time.
    pub hold_until: DateTime<Utc>,
}

/// Pay (part of) a vendor's available share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleasePayoutBody {
    /// The payout at the payment provider; unique within the split.
    #[schema(value_type = Id)]
    pub payout_id: PayoutId,
    /// How much; absent pays everything available.
    #[schema(value_type = Option<MoneyDoc>)]
    pub amount: Option<Money>,
}

/// A payout that did not arrive.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutFailedBody {
    /// `account_closed`, `account_frozen`, `invalid_account`, `declined` or `could_not_process`.
    #[schema(value_type = PayoutFailureReasonDoc)]
    pub reason: PayoutFailureReason,
}

/// A refund to the buyer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// The refund at the payment provider; unique within the split.
    #[schema(value_type = Id)]
    pub refund_id: RefundId,
    /// How much.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
    /// What each vendor gives back (summing to `amount`); absent spreads it
    /// by what each has left.
    pub allocation: Option<Vec<VendorAmount>>,
}

/// A chargeback.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargebackBody {
    /// The chargeback at the payment provider; unique within the split.
    #[schema(value_type = Id)]
    pub chargeback_id: ChargebackId,
    /// The disputed amount.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}
