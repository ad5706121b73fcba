//! Whether a command costs more on a long stream: a stock is given
//! `--long-stream` batch receipts through the executor (in-process, to
//! spare the HTTP round trips while preparing), then single commands over
//! HTTP on it are timed against the same command on fresh stocks. Snapshots
//! keep the load from replaying the whole stream; the state still grows
//! with every batch, which is what this figure shows.

use std::time::Duration;

use bazaar_domain::ids::{BatchId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand};
use bazaar_event_store::EventMetadata;

use super::{batch, sequential_p50, WAREHOUSE};
use crate::load::{Http, Who};
use crate::report::Figure;
use crate::stack::Stack;
use crate::BenchArgs;

/// Commands timed on each kind of stream.
const SAMPLES: u64 = 50;
const VENDOR: &str = "bench-long";

/// The long and the fresh streams' p50 latencies and their ratio.
pub(crate) async fn measure(
    stack: &Stack,
    http: &Http,
    args: &BenchArgs,
) -> anyhow::Result<Vec<Figure>> {
    let sku = "sku-long";
    let prepared = prepare(stack, sku, args.long_stream).await?;
    let token = http.token(&Who::Vendor(VENDOR.to_owned()));
    let (long, long_failed) = sequential_p50(SAMPLES, |n| {
        let path = format!("/v1/stock/{sku}/{WAREHOUSE}/batches");
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.command(&path, &token, &batch(&format!("x{n}"), 1))
                .await
                .is_some()
        }
    })
    .await;
    let (fresh, fresh_failed) = sequential_p50(SAMPLES, |n| {
        let path = format!("/v1/stock/sku-fresh-{n}/{WAREHOUSE}/batches");
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.command(&path, &token, &batch("first", 1))
                .await
                .is_some()
        }
    })
    .await;
    let ratio = if fresh > 0.0 { long / fresh } else { 0.0 };
    Ok(vec![
        Figure::new(
            format!("command on a {prepared}-event stream, p50"),
            long,
            "ms",
        )
        .against("the same command on a fresh stream, p50", fresh)
        .target("<= 2x a fresh stream", ratio <= 2.0),
        Figure::new(
            "stream-length commands refused or failed",
            (long_failed + fresh_failed) as f64,
            "count",
        ),
    ])
}

/// Receives `events` batches into one stock; the stream's length.
async fn prepare(stack: &Stack, sku: &str, events: u64) -> anyhow::Result<u64> {
    let sku = Sku::parse(sku)?;
    let warehouse = WarehouseId::parse(WAREHOUSE)?;
    let id = stock_id(&sku, &warehouse);
    let vendor = VendorId::parse(VENDOR)?;
    let expires = chrono::Utc::now().date_naive() + chrono::Days::new(365);
    for n in 0..events {
        let command = InventoryReservationCommand::ReceiveBatch {
            sku: sku.clone(),
            warehouse: warehouse.clone(),
            vendor: vendor.clone(),
            batch: BatchId::parse(format!("long-{n}"))?,
            quantity: 1,
            expires_on: Some(expires),
            at: chrono::Utc::now(),
        };
        let meta = EventMetadata::for_command(uuid::Uuid::now_v7(), "system:bench");
        stack.app.stock.execute(&id, command, &meta).await?;
        if n % 1_000 == 999 {
            tracing::info!(events = n + 1, "long stream");
            tokio::time::sleep(Duration::ZERO).await;
        }
    }
    Ok(events)
}
