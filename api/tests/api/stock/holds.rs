//! Holds by hand (admins; normally the checkout saga and the scheduler):
//! first expiry first out, extended, committed, released, expired; commit
//! and release idempotent; and what each refuses.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, batch, batch_of, refuses, stock_after};
use crate::helpers::{admin, spawn_full, vendor, TestApp};
use crate::past::{hours_ago, Past};

fn in_hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn hold(id: &str, quantity: u32, expires_at: &str) -> Value {
    let today = Utc::now().date_naive().to_string();
    json!({"reservation": id, "quantity": quantity, "expires_at": expires_at, "ship_on": today})
}

fn of(held: &str, action: &str) -> String {
    at("apple", &format!("reservations/{held}/{action}"))
}

/// v-1's apples: `b-1` 10 units good until 2099, `b-2` 5 until 2090.
async fn stocked(app: &TestApp) {
    let receive = at("apple", "batches");
    let v1 = vendor("v-1");
    app.command(&v1, &receive, &batch_of("b-1", 10, Some("2099-12-31")), 200)
        .await;
    app.command(&v1, &receive, &batch_of("b-2", 5, Some("2090-01-01")), 200)
        .await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn holds_are_reserved_extended_committed_released_and_expired(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    stocked(&app).await;
    let ops = admin();
    let reserved = app
        .command(
            &ops,
            &at("apple", "reservations"),
            &hold("r-1", 7, &in_hours(1)),
            200,
        )
        .await;
    let detail = stock_after(&app, &ops, "apple", &reserved).await;
    assert_eq!(
        (
            detail["level"]["reserved"].as_i64(),
            detail["level"]["available"].as_i64()
        ),
        (Some(7), Some(8))
    );
    assert_eq!(
        batch(&detail, "b-2")["reserved"],
        5,
        "first expiry first out"
    );
    assert_eq!(batch(&detail, "b-1")["reserved"], 2);

    let later = in_hours(2);
    let extended = app
        .command(
            &ops,
            &of("r-1", "extend"),
            &json!({"expires_at": later}),
            200,
        )
        .await;
    let detail = stock_after(&app, &ops, "apple", &extended).await;
    let active = &detail["active_reservations"][0];
    assert_eq!(active["reservation_id"], "r-1");
    assert_eq!(
        active["expires_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        later.parse::<chrono::DateTime<Utc>>().unwrap()
    );

    let committed = app
        .command(&ops, &of("r-1", "commit"), &json!({}), 200)
        .await;
    let detail = stock_after(&app, &ops, "apple", &committed).await;
    assert_eq!(
        (
            detail["level"]["on_hand"].as_i64(),
            detail["level"]["reserved"].as_i64()
        ),
        (Some(8), Some(0))
    );
    assert_eq!(detail["active_reservations"], json!([]));
    let again = app
        .command(&ops, &of("r-1", "commit"), &json!({}), 200)
        .await;
    assert!(
        again["position"].is_null(),
        "a second commit changes nothing"
    );

    app.command(
        &ops,
        &at("apple", "reservations"),
        &hold("r-2", 3, &in_hours(1)),
        200,
    )
    .await;
    let cancelled = json!({"reason": "OrderCancelled"});
    let released = app
        .command(&ops, &of("r-2", "release"), &cancelled, 200)
        .await;
    let detail = stock_after(&app, &ops, "apple", &released).await;
    assert_eq!(
        (
            detail["level"]["reserved"].as_i64(),
            detail["level"]["available"].as_i64()
        ),
        (Some(0), Some(8))
    );
    let again = app
        .command(&ops, &of("r-2", "release"), &cancelled, 200)
        .await;
    assert!(
        again["position"].is_null(),
        "a second release changes nothing"
    );

    let lapsed = json!({"Reserve": {"reservation": "r-3", "quantity": 2, "expires_at": hours_ago(1),
        "ship_on": Utc::now().date_naive(), "min_shelf_life_days": 0, "at": hours_ago(2)}});
    Past::new(&app.pool).stock("apple@wh-1", lapsed).await;
    let expired = app
        .command(&ops, &of("r-3", "expire"), &json!({}), 200)
        .await;
    let detail = stock_after(&app, &ops, "apple", &expired).await;
    assert_eq!(
        (
            detail["level"]["reserved"].as_i64(),
            detail["level"]["available"].as_i64()
        ),
        (Some(0), Some(8))
    );
    let moves = app.read(&ops, &at("apple", "movements")).await;
    let last = moves["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["reservation_id"].as_str()),
        (Some("expired"), Some("r-3"))
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn hold_commands_refuse_what_the_stock_cannot_do(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    stocked(&app).await;
    let ops = admin();
    let reserve = at("apple", "reservations");
    app.command(&ops, &reserve, &hold("r-1", 2, &in_hours(1)), 200)
        .await;
    app.command(&ops, &of("r-1", "commit"), &json!({}), 200)
        .await;
    app.command(&ops, &reserve, &hold("r-2", 1, &in_hours(1)), 200)
        .await;
    let cancelled = json!({"reason": "OrderCancelled"});
    app.command(&ops, &of("r-2", "release"), &cancelled, 200)
        .await;
    app.command(&ops, &reserve, &hold("r-4", 5, &in_hours(1)), 200)
        .await;

    let cases = [
        (
            reserve.clone(),
            hold("r-5", 99, &in_hours(1)),
            409,
            "insufficient-stock",
        ),
        (
            reserve.clone(),
            hold("r-5", 1, &hours_ago(1)),
            422,
            "hold-expiry-not-in-future",
        ),
        (
            reserve.clone(),
            hold("r-4", 1, &in_hours(1)),
            409,
            "reservation-already-exists",
        ),
        (
            of("r-4", "extend"),
            json!({"expires_at": in_hours(-1)}),
            422,
            "hold-expiry-not-in-future",
        ),
        (
            of("r-1", "extend"),
            json!({"expires_at": in_hours(3)}),
            409,
            "reservation-committed",
        ),
        (of("r-9", "commit"), json!({}), 404, "unknown-reservation"),
        (of("r-2", "commit"), json!({}), 409, "reservation-released"),
        (
            of("r-1", "release"),
            cancelled.clone(),
            409,
            "reservation-committed",
        ),
        (
            of("r-4", "release"),
            json!({"reason": "Whatever"}),
            422,
            "invalid-body",
        ),
        (of("r-4", "expire"), json!({}), 409, "too-early"),
        (
            of("r-1", "expire"),
            json!({}),
            409,
            "reservation-not-active",
        ),
    ];
    for (path, body, status, slug) in cases {
        refuses(&app, "apple", (&ops, &path, body), status, slug).await;
    }
    let count = json!({"batch": "b-2", "delta": -1, "reason": "count"});
    let v1 = vendor("v-1");
    refuses(
        &app,
        "apple",
        (&v1, &at("apple", "adjustments"), count),
        409,
        "adjustment-below-reserved",
    )
    .await;
}
