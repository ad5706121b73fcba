//! A batch of events folded into the search documents in memory, then
//! written with one statement per table: the documents of the batch's
//! orders and stocks are loaded at once, every event is folded in (in
//! order, skipping replays by version), and each changed document is
//! written once, whatever the number of its events in the batch.

use crate::projection::decode;
use std::collections::HashMap;

use bazaar_domain::inventory::InventoryReservationEvent;
use bazaar_domain::order::OrderEvent;
use bazaar_event_store::RecordedEvent;
use serde::de::DeserializeOwned;
use sqlx::types::Json;
use sqlx::PgConnection;

use super::document::{OrderDoc, StockDoc, ORDER_TYPE, STOCK_TYPE};
use super::rows;
use super::{order_fold, stock_fold};
use crate::projection::{ApplyError, BatchError};
use crate::read_models::table::by_key;

/// A document and the version (stream sequence) it is at.
struct Versioned<D> {
    version: i64,
    doc: D,
    changed: bool,
}

/// The documents a batch touches.
struct Docs {
    orders: HashMap<String, Versioned<OrderDoc>>,
    stock: HashMap<String, Versioned<StockDoc>>,
}

/// Applies `events` to the search tables of the current generation.
pub(super) async fn apply(
    conn: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<(), BatchError> {
    let mut docs = load(conn, events).await.map_err(BatchError::whole)?;
    for (index, event) in events.iter().enumerate() {
        let folded = match event.aggregate_type.as_str() {
            ORDER_TYPE => fold_order(&mut docs, event),
            STOCK_TYPE => fold_stock(&mut docs, event),
            _ => Ok(()),
        };
        folded.map_err(|error| BatchError::at(index, error))?;
    }
    write_orders(conn, &docs).await.map_err(BatchError::whole)?;
    write_stock(conn, &docs).await.map_err(BatchError::whole)
}

fn ids<'e>(events: &'e [RecordedEvent], aggregate_type: &str) -> Vec<&'e str> {
    let mut ids: Vec<&str> = events
        .iter()
        .filter(|e| e.aggregate_type == aggregate_type)
        .map(|e| e.aggregate_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn load(conn: &mut PgConnection, events: &[RecordedEvent]) -> sqlx::Result<Docs> {
    Ok(Docs {
        orders: stored(conn, "search_orders", "order_id", ids(events, ORDER_TYPE)).await?,
        stock: stored(conn, "search_stock", "stock_id", ids(events, STOCK_TYPE)).await?,
    })
}

/// The stored documents of `ids` in `table` (keyed by `key`).
async fn stored<D: DeserializeOwned + Send + Unpin + 'static>(
    conn: &mut PgConnection,
    table: &str,
    key: &str,
    ids: Vec<&str>,
) -> sqlx::Result<HashMap<String, Versioned<D>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = by_key(&format!("{key}, version, doc"), table, key);
    let rows: Vec<(String, i64, Json<D>)> = sqlx::query_as(&sql).bind(ids).fetch_all(conn).await?;
    let loaded = rows.into_iter().map(|(id, version, Json(doc))| {
        let changed = false;
        (
            id,
            Versioned {
                version,
                doc,
                changed,
            },
        )
    });
    Ok(loaded.collect())
}

fn fold_order(docs: &mut Docs, event: &RecordedEvent) -> Result<(), ApplyError> {
    let payload: OrderEvent = decode(event)?;
    let (id, at) = (&event.aggregate_id, event.recorded_at);
    match docs.orders.get_mut(id) {
        Some(stored) if stored.version >= event.sequence => {}
        Some(stored) => {
            stored.doc.apply(&payload, at).map_err(ApplyError::poison)?;
            stored.version = event.sequence;
            stored.changed = true;
        }
        None => {
            let doc = order_fold::placed(id, &payload, at).map_err(ApplyError::poison)?;
            let version = event.sequence;
            let changed = true;
            docs.orders.insert(
                id.clone(),
                Versioned {
                    version,
                    doc,
                    changed,
                },
            );
        }
    }
    Ok(())
}

fn fold_stock(docs: &mut Docs, event: &RecordedEvent) -> Result<(), ApplyError> {
    let payload: InventoryReservationEvent = decode(event)?;
    let (id, at) = (&event.aggregate_id, event.recorded_at);
    let stored = docs.stock.entry(id.clone()).or_insert_with(|| Versioned {
        version: 0,
        doc: stock_fold::new_stock(id, &payload, at),
        changed: false,
    });
    if stored.version < event.sequence {
        stored.doc.apply(&payload, at);
        stored.version = event.sequence;
        stored.changed = true;
    }
    Ok(())
}

async fn write_orders(conn: &mut PgConnection, docs: &Docs) -> Result<(), ApplyError> {
    rows::write_orders(conn, &changed(&docs.orders)).await
}

async fn write_stock(conn: &mut PgConnection, docs: &Docs) -> Result<(), ApplyError> {
    rows::write_stock(conn, &changed(&docs.stock)).await
}

/// The documents the batch changed, with their versions.
fn changed<D>(docs: &HashMap<String, Versioned<D>>) -> Vec<(&D, i64)> {
    docs.values()
        .filter(|d| d.changed)
        .map(|d| (&d.doc, d.version))
        .collect()
}
