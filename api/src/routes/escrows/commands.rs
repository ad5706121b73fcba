//! The escrow commands: one handler per command of the Escrow aggregate.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use bazaar_domain::escrow::{AgentTerms, EscrowCommand as C, PartyId};
use bazaar_domain::ids::{EscrowId, MilestoneId};
use chrono::{DateTime, Utc};

use super::access::{self, Party};
use super::bodies::{AmountBody, CreateEscrowBody, EscrowRefundBody, FundBody, ResolveBody};
use crate::http::auth::Role;
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::routes::common::EscrowReasonBody;
use crate::routes::responses::{BodyFailures, CommandResponses, CreatedResponses};
use crate::routes::schemas::{Id, IdempotencyKey};
use crate::state::AppState;
use crate::write::{self, Accepted, CommandRequest};

type Answer = Result<(StatusCode, Json<Accepted>), Problem>;

async fn escrow_command(
    state: &AppState,
    request: &CommandRequest,
    escrow: &str,
    party: Party,
    make: impl FnOnce(DateTime<Utc>) -> C,
) -> Answer {
    let escrow = access::escrow_id(escrow)?;
    access::check(state, &request.principal, &escrow, party).await?;
    write::run(
        &state.write_side.escrows,
        request,
        escrow.as_ref(),
        make(request.received_at),
    )
    .await
}

/// Like [`escrow_command`], for a command on the path's milestone.
async fn milestone_command(
    state: &AppState,
    request: &CommandRequest,
    escrow: &str,
    party: Party,
    make: impl FnOnce(DateTime<Utc>) -> C,
) -> Answer {
    escrow_command(state, request, escrow, party, make)
        .await
        .map_err(|problem| problem.not_found_if("unknown-milestone"))
}

fn milestone(raw: &str) -> Result<MilestoneId, Problem> {
    MilestoneId::parse(raw).map_err(|_| Problem::not_found(format!("no milestone {raw}")))
}

/// Agree the terms of a new escrow (the buyer, or an admin naming it). The
/// platform's fee rate is snapshotted into it; an agent, if named, earns
/// its commission out of every release.
#[utoipa::path(post, path = "/escrows", tag = "escrows", request_body = CreateEscrowBody,
    params(("Idempotency-Key" = Option<IdempotencyKey>, Header, description = "Retry-safe key")),
    responses(CreatedResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn create(
    State(state): State<AppState>,
    request: CommandRequest,
    ApiJson(body): ApiJson<CreateEscrowBody>,
) -> Result<Response, Problem> {
    let principal = &request.principal;
    let buyer = match (principal.role, body.buyer) {
        (Role::Buyer, None) => PartyId::parse(&principal.sub)
            .map_err(|_| Problem::unauthorized("the token's sub is not a party id"))?,
        (Role::Buyer, Some(buyer)) if buyer.as_ref() == principal.sub => buyer,
        (Role::Admin, Some(buyer)) => buyer,
        (Role::Admin, None) => {
            return Err(Problem::invalid(
                "buyer-required",
                "an admin must name the buyer",
            ))
        }
        _ => return Err(Problem::forbidden("buyers open escrows for themselves")),
    };
    if body.agent.is_some() && principal.role != Role::Admin {
        return Err(Problem::forbidden(
            "only admins name an agent: the commission comes out of the seller's proceeds",
        ));
    }
    let agent = body.agent.map(AgentTerms::try_from).transpose()?;
    let escrow = EscrowId::parse(request.new_id("escrow")).map_err(|e| Problem::internal(&e))?;
    let command = C::CreateEscrow {
        buyer,
        seller: body.seller,
        currency: body.currency,
        amount: body.amount,
        milestones: body.milestones.into_iter().map(Into::into).collect(),
        inspection_period_days: body.inspection_period_days,
        dispute_window_hours: body.dispute_window_hours,
        agent,
        platform_fee_rate: Some(state.policy.fee_rate),
        at: request.received_at,
    };
    let location = format!("/v1/escrows/{escrow}");
    write::create(
        &state.write_side.escrows,
        &request,
        escrow.as_ref(),
        command,
        location,
    )
    .await
}

/// The buyer's payment arrived (payment webhook; admin).
#[utoipa::path(post, path = "/escrows/{escrow_id}/funding", tag = "escrows", request_body = FundBody,
    params(("escrow_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn fund(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(escrow): Path<String>,
    ApiJson(body): ApiJson<FundBody>,
) -> Answer {
    escrow_command(&state, &request, &escrow, Party::Admin, |at| C::Fund {
        payment_id: body.payment_id,
        amount: body.amount,
        at,
    })
    .await
}

/// The seller delivered a milestone; its inspection period starts.
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/delivery", tag = "escrows",
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn mark_delivered(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Seller, |at| {
        C::MarkDelivered {
            milestone: step,
            at,
        }
    })
    .await
}

/// The buyer accepts a delivery; what remains of it goes to the seller.
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/accept", tag = "escrows",
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn accept(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Buyer, |at| {
        C::AcceptMilestone {
            milestone: step,
            at,
        }
    })
    .await
}

/// The buyer rejects a delivery during inspection; this opens a dispute.
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/reject", tag = "escrows",
    request_body = EscrowReasonBody,
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn reject(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<EscrowReasonBody>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Buyer, |at| {
        C::RejectMilestone {
            milestone: step,
            reason: body.reason,
            at,
        }
    })
    .await
}

/// Release a milestone whose inspection ended without dispute (admin;
/// normally the scheduler).
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/lapse", tag = "escrows",
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn lapse(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Admin, |at| {
        C::LapseInspection {
            milestone: step,
            at,
        }
    })
    .await
}

/// A party disputes a delivery within the dispute window.
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/disputes", tag = "escrows",
    request_body = EscrowReasonBody,
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn open_dispute(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<EscrowReasonBody>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Either, |at| {
        C::OpenDispute {
            milestone: step,
            reason: body.reason,
            at,
        }
    })
    .await
}

/// The agent's decision on an open dispute (admin).
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/resolution", tag = "escrows",
    request_body = ResolveBody,
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn resolve_dispute(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Admin, |at| {
        C::ResolveDispute {
            milestone: step,
            release: body.release,
            refund: body.refund,
            at,
        }
    })
    .await
}

/// Release everything that remains of a milestone (admin).
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/release", tag = "escrows",
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses), security(("bearer" = [])))]
pub(super) async fn release(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Admin, |at| C::Release {
        milestone: step,
        at,
    })
    .await
}

/// Release part of what remains of a milestone (admin).
#[utoipa::path(post, path = "/escrows/{escrow_id}/milestones/{milestone_id}/partial-release", tag = "escrows",
    request_body = AmountBody,
    params(("escrow_id" = Id, Path), ("milestone_id" = Id, Path)),
    responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn partial_release(
    State(state): State<AppState>,
    request: CommandRequest,
    Path((escrow, step)): Path<(String, String)>,
    ApiJson(body): ApiJson<AmountBody>,
) -> Answer {
    let step = milestone(&step)?;
    milestone_command(&state, &request, &escrow, Party::Admin, |at| {
        C::PartialRelease {
            milestone: step,
            amount: body.amount,
            at,
        }
    })
    .await
}

/// Pay money back to the buyer (the seller, or an admin).
#[utoipa::path(post, path = "/escrows/{escrow_id}/refunds", tag = "escrows", request_body = EscrowRefundBody,
    params(("escrow_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn refund(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(escrow): Path<String>,
    ApiJson(body): ApiJson<EscrowRefundBody>,
) -> Answer {
    escrow_command(&state, &request, &escrow, Party::Seller, |at| C::Refund {
        milestone: body.milestone,
        amount: body.amount,
        reason: body.reason.into(),
        at,
    })
    .await
}

/// Call the deal off (admin): before funding, or after it while nothing
/// was delivered or released (then everything is refunded).
#[utoipa::path(post, path = "/escrows/{escrow_id}/cancel", tag = "escrows", request_body = EscrowReasonBody,
    params(("escrow_id" = Id, Path)), responses(CommandResponses, BodyFailures), security(("bearer" = [])))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    request: CommandRequest,
    Path(escrow): Path<String>,
    ApiJson(body): ApiJson<EscrowReasonBody>,
) -> Answer {
    escrow_command(&state, &request, &escrow, Party::Admin, |at| C::Cancel {
        reason: body.reason,
        at,
    })
    .await
}
