//! Durable timers: commands that run at a time, survive restarts and never
//! act twice.
//!
//! A timer is a row in `scheduled_command` whose id is derived from the event
//! that asked for it, so scheduling it again (the saga replaying that event)
//! changes nothing. The command itself carries its due time as `at`, and its
//! command id is the timer's id, so running it twice (a worker dying after
//! the command but before marking the timer done) returns the first outcome.
//! The aggregate decides whether the command still applies: a reservation
//! already committed, an order already paid, a dispute open — those are
//! domain rejections and the timer is closed as `rejected`, with the reason.
//!
//! Workers claim due timers with `FOR UPDATE SKIP LOCKED` and a lease
//! (`locked_until`) committed at once, so no transaction stays open while a
//! command runs (open transactions hold commit-ordered readers back).
//!
//! The timers of one claim run concurrently, one lane per aggregate (at
//! most [`LANES`] at once): timers of one aggregate run in due order, one
//! after another; a lapse of many payment deadlines at once costs a few
//! rounds of concurrent commands, not one command after another.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, TryStreamExt};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// How long a claimed timer is held before another worker may take it.
const LEASE: &str = "30 seconds";
/// Infrastructure failures are retried this many times, then the timer is
/// marked `failed` for an operator.
const MAX_ATTEMPTS: i32 = 10;
/// Aggregates whose timers run at once.
pub const LANES: usize = 16;

/// A command to run at `due_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    /// Derived from the causing event; also the command id when it runs.
    pub id: Uuid,
    /// The aggregate type the command is for.
    pub aggregate_type: String,
    /// The aggregate instance.
    pub aggregate_id: String,
    /// The command, serialised as the aggregate's command enum.
    pub command: Value,
    /// When to run it.
    pub due_at: DateTime<Utc>,
    /// The business flow it belongs to.
    pub correlation_id: Uuid,
    /// The event that scheduled it.
    pub causation_id: Uuid,
}

/// How running a timer's command went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// The command took effect (now or on an earlier run).
    Done,
    /// The aggregate refused it: it no longer applies.
    Rejected(String),
    /// Infrastructure failed; try again later.
    Failed(String),
}

/// Runs a timer's command; implemented by the application over every
/// aggregate.
pub trait Dispatcher: Send + Sync {
    /// Runs `timer.command` with `timer.id` as its command id.
    fn fire(&self, timer: &Timer) -> impl Future<Output = Fired> + Send;
}

/// Schedules `timer`; scheduling the same id again does nothing. Returns
/// whether it was new. (One timer of [`schedule_all`].)
pub async fn schedule<'e>(executor: impl PgExecutor<'e>, timer: &Timer) -> sqlx::Result<bool> {
    Ok(schedule_all(executor, std::slice::from_ref(timer)).await? == 1)
}

/// Schedules `timers` in one statement (one round trip, one commit);
/// ids already scheduled are left as they are. Returns how many were new.
///
/// The statement commits without waiting for the WAL flush: a saga's
/// reaction schedules its timers before it completes, and whatever makes
/// it count as done later (the saga's checkpoint, a command the next
/// reaction commits) is committed with the flush, which writes the WAL up
/// to itself and so these rows with it. A crash can only lose timers whose
/// reaction has not been passed yet, and it is replayed.
pub async fn schedule_all<'e>(
    executor: impl PgExecutor<'e>,
    timers: &[Timer],
) -> sqlx::Result<u64> {
    if timers.is_empty() {
        return Ok(0);
    }
    let inserted = sqlx::query(
        "insert into scheduled_command (scheduled_command_id, aggregate_type, aggregate_id, command, \
                                        due_at, correlation_id, causation_id) \
         select t.* from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], \
                                $6::uuid[], $7::uuid[]) as t \
          cross join (select set_config('synchronous_commit', 'off', true)) as asynchronous \
         on conflict (scheduled_command_id) do nothing",
    )
    .bind(timers.iter().map(|t| t.id).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.aggregate_type.as_str()).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.aggregate_id.as_str()).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.command.clone()).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.due_at).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.correlation_id).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.causation_id).collect::<Vec<_>>())
    .execute(executor)
    .await?
    .rows_affected();
    Ok(inserted)
}

/// Claims up to `limit` timers due at `now` and runs them; returns how many
/// ran. `now` is a parameter so tests can move time.
pub async fn run_due(
    pool: &PgPool,
    dispatcher: &impl Dispatcher,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<usize> {
    give_up(pool).await?;
    let timers = claim(pool, now, limit).await?;
    let claimed = timers.len();
    crate::metrics::due(claimed);
    stream::iter(lanes(timers).into_iter().map(Ok::<_, sqlx::Error>))
        .try_for_each_concurrent(LANES, |lane| async move {
            for (timer, lease) in &lane {
                let fired = dispatcher.fire(timer).await;
                record(pool, timer.id, *lease, &fired).await?;
            }
            Ok(())
        })
        .await?;
    Ok(claimed)
}

/// `timers` (in due order) grouped by aggregate, each group in due order,
/// the groups in the order of their first timer.
fn lanes(timers: Vec<(Timer, Uuid)>) -> Vec<Vec<(Timer, Uuid)>> {
    let mut lanes: Vec<Vec<(Timer, Uuid)>> = Vec::new();
    let mut lane_of: HashMap<(String, String), usize> = HashMap::new();
    for (timer, lease) in timers {
        let key = (timer.aggregate_type.clone(), timer.aggregate_id.clone());
        let lane = *lane_of.entry(key).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        lanes[lane].push((timer, lease));
    }
    lanes
}

/// Runs due timers until `shutdown` completes, polling every `interval`.
pub async fn run_worker(
    pool: PgPool,
    dispatcher: impl Dispatcher,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match run_due(&pool, &dispatcher, Utc::now(), 100).await {
            Ok(ran) if ran > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "scheduler: claiming timers failed"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

type TimerRow = (Uuid, String, String, Value, DateTime<Utc>, Uuid, Uuid, Uuid);

/// Timers whose every attempt failed or whose workers died too often are
/// marked `failed` for an operator instead of being retried for ever.
async fn give_up(pool: &PgPool) -> sqlx::Result<()> {
    let failed = sqlx::query(
        "update scheduled_command set status = 'failed', updated_at = clock_timestamp(), \
                last_error = coalesce(last_error || '; ', '') || 'gave up after ' || attempts || ' attempts' \
          where status = 'pending' and attempts >= $1 \
            and (locked_until is null or locked_until < clock_timestamp())",
    )
    .bind(MAX_ATTEMPTS)
    .execute(pool)
    .await?
    .rows_affected();
    if failed > 0 {
        crate::metrics::gave_up(failed);
        tracing::error!(
            failed,
            "scheduled commands gave up; see scheduled_command where status = 'failed'"
        );
    }
    Ok(())
}

/// Claims due timers under a fresh lease each.
async fn claim(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<(Timer, Uuid)>> {
    let rows: Vec<TimerRow> = sqlx::query_as(&format!(
        "update scheduled_command set locked_until = clock_timestamp() + interval '{LEASE}', \
                lease_id = gen_random_uuid(), attempts = attempts + 1, updated_at = clock_timestamp() \
          where scheduled_command_id in ( \
                select scheduled_command_id from scheduled_command \
                 where status = 'pending' and due_at <= $1 and attempts < $3 \
                   and (locked_until is null or locked_until < clock_timestamp()) \
                 order by due_at limit $2 for update skip locked) \
         returning scheduled_command_id, aggregate_type, aggregate_id, command, due_at, \
                   correlation_id, causation_id, lease_id"
    ))
    .bind(now)
    .bind(limit)
    .bind(MAX_ATTEMPTS)
    .fetch_all(pool)
    .await?;
    let mut timers: Vec<(Timer, Uuid)> = rows.into_iter().map(timer_of).collect();
    timers.sort_by_key(|(t, _)| t.due_at);
    Ok(timers)
}

fn timer_of(row: TimerRow) -> (Timer, Uuid) {
    let (id, aggregate_type, aggregate_id, command, due_at, correlation_id, causation_id, lease) =
        row;
    let timer = Timer {
        id,
        aggregate_type,
        aggregate_id,
        command,
        due_at,
        correlation_id,
        causation_id,
    };
    (timer, lease)
}

/// Records a run's result, only while the run's lease is still the
/// timer's (a worker that lost its lease records nothing).
async fn record(pool: &PgPool, id: Uuid, lease: Uuid, fired: &Fired) -> sqlx::Result<()> {
    crate::metrics::fired(match fired {
        Fired::Done => "done",
        Fired::Rejected(_) => "rejected",
        Fired::Failed(_) => "failed",
    });
    let (status, error) = match fired {
        Fired::Done => ("done", None),
        Fired::Rejected(reason) => ("rejected", Some(reason.as_str())),
        Fired::Failed(reason) => {
            tracing::warn!(timer = %id, %reason, "scheduled command failed; will retry");
            ("pending", Some(reason.as_str()))
        }
    };
    sqlx::query(
        "update scheduled_command \
            set status = case when $2 = 'pending' and attempts >= $4 then 'failed' else $2 end, \
                last_error = $3, updated_at = clock_timestamp(), \
                locked_until = case when $2 = 'pending' \
                    then clock_timestamp() + least(attempts, 8) * interval '1 second' end \
          where scheduled_command_id = $1 and lease_id = $5 and status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(MAX_ATTEMPTS)
    .bind(lease)
    .execute(pool)
    .await?;
    Ok(())
}

impl<D: Dispatcher> Dispatcher for std::sync::Arc<D> {
    fn fire(&self, timer: &Timer) -> impl Future<Output = Fired> + Send {
        (**self).fire(timer)
    }
}
