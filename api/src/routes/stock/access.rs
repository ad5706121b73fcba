//! Whose stock it is, decided on the write model.

use bazaar_domain::ids::{Sku, VendorId, WarehouseId};

use crate::http::auth::{Principal, Role};
use crate::http::problem::Problem;
use crate::state::AppState;

/// The stream id of the path's stock; impossible ids are 404.
pub(super) fn stock(sku: &str, warehouse: &str) -> Result<(Sku, WarehouseId, String), Problem> {
    let missing = || Problem::not_found(format!("no stock {sku}@{warehouse}"));
    let sku = Sku::parse(sku).map_err(|_| missing())?;
    let warehouse = WarehouseId::parse(warehouse).map_err(|_| missing())?;
    let id = bazaar_domain::inventory::stock_id(&sku, &warehouse);
    Ok((sku, warehouse, id))
}

/// The vendor a vendor principal acts for; admins pass `named`.
pub(super) fn acting_vendor(
    principal: &Principal,
    named: Option<VendorId>,
) -> Result<VendorId, Problem> {
    match (principal.role, named) {
        (Role::Vendor, None) => principal
            .vendor
            .clone()
            .ok_or_else(|| Problem::unauthorized("a vendor token needs vendor_id")),
        (Role::Vendor, Some(v)) if Some(&v) == principal.vendor.as_ref() => Ok(v),
        (Role::Vendor, Some(_)) => Err(Problem::forbidden("vendors receive stock for themselves")),
        (Role::Admin, Some(v)) => Ok(v),
        (Role::Admin, None) => Err(Problem::invalid(
            "vendor-required",
            "an admin must name the vendor",
        )),
        _ => Err(Problem::forbidden("only vendors and admins change stock")),
    }
}

/// Owner-or-admin commands: vendors may act only on stock they own (a
/// stock with no batch yet is nobody's: 404 for vendors).
pub(super) async fn check_owner(
    state: &AppState,
    principal: &Principal,
    stock_id: &str,
) -> Result<(), Problem> {
    match principal.role {
        Role::Admin => Ok(()),
        Role::Vendor => {
            let context = state
                .write_side
                .stock
                .store()
                .load(stock_id)
                .await
                .map_err(|e| Problem::failed(&e))?;
            if context.aggregate.owner().is_some()
                && context.aggregate.owner() == principal.vendor.as_ref()
            {
                Ok(())
            } else {
                Err(Problem::not_found(format!("no stock {stock_id}")))
            }
        }
        _ => Err(Problem::forbidden(
            "only the owning vendor and admins change stock",
        )),
    }
}
