//! The search documents say what the read models say, carry the stream's
//! last sequence as their version, and a rebuild from the log yields the
//! very same documents.

use bazaar_projections::registry;
use bazaar_projections::search::document::{OrderDoc, StockDoc};
use bazaar_projections::search::store::SearchDocs;
use bazaar_projections::Projection;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgPool;

use bazaar_domain::order::{OrderCommand, ReturnReceipt};
use bazaar_testkit::fixtures::{days, line, minutes, pay, t0, vendor};
use bazaar_testkit::read::dump_views;
use bazaar_testkit::world::World;

use super::scenario::{catch_up, four_orders};

async fn orders(pool: &PgPool) -> Vec<(OrderDoc, i64)> {
    let rows: Vec<(Json<OrderDoc>, i64)> =
        sqlx::query_as("select doc, version from read.search_orders order by order_id")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().map(|(Json(d), v)| (d, v)).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn order_documents_agree_with_the_orders_read_model(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let docs = orders(&pool).await;
    assert_eq!(docs.len(), 4);
    agree(&pool, &docs).await;
    let o1 = &docs[0].0;
    assert!(o1.text.contains("apple from vendor-a") && o1.text.contains("buyer-1"));
    assert_eq!(o1.vendors[0].tracking.as_deref(), Some("trk-a1"));
}

#[sqlx::test(migrations = "../migrations")]
async fn deliveries_returns_and_completion_are_folded_as_the_read_model_has_them(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world
        .place("o-9", "buyer-9", vec![line("vendor-c", "cheese", 2, 725)])
        .await;
    world.settle(t0()).await;
    world.order("o-9", pay(1_450, minutes(5))).await;
    world.settle(minutes(5)).await;
    let c = || vendor("vendor-c");
    world
        .order(
            "o-9",
            OrderCommand::PackVendorOrder {
                vendor: c(),
                at: days(1),
            },
        )
        .await;
    let ship = OrderCommand::ShipVendorOrder {
        vendor: c(),
        tracking: "trk-9".into(),
        lines: vec![(1, 2)],
        at: days(1),
    };
    world.order("o-9", ship).await;
    world
        .order(
            "o-9",
            OrderCommand::ConfirmDelivery {
                vendor: c(),
                at: days(2),
            },
        )
        .await;
    let back = OrderCommand::RequestReturn {
        vendor: c(),
        lines: vec![(1, 2)],
        reason: "mouldy".into(),
        at: days(3),
    };
    world.order("o-9", back).await;
    let receipt = ReturnReceipt {
        line_no: 1,
        received: 2,
        damaged: 1,
    };
    world
        .order(
            "o-9",
            OrderCommand::ReceiveReturn {
                vendor: c(),
                lines: vec![receipt],
                at: days(4),
            },
        )
        .await;
    world.settle(days(4)).await;
    world
        .order(
            "o-9",
            OrderCommand::CompleteVendorOrder {
                vendor: c(),
                at: days(5),
            },
        )
        .await;
    catch_up(&world).await;
    let docs = orders(&pool).await;
    agree(&pool, &docs).await;
    let part = &docs[0].0.vendors[0];
    assert_eq!((part.status.as_str(), part.refunded), ("COMPLETED", 1_450));
    assert!(part.delivered_at.is_some() && part.completed_at.is_some());
    assert_eq!(
        (
            part.lines[0].shipped,
            part.lines[0].returned,
            part.lines[0].refunded
        ),
        (2, 2, 1_450)
    );
    assert_eq!(
        (docs[0].0.status.as_str(), docs[0].0.refunded),
        ("COMPLETED", 1_450)
    );
}

/// Every document says what `read.orders`, `read.vendor_orders` and
/// `read.order_lines` say, at its stream's last sequence.
async fn agree(pool: &PgPool, docs: &[(OrderDoc, i64)]) {
    let pool = pool.clone();
    for (doc, version) in docs {
        let (status, total, refunded, buyer): (String, i64, i64, String) = sqlx::query_as(
            "select status, total, refunded_total, buyer_id from read.orders where order_id = $1",
        )
        .bind(&doc.order_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (&doc.status, doc.total, doc.refunded, &doc.buyer_id),
            (&status, total, refunded, &buyer)
        );
        let last: i64 = sqlx::query_scalar(
            "select max(sequence) from events where aggregate_type = 'Order' and aggregate_id = $1",
        )
        .bind(&doc.order_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(*version, last, "the version is the stream's last sequence");
        for part in &doc.vendors {
            let row: (String, i64, i64) = sqlx::query_as(
                "select status, subtotal, refunded from read.vendor_orders where order_id = $1 and vendor_id = $2",
            )
            .bind(&doc.order_id)
            .bind(&part.vendor_id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(
                (&part.status, part.subtotal, part.refunded),
                (&row.0, row.1, row.2)
            );
            for line in &part.lines {
                let row: (i32, i32, i64) = sqlx::query_as(
                    "select shipped_quantity, returned_quantity, refunded_amount from read.order_lines \
                      where order_id = $1 and line_no = $2",
                )
                .bind(&doc.order_id)
                .bind(i32::try_from(line.line_no).unwrap())
                .fetch_one(&pool)
                .await
                .unwrap();
                let got = (
                    i64::from(line.shipped),
                    i64::from(line.returned),
                    line.refunded,
                );
                assert_eq!(got, (i64::from(row.0), i64::from(row.1), row.2));
            }
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn stock_documents_agree_with_the_stock_read_model(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let docs: Vec<Json<StockDoc>> =
        sqlx::query_scalar("select doc from read.search_stock order by stock_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(docs.len(), 3);
    for Json(doc) in docs {
        let (available, on_hand, reserved): (i64, i64, i64) = sqlx::query_as(
            "select available, on_hand, reserved from read.stock_levels where sku = $1 and warehouse_id = $2",
        )
        .bind(&doc.sku)
        .bind(&doc.warehouse_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        let got = (doc.available, doc.on_hand, doc.reserved);
        let want = (available as u64, on_hand as u64, reserved as u64);
        assert_eq!(got, want, "{}", doc.stock_id);
        let free: i64 =
            sqlx::query_scalar("select sum(free)::bigint from read.stock_batches where sku = $1")
                .bind(&doc.sku)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(doc.batches.iter().map(|b| b.free).sum::<u64>(), free as u64);
    }
}

/// Every row of the search projection's views.
async fn dump(pool: &PgPool) -> Vec<(String, Value)> {
    let views: Vec<String> = SearchDocs
        .exposed()
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    dump_views(pool, &views).await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_from_the_log_yields_the_same_documents(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let live = dump(&pool).await;
    let generation = registry::rebuild(&pool, "search", |_, _| {}).await.unwrap();
    assert_eq!(generation, 2);
    assert_eq!(dump(&pool).await, live);
}
