//! Which party of an escrow a principal is, decided on the write model.

use bazaar_domain::escrow::PartyId;
use bazaar_domain::ids::EscrowId;

use crate::http::auth::{Principal, Role};
use crate::http::problem::Problem;
use crate::state::AppState;

/// Who may run an escrow command (admins always may).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Party {
    /// The buyer party.
    Buyer,
    /// The seller party.
    Seller,
    /// Either party.
    Either,
    /// Admins only.
    Admin,
}

/// The path's escrow id; an impossible one is 404.
pub(super) fn escrow_id(raw: &str) -> Result<EscrowId, Problem> {
    EscrowId::parse(raw).map_err(|_| Problem::not_found(format!("no escrow {raw}")))
}

/// Whether `principal` is the buyer or seller named.
pub(super) fn is_buyer(principal: &Principal, buyer: &str) -> bool {
    principal.role == Role::Buyer && principal.sub == buyer
}

/// Whether `principal` acts for the seller named.
pub(super) fn is_seller(principal: &Principal, seller: &str) -> bool {
    principal.role == Role::Vendor
        && principal
            .vendor
            .as_ref()
            .is_some_and(|v| v.as_ref() == seller)
}

/// 403 for a role that can never do this, 404 for an escrow the
/// principal is not a party to.
pub(super) async fn check(
    state: &AppState,
    principal: &Principal,
    escrow: &EscrowId,
    party: Party,
) -> Result<(), Problem> {
    if principal.role == Role::Admin {
        return Ok(());
    }
    let role_fits = match party {
        Party::Buyer => principal.role == Role::Buyer,
        Party::Seller => principal.role == Role::Vendor,
        Party::Either => matches!(principal.role, Role::Buyer | Role::Vendor),
        Party::Admin => false,
    };
    if !role_fits {
        return Err(Problem::forbidden("your role may not do this to an escrow"));
    }
    let context = state
        .write_side
        .escrows
        .store()
        .load(escrow.as_ref())
        .await
        .map_err(|e| Problem::failed(&e))?;
    let parties: Option<(PartyId, PartyId)> = context
        .aggregate
        .parties()
        .map(|(buyer, seller)| (buyer.clone(), seller.clone()));
    let is_party = parties.is_some_and(|(buyer, seller)| {
        is_buyer(principal, buyer.as_ref()) || is_seller(principal, seller.as_ref())
    });
    if is_party {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no escrow {escrow}")))
    }
}
