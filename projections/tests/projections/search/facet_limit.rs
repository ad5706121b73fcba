//! The Postgres fallback groups at most `FACET_LIMIT` matches into a
//! search's facets, the newest: beyond it the facets say they are not
//! exact, from when they count, and the first page's total is a lower
//! bound. Shown here with a limit of 2 on the four orders of the scenario.

use bazaar_projections::search::criteria::OrderCriteria;
use bazaar_projections::search::postgres::{facets_by_scan, facets_within};
use bazaar_projections::search::request::{
    OrderFacets, OrderQuery, OrderSearch, SalesBucket, Scope, StatusCount,
};
use bazaar_projections::search::Search;
use bazaar_testkit::fixtures::days;
use bazaar_testkit::world::World;
use chrono::NaiveDate;
use sqlx::PgPool;

use super::scenario::four_orders;
use super::scenario::scope::vendor;

/// Every order in euros: a filter the kept counts do not answer.
fn in_euros(scope: Scope) -> OrderCriteria {
    let query = OrderQuery {
        currency: Some("EUR".to_owned()),
        ..OrderQuery::default()
    };
    OrderCriteria::of(&OrderSearch { scope, query }).unwrap()
}

fn paid(count: u64) -> Vec<StatusCount> {
    vec![StatusCount {
        status: "PAID".to_owned(),
        count,
    }]
}

fn vendor_a_on_3_november(orders: u64, gross: i64) -> Vec<SalesBucket> {
    vec![SalesBucket {
        vendor_id: "vendor-a".to_owned(),
        day: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        currency: "EUR".to_owned(),
        orders,
        gross,
        refunded: 0,
    }]
}

#[sqlx::test(migrations = "../migrations")]
async fn beyond_the_limit_facets_count_the_newest_matches_and_say_so(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    // o-4 and o-3 (3 November, both paid) are the newest two of four;
    // o-3's vendor-c part was cancelled, so it is no sale
    let capped = facets_within(&pool, &in_euros(Scope::All), 2)
        .await
        .unwrap();
    let expected = OrderFacets {
        status: paid(2),
        sales: vendor_a_on_3_november(2, 400),
        exact: false,
        counted_since: Some(days(1)),
    };
    assert_eq!(capped, expected);
    // vendor-a's parts of o-1, o-3 and o-4: the newest two
    let own = facets_within(&pool, &in_euros(vendor("vendor-a")), 2)
        .await
        .unwrap();
    assert_eq!((own.status, own.exact), (paid(2), false));
    assert_eq!(own.sales, vendor_a_on_3_november(2, 400));
}

#[sqlx::test(migrations = "../migrations")]
async fn within_the_limit_facets_are_exact(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    for scope in [Scope::All, vendor("vendor-a"), vendor("vendor-c")] {
        let criteria = in_euros(scope.clone());
        let all = facets_within(&pool, &criteria, 4).await.unwrap();
        assert!(all.exact && all.counted_since.is_none(), "{scope:?}");
        assert_eq!(all, facets_by_scan(&pool, &criteria).await.unwrap());
        let query = OrderQuery {
            currency: Some("EUR".to_owned()),
            ..OrderQuery::default()
        };
        let page = Search::postgres(pool.clone())
            .orders(&OrderSearch { scope, query })
            .await
            .unwrap();
        assert_eq!(page.facets, Some(all));
        assert!(page.total.exact);
    }
}
