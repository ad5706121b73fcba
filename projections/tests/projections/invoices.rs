//! The invoices read model against a real Postgres, fed by the real
//! executors and the checkout saga: what each sale, refund and chargeback
//! issues, the numbering per issuer, and a rebuild reproducing every
//! document a live worker wrote.

use std::collections::BTreeMap;

use bazaar_domain::ids::PaymentId;
use bazaar_domain::order::OrderCommand;
use bazaar_projections::registry;
use bazaar_testkit::fixtures::{eur, line, minutes, pay, t0, vendor};
use bazaar_testkit::read::{assert_rebuild_equals_live, follow_live, workers_pool};
use bazaar_testkit::world::World;
use chrono::Duration;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::balances::scenario;

/// Applies everything stored to the live invoices and balances models.
async fn project(pool: &PgPool) {
    for name in ["invoices", "balances"] {
        registry::catch_up_live(pool, name).await.unwrap();
    }
}

/// Every document of `order`, oldest first, with its lines.
async fn documents(pool: &PgPool, order: &str) -> Vec<Value> {
    sqlx::query_scalar(
        "select to_jsonb(i) || jsonb_build_object('lines', \
                (select jsonb_agg(to_jsonb(l) - 'document_id' order by l.line_no) \
                   from read.invoice_lines l where l.document_id = i.document_id)) \
           from read.invoices i where order_id = $1 order by position, issuer_kind desc, issuer_id, number",
    )
    .bind(order)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// (kind, subject, issuer_id, number, recipient_id, total, fee) of each.
fn heads(documents: &[Value]) -> Vec<(String, String, String, i64, String, i64, i64)> {
    documents
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["subject"].as_str().unwrap().to_owned(),
                d["issuer_id"].as_str().unwrap().to_owned(),
                d["number"].as_i64().unwrap(),
                d["recipient_id"].as_str().unwrap().to_owned(),
                d["total"].as_i64().unwrap(),
                d["fee"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn head(
    kind: &str,
    subject: &str,
    (issuer, number): (&str, i64),
    recipient: &str,
    (total, fee): (i64, i64),
) -> (String, String, String, i64, String, i64, i64) {
    let s = |v: &str| v.to_owned();
    (
        s(kind),
        s(subject),
        s(issuer),
        number,
        s(recipient),
        total,
        fee,
    )
}

/// (description, quantity, unit_price, amount) of each line.
fn lines(document: &Value) -> Vec<(String, i64, i64, i64)> {
    document["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["unit_price"].as_i64().unwrap(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn event_types(document: &Value) -> Vec<String> {
    document["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event_type"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_paid_order_is_invoiced_by_each_vendor_and_the_platform_invoices_each_fee(pool: PgPool) {
    let world = World::new(&pool);
    scenario::paid(&world).await;
    project(&pool).await;

    let docs = documents(&pool, "o-1").await;
    let platform = "platform";
    assert_eq!(
        heads(&docs),
        vec![
            head("invoice", "sale", ("vendor-a", 1), "buyer-1", (1_000, 100)),
            head("invoice", "sale", ("vendor-b", 1), "buyer-1", (450, 45)),
            head("invoice", "sale", ("vendor-c", 1), "buyer-1", (1_450, 145)),
            head(
                "invoice",
                "platform_fee",
                (platform, 1),
                "vendor-a",
                (100, 100)
            ),
            head(
                "invoice",
                "platform_fee",
                (platform, 2),
                "vendor-b",
                (45, 45)
            ),
            head(
                "invoice",
                "platform_fee",
                (platform, 3),
                "vendor-c",
                (145, 145)
            ),
        ]
    );
    let apples = |q| ("apple from vendor-a".to_owned(), q, 200, q * 200);
    assert_eq!(lines(&docs[0]), vec![apples(3), apples(2)]);
    let order_lines: Vec<i64> = docs[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["order_line_no"].as_i64().unwrap())
        .collect();
    assert_eq!(order_lines, vec![1, 3]);
    assert_eq!(
        lines(&docs[3]),
        vec![(
            "platform fee on order o-1: 10.00 % of 1000 (minor units)".to_owned(),
            1,
            100,
            100
        )]
    );
    let paid_at: String = sqlx::query_scalar(
        "select to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD') from events \
          where event_type = 'SplitComputed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for doc in &docs {
        assert_eq!(doc["currency"], "EUR");
        assert_eq!(doc["buyer_id"], "buyer-1");
        assert_eq!(doc["issue_date"], json!(paid_at));
        assert_eq!(doc["reference"], "pay-1");
        assert_eq!(doc["fee_rate_bps"], 1_000);
        assert!(doc["credits_document_id"].is_null());
    }
    assert_eq!(
        event_types(&docs[0]),
        ["OrderPlaced", "PaymentConfirmed", "SplitComputed"]
    );
    assert_eq!(event_types(&docs[3]), ["SplitComputed"]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_return_and_a_chargeback_credit_the_invoices_they_take_money_back_from(pool: PgPool) {
    let world = World::new(&pool);
    scenario::eventful_history(&world).await;
    project(&pool).await;

    let docs = documents(&pool, "o-1").await;
    let credits: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "credit_note").collect();
    // the return: vendor A's credit note of the apple, the platform's of its fee
    let returned = credits[0];
    assert_eq!(
        heads(std::slice::from_ref(returned)),
        vec![head(
            "credit_note",
            "sale",
            ("vendor-a", 2),
            "buyer-1",
            (200, 20)
        )]
    );
    assert_eq!(returned["reason"], "return");
    assert_eq!(
        lines(returned),
        vec![("returned: apple from vendor-a".to_owned(), 1, 200, 200)]
    );
    assert_eq!(event_types(returned), ["ReturnReceived", "RefundRecorded"]);
    let invoice_a = &docs[0];
    assert_eq!(returned["credits_document_id"], invoice_a["document_id"]);
    assert_eq!(returned["credits_number"], 1);
    let fee_back = credits[1];
    assert_eq!(
        (fee_back["subject"].as_str(), fee_back["issuer_id"].as_str()),
        (Some("platform_fee"), Some("platform"))
    );
    assert_eq!(
        (fee_back["number"].as_i64(), fee_back["total"].as_i64()),
        (Some(4), Some(20))
    );
    // the chargeback: one credit note per vendor part, each with its fee's
    let charged: Vec<&&Value> = credits
        .iter()
        .filter(|d| d["reason"] == "chargeback")
        .collect();
    let charged_sale: i64 = charged
        .iter()
        .filter(|d| d["subject"] == "sale")
        .map(|d| d["total"].as_i64().unwrap())
        .sum();
    assert_eq!(charged_sale, 300);
    assert!(charged.iter().all(|d| d["reference"] == "dp-1"));

    // per vendor, invoiced less credited is what the split kept
    assert_eq!(
        net_invoiced(&pool, "sale").await,
        kept(&pool, "allocated").await
    );
    assert_eq!(
        net_invoiced(&pool, "platform_fee").await,
        kept(&pool, "fee").await
    );
    assert_gapless(&pool).await;
}

/// Σ invoices − Σ credit notes of `subject` per vendor.
async fn net_invoiced(pool: &PgPool, subject: &str) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select vendor_id, sum(case kind when 'invoice' then total else -total end)::int8 \
           from read.invoices where subject = $1 group by vendor_id",
    )
    .bind(subject)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

/// `allocated - fee_refunded - net_refunded` (or `fee - fee_refunded`) per
/// vendor, as the balances model has them.
async fn kept(pool: &PgPool, what: &str) -> BTreeMap<String, i64> {
    let sql = match what {
        "allocated" => "allocated - fee_refunded - net_refunded",
        _ => "fee - fee_refunded",
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "select vendor_id, sum({sql})::int8 from read.vendor_order_balances group by vendor_id"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

/// Every issuer's documents are numbered 1..n, and its series says n.
async fn assert_gapless(pool: &PgPool) {
    let series: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "select i.issuer_kind, i.issuer_id, count(*), min(number), max(number), s.last_number \
           from read.invoices i join read.invoice_series s using (issuer_kind, issuer_id) \
          group by i.issuer_kind, i.issuer_id, s.last_number order by 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!series.is_empty());
    for (kind, id, count, min, max, last) in series {
        assert_eq!((min, max, last), (1, count, count), "series of {kind} {id}");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_cancelled_vendor_order_is_credited_line_by_line(pool: PgPool) {
    let world = World::new(&pool);
    world.receive("apple", 5).await;
    world.receive("cheese", 5).await;
    let cart = vec![
        line("vendor-a", "apple", 1, 200),
        line("vendor-c", "cheese", 2, 725),
    ];
    world.place("o-3", "buyer-3", cart).await;
    world.settle(t0()).await;
    world.order("o-3", pay(1_650, minutes(10))).await;
    world.settle(t0() + Duration::minutes(10)).await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-c"),
        reason: "out of season".into(),
        at: t0() + Duration::hours(1),
    };
    world.order("o-3", cancel).await;
    world.settle(t0() + Duration::hours(1)).await;
    project(&pool).await;

    let docs = documents(&pool, "o-3").await;
    let credit = docs
        .iter()
        .find(|d| d["kind"] == "credit_note" && d["subject"] == "sale")
        .unwrap();
    assert_eq!(credit["reason"], "cancellation");
    assert_eq!(
        (credit["issuer_id"].as_str(), credit["number"].as_i64()),
        (Some("vendor-c"), Some(2))
    );
    assert_eq!(
        lines(credit),
        vec![("cancelled: cheese from vendor-c".to_owned(), 2, 725, 1_450)]
    );
    assert_eq!(
        (credit["total"].as_i64(), credit["fee"].as_i64()),
        (Some(1_450), Some(145))
    );
    assert_eq!(
        event_types(credit),
        ["VendorOrderCancelled", "RefundRecorded"]
    );
    assert_eq!(
        docs.len(),
        6,
        "two invoices, two fee invoices, two credit notes"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_payment_after_the_order_closed_is_booked_and_refunded_but_invoices_nothing(
    pool: PgPool,
) {
    let world = World::new(&pool);
    world.receive("bread", 5).await;
    world
        .place("o-2", "buyer-2", vec![line("vendor-b", "bread", 1, 450)])
        .await;
    world.settle(t0()).await;
    world.settle(t0() + Duration::minutes(31)).await;
    let late = OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-late").unwrap(),
        amount: eur(450),
        at: t0() + Duration::minutes(40),
    };
    world.order("o-2", late).await;
    world.settle(t0() + Duration::minutes(40)).await;
    project(&pool).await;

    let booked: i64 = world
        .count(
            "select count(*) from events where event_type in ('SplitComputed', 'RefundRecorded')",
        )
        .await;
    assert_eq!(booked, 2, "the stray payment is booked and refunded");
    assert!(documents(&pool, "o-2").await.is_empty());
}

/// The exposed invoice views.
const VIEWS: [&str; 3] = ["invoices", "invoice_lines", "invoice_series"];

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuild_gives_every_document_the_number_and_content_the_live_worker_gave_it(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = workers_pool(connect).await;
    let world = World::new(&pool);
    follow_live(&pool, scenario::eventful_history(&world)).await;
    assert_gapless(&pool).await;

    let views = VIEWS.map(str::to_owned);
    let live = assert_rebuild_equals_live(&pool, &["invoices"], &views).await;
    let documents = live[0].1.as_array().unwrap().len();
    assert!(documents >= 12, "{documents} documents");
    let generation: i32 = sqlx::query_scalar(
        "select generation from projection where projection_name = 'invoices' and status = 'live'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(generation, 2);
}
