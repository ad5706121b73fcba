//! Stock lists and movements, page by page through `next_cursor`: every
//! row once, in order, and a last page without a cursor.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, batch_of};
use crate::fixtures::receive_stock;
use crate::helpers::spawn_full;
use crate::helpers::{vendor, TestApp};

/// Every page of `path` (which has a query) as `token`, `limit` rows each.
async fn pages(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = app
            .read(token, &format!("{path}&limit={limit}{after}"))
            .await;
        let items = page["items"].as_array().unwrap().clone();
        assert!(items.len() <= limit as usize);
        pages.push(items);
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 50, "{path} never ends");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn stock_lists_and_movements_page_through_every_row_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let v1 = vendor("v-1");
    for sku in ["cherry", "apple", "elder", "banana", "date"] {
        receive_stock(&app, "v-1", sku, 5).await;
    }
    receive_stock(&app, "v-2", "fig", 5).await;
    for (n, delta) in [(1, -1), (2, 2), (3, -1), (4, 1)] {
        let body = json!({"batch": "b-apple", "delta": delta, "reason": format!("count {n}")});
        app.command(&v1, &at("apple", "adjustments"), &body, 200)
            .await;
    }
    let late = batch_of("b-late", 3, None);
    let answer = app.command(&v1, &at("apple", "batches"), &late, 200).await;
    let position = answer["position"].as_str().unwrap();

    let list = pages(&app, &v1, &format!("/v1/stock?min_position={position}"), 2).await;
    assert_eq!(list.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    let skus: Vec<String> = list
        .concat()
        .iter()
        .map(|s| s["sku"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        skus,
        ["apple", "banana", "cherry", "date", "elder"],
        "v-1's own, by SKU"
    );

    let moves = pages(
        &app,
        &v1,
        &format!("{}?min_position={position}", at("apple", "movements")),
        2,
    )
    .await;
    let moves = moves.concat();
    let deltas: Vec<i64> = moves
        .iter()
        .map(|m| m["on_hand_delta"].as_i64().unwrap())
        .collect();
    assert_eq!(deltas, vec![5, -1, 2, -1, 1, 3]);
    let positions: Vec<i64> = moves
        .iter()
        .map(|m| m["position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "oldest first, once each"
    );
    let whole = app.read(&v1, &at("apple", "movements")).await;
    assert_eq!(whole["items"].as_array().unwrap(), &moves);
    assert!(whole["next_cursor"].is_null());
}
