//! Request bodies of the stock commands.

use crate::routes::schemas::{Delta, Id, ReleaseReasonDoc, StockReason};
use bazaar_domain::ids::{BatchId, ReservationId, VendorId};
use bazaar_domain::inventory::ReleaseReason;
use bazaar_domain::text::Text;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

/// A batch arriving.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBatchBody {
    /// A batch id not used before in this stock.
    #[schema(value_type = Id)]
    pub batch: BatchId,
    /// Units received (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: u32,
    /// Last good day; absent if the goods do not perish.
    pub expires_on: Option<NaiveDate>,
    /// The owning vendor; only admins set it.
    #[schema(value_type = Option<Id>)]
    pub vendor: Option<VendorId>,
}

/// A correction of one batch's on-hand units.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBody {
    /// The batch.
    #[schema(value_type = Id)]
    pub batch: BatchId,
    /// Units to add (positive) or remove (negative), never zero, at
    /// most 1,000,000 either way.
    #[schema(value_type = Delta)]
    pub delta: i64,
    /// Why (1 to 200 characters).
    #[schema(value_type = StockReason)]
    pub reason: Text,
}

/// Disposing of an expired batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffBody {
    /// The date of the write-off: after the batch's expiry and not after
    /// today (UTC); default today.
    pub on: Option<NaiveDate>,
}

/// Returned units back on the shelf.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestockBody {
    /// The batch they came from, if known.
    #[schema(value_type = Option<Id>)]
    pub batch: Option<BatchId>,
    /// Units (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: u32,
    /// Why, e.g. the return's id.
    #[schema(value_type = StockReason)]
    pub reason: Text,
}

/// A hold for a checkout.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveBody {
    /// A reservation id not used before in this stock.
    #[schema(value_type = Id)]
    pub reservation: ReservationId,
    /// Units to hold (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: u32,
    /// When the hold lapses.
    pub expires_at: DateTime<Utc>,
    /// The date the goods ship.
    pub ship_on: NaiveDate,
    /// Days of shelf life the goods must still have on `ship_on`.
    #[serde(default)]
    pub min_shelf_life_days: u32,
}

/// A later lapse time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// The new lapse time.
    pub expires_at: DateTime<Utc>,
}

/// Why a hold is given up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// `OrderCancelled`, `PaymentExpired`, `OrderRejected` or `BatchExpired`.
    #[schema(value_type = ReleaseReasonDoc)]
    pub reason: ReleaseReason,
}
