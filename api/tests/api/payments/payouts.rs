//! Payouts: a share held until its date, paid by the scheduler's timer; a
//! refund after the payout becomes the vendor's debt, never a negative
//! balance; the payout's failure brings the money back and settles the
//! debt first; partial payouts by hand; and the ledger, page by page,
//! adds up to the balance.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, compute, eur, refuses, share, split_after};
use crate::fixtures::{eventually, position};
use crate::helpers::{admin, spawn_full, vendor, TestApp};

const MONEY: &[&str] = &[
    "held",
    "available",
    "paid_out",
    "debt",
    "net_refunded",
    "fee_refunded",
];

fn hold_until(hours: i64) -> Value {
    let at = (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Micros, true);
    json!({ "hold_until": at })
}

/// Every entry of `vendor`'s ledger, read `limit` at a time.
async fn ledger(app: &TestApp, seller: &str, synced: &str, limit: u32) -> Vec<Value> {
    let (mut entries, mut cursor) = (Vec::new(), String::new());
    loop {
        let path =
            format!("/v1/vendors/{seller}/ledger?min_position={synced}&limit={limit}{cursor}");
        let page = app.read(&vendor(seller), &path).await;
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return entries,
        }
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_refund_after_payout_is_debt_and_a_failed_payout_settles_it(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (id, _) = compute(&app, 2009, 1000, &[("v-1", 1005), ("v-2", 1004)]).await;
    let ops = admin();
    held_until_tomorrow(&app, &id).await;
    paid_by_the_timer(&app, &id).await;
    let payouts = at(&id, "vendors/v-1/payouts");

    let refund = json!({
        "refund_id": "re-1", "amount": eur(500),
        "allocation": [{"vendor": "v-1", "amount": eur(500)}],
    });
    let refunded = app.command(&ops, &at(&id, "refunds"), &refund, 200).await;
    let detail = split_after(&app, &id, &refunded).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), MONEY),
        [0, 0, 904, 450, 450, 50],
        "owed, not negative"
    );

    let timer_payout = ledger(&app, "v-1", position(&refunded), 50)
        .await
        .into_iter()
        .find(|e| e["kind"] == "payout")
        .unwrap();
    let failure = at(
        &id,
        &format!(
            "vendors/v-1/payouts/{}/failure",
            timer_payout["reference"].as_str().unwrap()
        ),
    );
    let failed = app
        .command(&ops, &failure, &json!({"reason": "account_closed"}), 200)
        .await;
    let detail = split_after(&app, &id, &failed).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), MONEY),
        [0, 454, 0, 0, 450, 50],
        "the debt is settled first"
    );

    let part = app
        .command(
            &ops,
            &payouts,
            &json!({"payout_id": "po-m1", "amount": eur(200)}),
            200,
        )
        .await;
    let detail = split_after(&app, &id, &part).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), MONEY),
        [0, 254, 200, 0, 450, 50]
    );
    let synced = position(&part);
    let balances = app
        .read(
            &vendor("v-1"),
            &format!("/v1/vendors/v-1/balances?min_position={synced}"),
        )
        .await;
    assert_eq!(
        amounts(&balances[0], &["earned", "available", "paid_out", "debt"]),
        [454, 254, 200, 0]
    );

    let entries = ledger(&app, "v-1", synced, 2).await;
    let mut kinds: Vec<(String, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    let expected = [
        ("debt_incurred", -450),
        ("debt_recovered", 450),
        ("earned", 1005),
        ("fee", -101),
        ("fee", 50),
        ("payout", -904),
        ("payout", -200),
        ("payout_failed", 904),
        ("refund", -500),
    ];
    assert_eq!(
        kinds,
        expected
            .iter()
            .map(|(k, a)| ((*k).to_owned(), *a))
            .collect::<Vec<_>>()
    );
    let balance: i64 = entries
        .iter()
        .filter(|e| e["in_balance"] == true)
        .map(|e| e["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(balance, 454 - 200, "earned - paid out");
    let whole = app.read(&ops, "/v1/vendors/v-1/ledger?limit=200").await;
    assert_eq!(
        whole["items"].as_array().unwrap(),
        &entries,
        "pages join up, oldest first"
    );

    refused_payouts(&app, &id, &failure).await;
}

/// v-2's share held until tomorrow: scheduling the same date again changes
/// nothing, and a payout before it is too early.
async fn held_until_tomorrow(app: &TestApp, id: &str) {
    let ops = admin();
    let tomorrow = hold_until(24);
    let later = app
        .command(&ops, &at(id, "vendors/v-2/payout-schedule"), &tomorrow, 200)
        .await;
    let detail = split_after(app, id, &later).await;
    assert_eq!(share(&detail, "v-2")["hold_state"], "scheduled");
    let same = app
        .command(&ops, &at(id, "vendors/v-2/payout-schedule"), &tomorrow, 200)
        .await;
    assert!(
        same["position"].is_null(),
        "the same date again changes nothing"
    );
    let early = json!({"payout_id": "po-early"});
    refuses(
        app,
        id,
        (&ops, &at(id, "vendors/v-2/payouts"), early),
        409,
        "too-early",
    )
    .await;
}

/// v-1's share, held until an hour ago, is paid in full by the
/// scheduler's timer; nothing is left to pay by hand.
async fn paid_by_the_timer(app: &TestApp, id: &str) {
    let ops = admin();
    app.command(
        &ops,
        &at(id, "vendors/v-1/payout-schedule"),
        &hold_until(-1),
        200,
    )
    .await;
    let paid = eventually(app, &ops, &format!("/v1/payments/{id}"), |p| {
        share(p, "v-1")["paid_out"] == 904
    })
    .await;
    assert_eq!(
        share(&paid, "v-1")["hold_state"],
        "lifted",
        "the timer paid it all"
    );
    refuses(
        app,
        id,
        (
            &ops,
            &at(id, "vendors/v-1/payouts"),
            json!({"payout_id": "po-m0"}),
        ),
        409,
        "nothing-available",
    )
    .await;
}

/// What payouts refuse once v-1 has been paid by hand (`po-m1`).
async fn refused_payouts(app: &TestApp, id: &str, failure: &str) {
    let ops = admin();
    let payouts = at(id, "vendors/v-1/payouts");
    let cases = [
        (
            payouts.clone(),
            json!({"payout_id": "po-m1"}),
            409,
            "duplicate-payout",
        ),
        (
            payouts.clone(),
            json!({"payout_id": "po-m2", "amount": eur(1000)}),
            422,
            "exceeds-available",
        ),
        (
            at(id, "vendors/v-9/payouts"),
            json!({"payout_id": "po-m2"}),
            404,
            "unknown-vendor",
        ),
        (
            at(id, "vendors/v-1/payouts/po-x/failure"),
            json!({"reason": "declined"}),
            404,
            "unknown-payout",
        ),
        (
            at(id, "vendors/v-2/payouts/po-m1/failure"),
            json!({"reason": "declined"}),
            404,
            "payout-of-another-vendor",
        ),
        (
            failure.to_owned(),
            json!({"reason": "declined"}),
            409,
            "payout-already-failed",
        ),
        (
            at(id, "vendors/v-1/payout-schedule"),
            hold_until(1),
            409,
            "hold-already-lifted",
        ),
        (
            at(id, "vendors/v-1/payouts/po-m1/failure"),
            json!({"reason": "lost"}),
            422,
            "invalid-body",
        ),
    ];
    for (path, body, status, slug) in cases {
        refuses(app, id, (&ops, &path, body), status, slug).await;
    }
}
