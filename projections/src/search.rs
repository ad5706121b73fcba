//! Search: orders and product availability, full text with filters, facets
//! and deep pagination, from Elasticsearch when `ELASTICSEARCH_URL` is set
//! and from Postgres otherwise, with the same answers either way.
//!
//! Documents are folded from the log by the [`store::SearchDocs`]
//! projection into Postgres (`read.search_*`): the fallback searches them,
//! and the Elasticsearch indexer ([`es::indexer`]) ships them with external
//! versioning, so a replay changes nothing. Decisions and their reasons:
//! `docs/adr/0005-search.md`; operations: `docs/search.md`.
//!
//! # Layout
//! - [`document`]: the order and stock documents.
//! - [`order_fold`], [`stock_fold`]: events folded into documents.
//! - [`store`]: the Postgres projection holding the documents; `batch`
//!   folds a batch of events into them in memory.
//! - [`rows`]: the documents written as rows, at their versions.
//! - [`aggregates`]: facet counts the projection keeps for unfiltered searches.
//! - [`request`]: what a search asks and answers (serializable).
//! - [`criteria`]: requests checked once, cursors.
//! - [`text`]: full-text queries, read alike by both backends.
//! - [`scoping`]: what each scope may see; cutting pages.
//! - [`postgres`]: the Postgres full-text fallback.
//! - [`es`]: Elasticsearch: templates, aliases, indexer, parked documents, queries.
//! - [`error`]: why a search failed.

pub mod aggregates;
mod batch;
pub mod criteria;
pub mod document;
pub mod error;
pub mod es;
pub mod order_fold;
pub mod postgres;
pub mod request;
pub mod rows;
pub mod schema;
pub mod scoping;
pub mod stock_fold;
pub mod store;
pub mod text;

use sqlx::PgPool;

pub use error::SearchError;
pub use request::{
    Backend, OrderFacets, OrderPage, OrderQuery, OrderSearch, Scope, StockPage, StockQuery,
    StockSearch,
};

use criteria::{OrderCriteria, StockCriteria};
use es::client::EsClient;

/// The search API: one method per kind of document, answered by
/// Elasticsearch when configured, by Postgres otherwise. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Search {
    pool: PgPool,
    es: Option<EsClient>,
}

impl Search {
    /// Searches answered from Postgres only.
    pub fn postgres(pool: PgPool) -> Self {
        Self { pool, es: None }
    }

    /// Searches answered from Elasticsearch through `es` (Postgres when `None`).
    pub fn new(pool: PgPool, es: Option<EsClient>) -> Self {
        Self { pool, es }
    }

    /// The same searches, answered from `pool` when they read Postgres
    /// (the API's read replica of the request).
    #[must_use]
    pub fn reading(&self, pool: PgPool) -> Self {
        Self {
            pool,
            es: self.es.clone(),
        }
    }

    /// Which backend answers.
    pub fn backend(&self) -> Backend {
        match self.es {
            Some(_) => Backend::Elasticsearch,
            None => Backend::Postgres,
        }
    }

    /// One page of orders.
    pub async fn orders(&self, search: &OrderSearch) -> Result<OrderPage, SearchError> {
        let criteria = OrderCriteria::of(search)?;
        match &self.es {
            Some(es) => es::query::search_orders(es, &criteria).await,
            None => postgres::search_orders(&self.pool, &criteria).await,
        }
    }

    /// One page of stock.
    pub async fn stock(&self, search: &StockSearch) -> Result<StockPage, SearchError> {
        let criteria = StockCriteria::of(search)?;
        match &self.es {
            Some(es) => es::query::search_stock(es, &criteria).await,
            None => postgres::search_stock(&self.pool, &criteria).await,
        }
    }
}
