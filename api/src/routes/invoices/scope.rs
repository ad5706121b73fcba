//! Which documents a principal reads: the principal's role and ids turned
//! into the read model's [`Scope`], which every invoice query applies as
//! one SQL condition (`bazaar_projections::read_models::invoices::queries`).

use bazaar_projections::read_models::invoices::queries::Scope;

use crate::http::auth::{Principal, Role};

/// What `principal` reads: all documents (admins, auditors), those
/// addressed to a buyer, or those a vendor issued or received. A role not
/// named here reads none.
pub(super) fn of(principal: &Principal) -> Scope {
    if principal.sees_everything() {
        return Scope {
            all: true,
            ..Scope::default()
        };
    }
    if principal.role == Role::Buyer {
        return Scope {
            buyer: Some(principal.sub.clone()),
            ..Scope::default()
        };
    }
    if principal.role == Role::Vendor {
        let vendor = principal.vendor.as_ref().map(|v| v.as_ref().to_owned());
        return Scope {
            vendor,
            ..Scope::default()
        };
    }
    Scope::default()
}
