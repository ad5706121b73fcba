//! The payment split commands (admin only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use bazaar_domain::ids::{OrderId, PayoutId, VendorId};
use bazaar_domain::payment_split::PaymentSplitCommand as C;
use chrono::{DateTime, Utc};

use super::bodies::{
    pairs, ChargebackBody, ComputeSplitBody, PayoutFailedBody, RefundBody, ReleasePayoutBody,
    SchedulePayoutBody,
};
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::routes::responses::{BodyFailures, CommandResponses};
use crate::routes::schemas::Id;
use crate::state::AppState;
use crate::write::{self, Accepted, CommandRequest};

type Answer = Result<(StatusCode, Json<Accepted>), Problem>;

fn order_id(raw: &str) -> Result<OrderId, Problem> {
    OrderId::parse(raw).map_err(|_| Problem::not_found(format!("no payment of order {raw}")))
}

fn vendor_id(raw: &str) -> Result<VendorId, Problem> {
    VendorId::parse(raw).map_err(|_| Problem::not_found(format!("no vendor {raw}")))
}

async fn split_command(
    state: &AppState,
    request: &CommandRequest,
    order: &str,
    make: impl FnOnce(OrderId, DateTime<Utc>) -> C,
) -> Answer {
    request.principal.require_admin()?;
    let order = order_id(order)?;
    let id = order.to_string();
    write::run(
        &state.write_side.splits,
        request,
        &id,
        make(order, request.received_at),
    )
    .await
}

/// Split a captured payment between vendors and the platform.
#[utoipa::path(post, path = "/payments/{order_id}/split", tag = "payments", request_body = ComputeSplitBody,
    params(("order_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn compute_split(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
    ApiJson(body): ApiJson<ComputeSplitBody>,
) -> Answer {
    split_command(&state, &request, &order, |order, at| C::ComputeSplit {
        order,
        payment_id: body.payment_id,
        captured: body.captured,
        fee_rate: body.fee_rate_bps,
        vendors: pairs(body.vendors),
        at,
    })
    .await
}

/// Say when a vendor's share stops being held.
#[utoipa::path(post, path = "/payments/{order_id}/vendors/{vendor_id}/payout-schedule", tag = "payments",
    request_body = SchedulePayoutBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn schedule_payout(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((order, vendor)): Path<(String, String)>,
    ApiJson(body): ApiJson<SchedulePayoutBody>,
) -> Answer {
    let vendor = vendor_id(&vendor)?;
    split_command(&state, &request, &order, |_, at| C::SchedulePayout {
        vendor,
        hold_until: body.hold_until,
        at,
    })
    .await
    .map_err(|problem| problem.not_found_if("unknown-vendor"))
}

/// Pay (part of) a vendor's available share out.
#[utoipa::path(post, path = "/payments/{order_id}/vendors/{vendor_id}/payouts", tag = "payments",
    request_body = ReleasePayoutBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn release_payout(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((order, vendor)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReleasePayoutBody>,
) -> Answer {
    let vendor = vendor_id(&vendor)?;
    split_command(&state, &request, &order, |_, at| C::ReleasePayout {
        vendor,
        payout_id: body.payout_id,
        amount: body.amount,
        at,
    })
    .await
    .map_err(|problem| problem.not_found_if("unknown-vendor"))
}

/// Record that a payout did not reach the vendor.
#[utoipa::path(post, path = "/payments/{order_id}/vendors/{vendor_id}/payouts/{payout_id}/failure",
    tag = "payments", request_body = PayoutFailedBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path), ("payout_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn payout_failed(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((order, vendor, payout)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<PayoutFailedBody>,
) -> Answer {
    let vendor = vendor_id(&vendor)?;
    let payout_id =
        PayoutId::parse(&payout).map_err(|_| Problem::not_found(format!("no payout {payout}")))?;
    split_command(&state, &request, &order, |_, at| C::RecordPayoutFailed {
        vendor,
        payout_id,
        reason: body.reason,
        at,
    })
    .await
    .map_err(|problem| problem.not_found_if("unknown-vendor"))
}

/// Record a refund to the buyer and who gives it back.
#[utoipa::path(post, path = "/payments/{order_id}/refunds", tag = "payments", request_body = RefundBody,
    params(("order_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn refund(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
    ApiJson(body): ApiJson<RefundBody>,
) -> Answer {
    split_command(&state, &request, &order, |_, at| C::RecordRefund {
        refund_id: body.refund_id,
        amount: body.amount,
        allocation: body.allocation.map(pairs),
        at,
    })
    .await
}

/// Record a chargeback.
#[utoipa::path(post, path = "/payments/{order_id}/chargebacks", tag = "payments", request_body = ChargebackBody,
    params(("order_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn chargeback(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
    ApiJson(body): ApiJson<ChargebackBody>,
) -> Answer {
    split_command(&state, &request, &order, |_, at| C::RecordChargeback {
        chargeback_id: body.chargeback_id,
        amount: body.amount,
        at,
    })
    .await
}
