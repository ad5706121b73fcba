//! A three-milestone deal from terms to closing: funded, one milestone
//! accepted, one rejected and settled by the agent, one disputed by the
//! seller and dismissed, then partly released, partly refunded and
//! released; every amount checked after every step.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, create, escrow_after, eur, funding, step, terms};
use crate::helpers::{admin, buyer, spawn_full, vendor, TestApp};

const MONEY: &[&str] = &["funded", "released", "refunded", "held"];
const STEP: &[&str] = &["funded", "released", "refunded", "remaining"];

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

/// Runs `tail` on escrow `id` as `token`; returns the detail after it.
async fn then(app: &TestApp, token: &str, id: &str, (tail, body): (&str, Value)) -> Value {
    let answer = app.command(token, &at(id, tail), &body, 200).await;
    escrow_after(app, &buyer("buyer-1"), id, &answer).await
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_deal_is_funded_delivered_accepted_disputed_settled_and_closed(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (b1, v1, ops) = (buyer("buyer-1"), vendor("v-1"), admin());
    let deal = terms("v-1", &[("m-1", 300), ("m-2", 200), ("m-3", 500)]);
    let (id, created) = create(&app, &b1, &deal).await;
    let seen = escrow_after(&app, &v1, &id, &created).await;
    let escrow = &seen["escrow"];
    assert_eq!(
        (
            escrow["buyer_party"].as_str(),
            escrow["seller_party"].as_str()
        ),
        (Some("buyer-1"), Some("v-1"))
    );
    assert_eq!(
        (escrow["status"].as_str(), escrow["amount"].as_i64()),
        (Some("awaiting_funding"), Some(1000))
    );
    assert_eq!(step(&seen, "m-2")["status"], "awaiting_delivery");

    let seen = then(&app, &ops, &id, ("funding", funding(1000))).await;
    assert_eq!(seen["escrow"]["status"], "funded");
    assert_eq!(seen["escrow"]["payment_id"], "pay-1");
    assert_eq!(amounts(&seen["escrow"], MONEY), [1000, 0, 0, 1000]);
    assert_eq!(amounts(step(&seen, "m-1"), STEP), [300, 0, 0, 300]);

    let seen = then(&app, &v1, &id, ("milestones/m-1/delivery", json!({}))).await;
    let m1 = step(&seen, "m-1");
    assert_eq!(m1["status"], "delivered");
    let delivered = time(&m1["delivered_at"]);
    assert_eq!(
        time(&m1["inspection_ends_at"]) - delivered,
        Duration::days(3)
    );
    assert_eq!(
        time(&m1["dispute_window_ends_at"]) - delivered,
        Duration::hours(48)
    );
    let seen = then(&app, &b1, &id, ("milestones/m-1/accept", json!({}))).await;
    assert_eq!(step(&seen, "m-1")["status"], "settled");
    assert_eq!(amounts(&seen["escrow"], MONEY), [1000, 300, 0, 700]);

    then(&app, &v1, &id, ("milestones/m-2/delivery", json!({}))).await;
    let seen = then(
        &app,
        &b1,
        &id,
        ("milestones/m-2/reject", json!({"reason": "wrong model"})),
    )
    .await;
    let m2 = step(&seen, "m-2");
    assert_eq!(
        (m2["status"].as_str(), m2["dispute_open"].as_bool()),
        (Some("disputed"), Some(true))
    );
    assert_eq!(m2["dispute_reason"], "wrong model");
    let split = json!({"release": eur(50), "refund": eur(150)});
    let seen = then(&app, &ops, &id, ("milestones/m-2/resolution", split)).await;
    assert_eq!(amounts(step(&seen, "m-2"), STEP), [200, 50, 150, 0]);
    assert_eq!(amounts(&seen["escrow"], MONEY), [1000, 350, 150, 500]);

    then(&app, &v1, &id, ("milestones/m-3/delivery", json!({}))).await;
    let seen = then(
        &app,
        &v1,
        &id,
        ("milestones/m-3/disputes", json!({"reason": "no answer"})),
    )
    .await;
    assert_eq!(step(&seen, "m-3")["status"], "disputed");
    let dismissed = json!({"release": eur(0), "refund": eur(0)});
    let seen = then(&app, &ops, &id, ("milestones/m-3/resolution", dismissed)).await;
    assert_eq!(
        (
            step(&seen, "m-3")["status"].as_str(),
            step(&seen, "m-3")["dispute_open"].as_bool()
        ),
        (Some("delivered"), Some(false))
    );

    let seen = then(
        &app,
        &ops,
        &id,
        (
            "milestones/m-3/partial-release",
            json!({"amount": eur(100)}),
        ),
    )
    .await;
    assert_eq!(amounts(step(&seen, "m-3"), STEP), [500, 100, 0, 400]);
    let short = json!({"milestone": "m-3", "amount": eur(100), "reason": "one unit short"});
    let seen = then(&app, &v1, &id, ("refunds", short)).await;
    assert_eq!(amounts(step(&seen, "m-3"), STEP), [500, 100, 100, 300]);
    let seen = then(&app, &ops, &id, ("milestones/m-3/release", json!({}))).await;
    assert_eq!(amounts(step(&seen, "m-3"), STEP), [500, 400, 100, 0]);
    assert_eq!(seen["escrow"]["status"], "closed");
    assert!(seen["escrow"]["closed_at"].is_string());
    assert_eq!(
        amounts(&seen["escrow"], MONEY),
        [1000, 750, 250, 0],
        "every cent released or refunded"
    );
}
