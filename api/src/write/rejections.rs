//! A domain rejection as a problem: its stable type is the error variant
//! in kebab case (`InsufficientStock` → `/problems/insufficient-stock`),
//! its `error` member the variant's fields, and its status says what kind
//! of refusal it is:
//! - 404 when the resource the path names does not exist (yet); a
//!   variant that can be about the path or the body (an unknown milestone,
//!   batch or vendor) is 422 here and made 404 by the handlers whose path
//!   names it ([`Problem::not_found_if`]);
//! - 409 when the request is fine but the resource's current state
//!   forbids it (already paid, reservation expired, stock too short…);
//! - 422 for values that can never be accepted (bad quantity, wrong
//!   currency, more than remains…).

use axum::http::StatusCode;
use bazaar_domain::escrow::EscrowError;
use bazaar_domain::inventory::InventoryReservationError;
use bazaar_domain::order::OrderError;
use bazaar_domain::payment_split::PaymentSplitError;
use serde::Serialize;

use crate::http::problem::Problem;

/// A domain error type the API can explain.
pub trait Rejection: std::error::Error + Serialize {
    /// Variants meaning the path's resource does not exist.
    const NOT_FOUND: &'static [&'static str];
    /// Variants meaning the resource's state forbids the command now.
    const CONFLICT: &'static [&'static str];

    /// The problem for this rejection.
    fn problem(&self) -> Problem {
        let value = serde_json::to_value(self).unwrap_or_default();
        let variant = variant_name(&value);
        let status = if Self::NOT_FOUND.contains(&variant.as_str()) {
            StatusCode::NOT_FOUND
        } else if Self::CONFLICT.contains(&variant.as_str()) {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        Problem::new(status, kebab(&variant), "The command was rejected")
            .detail(self.to_string())
            .with("error", value)
    }
}

/// `"NotPlaced"` or `{"InvalidQuantity": {…}}`; a wrapped money error
/// (`{"Money": {"CurrencyMismatch": …}}`) is named by its inner variant.
fn variant_name(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(name) => name.clone(),
        serde_json::Value::Object(map) => match map.iter().next() {
            Some((name, inner)) if name == "Money" => variant_name(inner),
            Some((name, _)) => name.clone(),
            None => "Rejected".to_owned(),
        },
        _ => "Rejected".to_owned(),
    }
}

fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Rejection for OrderError {
    const NOT_FOUND: &'static [&'static str] = &["NotPlaced", "UnknownVendor"];
    const CONFLICT: &'static [&'static str] = &[
        "AlreadyPlaced",
        "PaymentAlreadyRecorded",
        "AlreadyPaid",
        "PaymentNotDue",
        "OrderClosed",
        "NotPaid",
        "InvalidTransition",
        "AlreadyDelivered",
        "DeliveryNotDue",
        "ReturnNotAllowed",
        "ReturnInProgress",
    ];
}

impl Rejection for InventoryReservationError {
    const NOT_FOUND: &'static [&'static str] = &["NoStockReceived", "UnknownReservation"];
    const CONFLICT: &'static [&'static str] = &[
        "NotOwner",
        "BatchAlreadyReceived",
        "InsufficientStock",
        "ReservationAlreadyExists",
        "ReservationExpired",
        "ReservationReleased",
        "ReservationCommitted",
        "ReservationNotActive",
        "TooEarly",
        "AllocatedBatchExpired",
        "AdjustmentBelowZero",
        "AdjustmentBelowReserved",
        "BatchNotExpired",
        "NothingToWriteOff",
        "BatchExpired",
    ];
}

impl Rejection for PaymentSplitError {
    const NOT_FOUND: &'static [&'static str] =
        &["NotComputed", "UnknownPayout", "PayoutOfAnotherVendor"];
    const CONFLICT: &'static [&'static str] = &[
        "AlreadyComputed",
        "PayoutNotScheduled",
        "TooEarly",
        "HoldAlreadyLifted",
        "DuplicatePayout",
        "NothingAvailable",
        "PayoutAlreadyFailed",
        "DuplicateRefund",
        "DuplicateChargeback",
    ];
}

impl Rejection for EscrowError {
    const NOT_FOUND: &'static [&'static str] = &["NotCreated"];
    const CONFLICT: &'static [&'static str] = &[
        "AlreadyCreated",
        "Closed",
        "Cancelled",
        "AlreadyFunded",
        "NotFunded",
        "NotDelivered",
        "AlreadyDelivered",
        "MilestoneSettled",
        "DisputeOpen",
        "NoDispute",
        "InspectionOver",
        "DisputeWindowClosed",
        "TooEarly",
        "AlreadyDeliveredSome",
        "AlreadyReleasedSome",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_domain::ids::BatchId;
    use bazaar_domain::money::{Currency, MoneyError};

    #[test]
    fn variants_become_kebab_case_types_with_their_status() {
        let problem = OrderError::NotPlaced.problem();
        assert_eq!(problem.status(), StatusCode::NOT_FOUND);
        assert_eq!(problem.slug(), "not-placed");
        let problem = InventoryReservationError::UnknownBatch {
            batch: BatchId::parse("b-1").unwrap(),
        }
        .problem();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem.slug(), "unknown-batch");
        assert_eq!(
            EscrowError::DisputeOpen.problem().status(),
            StatusCode::CONFLICT
        );
    }

    #[test]
    fn money_errors_are_named_by_their_own_variant() {
        let eur = Currency::parse("EUR").unwrap();
        let usd = Currency::parse("USD").unwrap();
        let error = PaymentSplitError::Money(MoneyError::CurrencyMismatch {
            expected: eur,
            found: usd,
        });
        assert_eq!(error.problem().slug(), "currency-mismatch");
    }

    #[test]
    fn every_listed_variant_exists_in_its_error_type() {
        // a renamed variant would silently fall back to 422: the lists are
        // checked against the error types' own source
        let sources = [
            (
                include_str!("../../../domain/src/order/error.rs"),
                OrderError::NOT_FOUND,
                OrderError::CONFLICT,
            ),
            (
                include_str!("../../../domain/src/inventory/error.rs"),
                InventoryReservationError::NOT_FOUND,
                InventoryReservationError::CONFLICT,
            ),
            (
                include_str!("../../../domain/src/payment_split/error.rs"),
                PaymentSplitError::NOT_FOUND,
                PaymentSplitError::CONFLICT,
            ),
            (
                include_str!("../../../domain/src/escrow/error.rs"),
                EscrowError::NOT_FOUND,
                EscrowError::CONFLICT,
            ),
        ];
        for (source, not_found, conflict) in sources {
            for name in not_found.iter().chain(conflict) {
                let declared = source.lines().any(|line| {
                    let line = line.trim_start();
                    line.starts_with(&format!("{name} {{"))
                        || line.starts_with(&format!("{name},"))
                        || line.starts_with(&format!("{name}("))
                });
                assert!(declared, "variant {name} is not declared");
            }
        }
    }
}
