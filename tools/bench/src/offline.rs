//! The figures of jobs that read the whole log: the log the run wrote is
//! cloned under new stream ids up to `--events` (real events of every
//! aggregate, hash chains recomputed by the store), then a rebuild of the
//! orders read model is timed beside an `INSERT … SELECT` copy of the same
//! rows, the hash chains are verified, and the Kafka relay publishes a
//! backlog to a broker (`KAFKA_BROKERS`, or a Tansu broker started here if
//! one is installed).

use std::time::{Duration, Instant};

use bazaar_event_store::load_checkpoint;
use bazaar_projections::registry;
use bazaar_projections::relay::{self, RelayHealth, RelaySettings, SUBSCRIPTION};
use bazaar_projections::wakeups::Wakeups;
use sqlx::PgPool;

use super::report::Figure;
use super::BenchArgs;
use bazaar_runtime::config::Settings;

mod broker;

/// Events the relay publishes for its figure (from the start of the log).
const RELAY_EVENTS: i64 = 100_000;

/// Rebuild, verification and relay figures; (figures, skipped).
pub(crate) async fn measure(
    pool: &PgPool,
    settings: &Settings,
    args: &BenchArgs,
) -> anyhow::Result<(Vec<Figure>, Vec<String>)> {
    let events = clone_log(pool, args.events).await?;
    let mut figures = rebuild(pool, events).await?;
    figures.push(verify(pool).await?);
    let mut skipped = Vec::new();
    match broker::find(settings).await {
        Ok(broker) => figures.push(relay(pool, broker.brokers()).await?),
        Err(reason) => skipped.push(format!("relay throughput: {reason}")),
    }
    Ok((figures, skipped))
}

async fn count(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await?)
}

/// Clones the log under new stream ids until it holds about `target`
/// events; how many it holds.
async fn clone_log(pool: &PgPool, target: u64) -> anyhow::Result<i64> {
    let have = count(pool).await?;
    let target = i64::try_from(target).unwrap_or(i64::MAX);
    if have > 0 && have < target {
        // enough whole copies to reach the target: ceil((target - have) / have)
        let copies = (target - 1) / have;
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             select e.aggregate_type, e.aggregate_id || '~' || n, e.sequence, e.event_type, e.event_version, \
                    e.payload, e.metadata \
               from events e cross join generate_series(1, $1::bigint) n \
              order by n, e.aggregate_type, e.aggregate_id, e.sequence",
        )
        .bind(copies)
        .execute(pool)
        .await?;
    }
    count(pool).await
}

/// The orders read model rebuilt from zero, beside `INSERT … SELECT`.
async fn rebuild(pool: &PgPool, events: i64) -> anyhow::Result<Vec<Figure>> {
    sqlx::raw_sql("create table bench_events_copy as select * from events with no data")
        .execute(pool)
        .await?;
    let started = Instant::now();
    sqlx::query("insert into bench_events_copy select * from events")
        .execute(pool)
        .await?;
    let copy = events as f64 / started.elapsed().as_secs_f64();
    sqlx::raw_sql("drop table bench_events_copy")
        .execute(pool)
        .await?;
    let started = Instant::now();
    registry::rebuild(pool, "orders", |_, _| {}).await?;
    let rate = events as f64 / started.elapsed().as_secs_f64();
    Ok(vec![Figure::new(
        format!("rebuild of orders over {events} events"),
        rate,
        "events/s",
    )
    .against("INSERT ... SELECT of the same rows", copy)
    .target(
        ">= 60,000 events/s and >= 0.3 x",
        rate >= 60_000.0 && rate >= 0.3 * copy,
    )])
}

/// The whole store's hash chains recomputed.
async fn verify(pool: &PgPool) -> anyhow::Result<Figure> {
    let started = Instant::now();
    let verification = bazaar_event_store::verify_all(pool).await?;
    anyhow::ensure!(
        verification.broken.is_none(),
        "the hash chains of the bench's own log are broken: {:?}",
        verification.broken
    );
    let rate = verification.events as f64 / started.elapsed().as_secs_f64();
    Ok(Figure::new(
        format!("audit verification of {} events", verification.events),
        rate,
        "events/s",
    ))
}

/// The relay publishing the first `RELAY_EVENTS` events of the log.
async fn relay(pool: &PgPool, brokers: String) -> anyhow::Result<Figure> {
    let last: i64 = sqlx::query_scalar(
        "select max(global_position) from (select global_position from events \
          order by events.tx_id, events.global_position limit $1) first",
    )
    .bind(RELAY_EVENTS)
    .fetch_one(pool)
    .await?;
    let published: i64 =
        sqlx::query_scalar("select count(*) from events where global_position <= $1")
            .bind(last)
            .fetch_one(pool)
            .await?;
    sqlx::query("delete from subscription_checkpoint where subscription_name = $1")
        .bind(SUBSCRIPTION)
        .execute(pool)
        .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let running = tokio::spawn(relay::run(
        pool.clone(),
        RelaySettings::new(brokers),
        RelayHealth::on(),
        Wakeups::polling(Duration::from_millis(5)),
        async {
            let _ = stopped.await;
        },
    ));
    let deadline = started + Duration::from_secs(600);
    while load_checkpoint(pool, SUBSCRIPTION).await?.global_position < last {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the relay did not finish in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = published as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = running.await;
    Ok(Figure::new(
        format!("relay to Kafka, {published} events"),
        rate,
        "events/s",
    ))
}
