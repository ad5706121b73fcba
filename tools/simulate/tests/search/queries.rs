//! The searches compared: every scope the run made (the admin's, each
//! buyer's, each vendor's) with no filter, every filter alone at a value
//! drawn from the data, a few together, the text syntax over the tokens
//! of the run's ids, small and large pages; stock in the admin's and each
//! vendor's scope. The values come from the search projection's rows, so
//! the filters cut the run's orders somewhere in the middle.
//!
//! The run's ids are hyphenated (`sim-1a2b3c4d-v01-s2`): a text query
//! asks for one part (`v01`, `s2`, `b003`), which both backends read as
//! one token, and for a whole SKU (several tokens in sequence).

use bazaar_projections::search::{OrderQuery, OrderSearch, Scope, StockQuery, StockSearch};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

/// What the searches are drawn from.
pub(crate) struct Market {
    /// Orders in the search projection.
    pub(crate) orders: usize,
    vendors: Vec<String>,
    buyers: Vec<String>,
    /// Statuses of the orders, most frequent first.
    statuses: Vec<String>,
    /// `placed_at` of the orders, oldest first.
    placed: Vec<DateTime<Utc>>,
    /// Order totals, smallest first.
    totals: Vec<i64>,
    /// A SKU of the first vendor (`…-v01-s1`).
    sku: String,
}

impl Market {
    /// The run's market as the search projection holds it; `vendors` from
    /// the run (each one's first SKU ends in `-s1`).
    pub(crate) async fn of(pool: &PgPool, vendors: &[String]) -> Self {
        let column = |sql: &'static str| async move {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(pool)
                .await
                .unwrap()
        };
        let buyers = column("select distinct buyer_id from read.search_orders order by 1").await;
        let statuses = column(
            "select status from read.search_orders group by status order by count(*) desc, status",
        )
        .await;
        let placed: Vec<DateTime<Utc>> =
            sqlx::query_scalar("select placed_at from read.search_orders order by placed_at")
                .fetch_all(pool)
                .await
                .unwrap();
        let totals: Vec<i64> =
            sqlx::query_scalar("select total from read.search_orders order by total")
                .fetch_all(pool)
                .await
                .unwrap();
        assert!(
            buyers.len() > 1 && statuses.len() > 1,
            "{buyers:?} {statuses:?}"
        );
        Self {
            orders: placed.len(),
            vendors: vendors.to_vec(),
            buyers,
            statuses,
            placed,
            totals,
            sku: format!("{}-s1", vendors[0]),
        }
    }

    /// The admin's scope, each buyer's and each vendor's.
    pub(crate) fn scopes(&self) -> Vec<Scope> {
        let buyers = self.buyers.iter().cloned().map(Scope::Buyer);
        let vendors = self.vendors.iter().cloned().map(Scope::Vendor);
        std::iter::once(Scope::All)
            .chain(buyers)
            .chain(vendors)
            .collect()
    }

    /// The value at `part` of the way through `sorted`.
    fn at<T: Copy>(sorted: &[T], part: f64) -> T {
        let i = ((sorted.len() - 1) as f64 * part) as usize;
        sorted[i]
    }
}

/// `vendor_id` `…-v01` as text: `v01`.
fn token(id: &str) -> &str {
    id.rsplit('-').next().unwrap_or(id)
}

fn text(t: impl Into<String>) -> OrderQuery {
    OrderQuery {
        text: Some(t.into()),
        ..OrderQuery::default()
    }
}

/// Every order filter alone, a few together, the text syntax.
fn order_queries(m: &Market) -> Vec<OrderQuery> {
    let q = OrderQuery::default;
    let (v1, v2, v3) = (&m.vendors[0], &m.vendors[1], &m.vendors[2]);
    let (b1, b2) = (&m.buyers[0], &m.buyers[1]);
    let middle = Market::at(&m.placed, 0.5);
    let mut queries = vec![q()];
    queries.extend(m.statuses.iter().map(|s| OrderQuery {
        status: vec![s.clone()],
        ..q()
    }));
    queries.extend([
        OrderQuery {
            status: m.statuses[..2].to_vec(),
            ..q()
        },
        OrderQuery {
            vendor_id: Some(v2.clone()),
            ..q()
        },
        OrderQuery {
            buyer_id: Some(b1.clone()),
            ..q()
        },
        OrderQuery {
            placed_from: Some(middle),
            ..q()
        },
        OrderQuery {
            placed_before: Some(middle),
            ..q()
        },
        // a bound a microsecond after an order: that order is before it
        OrderQuery {
            placed_from: Some(middle + Duration::microseconds(1)),
            ..q()
        },
        OrderQuery {
            placed_before: Some(middle + Duration::microseconds(1)),
            ..q()
        },
        OrderQuery {
            placed_from: Some(Market::at(&m.placed, 0.25)),
            placed_before: Some(Market::at(&m.placed, 0.75) + Duration::milliseconds(1)),
            ..q()
        },
        OrderQuery {
            currency: Some("EUR".into()),
            ..q()
        },
        OrderQuery {
            currency: Some("USD".into()),
            ..q()
        },
        OrderQuery {
            amount_min: Some(Market::at(&m.totals, 0.5)),
            ..q()
        },
        OrderQuery {
            amount_max: Some(Market::at(&m.totals, 0.3)),
            ..q()
        },
        OrderQuery {
            amount_min: Some(Market::at(&m.totals, 0.2)),
            amount_max: Some(Market::at(&m.totals, 0.8)),
            status: vec![m.statuses[0].clone()],
            ..q()
        },
        OrderQuery {
            vendor_id: Some(v3.clone()),
            buyer_id: Some(b2.clone()),
            ..q()
        },
        text(token(v1)),
        text(token(b1)),
        text("s2"),
        text(format!("{} s3", token(v2))),
        text(format!("{} or {}", token(v1), token(v3))),
        text(format!("{} -{}", token(v2), token(v1))),
        text(format!("s1 or s2 -{}", token(v3))),
        text(m.sku.clone()),
        text(format!("\"{}\"", m.sku)),
        OrderQuery {
            size: Some(1),
            ..text(token(v2))
        },
        OrderQuery {
            size: Some(100),
            ..q()
        },
    ]);
    queries
}

/// Every order query in every scope.
pub(crate) fn order_searches(m: &Market) -> Vec<OrderSearch> {
    let queries = order_queries(m);
    m.scopes()
        .into_iter()
        .flat_map(|scope| {
            queries.iter().map(move |query| OrderSearch {
                scope: scope.clone(),
                query: query.clone(),
            })
        })
        .collect()
}

/// Stock filters in the admin's and each vendor's scope. The run stocks
/// batches expiring tomorrow, in ten days and in ninety.
pub(crate) fn stock_searches(m: &Market) -> Vec<StockSearch> {
    let q = StockQuery::default;
    let today: NaiveDate = Utc::now().date_naive();
    let queries = [
        q(),
        StockQuery {
            text: Some("s2".into()),
            ..q()
        },
        StockQuery {
            text: Some(format!("{} or s3", token(&m.vendors[1]))),
            ..q()
        },
        StockQuery {
            sku: Some(m.sku.clone()),
            ..q()
        },
        StockQuery {
            warehouse_id: Some("wh-sim".into()),
            ..q()
        },
        StockQuery {
            min_available: Some(1),
            ..q()
        },
        StockQuery {
            expiring_before: Some(today + Duration::days(5)),
            ..q()
        },
        StockQuery {
            expiring_before: Some(today + Duration::days(30)),
            ..q()
        },
        StockQuery {
            size: Some(1),
            ..q()
        },
    ];
    let scopes = std::iter::once(Scope::All).chain(m.vendors.iter().cloned().map(Scope::Vendor));
    scopes
        .flat_map(|scope| {
            queries.iter().map(move |query| StockSearch {
                scope: scope.clone(),
                query: query.clone(),
            })
        })
        .collect()
}
