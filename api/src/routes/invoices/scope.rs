//! Which documents a principal reads, as one SQL condition every invoice
//! query shares.

use crate::http::auth::{Principal, Role};

/// The documents a principal reads: all of them, those addressed to a
/// buyer, or those a vendor issued or received. A role not named here
/// reads none.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    /// Admins and auditors.
    pub(super) all: bool,
    /// A buyer's id: documents whose recipient it is.
    pub(super) buyer: Option<String>,
    /// A vendor's id: documents it issued or received.
    pub(super) vendor: Option<String>,
}

/// The condition on `invoices` rows, over binds `$1` (all), `$2` (buyer)
/// and `$3` (vendor); queries number their own binds from `$4`.
pub(super) const VISIBLE: &str = "($1::bool \
    or (recipient_kind = 'buyer' and recipient_id = $2::text) \
    or (issuer_kind = 'vendor' and issuer_id = $3::text) \
    or (recipient_kind = 'vendor' and recipient_id = $3::text))";

impl Scope {
    /// What `principal` reads.
    pub(super) fn of(principal: &Principal) -> Self {
        if principal.sees_everything() {
            return Self {
                all: true,
                ..Self::default()
            };
        }
        if principal.role == Role::Buyer {
            return Self {
                buyer: Some(principal.sub.clone()),
                ..Self::default()
            };
        }
        if principal.role == Role::Vendor {
            let vendor = principal.vendor.as_ref().map(|v| v.as_ref().to_owned());
            return Self {
                vendor,
                ..Self::default()
            };
        }
        Self::default()
    }

    /// Whether the principal reads nothing at all.
    pub(super) fn is_empty(&self) -> bool {
        !self.all && self.buyer.is_none() && self.vendor.is_none()
    }
}
