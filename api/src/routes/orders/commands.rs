//! The order commands: one handler per command of the Order aggregate.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use bazaar_domain::ids::{BuyerId, OrderId, VendorId};
use bazaar_domain::order::OrderCommand;
use chrono::{DateTime, Utc};

use super::access::{self, Actor};
use super::bodies::{
    pairs, ConfirmPaymentBody, PlaceOrderBody, ReceiveReturnBody, ReturnBody, ShipBody,
};
use crate::http::auth::Role;
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::routes::common::ReasonBody;
use crate::routes::responses::{BodyFailures, CommandResponses, CreatedResponses};
use crate::routes::schemas::{Id, IdempotencyKey};
use crate::state::AppState;
use crate::write::{self, Accepted, CommandRequest};

type Answer = Result<(StatusCode, Json<Accepted>), Problem>;

/// Checks access, then runs the command `make` builds from the time of
/// the request.
async fn order_command(
    state: &AppState,
    request: &CommandRequest,
    order: &str,
    actor: Actor,
    make: impl FnOnce(DateTime<Utc>) -> OrderCommand,
) -> Answer {
    let order = access::order_id(order)?;
    access::check(state, &request.principal, &order, None, actor).await?;
    let command = make(request.received_at);
    write::run(&state.write_side.orders, request, order.as_ref(), command).await
}

/// Like [`order_command`], for a command on the path's vendor order.
async fn vendor_command(
    state: &AppState,
    request: &CommandRequest,
    (order, vendor): (String, String),
    actor: Actor,
    make: impl FnOnce(VendorId, DateTime<Utc>) -> OrderCommand,
) -> Answer {
    let order = access::order_id(&order)?;
    let vendor = access::vendor_id(&vendor)?;
    access::check(state, &request.principal, &order, Some(&vendor), actor).await?;
    let command = make(vendor, request.received_at);
    write::run(&state.write_side.orders, request, order.as_ref(), command).await
}

/// Check out: one order, one vendor order per vendor. Stock is reserved
/// by the checkout saga right after; the order then awaits payment.
#[utoipa::path(post, path = "/orders", tag = "orders", request_body = PlaceOrderBody,
    params(("Idempotency-Key" = Option<IdempotencyKey>, Header, description = "Retry-safe key; a retry returns the first response")),
    responses(CreatedResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn place(
    State(state): State<AppState>,
    request: CommandRequest,
    ApiJson(body): ApiJson<PlaceOrderBody>,
) -> Result<Response, Problem> {
    let buyer = buyer_of(&request, body.buyer)?;
    let order = OrderId::parse(request.new_id("order")).map_err(|e| Problem::internal(&e))?;
    let at = request.received_at;
    let command = OrderCommand::PlaceOrder {
        buyer,
        currency: body.currency,
        fee_rate: state.policy.fee_rate,
        lines: body.lines.into_iter().map(Into::into).collect(),
        payment_due_at: at + state.policy.payment_window,
        at,
    };
    let location = format!("/v1/orders/{order}");
    write::create(
        &state.write_side.orders,
        &request,
        order.as_ref(),
        command,
        location,
    )
    .await
}

fn buyer_of(request: &CommandRequest, named: Option<BuyerId>) -> Result<BuyerId, Problem> {
    let principal = &request.principal;
    match (principal.role, named) {
        (Role::Buyer, None) => principal
            .buyer()
            .ok_or_else(|| Problem::unauthorized("the token's sub is not a buyer id")),
        (Role::Buyer, Some(buyer)) if buyer.as_ref() == principal.sub => Ok(buyer),
        (Role::Buyer, Some(_)) => Err(Problem::forbidden("buyers place orders for themselves")),
        (Role::Admin, Some(buyer)) => Ok(buyer),
        (Role::Admin, None) => Err(Problem::invalid(
            "buyer-required",
            "an admin placing an order must name the buyer",
        )),
        _ => Err(Problem::forbidden("only buyers and admins place orders")),
    }
}

/// Record a payment captured for the order (payment webhook; admin).
#[utoipa::path(post, path = "/orders/{order_id}/payments", tag = "orders", request_body = ConfirmPaymentBody,
    params(("order_id" = Id, Path, description = "The order")),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn confirm_payment(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
    ApiJson(body): ApiJson<ConfirmPaymentBody>,
) -> Answer {
    order_command(&state, &request, &order, Actor::Admin, |at| {
        OrderCommand::ConfirmPayment {
            payment_id: body.payment_id,
            amount: body.amount,
            at,
        }
    })
    .await
}

/// Close the order if it is still unpaid after its due time (normally the
/// scheduler's job; admin).
#[utoipa::path(post, path = "/orders/{order_id}/expire", tag = "orders",
    params(("order_id" = Id, Path, description = "The order")),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn expire_payment(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
) -> Answer {
    order_command(&state, &request, &order, Actor::Admin, |at| {
        OrderCommand::ExpirePayment { at }
    })
    .await
}

/// Cancel every vendor order not packed yet (the buyer, or an admin).
#[utoipa::path(post, path = "/orders/{order_id}/cancel", tag = "orders", request_body = ReasonBody,
    params(("order_id" = Id, Path, description = "The order")),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(order): Path<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Answer {
    order_command(&state, &request, &order, Actor::Buyer, |at| {
        OrderCommand::CancelOrder {
            reason: body.reason,
            at,
        }
    })
    .await
}

/// Cancel one vendor's part before it is packed (that vendor, or an admin).
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/cancel", tag = "orders",
    request_body = ReasonBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn cancel_vendor_order(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Vendor, |vendor, at| {
        OrderCommand::CancelVendorOrder {
            vendor,
            reason: body.reason,
            at,
        }
    })
    .await
}

/// The vendor packed its part.
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/pack", tag = "orders",
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn pack(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Vendor, |vendor, at| {
        OrderCommand::PackVendorOrder { vendor, at }
    })
    .await
}

/// The vendor shipped a parcel with some or all remaining units.
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/shipments", tag = "orders",
    request_body = ShipBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn ship(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<ShipBody>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Vendor, |vendor, at| {
        OrderCommand::ShipVendorOrder {
            vendor,
            tracking: body.tracking.into(),
            lines: pairs(&body.lines),
            at,
        }
    })
    .await
}

/// The buyer received a fully shipped vendor order.
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/delivery", tag = "orders",
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn confirm_delivery(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Buyer, |vendor, at| {
        OrderCommand::ConfirmDelivery { vendor, at }
    })
    .await
}

/// Confirm delivery for a silent buyer after the auto-confirm time
/// (normally the scheduler's job; admin).
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/auto-delivery", tag = "orders",
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn auto_confirm_delivery(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Admin, |vendor, at| {
        OrderCommand::AutoConfirmDelivery { vendor, at }
    })
    .await
}

/// The buyer asks to send shipped units back.
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/returns", tag = "orders",
    request_body = ReturnBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn request_return(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<ReturnBody>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Buyer, |vendor, at| {
        OrderCommand::RequestReturn {
            vendor,
            lines: pairs(&body.lines),
            reason: body.reason.into(),
            at,
        }
    })
    .await
}

/// The vendor received returned units and inspected them.
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/returns/receipts", tag = "orders",
    request_body = ReceiveReturnBody,
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn receive_return(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<ReceiveReturnBody>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Vendor, |vendor, at| {
        OrderCommand::ReceiveReturn {
            vendor,
            lines: body.lines.into_iter().map(Into::into).collect(),
            at,
        }
    })
    .await
}

/// Close a delivered vendor order so its share can be released (admin).
#[utoipa::path(post, path = "/orders/{order_id}/vendors/{vendor_id}/complete", tag = "orders",
    params(("order_id" = Id, Path), ("vendor_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn complete(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(path): Path<(String, String)>,
) -> Answer {
    vendor_command(&state, &request, path, Actor::Admin, |vendor, at| {
        OrderCommand::CompleteVendorOrder { vendor, at }
    })
    .await
}
