//! Refunds and chargebacks take money back from the vendors' shares, the
//! fee given back in proportion (largest remainder, the platform bearing
//! the odd unit on a tie), to the minor unit; and what they refuse.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, compute, eur, refuses, share, split_after};
use crate::fixtures::position;
use crate::helpers::{admin, spawn_full, vendor};

const TAKEN: &[&str] = &["fee_refunded", "net_refunded", "held"];
const PLATFORM: &[&str] = &[
    "refunded",
    "charged_back",
    "platform_fee_refunded",
    "remaining",
];

fn refund(id: &str, cents: i64, allocation: Option<&[(&str, i64)]>) -> Value {
    let allocation = allocation.map(|parts| {
        parts
            .iter()
            .map(|(vendor, cents)| json!({"vendor": vendor, "amount": eur(*cents)}))
            .collect::<Vec<_>>()
    });
    json!({"refund_id": id, "amount": eur(cents), "allocation": allocation})
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn refunds_and_chargebacks_give_the_fee_back_in_proportion(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (id, _) = compute(&app, 2009, 1000, &[("v-1", 1005), ("v-2", 1004)]).await;
    let ops = admin();

    let spread = app
        .command(&ops, &at(&id, "refunds"), &refund("re-1", 300, None), 200)
        .await;
    let detail = split_after(&app, &id, &spread).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), TAKEN),
        [15, 135, 769],
        "150 of 300, by what is left"
    );
    assert_eq!(amounts(share(&detail, "v-2"), TAKEN), [15, 135, 769]);
    assert_eq!(amounts(&detail["platform"], PLATFORM), [300, 0, 30, 1709]);

    let named = app
        .command(
            &ops,
            &at(&id, "refunds"),
            &refund("re-2", 200, Some(&[("v-1", 200)])),
            200,
        )
        .await;
    let detail = split_after(&app, &id, &named).await;
    assert_eq!(amounts(share(&detail, "v-1"), TAKEN), [35, 315, 589]);
    assert_eq!(
        amounts(share(&detail, "v-2"), TAKEN),
        [15, 135, 769],
        "not v-2's"
    );

    let chargeback = json!({"chargeback_id": "cb-1", "amount": eur(500)});
    let charged = app
        .command(&ops, &at(&id, "chargebacks"), &chargeback, 200)
        .await;
    let detail = split_after(&app, &id, &charged).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), TAKEN),
        [57, 510, 394],
        "217 of 500"
    );
    assert_eq!(
        amounts(share(&detail, "v-2"), TAKEN),
        [43, 390, 514],
        "283 of 500"
    );
    assert_eq!(
        amounts(&detail["platform"], PLATFORM),
        [500, 500, 100, 1009]
    );

    let ledger = app
        .read(
            &vendor("v-2"),
            &format!("/v1/vendors/v-2/ledger?min_position={}", position(&charged)),
        )
        .await;
    let mut entries: Vec<(String, i64)> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    entries.sort();
    let expected = [
        ("chargeback", -283),
        ("earned", 1004),
        ("fee", -100),
        ("fee", 15),
        ("fee", 28),
        ("refund", -150),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(k, a)| ((*k).to_owned(), *a))
        .collect();
    assert_eq!(entries, expected);
    assert_eq!(
        entries.iter().map(|e| e.1).sum::<i64>(),
        514,
        "the ledger sums to what v-2 is owed"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn refunds_and_chargebacks_refuse_more_than_remains(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (id, _) = compute(&app, 2009, 1000, &[("v-1", 1005), ("v-2", 1004)]).await;
    let ops = admin();
    let (refunds, chargebacks) = (at(&id, "refunds"), at(&id, "chargebacks"));
    app.command(&ops, &refunds, &refund("re-1", 100, None), 200)
        .await;
    app.command(
        &ops,
        &chargebacks,
        &json!({"chargeback_id": "cb-1", "amount": eur(100)}),
        200,
    )
    .await;
    let mut dollars = refund("re-2", 100, None);
    dollars["amount"]["currency"] = json!("USD");

    let cases = [
        (&refunds, refund("re-1", 100, None), 409, "duplicate-refund"),
        (
            &refunds,
            refund("re-2", 2000, None),
            422,
            "exceeds-remaining",
        ),
        (
            &refunds,
            refund("re-2", 1100, Some(&[("v-1", 1100)])),
            422,
            "exceeds-vendor-remaining",
        ),
        (
            &refunds,
            refund("re-2", 200, Some(&[("v-1", 100)])),
            422,
            "allocation-mismatch",
        ),
        (
            &refunds,
            refund("re-2", 100, Some(&[("v-9", 100)])),
            422,
            "unknown-vendor",
        ),
        (
            &refunds,
            refund("re-2", 0, None),
            422,
            "non-positive-amount",
        ),
        (&refunds, dollars, 422, "currency-mismatch"),
        (
            &chargebacks,
            json!({"chargeback_id": "cb-1", "amount": eur(10)}),
            409,
            "duplicate-chargeback",
        ),
        (
            &chargebacks,
            json!({"chargeback_id": "cb-2", "amount": eur(5000)}),
            422,
            "exceeds-remaining",
        ),
    ];
    for (path, body, status, slug) in cases {
        refuses(&app, &id, (&ops, path, body), status, slug).await;
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    let path = at(&unknown, "refunds");
    refuses(
        &app,
        &unknown,
        (&ops, &path, refund("re-1", 1, None)),
        404,
        "not-computed",
    )
    .await;
}
