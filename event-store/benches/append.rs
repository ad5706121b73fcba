//! Append throughput with concurrent in-process writers, each appending
//! single-event commits to fresh streams.
//!
//! Run through `scripts/bench-append.sh`, which prepares the database and
//! measures raw `pgbench` inserts on the same table shape in the same run.
//! Settings come from the environment: `DATABASE_URL` (a migrated, scratch
//! database), `BENCH_WRITERS` (default 32), `BENCH_SECONDS` (default 10).
//!
//! Two modes: `append` calls `PgEventStore::append` (one INSERT statement per
//! commit: the event store's own cost); `command` goes through cqrs-es's
//! `CqrsFramework::execute_with_metadata` (load the stream, handle, commit).

use std::time::{Duration, Instant};

use bazaar_event_store::{EventMetadata, PgEventStore, PgSettings};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::EventStoreAggregateContext;
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    value: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum CounterEvent {
    Incremented { by: i64 },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> String {
        "Incremented".into()
    }
    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

impl Aggregate for Counter {
    const TYPE: &'static str = "BenchCounter";
    type Command = i64;
    type Event = CounterEvent;
    type Error = Never;
    type Services = ();

    async fn handle(&mut self, by: i64, _: &(), sink: &EventSink<Self>) -> Result<(), Never> {
        sink.write(CounterEvent::Incremented { by }, self).await;
        Ok(())
    }

    fn apply(&mut self, CounterEvent::Incremented { by }: CounterEvent) {
        self.value += by;
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Append,
    Command,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn one(
    store: &PgEventStore<Counter>,
    cqrs: &CqrsFramework<Counter, PgEventStore<Counter>>,
    mode: Mode,
) {
    let id = Uuid::now_v7().to_string();
    let meta = EventMetadata::for_command(Uuid::now_v7(), "system:bench").to_map();
    match mode {
        Mode::Append => {
            let context = EventStoreAggregateContext {
                aggregate_id: id,
                aggregate: Counter { value: 1 },
                current_sequence: 0,
                current_snapshot: None,
            };
            let events = vec![CounterEvent::Incremented { by: 1 }];
            store.append(events, context, meta).await.expect("append");
        }
        Mode::Command => cqrs
            .execute_with_metadata(&id, 1, meta)
            .await
            .expect("command"),
    }
}

async fn writer(store: PgEventStore<Counter>, mode: Mode, until: Instant) -> Vec<Duration> {
    let cqrs = CqrsFramework::new(store.clone(), vec![], ());
    let mut latencies = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        one(&store, &cqrs, mode).await;
        latencies.push(started.elapsed());
    }
    latencies
}

async fn run(store: &PgEventStore<Counter>, mode: Mode, writers: u64, seconds: u64) {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..writers)
        .map(|_| tokio::spawn(writer(store.clone(), mode, until)))
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("writer"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{{\"mode\":\"{mode:?}\",\"writers\":{writers},\"appends\":{},\"per_second\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    // BENCH_THREADS=1 runs every writer and the pool on one thread, leaving
    // the other core to Postgres; the default is tokio's one worker per core.
    let threads = env_or("BENCH_THREADS", 0);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        runtime.worker_threads(usize::try_from(threads).unwrap_or(1));
    }
    runtime
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench());
}

async fn bench() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL of a scratch database");
    let writers = env_or("BENCH_WRITERS", 32);
    let seconds = env_or("BENCH_SECONDS", 10);
    let mut settings = PgSettings::new(url);
    settings.max_connections = u32::try_from(writers).unwrap_or(32);
    let pool = bazaar_event_store::connect(&settings).expect("pool");
    bazaar_event_store::migrate(&pool).await.expect("migrate");
    let store = PgEventStore::<Counter>::new(pool);
    let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "append,command".into());
    for mode in modes.split(',') {
        let mode = if mode == "command" {
            Mode::Command
        } else {
            Mode::Append
        };
        run(&store, mode, writers, seconds).await;
    }
}
