//! The facet counts the `search` projection keeps for unfiltered searches
//! (an admin's or a vendor's first page) equal what grouping the rows
//! answers, after every kind of change applied batch after batch (placed,
//! paid, shipped, expired, cancelled by a vendor, delivered, returned and
//! refunded, completed), and a rebuild from the log keeps the same counts.

use bazaar_domain::order::{OrderCommand, ReturnReceipt};
use bazaar_projections::registry;
use bazaar_projections::search::criteria::OrderCriteria;
use bazaar_projections::search::postgres::facets_by_scan;
use bazaar_projections::search::request::{OrderQuery, OrderSearch, Scope};
use bazaar_projections::search::Search;
use bazaar_testkit::fixtures::{days, line, minutes, pay, t0, vendor};
use bazaar_testkit::read::dump_views;
use bazaar_testkit::world::World;
use chrono::Duration;
use serde_json::Value;
use sqlx::PgPool;

use super::scenario::catch_up;

fn scopes() -> Vec<Scope> {
    let mut scopes = vec![Scope::All];
    for id in ["vendor-a", "vendor-b", "vendor-c", "vendor-z"] {
        scopes.push(Scope::Vendor(id.to_owned()));
    }
    scopes
}

/// Catches up, then compares, for the admin and every vendor, the first
/// page's facets (kept counts) with the rows grouped.
async fn kept_equal_grouped(world: &World, step: &str) {
    catch_up(world).await;
    let pool = &world.pool;
    for scope in scopes() {
        let search = OrderSearch {
            scope: scope.clone(),
            query: OrderQuery::default(),
        };
        let page = Search::postgres(pool.clone())
            .orders(&search)
            .await
            .unwrap();
        let criteria = OrderCriteria::of(&search).unwrap();
        let grouped = facets_by_scan(pool, &criteria).await.unwrap();
        let total: u64 = grouped.status.iter().map(|s| s.count).sum();
        assert_eq!(page.facets.as_ref(), Some(&grouped), "{step}: {scope:?}");
        assert_eq!(page.total.value, total, "{step}: {scope:?}");
    }
    let zeros: i64 = sqlx::query_scalar(
        "select (select count(*) from read.search_facet_status where n = 0) \
              + (select count(*) from read.search_facet_sales where n = 0)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(zeros, 0, "{step}: counts of zero are deleted");
}

/// Every kept count, as rows.
async fn counts(pool: &PgPool) -> Vec<(String, Value)> {
    let views = ["search_facet_status", "search_facet_sales"].map(String::from);
    dump_views(pool, &views).await
}

#[sqlx::test(migrations = "../migrations")]
async fn kept_facets_equal_the_grouped_rows_batch_after_batch(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    kept_equal_grouped(&world, "empty").await;
    world.three_vendor_order("o-1").await;
    let bread = vec![line("vendor-b", "bread", 1, 450)];
    world.place("o-2", "buyer-2", bread).await;
    world.settle(t0()).await;
    kept_equal_grouped(&world, "placed").await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(minutes(5)).await;
    kept_equal_grouped(&world, "paid").await;
    let pack = OrderCommand::PackVendorOrder {
        vendor: vendor("vendor-a"),
        at: minutes(60),
    };
    world.order("o-1", pack).await;
    let ship = OrderCommand::ShipVendorOrder {
        vendor: vendor("vendor-a"),
        tracking: "trk-a1".to_owned(),
        lines: vec![(1, 3), (3, 2)],
        at: minutes(90),
    };
    world.order("o-1", ship).await;
    world.settle(minutes(31)).await;
    kept_equal_grouped(&world, "shipped, o-2 expired").await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-b"),
        reason: "no bread".to_owned(),
        at: minutes(95),
    };
    world.order("o-1", cancel).await;
    world.settle(minutes(95)).await;
    kept_equal_grouped(&world, "cancelled by vendor-b").await;
    return_and_refund(&world).await;
    kept_equal_grouped(&world, "delivered, returned, refunded, completed").await;
    let live = counts(&pool).await;
    registry::rebuild(&pool, "search", |_, _| {}).await.unwrap();
    assert_eq!(counts(&pool).await, live, "a rebuild keeps the same counts");
    kept_equal_grouped(&world, "rebuilt").await;
}

/// vendor-a's part of o-1: delivered, one apple line returned (one of two
/// damaged), refunded, completed.
async fn return_and_refund(world: &World) {
    let a = || vendor("vendor-a");
    let deliver = OrderCommand::ConfirmDelivery {
        vendor: a(),
        at: days(1),
    };
    world.order("o-1", deliver).await;
    let back = OrderCommand::RequestReturn {
        vendor: a(),
        lines: vec![(3, 2)],
        reason: "bruised".into(),
        at: days(2),
    };
    world.order("o-1", back).await;
    let receipt = ReturnReceipt {
        line_no: 3,
        received: 2,
        damaged: 1,
    };
    let receive = OrderCommand::ReceiveReturn {
        vendor: a(),
        lines: vec![receipt],
        at: days(3),
    };
    world.order("o-1", receive).await;
    world.settle(days(3)).await;
    let complete = OrderCommand::CompleteVendorOrder {
        vendor: a(),
        at: days(3) + Duration::minutes(1),
    };
    world.order("o-1", complete).await;
}
