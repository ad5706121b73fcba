//! Splits: each vendor's fee is taken once, half up, on what the buyer
//! paid for its goods, the vendor keeps the exact remainder, and the
//! parts sum to the capture; the checkout saga splits a paid order.

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, compute, refuses, share, split_after, split_of};
use crate::fixtures::{eventually, line, paid_order, position, receive_stock};
use crate::helpers::{admin, spawn_full, vendor};

const SHARE: &[&str] = &[
    "allocated",
    "fee",
    "net",
    "held",
    "available",
    "paid_out",
    "debt",
];

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn fees_are_rounded_once_per_vendor_half_up_and_sum_to_the_capture(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;

    let (even, answer) = compute(&app, 2009, 1000, &[("v-1", 1005), ("v-2", 1004)]).await;
    let detail = split_after(&app, &even, &answer).await;
    let platform = &detail["platform"];
    assert_eq!(
        amounts(platform, &["captured", "platform_fee", "remaining"]),
        [2009, 201, 2009]
    );
    assert_eq!(platform["fee_rate_bps"], 1000);
    assert_eq!(
        amounts(share(&detail, "v-1"), SHARE),
        [1005, 101, 904, 904, 0, 0, 0],
        "100.5 rounds up"
    );
    assert_eq!(
        amounts(share(&detail, "v-2"), SHARE),
        [1004, 100, 904, 904, 0, 0, 0],
        "100.4 rounds down"
    );
    assert_eq!(share(&detail, "v-1")["hold_state"], "unscheduled");

    let (steep, answer) = compute(&app, 645, 3000, &[("v-1", 645)]).await;
    let detail = split_after(&app, &steep, &answer).await;
    assert_eq!(
        amounts(share(&detail, "v-1"), SHARE),
        [645, 194, 451, 451, 0, 0, 0],
        "6.45 at 30 %"
    );

    let (discounted, answer) = compute(&app, 1000, 1000, &[("v-1", 600), ("v-2", 500)]).await;
    let detail = split_after(&app, &discounted, &answer).await;
    assert_eq!(
        amounts(&detail["platform"], &["captured", "platform_fee"]),
        [1000, 101]
    );
    assert_eq!(
        amounts(share(&detail, "v-1"), SHARE),
        [545, 55, 490, 490, 0, 0, 0]
    );
    assert_eq!(
        amounts(share(&detail, "v-2"), SHARE),
        [455, 46, 409, 409, 0, 0, 0],
        "the odd cent: largest remainder"
    );

    let synced = format!("?min_position={}", position(&answer));
    let balances = app
        .read(&vendor("v-1"), &format!("/v1/vendors/v-1/balances{synced}"))
        .await;
    assert_eq!(balances.as_array().unwrap().len(), 1, "one currency");
    let names = ["earned", "held", "available", "paid_out", "debt", "orders"];
    assert_eq!(
        amounts(&balances[0], &names),
        [904 + 451 + 490, 1845, 0, 0, 0, 3]
    );
    let mut fees = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .read(
                &admin(),
                &format!("/v1/platform/fees{synced}&limit=2{cursor}"),
            )
            .await;
        fees.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["platform_fee"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(fees, [201, 194, 101], "by time of split, every one once");
    refuses(
        &app,
        &even,
        (
            &admin(),
            &at(&even, "split"),
            split_of(2009, 1000, &[("v-1", 2009)]),
        ),
        409,
        "already-computed",
    )
    .await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_paid_checkout_is_split_by_the_saga_and_held_in_escrow(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let order = paid_order(
        &app,
        "buyer-1",
        vec![line("v-1", "apple", 1, 6000), line("v-2", "pear", 1, 4000)],
    )
    .await;

    let detail = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |p| {
        p["vendors"]
            .as_array()
            .is_some_and(|v| v.iter().all(|s| s["held_in_escrow"] != 0))
    })
    .await;
    assert_eq!(
        amounts(
            &detail["platform"],
            &["captured", "platform_fee", "remaining"]
        ),
        [10_000, 1000, 10_000]
    );
    assert_eq!(
        amounts(
            share(&detail, "v-1"),
            &["allocated", "fee", "net", "held_in_escrow"]
        ),
        [6000, 600, 5400, 6000]
    );
    assert_eq!(
        amounts(
            share(&detail, "v-2"),
            &["allocated", "fee", "net", "held_in_escrow"]
        ),
        [4000, 400, 3600, 4000]
    );
    let balances = app.read(&vendor("v-1"), "/v1/vendors/v-1/balances").await;
    assert_eq!(
        amounts(&balances[0], &["earned", "held", "held_in_escrow"]),
        [5400, 5400, 6000]
    );
    let shares = app
        .read(&vendor("v-1"), "/v1/vendors/v-1/order-balances")
        .await;
    let orders: Vec<&Value> = shares["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["order_id"])
        .collect();
    assert_eq!(orders, [&Value::from(order.as_str())]);
}
