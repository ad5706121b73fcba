//! Stock search from the Postgres fallback: what each scope sees, filters
//! and pages.

use bazaar_projections::search::request::{Scope, StockQuery, StockSearch};
use bazaar_projections::search::Search;
use bazaar_testkit::world::World;
use chrono::NaiveDate;
use sqlx::PgPool;

use super::scenario::four_orders;
use super::scenario::scope::{buyer, vendor};

#[sqlx::test(migrations = "../migrations")]
async fn stock_search_shows_batches_to_admins_only(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let search = Search::postgres(pool.clone());
    let stock = |scope: Scope, query: StockQuery| {
        let search = search.clone();
        async move { search.stock(&StockSearch { scope, query }).await.unwrap() }
    };
    let all = stock(Scope::All, StockQuery::default()).await;
    let skus: Vec<&str> = all.hits.iter().map(|h| h.sku.as_str()).collect();
    assert_eq!(skus, ["apple", "bread", "cheese"]);
    let apple = &all.hits[0];
    assert_eq!(apple.batches.as_ref().map(Vec::len), Some(1));
    let cheese_text = StockQuery {
        text: Some("cheese".into()),
        ..StockQuery::default()
    };
    let seen_by_buyer = stock(buyer("buyer-1"), cheese_text).await;
    assert_eq!(seen_by_buyer.hits.len(), 1);
    assert!(seen_by_buyer.hits[0].batches.is_none() && seen_by_buyer.hits[0].on_hand.is_none());
    let own = stock(vendor("v-stock"), StockQuery::default()).await;
    assert_eq!(own.hits.len(), 3);
    assert!(own
        .hits
        .iter()
        .all(|h| h.batches.is_some() && h.vendor_id.as_deref() == Some("v-stock")));
    let others = stock(vendor("vendor-a"), StockQuery::default()).await;
    assert_eq!(others.total.value, 0, "a vendor finds only its own stock");
    let plenty = StockQuery {
        min_available: Some(4),
        ..StockQuery::default()
    };
    let plenty = stock(Scope::All, plenty).await;
    assert!(plenty.hits.iter().all(|h| h.available >= 4));
    let expiring = StockQuery {
        expiring_before: NaiveDate::from_ymd_opt(2027, 1, 2),
        size: Some(2),
        ..StockQuery::default()
    };
    let first = stock(Scope::All, expiring.clone()).await;
    assert_eq!((first.hits.len(), first.total.value), (2, 3));
    let rest = stock(
        Scope::All,
        StockQuery {
            cursor: first.next_cursor,
            ..expiring
        },
    )
    .await;
    assert_eq!(
        rest.hits.iter().map(|h| h.sku.as_str()).collect::<Vec<_>>(),
        ["cheese"]
    );
    assert!(rest.next_cursor.is_none());
}
