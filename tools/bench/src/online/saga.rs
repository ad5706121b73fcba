//! The checkout saga under a fixed rate of checkouts: orders are placed
//! over HTTP at each of `--saga-rates` per second (100 and 1,000 by
//! default), and the saga's reaction lag
//! is read from the log itself: for each `OrderPlaced`, the `recorded_at`
//! of the first `StockReserved` with the same correlation id (the saga's
//! first step of that checkout). After the load stops, the run waits for
//! the saga to reach the end of the log; how long that takes is its
//! backlog, and its commands over the whole phase are its sustained rate.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::place;
use crate::load::{Http, Who};
use crate::report::Figure;
use crate::stack::Stack;
use crate::BenchArgs;

/// The lag p99 target (ms) at `rate` checkouts/s offered: 100 ms up to
/// 100/s, 250 ms above.
fn target(rate: u64) -> f64 {
    if rate <= 100 {
        100.0
    } else {
        250.0
    }
}
/// Buyers taking turns placing the orders.
const BUYERS: usize = 200;
/// The longest wait for the saga to drain its backlog.
const DRAIN: Duration = Duration::from_secs(120);

/// The saga figures at each offered rate.
pub(crate) async fn measure(stack: &Stack, http: &Http, args: &BenchArgs) -> Vec<Figure> {
    let mut figures = Vec::new();
    for &rate in &args.saga_rates {
        let _ = super::settled(&stack.pool, "saga").await;
        match phase(stack, http, args, rate).await {
            Ok(phase) => figures.extend(phase.figures(rate, target(rate))),
            Err(error) => tracing::warn!(%error, rate, "saga figure not measured"),
        }
    }
    figures
}

/// What one phase saw.
struct Phase {
    placed: u64,
    seconds: f64,
    lag: (f64, f64, i64),
    commands: i64,
    busy_seconds: f64,
    /// Commands after the load stopped, and over how many seconds.
    draining: (i64, f64),
    drained: Option<Duration>,
}

impl Phase {
    fn figures(&self, rate: u64, target: f64) -> Vec<Figure> {
        let (p50, p99, samples) = self.lag;
        let achieved = self.placed as f64 / self.seconds.max(1e-9);
        let drained = self.drained.map_or(f64::INFINITY, |d| d.as_secs_f64());
        vec![
            Figure::new(
                format!("saga: orders placed per second (offered {rate}/s)"),
                achieved,
                "orders/s",
            ),
            Figure::new(
                format!("saga lag p50, OrderPlaced to StockReserved, {rate}/s"),
                p50,
                "ms",
            ),
            Figure::new(
                format!("saga lag p99, OrderPlaced to StockReserved, {rate}/s ({samples} orders)"),
                p99,
                "ms",
            )
            .target(format!("<= {target:.0} ms"), p99 <= target),
            Figure::new(
                format!("saga commands per second, sustained at {rate}/s offered"),
                self.commands as f64 / self.busy_seconds.max(1e-9),
                "ops/s",
            ),
            Figure::new(
                format!("saga commands per second while draining, {rate}/s"),
                self.draining.0 as f64 / self.draining.1.max(1e-9),
                "ops/s",
            ),
            Figure::new(
                format!("saga idle after the load stops, {rate}/s"),
                drained * 1000.0,
                "ms",
            )
            .target("<= 1000 ms", drained <= 1.0),
        ]
    }
}

async fn phase(stack: &Stack, http: &Http, args: &BenchArgs, rate: u64) -> sqlx::Result<Phase> {
    let pool = &stack.pool;
    let from = now(pool).await?;
    let started = Instant::now();
    let placed = drive(http, args, rate).await;
    let seconds = started.elapsed().as_secs_f64();
    let until = now(pool).await?;
    let drained = drain(pool).await?;
    let lag = lag(pool, from, until).await?;
    let (commands, first, last) = saga_commands(pool, from).await?;
    let busy_seconds = seconds_between(first, last);
    let (after, _, last) = saga_commands(pool, until).await?;
    let draining = (after, seconds_between(Some(until), last));
    Ok(Phase {
        placed,
        seconds,
        lag,
        commands,
        busy_seconds,
        draining,
        drained,
    })
}

fn seconds_between(first: Option<DateTime<Utc>>, last: Option<DateTime<Utc>>) -> f64 {
    match (first, last) {
        (Some(first), Some(last)) => (last - first).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    }
}

async fn now(pool: &PgPool) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar("select clock_timestamp()")
        .fetch_one(pool)
        .await
}

/// Places two-vendor orders at `rate` per second for `--seconds`; how many
/// were placed.
async fn drive(http: &Http, args: &BenchArgs, rate: u64) -> u64 {
    let tokens: Vec<String> = (0..BUYERS)
        .map(|b| http.token(&Who::Buyer(format!("saga-b{b}"))))
        .collect();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..rate * args.seconds {
        tick.tick().await;
        let (http, token) = (http.clone(), tokens[n as usize % BUYERS].clone());
        let vendors = args.clients;
        tasks.spawn(async move { place(&http, &token, n, vendors).await.is_some() });
    }
    let mut placed = 0;
    while let Some(done) = tasks.join_next().await {
        placed += u64::from(matches!(done, Ok(true)));
    }
    placed
}

/// How long after the call the saga reached the end of the log (and no
/// timer was due), or `None` if it did not within [`DRAIN`].
async fn drain(pool: &PgPool) -> sqlx::Result<Option<Duration>> {
    let stopped = Instant::now();
    while stopped.elapsed() < DRAIN {
        let busy = bazaar_runtime::workers::outstanding(pool, 1).await?;
        if !busy.iter().any(|(worker, _, _)| worker == "checkout saga") {
            return Ok(Some(stopped.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(None)
}

/// Reaction lag p50 and p99 (ms) over the orders placed between `from` and
/// `until`, and how many were measured.
async fn lag(
    pool: &PgPool,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sqlx::Result<(f64, f64, i64)> {
    sqlx::query_as(
        "with placed as ( \
             select metadata->>'correlation_id' as flow, recorded_at from events \
              where event_type = 'OrderPlaced' and recorded_at between $1 and $2), \
         reserved as ( \
             select metadata->>'correlation_id' as flow, min(recorded_at) as recorded_at from events \
              where event_type = 'StockReserved' and recorded_at >= $1 group by 1), \
         lags as ( \
             select extract(epoch from r.recorded_at - p.recorded_at) * 1000 as ms \
               from placed p join reserved r using (flow)) \
         select coalesce(percentile_cont(0.5) within group (order by ms), 0)::float8, \
                coalesce(percentile_cont(0.99) within group (order by ms), 0)::float8, \
                count(*) from lags",
    )
    .bind(from)
    .bind(until)
    .fetch_one(pool)
    .await
}

/// The saga's commands that wrote events since `from`, and the first and
/// last time it wrote.
async fn saga_commands(
    pool: &PgPool,
    from: DateTime<Utc>,
) -> sqlx::Result<(i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    sqlx::query_as(
        "select count(distinct metadata->>'command_id'), min(recorded_at), max(recorded_at) \
           from events where recorded_at >= $1 and metadata->>'actor' = 'system:checkout-saga'",
    )
    .bind(from)
    .fetch_one(pool)
    .await
}
