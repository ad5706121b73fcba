//! A vendor's own batches: received, counted, restocked, and an expired
//! one written off; and what each of those commands refuses.

use chrono::Utc;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, batch, batch_of, refuses, stock_after};
use crate::helpers::{spawn_full, vendor, TestApp};
use crate::past::Past;

/// v-1's apple stock with an expired batch `b-old` (3 units, received in
/// 2020), then `b-1` (10 units, good until 2099) and `b-2` (5 units,
/// never perishes) received through the API.
async fn stocked(app: &TestApp) -> Value {
    let old = json!({"ReceiveBatch": {
        "sku": "apple", "warehouse": "wh-1", "vendor": "v-1", "batch": "b-old",
        "quantity": 3, "expires_on": "2020-06-30", "at": "2020-06-01T08:00:00Z",
    }});
    Past::new(&app.pool).stock("apple@wh-1", old).await;
    let receive = at("apple", "batches");
    let v1 = vendor("v-1");
    app.command(&v1, &receive, &batch_of("b-1", 10, Some("2099-12-31")), 200)
        .await;
    app.command(&v1, &receive, &batch_of("b-2", 5, None), 200)
        .await
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn batches_are_received_counted_restocked_and_an_expired_one_written_off(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let v1 = vendor("v-1");
    let received = stocked(&app).await;
    let detail = stock_after(&app, &v1, "apple", &received).await;
    assert_eq!(detail["level"]["vendor_id"], "v-1");
    assert_eq!(detail["level"]["on_hand"], 18);
    assert_eq!(detail["level"]["available"], 15, "b-old has expired");
    assert_eq!(detail["level"]["batches"], 3);
    assert_eq!(batch(&detail, "b-1")["expires_on"], "2099-12-31");

    let count = json!({"batch": "b-1", "delta": -2, "reason": "cycle count"});
    let counted = app
        .command(&v1, &at("apple", "adjustments"), &count, 200)
        .await;
    let detail = stock_after(&app, &v1, "apple", &counted).await;
    assert_eq!(batch(&detail, "b-1")["on_hand"], 8);
    assert_eq!(detail["level"]["available"], 13);

    let restock = |batch: Value| json!({"batch": batch, "quantity": 2, "reason": "return r-1"});
    let restocks = at("apple", "restocks");
    app.command(&v1, &restocks, &restock(json!("b-2")), 200)
        .await;
    let inferred = app
        .command(&v1, &restocks, &restock(Value::Null), 200)
        .await;
    let detail = stock_after(&app, &v1, "apple", &inferred).await;
    assert_eq!(batch(&detail, "b-2")["on_hand"], 7);
    assert_eq!(batch(&detail, "b-1")["on_hand"], 10, "first to expire");
    assert_eq!(batch(&detail, "b-old")["on_hand"], 3, "expired: never");
    assert_eq!(detail["level"]["available"], 17);

    let write_off = at("apple", "batches/b-old/write-off");
    let day_before = Utc::now().date_naive().to_string();
    let written = app.command(&v1, &write_off, &json!({}), 200).await;
    let today = [day_before, Utc::now().date_naive().to_string()];
    let detail = stock_after(&app, &v1, "apple", &written).await;
    let old = batch(&detail, "b-old");
    assert_eq!(old["written_off"], true);
    assert_eq!(old["on_hand"], 0);
    let on = old["written_off_on"].as_str().unwrap();
    assert!(today.iter().any(|day| day == on), "today (UTC), not {on}");
    assert_eq!(detail["level"]["on_hand"], 17);
    assert_eq!(detail["level"]["available"], 17);

    let moves = app.read(&v1, &at("apple", "movements")).await;
    let kinds: Vec<(&str, i64)> = moves["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap(),
                m["on_hand_delta"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("received", 3),
        ("received", 10),
        ("received", 5),
        ("adjusted", -2),
    ];
    let tail = [("restocked", 2), ("restocked", 2), ("written_off", -3)];
    assert_eq!(kinds, [&expected[..], &tail[..]].concat());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn batch_commands_refuse_what_the_stock_cannot_take(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    stocked(&app).await;
    let v1 = vendor("v-1");
    let receive = at("apple", "batches");
    for (body, status, slug) in [
        (batch_of("b-1", 1, None), 409, "batch-already-received"),
        (batch_of("b-3", 0, None), 422, "invalid-quantity"),
        (
            batch_of("b-3", 1, Some("2020-01-01")),
            422,
            "batch-already-expired",
        ),
    ] {
        refuses(&app, "apple", (&v1, &receive, body), status, slug).await;
    }
    let adjust = at("apple", "adjustments");
    let delta = |batch: &str, delta: i64, reason: &str| {
        json!({
            "batch": batch, "delta": delta, "reason": reason
        })
    };
    for (body, status, slug) in [
        (delta("b-1", 0, "count"), 422, "invalid-adjustment"),
        (delta("b-1", -11, "count"), 409, "adjustment-below-zero"),
        (delta("b-9", 1, "count"), 422, "unknown-batch"),
        (delta("b-1", 1, " "), 422, "invalid-reason"),
    ] {
        refuses(&app, "apple", (&v1, &adjust, body), status, slug).await;
    }
    let off = |batch: &str| at("apple", &format!("batches/{batch}/write-off"));
    for (path, body, status, slug) in [
        (off("b-1"), json!({}), 409, "batch-not-expired"),
        (off("b-2"), json!({}), 422, "batch-does-not-perish"),
        (
            off("b-1"),
            json!({"on": "2100-01-01"}),
            422,
            "write-off-date-in-future",
        ),
    ] {
        refuses(&app, "apple", (&v1, &path, body), status, slug).await;
    }
    app.command(&v1, &off("b-old"), &json!({}), 200).await;
    refuses(
        &app,
        "apple",
        (&v1, &off("b-old"), json!({})),
        409,
        "nothing-to-write-off",
    )
    .await;
    let restock = json!({"batch": "b-old", "quantity": 1, "reason": "return r-2"});
    refuses(
        &app,
        "apple",
        (&v1, &at("apple", "restocks"), restock),
        409,
        "batch-expired",
    )
    .await;
}
