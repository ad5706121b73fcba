//! Every escrow endpoint through the API: terms agreed by the buyer (or an
//! admin naming it), funding, delivery, acceptance, rejection, disputes
//! and their resolution, releases, refunds, cancellation and a lapsed
//! inspection; who may do each; and what each refuses.
//!
//! # Layout
//! - `lifecycle`: a three-milestone deal from terms to closing.
//! - `closing`: cancellation before and after funding, a seller's full
//!   refund, an admin's escrow for a buyer, a lapsed inspection.
//! - `access`: parties, other buyers and vendors, roles, no token.
//! - `rejections`: one domain rejection per command endpoint.

use serde_json::{json, Value};

use crate::fixtures::{self, position};
use crate::helpers::TestApp;

mod access;
mod agents;
mod closing;
mod lifecycle;
mod rejections;

/// `cents` of EUR.
pub(super) fn eur(cents: i64) -> Value {
    json!({"amount": cents, "currency": "EUR"})
}

/// Terms of an escrow sold by `seller` in `milestones` (id, cents), with
/// 3 days of inspection and a 48 hour dispute window.
pub(super) fn terms(seller: &str, milestones: &[(&str, i64)]) -> Value {
    let amount: i64 = milestones.iter().map(|m| m.1).sum();
    let steps: Vec<Value> = milestones
        .iter()
        .map(|(id, cents)| json!({"milestone": id, "description": format!("deliver {id}"), "amount": eur(*cents)}))
        .collect();
    json!({
        "seller": seller, "currency": "EUR", "amount": eur(amount), "milestones": steps,
        "inspection_period_days": 3, "dispute_window_hours": 48,
    })
}

/// Creates an escrow on `terms` as `token`; returns its id and the answer.
pub(super) async fn create(app: &TestApp, token: &str, terms: &Value) -> (String, Value) {
    let answer = app.command(token, "/v1/escrows", terms, 201).await;
    (answer["aggregate_id"].as_str().unwrap().to_owned(), answer)
}

/// The path of escrow `id`, plus `tail`.
pub(super) fn at(id: &str, tail: &str) -> String {
    format!("/v1/escrows/{id}/{tail}")
}

/// Funding of `cents` from payment `pay-1`.
pub(super) fn funding(cents: i64) -> Value {
    json!({"payment_id": "pay-1", "amount": eur(cents)})
}

/// Escrow `id` as `token` reads it once `answer` has been applied.
pub(super) async fn escrow_after(app: &TestApp, token: &str, id: &str, answer: &Value) -> Value {
    let path = format!("/v1/escrows/{id}?min_position={}", position(answer));
    app.read(token, &path).await
}

/// Milestone `id` of an escrow's detail.
pub(super) fn step<'a>(detail: &'a Value, id: &str) -> &'a Value {
    detail["milestones"]
        .as_array()
        .and_then(|steps| steps.iter().find(|m| m["milestone_id"] == id))
        .unwrap_or_else(|| panic!("no milestone {id} in {detail}"))
}

/// The named amounts of a row.
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
/// escrow `id`.
pub(super) async fn refuses(
    app: &TestApp,
    id: &str,
    call: (&str, &str, Value),
    status: u16,
    slug: &str,
) {
    fixtures::refuses(app, ("Escrow", id), call, status, slug).await;
}
