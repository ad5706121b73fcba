//! The Postgres fallback over documents of real orders: what each scope
//! sees, full text, filters, keyset pages, facets, stock.

use bazaar_projections::search::request::{
    Backend, OrderPage, OrderQuery, OrderSearch, SalesBucket, Scope, StatusCount,
};
use bazaar_projections::search::{Search, SearchError};
use bazaar_testkit::fixtures::days;
use bazaar_testkit::world::World;
use chrono::NaiveDate;
use sqlx::PgPool;

use super::scenario::four_orders;
use super::scenario::scope::{buyer, vendor};

async fn search(pool: &PgPool, scope: Scope, query: OrderQuery) -> OrderPage {
    let search = Search::postgres(pool.clone());
    search.orders(&OrderSearch { scope, query }).await.unwrap()
}

fn ids(page: &OrderPage) -> Vec<&str> {
    page.hits.iter().map(|h| h.order_id.as_str()).collect()
}

fn text(words: &str) -> OrderQuery {
    OrderQuery {
        text: Some(words.to_owned()),
        ..OrderQuery::default()
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_buyer_sees_only_its_own_orders_newest_first(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let page = search(&pool, buyer("buyer-1"), OrderQuery::default()).await;
    assert_eq!(ids(&page), ["o-3", "o-1"]);
    assert_eq!((page.total.value, page.total.exact), (2, true));
    assert_eq!(page.backend, Backend::Postgres);
    let o1 = &page.hits[1];
    assert_eq!(
        (o1.status.as_str(), o1.total, o1.vendors.len()),
        ("PARTIALLY_SHIPPED", 2_900, 3)
    );
    assert!(o1.text.is_empty() && o1.vendors.iter().all(|v| v.text.is_empty()));
    let refused = Search::postgres(pool.clone())
        .orders(&OrderSearch {
            scope: buyer("buyer-1"),
            query: OrderQuery {
                buyer_id: Some("buyer-2".into()),
                ..OrderQuery::default()
            },
        })
        .await;
    assert!(
        matches!(refused, Err(SearchError::Invalid(_))),
        "{refused:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_vendor_sees_only_its_own_part_with_its_own_status_and_amount(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let page = search(&pool, vendor("vendor-a"), OrderQuery::default()).await;
    assert_eq!(ids(&page), ["o-4", "o-3", "o-1"]);
    for hit in &page.hits {
        assert_eq!(hit.vendors.len(), 1, "{hit:?}");
        assert_eq!(hit.vendors[0].vendor_id, "vendor-a");
        assert_eq!(hit.total, hit.vendors[0].subtotal);
    }
    assert_eq!(
        (page.hits[2].status.as_str(), page.hits[2].total),
        ("SHIPPED", 1_000)
    );
    // o-1 sells bread, but not from vendor-a: its text is not vendor-a's
    let bread = search(&pool, vendor("vendor-a"), text("bread")).await;
    assert_eq!(bread.total.value, 0);
    let cancelled = OrderQuery {
        status: vec!["cancelled".into()],
        ..OrderQuery::default()
    };
    let page = search(&pool, vendor("vendor-c"), cancelled).await;
    assert_eq!(ids(&page), ["o-3"]);
    assert_eq!((page.hits[0].total, page.hits[0].refunded), (725, 725));
}

#[sqlx::test(migrations = "../migrations")]
async fn full_text_takes_web_search_syntax(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let all = Scope::All;
    assert_eq!(
        ids(&search(&pool, all.clone(), text("bread")).await),
        ["o-2", "o-1"]
    );
    assert_eq!(
        ids(&search(&pool, all.clone(), text("bread -apple")).await),
        ["o-2"]
    );
    assert_eq!(
        ids(&search(&pool, all.clone(), text("cheese or bread")).await),
        ["o-3", "o-2", "o-1"]
    );
    // no precedence: left to right, as Elasticsearch's simple_query_string
    // reads it (websearch_to_tsquery would answer o-3, o-2, o-1 and o-4,
    // o-3, o-1)
    assert_eq!(
        ids(&search(&pool, all.clone(), text("cheese or bread -apple")).await),
        ["o-2"]
    );
    assert_eq!(
        ids(&search(&pool, all.clone(), text("apple or bread cheese")).await),
        ["o-3", "o-1"]
    );
    assert_eq!(
        ids(&search(&pool, all.clone(), text("\"cheese from vendor-c\"")).await),
        ["o-3", "o-1"]
    );
    assert_eq!(
        ids(&search(&pool, all.clone(), text("buyer-3")).await),
        ["o-4"]
    );
    assert_eq!(search(&pool, all, text("caviar")).await.total.value, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn filters_combine_status_vendor_dates_and_amounts(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let query = |q: OrderQuery| search(&pool, Scope::All, q);
    let paid = OrderQuery {
        status: vec!["PAID".into(), "PAYMENT_EXPIRED".into()],
        ..OrderQuery::default()
    };
    assert_eq!(ids(&query(paid).await), ["o-4", "o-3", "o-2"]);
    let sold_by_b = OrderQuery {
        vendor_id: Some("vendor-b".into()),
        ..OrderQuery::default()
    };
    assert_eq!(ids(&query(sold_by_b).await), ["o-2", "o-1"]);
    let second_day = OrderQuery {
        placed_from: Some(days(1)),
        ..OrderQuery::default()
    };
    assert_eq!(ids(&query(second_day).await), ["o-4", "o-3"]);
    let first_day = OrderQuery {
        placed_before: Some(days(1)),
        ..OrderQuery::default()
    };
    assert_eq!(ids(&query(first_day).await), ["o-2", "o-1"]);
    let amounts = OrderQuery {
        currency: Some("EUR".into()),
        amount_min: Some(900),
        amount_max: Some(2_900),
        ..OrderQuery::default()
    };
    assert_eq!(ids(&query(amounts).await), ["o-3", "o-1"]);
    let pln = OrderQuery {
        currency: Some("PLN".into()),
        ..OrderQuery::default()
    };
    assert_eq!(query(pln).await.total.value, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_queries_get_clear_errors(pool: PgPool) {
    let search = Search::postgres(pool.clone());
    let refuse = |query: OrderQuery, scope: Scope| {
        let search = search.clone();
        async move {
            match search.orders(&OrderSearch { scope, query }).await {
                Err(SearchError::Invalid(reason)) => reason,
                other => panic!("accepted: {other:?}"),
            }
        }
    };
    let no_currency = OrderQuery {
        amount_min: Some(1),
        ..OrderQuery::default()
    };
    assert!(refuse(no_currency, Scope::All)
        .await
        .contains("needs a currency"));
    let status = OrderQuery {
        status: vec!["SHIPPED?".into()],
        ..OrderQuery::default()
    };
    assert!(refuse(status, Scope::All).await.contains("unknown status"));
    // a vendor order status, not an order status
    let packed = OrderQuery {
        status: vec!["PACKED".into()],
        ..OrderQuery::default()
    };
    assert!(refuse(packed, buyer("b")).await.contains("unknown status"));
    let other = OrderQuery {
        vendor_id: Some("vendor-b".into()),
        ..OrderQuery::default()
    };
    assert!(refuse(other, vendor("vendor-a"))
        .await
        .contains("another vendor"));
    let cursor = OrderQuery {
        cursor: Some("not-a-cursor".into()),
        ..OrderQuery::default()
    };
    assert!(refuse(cursor, Scope::All).await.contains("cursor"));
    let size = OrderQuery {
        size: Some(101),
        ..OrderQuery::default()
    };
    assert!(refuse(size, Scope::All).await.contains("size"));
    let dates = OrderQuery {
        placed_from: Some(days(1)),
        placed_before: Some(days(0)),
        ..OrderQuery::default()
    };
    assert!(refuse(dates, Scope::All).await.contains("before"));
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_of_one_walk_every_order_once_in_order(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let query = OrderQuery {
            size: Some(1),
            cursor: cursor.clone(),
            ..OrderQuery::default()
        };
        let page = search(&pool, Scope::All, query).await;
        assert_eq!(page.total.value, 4);
        assert_eq!(
            page.facets.is_some(),
            cursor.is_none(),
            "facets on the first page only"
        );
        seen.extend(page.hits.iter().map(|h| h.order_id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["o-4", "o-3", "o-2", "o-1"]);
}

fn sales(vendor_id: &str, day: u32, orders: u64, gross: i64, refunded: i64) -> SalesBucket {
    SalesBucket {
        vendor_id: vendor_id.to_owned(),
        day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        currency: "EUR".to_owned(),
        orders,
        gross,
        refunded,
    }
}

fn count(status: &str, count: u64) -> StatusCount {
    StatusCount {
        status: status.to_owned(),
        count,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn facets_count_statuses_and_sum_paid_sales_by_vendor_and_day(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let facets = search(&pool, Scope::All, OrderQuery::default())
        .await
        .facets
        .unwrap();
    assert_eq!(
        facets.status,
        [
            count("PAID", 2),
            count("PARTIALLY_SHIPPED", 1),
            count("PAYMENT_EXPIRED", 1)
        ]
    );
    // o-2's and o-3's cancelled parts are not sales
    assert_eq!(
        facets.sales,
        [
            sales("vendor-a", 2, 1, 1_000, 0),
            sales("vendor-a", 3, 2, 400, 0),
            sales("vendor-b", 2, 1, 450, 0),
            sales("vendor-c", 2, 1, 1_450, 0),
        ]
    );
    let own = search(&pool, vendor("vendor-c"), OrderQuery::default())
        .await
        .facets
        .unwrap();
    assert_eq!(own.status, [count("CANCELLED", 1), count("PAID", 1)]);
    assert_eq!(own.sales, [sales("vendor-c", 2, 1, 1_450, 0)]);
    let buyer_1 = search(&pool, buyer("buyer-1"), text("apple"))
        .await
        .facets
        .unwrap();
    assert_eq!(buyer_1.sales[0], sales("vendor-a", 2, 1, 1_000, 0));
    assert_eq!(buyer_1.sales.len(), 4, "{:?}", buyer_1.sales);
}
