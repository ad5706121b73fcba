//! Every order command through the API: what each does to the read model
//! (read back through the query endpoints with the command's position),
//! who may run it, and the typed problem each domain rejection becomes.
//!
//! # Layout
//! - `lifecycle`: place, pay, pack, partial and full shipment, delivery,
//!   auto-delivery refused before its time, completion.
//! - `cancellations`: buyer and vendor cancellation, payment expiry.
//! - `returns`: return requests and receipts with damaged units.
//! - `access`: no token, wrong role, another buyer's or vendor's order.
//! - `rejections`: one domain rejection per command endpoint.
//! - `timers`: payment expiry and auto-delivery by hand, after their
//!   deadline.

use serde_json::Value;

use crate::fixtures::position;
use crate::helpers::{vendor, TestApp};

mod access;
mod cancellations;
mod lifecycle;
mod rejections;
mod returns;
mod timers;

/// `order` as `token` reads it once the read model has applied `answer`.
pub(super) async fn order_after(app: &TestApp, token: &str, order: &str, answer: &Value) -> Value {
    let path = format!("/v1/orders/{order}?min_position={}", position(answer));
    app.read(token, &path).await
}

/// Vendor `seller`'s part of `order` once the read model has applied
/// `answer`.
pub(super) async fn vendor_part_after(
    app: &TestApp,
    seller: &str,
    order: &str,
    answer: &Value,
) -> Value {
    let path = format!(
        "/v1/vendors/{seller}/orders/{order}?min_position={}",
        position(answer)
    );
    app.read(&vendor(seller), &path).await
}

/// The path of vendor `seller`'s part of `order`, plus `tail`.
pub(super) fn part(order: &str, seller: &str, tail: &str) -> String {
    format!("/v1/orders/{order}/vendors/{seller}/{tail}")
}
