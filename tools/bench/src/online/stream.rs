//! Whether a command costs more on a long stream: a stock is given
//! `--long-stream` batch receipts through the executor (in-process, to
//! spare the HTTP round trips while preparing), then single commands over
//! HTTP on it are timed against the same command on fresh stocks.
//!
//! Every receipt adds a batch holding units, so the decision state really
//! holds that many batches; snapshots keep the load from replaying the
//! whole stream. The timing starts once the workers have caught up with
//! the preparation (its backlog is not the command's cost), and the long
//! and the fresh commands take turns, so a passing load on the shared
//! machine weighs on both alike.

use std::future::Future;
use std::time::{Duration, Instant};

use bazaar_domain::ids::{BatchId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand};
use bazaar_event_store::EventMetadata;

use super::{batch, settled, WAREHOUSE};
use crate::load::{percentile, Http, Who};
use crate::report::Figure;
use crate::stack::Stack;
use crate::BenchArgs;

/// Commands timed on each kind of stream.
const SAMPLES: u64 = 50;
const VENDOR: &str = "bench-long";
/// The target: a command on the long stream at most this many times one
/// on a fresh stream (p50).
const TARGET_RATIO: f64 = 1.5;

/// The long and the fresh streams' p50 latencies and their ratio;
/// (figures, what was skipped).
pub(crate) async fn measure(
    stack: &Stack,
    http: &Http,
    args: &BenchArgs,
) -> anyhow::Result<(Vec<Figure>, Vec<String>)> {
    let sku = "sku-long";
    let prepared = prepare(stack, sku, args.long_stream).await?;
    let skipped = settled(&stack.pool, "the long stream's commands").await;
    let token = http.token(&Who::Vendor(VENDOR.to_owned()));
    let receive = |path: String, batch_id: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.command(&path, &token, &batch(&batch_id, 1))
                .await
                .is_some()
        }
    };
    let mut long = Timings::default();
    let mut fresh = Timings::default();
    for n in 0..SAMPLES {
        let path = format!("/v1/stock/{sku}/{WAREHOUSE}/batches");
        long.time(receive(path, format!("x{n}"))).await;
        let path = format!("/v1/stock/sku-fresh-{n}/{WAREHOUSE}/batches");
        fresh.time(receive(path, "first".to_owned())).await;
    }
    let (long_p50, fresh_p50) = (long.p50(), fresh.p50());
    let ratio = if fresh_p50 > 0.0 {
        long_p50 / fresh_p50
    } else {
        0.0
    };
    let figures = vec![
        Figure::new(
            format!("command on a {prepared}-event stream, p50"),
            long_p50,
            "ms",
        )
        .against("the same command on a fresh stream, p50", fresh_p50)
        .target(
            format!("<= {TARGET_RATIO}x a fresh stream"),
            ratio <= TARGET_RATIO,
        ),
        Figure::new(
            "stream-length commands refused or failed",
            (long.failed + fresh.failed) as f64,
            "count",
        ),
    ];
    Ok((figures, skipped.into_iter().collect()))
}

/// Latencies of sequential calls, and how many failed.
#[derive(Default)]
struct Timings {
    samples: Vec<Duration>,
    failed: u64,
}

impl Timings {
    async fn time(&mut self, call: impl Future<Output = bool>) {
        let sent = Instant::now();
        if !call.await {
            self.failed += 1;
        }
        self.samples.push(sent.elapsed());
    }

    /// The median, in milliseconds.
    fn p50(&self) -> f64 {
        percentile(&self.samples, 0.5)
    }
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
