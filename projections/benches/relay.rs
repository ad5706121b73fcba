//! Kafka relay throughput: events published (delivery reports received and
//! checkpoint moved) per second, from a backlog in the event store.
//!
//! Run through `scripts/bench-relay.sh`, which prepares a scratch database
//! and starts a local Tansu broker. Settings come from the environment:
//! `DATABASE_URL` (a scratch database; created and migrated here),
//! `KAFKA_BROKERS`, `BENCH_EVENTS` (default 50000), `BENCH_STREAMS_EVENTS`
//! (events per stream, default 10), `BENCH_BATCH` (events per batch,
//! default the relay's 1000).
//!
//! The backlog is written first (many streams of `BenchCounter`, several
//! events each, about 600-byte records with all headers), then the relay
//! starts from an empty checkpoint and the clock runs until its checkpoint
//! reaches the last event.

use std::time::{Duration, Instant};

use bazaar_event_store::{load_checkpoint, pool, PgSettings};
use bazaar_projections::relay::{self, RelayHealth, RelaySettings, SUBSCRIPTION};
use bazaar_projections::wakeups::Wakeups;
use bazaar_testkit::bench::env_or;
use bazaar_testkit::fixtures::meta;
use sqlx::PgPool;
use uuid::Uuid;

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let brokers = std::env::var("KAFKA_BROKERS").expect("KAFKA_BROKERS (a running broker)");
    let events = env_or::<i64>("BENCH_EVENTS", 50_000);
    let per_stream = env_or::<i64>("BENCH_STREAMS_EVENTS", 10);
    pool::create_database_if_missing(&url)
        .await
        .expect("database");
    let pool = bazaar_event_store::connect(&PgSettings::new(&url)).expect("pool");
    bazaar_event_store::migrate(&pool)
        .await
        .expect("migrations");

    let last = backlog(&pool, events / per_stream, per_stream).await;
    sqlx::query("delete from subscription_checkpoint where subscription_name = $1")
        .bind(SUBSCRIPTION)
        .execute(&pool)
        .await
        .unwrap();
    let mut settings = RelaySettings::new(brokers);
    settings.batch_size = env_or("BENCH_BATCH", settings.batch_size);
    let published = count_published(&pool, last).await;
    let elapsed = run_until(&pool, settings.clone(), last).await;

    let per_second = published as f64 / elapsed.as_secs_f64();
    println!(
        "{{\"events\": {published}, \"batch\": {}, \"seconds\": {:.3}, \"per_second\": {per_second:.0}}}",
        settings.batch_size,
        elapsed.as_secs_f64()
    );
}

/// Appends `streams` × `per_stream` events, one statement per sequence
/// number; returns the last global position.
async fn backlog(pool: &PgPool, streams: i64, per_stream: i64) -> i64 {
    let metadata = serde_json::to_value(meta("system:bench").to_map()).unwrap();
    let run = Uuid::now_v7().to_string();
    for sequence in 1..=per_stream {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             select 'BenchCounter', $1 || '-' || n, $2, 'Incremented', '1.0', \
                    jsonb_build_object('Incremented', jsonb_build_object('by', n)), $3 \
               from generate_series(1, $4) as n",
        )
        .bind(&run)
        .bind(sequence)
        .bind(&metadata)
        .bind(streams)
        .execute(pool)
        .await
        .expect("backlog written");
    }
    sqlx::query_scalar("select max(global_position) from events")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Events in the log up to `last`: what the relay publishes from zero.
async fn count_published(pool: &PgPool, last: i64) -> i64 {
    sqlx::query_scalar("select count(*) from events where global_position <= $1")
        .bind(last)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Runs the relay until its checkpoint reaches `last`; the time it took.
async fn run_until(pool: &PgPool, settings: RelaySettings, last: i64) -> Duration {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let relay = tokio::spawn(relay::run(
        pool.clone(),
        settings,
        RelayHealth::on(),
        Wakeups::polling(Duration::from_millis(5)),
        async {
            let _ = stopped.await;
        },
    ));
    while load_checkpoint(pool, SUBSCRIPTION)
        .await
        .unwrap()
        .global_position
        < last
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let _ = relay.await;
    elapsed
}
