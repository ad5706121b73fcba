//! Every stock endpoint through the API: batches (receive, adjust,
//! write-off, restock), holds (reserve, extend, commit, release, expire;
//! admins only), the queries and their paging, and whose stock it is.
//!
//! # Layout
//! - `batches`: the owner's commands on batches, and their rejections.
//! - `holds`: the hold commands by hand, and their rejections.
//! - `access`: no token, buyers, other vendors, admins naming a vendor.
//! - `paging`: stock lists and movements page by page via `next_cursor`.

use serde_json::{json, Value};

use crate::fixtures::{self, position};
use crate::helpers::TestApp;

mod access;
mod batches;
mod holds;
mod paging;

/// The path of `sku`'s stock in wh-1, plus `tail` (none: the stock).
pub(super) fn at(sku: &str, tail: &str) -> String {
    let base = format!("/v1/stock/{sku}/wh-1");
    if tail.is_empty() {
        base
    } else {
        format!("{base}/{tail}")
    }
}

/// `sku`'s stock as `token` reads it once `answer` has been applied.
pub(super) async fn stock_after(app: &TestApp, token: &str, sku: &str, answer: &Value) -> Value {
    let path = format!("{}?min_position={}", at(sku, ""), position(answer));
    app.read(token, &path).await
}

/// Batch `id` of a stock's detail.
pub(super) fn batch<'a>(detail: &'a Value, id: &str) -> &'a Value {
    detail["batches"]
        .as_array()
        .and_then(|batches| batches.iter().find(|b| b["batch_id"] == id))
        .unwrap_or_else(|| panic!("no batch {id} in {detail}"))
}

/// A batch of `quantity` units expiring on `expires_on` (`None`: never).
pub(super) fn batch_of(id: &str, quantity: u32, expires_on: Option<&str>) -> Value {
    json!({"batch": id, "quantity": quantity, "expires_on": expires_on})
}

/// Expects `path` to refuse with `status` and `slug`, writing nothing
/// to `sku`'s stock in wh-1.
pub(super) async fn refuses(
    app: &TestApp,
    sku: &str,
    call: (&str, &str, Value),
    status: u16,
    slug: &str,
) {
    let stock = format!("{sku}@wh-1");
    fixtures::refuses(app, ("InventoryReservation", &stock), call, status, slug).await;
}
