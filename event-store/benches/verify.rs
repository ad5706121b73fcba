//! Hash-chain verification speed: `verify_all` over the whole store and
//! signing a checkpoint (verification below the horizon, heads digest,
//! signature), in events per second.
//!
//! Run through `scripts/bench-audit.sh`, which prepares a scratch database.
//! Settings come from the environment: `DATABASE_URL` (a scratch database),
//! `BENCH_EVENTS` (default 1,000,000), `BENCH_STREAM_LEN` (events per
//! stream, default 10), `BENCH_RUNS` (timed runs of each, default 3),
//! `BENCH_WORKERS` (comma-separated numbers of ranges walked at once to
//! compare; 0 is the default choice; default `1,0`).
//!
//! The store is seeded with one `INSERT … SELECT` per sequence number, so
//! the chain trigger hashes every event and a stream's events lie far apart
//! on disk, as they do when many streams are written at once. Payloads are
//! shaped like checkout events (about 300 bytes) and metadata like
//! Bazaar's. A store already holding exactly `BENCH_EVENTS` events is
//! reused.

use std::time::Instant;

use bazaar_event_store::audit::{checkpoint, keys};
use bazaar_event_store::{verify, PgSettings, Scope};
use sqlx::PgPool;

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LAYER: &str = "insert into events (aggregate_type, aggregate_id, sequence, event_type, \
        event_version, payload, metadata) \
     select 'Order', 'order-' || s, $1, 'VendorOrderShipped', '1.0', \
            jsonb_build_object('VendorOrderShipped', jsonb_build_object( \
                'vendor', 'vendor-' || (s % 977), 'tracking', md5(s::text || $1), \
                'lines', jsonb_build_array( \
                    jsonb_build_object('line_no', 1, 'shipped', 1 + s % 5, 'shipped_total', 1 + s % 5), \
                    jsonb_build_object('line_no', 2, 'shipped', 2, 'shipped_total', 2)), \
                'vendor_order_status', 'SHIPPED', 'order_status', 'PARTIALLY_SHIPPED', \
                'auto_confirm_at', '2026-11-16T09:00:00Z', 'at', '2026-11-02T09:00:00Z')), \
            jsonb_build_object('command_id', gen_random_uuid(), 'correlation_id', gen_random_uuid(), \
                'causation_id', gen_random_uuid(), 'actor', 'vendor:vendor-' || (s % 977), \
                'event_id', gen_random_uuid()) \
       from generate_series(1, $2::bigint) s";

async fn seed(pool: &PgPool, events: i64, stream_len: i64) {
    let count: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await
        .expect("count");
    if count == events {
        eprintln!("reusing {count} events");
        return;
    }
    assert_eq!(count, 0, "the bench needs an empty or a seeded database");
    let streams = events / stream_len;
    let started = Instant::now();
    for sequence in 1..=stream_len {
        sqlx::query(LAYER)
            .bind(sequence)
            .bind(streams)
            .execute(pool)
            .await
            .expect("seed");
    }
    sqlx::query("vacuum analyze events")
        .execute(pool)
        .await
        .expect("vacuum");
    eprintln!(
        "seeded {} events in {streams} streams in {:.1}s",
        streams * stream_len,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = bazaar_event_store::connect(&PgSettings::new(url)).expect("pool");
    bazaar_event_store::migrate(&pool).await.expect("migrate");
    let events = env_or("BENCH_EVENTS", 1_000_000);
    seed(&pool, events, env_or("BENCH_STREAM_LEN", 10)).await;
    let key = keys::generate().expect("key");
    let workers: Vec<usize> = std::env::var("BENCH_WORKERS")
        .unwrap_or_else(|_| "1,0".into())
        .split(',')
        .map(|w| w.trim().parse().expect("BENCH_WORKERS: numbers"))
        .collect();
    for _ in 0..env_or("BENCH_RUNS", 3) {
        for &workers in &workers {
            time_verify(&pool, events, workers).await;
        }
        let started = Instant::now();
        let signed = checkpoint::sign(&pool, &key, "bench").await.expect("sign");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{{\"checkpoint_sign\":true,\"events\":{},\"seconds\":{seconds:.2},\"events_per_second\":{:.0}}}",
            signed.events,
            signed.events as f64 / seconds
        );
    }
}

async fn time_verify(pool: &PgPool, events: i64, workers: usize) {
    let scope = Scope {
        workers,
        ..Scope::default()
    };
    let started = Instant::now();
    let report = verify(pool, &scope).await.expect("verify");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!((report.events as i64, report.broken), (events, None));
    println!(
        "{{\"verify_all\":true,\"workers\":{workers},\"events\":{},\"streams\":{},\"seconds\":{seconds:.2},\"events_per_second\":{:.0}}}",
        report.events,
        report.streams,
        report.events as f64 / seconds
    );
}
