//! Documents Elasticsearch refused (400), kept in `search_parked` so the
//! indexer can move on without losing them, and re-driven once the cause
//! (a mapping, the document code) is fixed.
//!
//! Parking is idempotent (one row per index, document and version), so a
//! batch retried after a later failure parks nothing twice. Re-driving
//! sends each document's *current* version from the search projection to
//! the live indices: an answer of indexed or already-newer resolves the
//! row; another refusal keeps it open with the new reason.

use bazaar_event_store::Position;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::bulk::Parked;
use super::client::{DocKind, EsClient};
use super::error::IndexError;
use super::generation::live_generation;
use super::health::IndexerHealth;
use super::ship::{load, ship};

/// Records `item`, refused while shipping events up to `at` into `generation`.
pub async fn park(
    conn: &mut PgConnection,
    es: &EsClient,
    generation: i32,
    item: &Parked,
    at: Position,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into search_parked (generation, index_name, doc_kind, doc_id, version, document, status, \
                                    error_type, error_reason, tx_id, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::xid8, $11) \
         on conflict (index_name, doc_id, version) do nothing",
    )
    .bind(generation)
    .bind(es.index(item.doc.kind, generation))
    .bind(item.doc.kind.as_str())
    .bind(&item.doc.id)
    .bind(item.doc.version)
    .bind(&item.doc.source)
    .bind(i32::from(item.refusal.status))
    .bind(&item.refusal.error_type)
    .bind(&item.refusal.reason)
    .bind(at.tx_id.to_string())
    .bind(at.global_position)
    .execute(conn)
    .await?;
    Ok(())
}

/// One open parked document, as `bazaar search parked` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ParkedRow {
    /// Its id, for `redrive`.
    pub parked_id: i64,
    /// The index that refused it.
    pub index_name: String,
    /// `orders` or `stock`.
    pub doc_kind: String,
    /// The document.
    pub doc_id: String,
    /// The refused version.
    pub version: i64,
    /// The item's HTTP status.
    pub status: i32,
    /// Elasticsearch's error type.
    pub error_type: Option<String>,
    /// Elasticsearch's reason.
    pub error_reason: String,
    /// Where the indexer was (global position of the batch's last event).
    pub position: i64,
    /// When.
    pub parked_at: DateTime<Utc>,
}

/// Open parked documents, oldest first.
pub async fn open(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<ParkedRow>> {
    sqlx::query_as(
        "select parked_id, index_name, doc_kind, doc_id, version, status, error_type, error_reason, \
                position, parked_at \
           from search_parked where resolved_at is null order by parked_at, parked_id limit $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What a re-drive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Redriven {
    /// Rows resolved: the current version is indexed (or newer already).
    pub resolved: u64,
    /// Rows still open: refused again.
    pub still_parked: u64,
}

/// Sends the current version of every open parked document (or only
/// `only`) to the live indices.
pub async fn redrive(
    pool: &PgPool,
    es: &EsClient,
    only: Option<i64>,
) -> Result<Redriven, IndexError> {
    let generation = live_generation(pool)
        .await?
        .ok_or_else(|| IndexError::Stopped("not built yet (no live generation)".to_owned()))?;
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "select parked_id, doc_kind, doc_id from search_parked \
          where resolved_at is null and ($1::bigint is null or parked_id = $1) order by parked_id",
    )
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut done = Redriven::default();
    for (parked_id, kind, id) in rows {
        let kind =
            DocKind::parse(&kind).ok_or_else(|| IndexError::Missing(format!("{kind}/{id}")))?;
        let docs = load(pool, kind, std::slice::from_ref(&id)).await?;
        let refused = ship(es, &IndexerHealth::new(), generation.generation, docs).await?;
        match refused.first() {
            None => {
                sqlx::query(
                    "update search_parked set resolved_at = clock_timestamp() where parked_id = $1",
                )
                .bind(parked_id)
                .execute(pool)
                .await?;
                done.resolved += 1;
            }
            Some(again) => {
                sqlx::query("update search_parked set status = $2, error_type = $3, error_reason = $4 where parked_id = $1")
                    .bind(parked_id)
                    .bind(i32::from(again.refusal.status))
                    .bind(&again.refusal.error_type)
                    .bind(&again.refusal.reason)
                    .execute(pool)
                    .await?;
                done.still_parked += 1;
            }
        }
    }
    Ok(done)
}
