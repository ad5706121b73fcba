//! Every payment endpoint through the API (admins only): splits, payout
//! schedules, payouts and their failure, refunds and chargebacks, with
//! every amount checked to the minor unit in the money read models
//! (payment detail, platform fees, vendor balances, order balances,
//! ledger).
//!
//! # Layout
//! - `splits`: fees rounded once per vendor, half up; order-level
//!   differences spread by largest remainder; a real paid order's split.
//! - `payouts`: a timer's payout, a refund after it (debt), its failure
//!   (debt recovered), partial payouts by hand; the ledger page by page.
//! - `refunds`: refunds and chargebacks, fee given back in proportion.
//! - `access`: no token, non-admins.

use serde_json::{json, Value};

use crate::fixtures::{self, position};
use crate::helpers::{admin, TestApp};

mod access;
mod payouts;
mod refunds;
mod splits;

/// `cents` of EUR.
pub(super) fn eur(cents: i64) -> Value {
    json!({"amount": cents, "currency": "EUR"})
}

/// The path of split `id`, plus `tail`.
pub(super) fn at(id: &str, tail: &str) -> String {
    format!("/v1/payments/{id}/{tail}")
}

/// A split of `captured` cents at `bps` between `vendors` (id, gross).
pub(super) fn split_of(captured: i64, bps: u32, vendors: &[(&str, i64)]) -> Value {
    let vendors: Vec<Value> = vendors
        .iter()
        .map(|(vendor, gross)| json!({"vendor": vendor, "amount": eur(*gross)}))
        .collect();
    json!({
        "payment_id": "pay-1", "captured": eur(captured),
        "fee_rate_bps": bps, "vendors": vendors,
    })
}

/// Computes a split on a fresh order id; returns the id and the answer.
pub(super) async fn compute(
    app: &TestApp,
    captured: i64,
    bps: u32,
    vendors: &[(&str, i64)],
) -> (String, Value) {
    let id = uuid::Uuid::now_v7().to_string();
    let body = split_of(captured, bps, vendors);
    let answer = app.command(&admin(), &at(&id, "split"), &body, 200).await;
    (id, answer)
}

/// Split `id` as admins read it once `answer` has been applied.
pub(super) async fn split_after(app: &TestApp, id: &str, answer: &Value) -> Value {
    let path = format!("/v1/payments/{id}?min_position={}", position(answer));
    app.read(&admin(), &path).await
}

/// Vendor `vendor`'s share in a payment detail.
pub(super) fn share<'a>(detail: &'a Value, vendor: &str) -> &'a Value {
    detail["vendors"]
        .as_array()
        .and_then(|shares| shares.iter().find(|s| s["vendor_id"] == vendor))
        .unwrap_or_else(|| panic!("no share of {vendor} in {detail}"))
}

/// The named amounts of a row, for comparing several at once.
pub(super) fn amounts(row: &Value, names: &[&str]) -> Vec<i64> {
    names
        .iter()
        .map(|name| {
            row[*name]
                .as_i64()
                .unwrap_or_else(|| panic!("no {name} in {row}"))
        })
        .collect()
}

/// Expects `path` to refuse with `status` and `slug`, writing nothing to
/// split `id`.
pub(super) async fn refuses(
    app: &TestApp,
    id: &str,
    call: (&str, &str, Value),
    status: u16,
    slug: &str,
) {
    fixtures::refuses(app, ("PaymentSplit", id), call, status, slug).await;
}
