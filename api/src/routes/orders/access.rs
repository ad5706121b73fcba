//! Whether a principal may act on an order, decided on the write model
//! (the read model may lag behind a command the caller just made).

use bazaar_domain::ids::{OrderId, VendorId};
use bazaar_domain::order::Order;

use crate::http::auth::{Principal, Role};
use crate::http::problem::Problem;
use crate::state::AppState;

/// Who may run an order command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Actor {
    /// The order's buyer (or an admin).
    Buyer,
    /// The vendor of the path (or an admin).
    Vendor,
    /// Admins only.
    Admin,
}

/// Parses an order id from the path; an impossible id is 404.
pub(super) fn order_id(raw: &str) -> Result<OrderId, Problem> {
    OrderId::parse(raw).map_err(|_| Problem::not_found(format!("no order {raw}")))
}

/// Parses a vendor id from the path; an impossible id is 404.
pub(super) fn vendor_id(raw: &str) -> Result<VendorId, Problem> {
    VendorId::parse(raw).map_err(|_| Problem::not_found(format!("no vendor {raw}")))
}

/// Checks that `principal` may run an `actor` command on `order` (for
/// `vendor`'s part, if any); 403 for the wrong role, 404 for an order or
/// vendor order it may not see.
pub(super) async fn check(
    state: &AppState,
    principal: &Principal,
    order: &OrderId,
    vendor: Option<&VendorId>,
    actor: Actor,
) -> Result<(), Problem> {
    if principal.role == Role::Admin {
        return Ok(());
    }
    let allowed = match actor {
        Actor::Admin => false,
        Actor::Buyer => principal.role == Role::Buyer,
        Actor::Vendor => principal.role == Role::Vendor,
    };
    if !allowed {
        return Err(Problem::forbidden(format!(
            "this needs the {} role",
            match actor {
                Actor::Buyer => "buyer",
                Actor::Vendor => "vendor",
                Actor::Admin => "admin",
            }
        )));
    }
    let current = load(state, order).await?;
    let visible = match principal.role {
        Role::Buyer => current.buyer().is_some_and(|b| b.as_ref() == principal.sub),
        Role::Vendor => {
            let own = principal.vendor.as_ref();
            own.is_some_and(|v| current.has_vendor(v)) && vendor.is_none_or(|v| Some(v) == own)
        }
        _ => false,
    };
    if visible {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no order {order}")))
    }
}

async fn load(state: &AppState, order: &OrderId) -> Result<Order, Problem> {
    let context = state
        .write_side
        .orders
        .store()
        .load(order.as_ref())
        .await
        .map_err(|e| Problem::failed(&e))?;
    Ok(context.aggregate)
}
