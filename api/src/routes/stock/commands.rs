//! The stock commands: one handler per command of InventoryReservation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use bazaar_domain::ids::{BatchId, ReservationId};
use bazaar_domain::inventory::InventoryReservationCommand as C;
use chrono::{DateTime, Utc};

use super::access::{self, acting_vendor, check_owner};
use super::bodies::{
    AdjustBody, ExtendBody, ReceiveBatchBody, ReleaseBody, ReserveBody, RestockBody, WriteOffBody,
};
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::routes::responses::{BodyFailures, CommandResponses};
use crate::routes::schemas::Id;
use crate::state::AppState;
use crate::write::{self, Accepted, CommandRequest};

type Answer = Result<(StatusCode, Json<Accepted>), Problem>;

/// Who may run a stock command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The owning vendor or an admin.
    Owner,
    /// Admins only (the saga's and scheduler's commands).
    Admin,
}

async fn stock_command(
    state: &AppState,
    request: &CommandRequest,
    (sku, warehouse): (&str, &str),
    who: Who,
    make: impl FnOnce(DateTime<Utc>) -> C,
) -> Answer {
    let (_, _, id) = access::stock(sku, warehouse)?;
    match who {
        Who::Owner => check_owner(state, &request.principal, &id).await?,
        Who::Admin => request.principal.require_admin()?,
    }
    write::run(
        &state.write_side.stock,
        request,
        &id,
        make(request.received_at),
    )
    .await
}

fn reservation(raw: &str) -> Result<ReservationId, Problem> {
    ReservationId::parse(raw).map_err(|_| Problem::not_found(format!("no reservation {raw}")))
}

/// Receive a batch (the owning vendor — or, for a new stock, any vendor,
/// who then owns it — or an admin naming the vendor).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/batches", tag = "stock", request_body = ReceiveBatchBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn receive_batch(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReceiveBatchBody>,
) -> Answer {
    let (sku, warehouse, id) = access::stock(&sku, &warehouse)?;
    let vendor = acting_vendor(&request.principal, body.vendor)?;
    let command = C::ReceiveBatch {
        sku,
        warehouse,
        vendor,
        batch: body.batch,
        quantity: body.quantity,
        expires_on: body.expires_on,
        at: request.received_at,
    };
    // another vendor's stock answers 409 `not-owner` from the aggregate
    write::run(&state.write_side.stock, &request, &id, command).await
}

/// Correct one batch's units (cycle count, shrinkage, found goods).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/adjustments", tag = "stock", request_body = AdjustBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn adjust(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiJson(body): ApiJson<AdjustBody>,
) -> Answer {
    stock_command(&state, &request, (&sku, &warehouse), Who::Owner, |at| {
        C::AdjustStock {
            batch: body.batch,
            delta: body.delta,
            reason: body.reason.into(),
            at,
        }
    })
    .await
}

/// Dispose of an expired batch (on today's date, or an earlier one).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/batches/{batch}/write-off", tag = "stock",
    request_body = WriteOffBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path), ("batch" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn write_off(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse, batch)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<WriteOffBody>,
) -> Answer {
    let batch =
        BatchId::parse(&batch).map_err(|_| Problem::not_found(format!("no batch {batch}")))?;
    let today = request.received_at.date_naive();
    let on = body.on.unwrap_or(today);
    if on > today {
        // the aggregate judges expiry, and computes availability, as of
        // `on`: a date to come would write off a batch that is still good
        return Err(Problem::invalid(
            "write-off-date-in-future",
            format!("a write-off on {on} is after today ({today}, UTC)"),
        ));
    }
    stock_command(&state, &request, (&sku, &warehouse), Who::Owner, |_| {
        C::WriteOffExpiredBatch { batch, on }
    })
    .await
    .map_err(|problem| problem.not_found_if("unknown-batch"))
}

/// Put undamaged returned units back on the shelf.
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/restocks", tag = "stock", request_body = RestockBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn restock(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiJson(body): ApiJson<RestockBody>,
) -> Answer {
    stock_command(&state, &request, (&sku, &warehouse), Who::Owner, |at| {
        C::RestockReturn {
            batch: body.batch,
            quantity: body.quantity,
            reason: body.reason.into(),
            at,
        }
    })
    .await
}

/// Hold units, first expiry first out (admin; normally the checkout saga).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/reservations", tag = "stock", request_body = ReserveBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn reserve(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReserveBody>,
) -> Answer {
    stock_command(&state, &request, (&sku, &warehouse), Who::Admin, |at| {
        C::Reserve {
            reservation: body.reservation,
            quantity: body.quantity,
            expires_at: body.expires_at,
            ship_on: body.ship_on,
            min_shelf_life_days: body.min_shelf_life_days,
            at,
        }
    })
    .await
}

/// Move a hold's lapse time later (admin).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/reservations/{reservation}/extend", tag = "stock",
    request_body = ExtendBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path), ("reservation" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn extend(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse, held)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ExtendBody>,
) -> Answer {
    let held = reservation(&held)?;
    stock_command(&state, &request, (&sku, &warehouse), Who::Admin, |at| {
        C::ExtendReservation {
            reservation: held,
            expires_at: body.expires_at,
            at,
        }
    })
    .await
}

/// The order is paid: the held units leave the stock (admin; idempotent).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/reservations/{reservation}/commit", tag = "stock",
    params(("sku" = Id, Path), ("warehouse" = Id, Path), ("reservation" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn commit(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse, held)): Path<(String, String, String)>,
) -> Answer {
    let held = reservation(&held)?;
    stock_command(&state, &request, (&sku, &warehouse), Who::Admin, |at| {
        C::CommitReservation {
            reservation: held,
            at,
        }
    })
    .await
}

/// Give up a hold (admin; idempotent).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/reservations/{reservation}/release", tag = "stock",
    request_body = ReleaseBody,
    params(("sku" = Id, Path), ("warehouse" = Id, Path), ("reservation" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn release(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse, held)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ReleaseBody>,
) -> Answer {
    let held = reservation(&held)?;
    stock_command(&state, &request, (&sku, &warehouse), Who::Admin, |at| {
        C::ReleaseReservation {
            reservation: held,
            reason: body.reason,
            at,
        }
    })
    .await
}

/// Free a lapsed hold (admin; normally the scheduler).
#[utoipa::path(post, path = "/stock/{sku}/{warehouse}/reservations/{reservation}/expire", tag = "stock",
    params(("sku" = Id, Path), ("warehouse" = Id, Path), ("reservation" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn expire(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((sku, warehouse, held)): Path<(String, String, String)>,
) -> Answer {
    let held = reservation(&held)?;
    stock_command(&state, &request, (&sku, &warehouse), Who::Admin, |at| {
        C::ExpireReservation {
            reservation: held,
            at,
        }
    })
    .await
}
