//! How escrows end besides a full delivery: cancelled before funding,
//! cancelled after it (everything refunded), refunded in full by the
//! seller, and released when an inspection lapsed without dispute.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, create, escrow_after, funding, step, terms};
use crate::helpers::{admin, buyer, spawn_full, spawn_read_side, vendor};
use crate::past::{hours_ago, Past};

const MONEY: &[&str] = &["funded", "released", "refunded", "held"];

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn escrows_are_cancelled_before_and_after_funding_and_refunded_by_the_seller(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (ops, b2) = (admin(), buyer("buyer-2"));
    let mut for_buyer = terms("v-2", &[("m-1", 500)]);
    for_buyer["buyer"] = json!("buyer-2");
    let cancel = json!({"reason": "deal off"});

    let (unfunded, _) = create(&app, &ops, &for_buyer).await;
    let cancelled = app
        .command(&ops, &at(&unfunded, "cancel"), &cancel, 200)
        .await;
    let seen = escrow_after(&app, &b2, &unfunded, &cancelled).await;
    assert_eq!(
        seen["escrow"]["buyer_party"], "buyer-2",
        "named by the admin"
    );
    assert_eq!(
        (
            seen["escrow"]["status"].as_str(),
            seen["escrow"]["cancel_reason"].as_str()
        ),
        (Some("cancelled"), Some("deal off"))
    );
    assert_eq!(amounts(&seen["escrow"], MONEY), [0, 0, 0, 0]);

    let (funded, _) = create(&app, &ops, &for_buyer).await;
    app.command(&ops, &at(&funded, "funding"), &funding(500), 200)
        .await;
    let cancelled = app
        .command(&ops, &at(&funded, "cancel"), &cancel, 200)
        .await;
    let seen = escrow_after(&app, &b2, &funded, &cancelled).await;
    assert_eq!(seen["escrow"]["status"], "cancelled");
    assert_eq!(
        amounts(&seen["escrow"], MONEY),
        [500, 0, 500, 0],
        "the buyer got it all back"
    );

    let (refunded, _) = create(&app, &b2, &terms("v-2", &[("m-1", 200), ("m-2", 300)])).await;
    app.command(&ops, &at(&refunded, "funding"), &funding(500), 200)
        .await;
    let everything = json!({"reason": "cannot deliver"});
    let answer = app
        .command(&vendor("v-2"), &at(&refunded, "refunds"), &everything, 200)
        .await;
    let seen = escrow_after(&app, &b2, &refunded, &answer).await;
    assert_eq!(seen["escrow"]["status"], "closed");
    assert_eq!(amounts(&seen["escrow"], MONEY), [500, 0, 500, 0]);
    assert_eq!(
        amounts(step(&seen, "m-2"), &["refunded", "remaining"]),
        [300, 0]
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_delivery_whose_inspection_lapsed_is_released_to_the_seller(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_read_side(options).await;
    let past = Past::new(&app.pool);
    let id = uuid::Uuid::now_v7().to_string();
    let mut create = terms("v-1", &[("m-1", 500)]);
    create["buyer"] = json!("buyer-1");
    create["at"] = json!(hours_ago(100));
    for command in [
        json!({ "CreateEscrow": create }),
        json!({"Fund": {"payment_id": "pay-1", "amount": super::eur(500), "at": hours_ago(99)}}),
        json!({"MarkDelivered": {"milestone": "m-1", "at": hours_ago(98)}}),
    ] {
        past.escrow(&id, command).await;
    }

    let lapsed = app
        .command(&admin(), &at(&id, "milestones/m-1/lapse"), &json!({}), 200)
        .await;

    let seen = escrow_after(&app, &vendor("v-1"), &id, &lapsed).await;
    assert_eq!(step(&seen, "m-1")["status"], "settled");
    assert_eq!(amounts(&seen["escrow"], MONEY), [500, 500, 0, 0]);
    assert_eq!(seen["escrow"]["status"], "closed");
}
