//! The projector runtime against a real Postgres, with a deliberately
//! non-idempotent read model (a counter per aggregate type): any event
//! applied twice, or not at all, shows up as a wrong count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bazaar_event_store::{EventMetadata, RecordedEvent};
use bazaar_projections::generation::{ensure_live, generations, live};
use bazaar_projections::projection::BatchError;
use bazaar_projections::reached::Reached;
use bazaar_projections::rebuild::rebuild;
use bazaar_projections::runtime::catch_up_fully as catch_up;
use bazaar_projections::status::statuses;
use bazaar_projections::wakeups::Wakeups;
use bazaar_projections::{worker, ApplyError, Projection};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Clone, Default)]
struct Counter {
    /// Refuse events of type `Poison`.
    strict: bool,
    /// Fail the next batch once with a transient database error.
    hiccup: Arc<AtomicBool>,
    /// Apply a batch with one statement, as set-based read models do: a
    /// poison event then fails the batch without naming the event.
    set_based: bool,
    /// Pause in every batch, so batches are running most of the time.
    slow: bool,
}

impl Projection for Counter {
    const NAME: &'static str = "counter";
    const CODE_VERSION: i32 = 1;

    fn tables(&self) -> &'static str {
        "create table event_count (aggregate_type text primary key, n bigint not null);"
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["event_count"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        if self.strict && event.event_type == "Poison" {
            return Err(ApplyError::poison("poison is not counted"));
        }
        if self.hiccup.swap(false, Ordering::SeqCst) {
            // a cancelled statement (sqlstate 57014): transient, not poison
            sqlx::query("set local statement_timeout = '1ms'")
                .execute(&mut *conn)
                .await?;
            sqlx::query("select pg_sleep(0.1)")
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(
            "insert into event_count values ($1, 1) on conflict (aggregate_type) do update set n = event_count.n + 1",
        )
        .bind(&event.aggregate_type)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        if self.slow {
            sqlx::query("select pg_sleep(0.1)")
                .execute(&mut *conn)
                .await
                .map_err(BatchError::whole)?;
        }
        if !self.set_based {
            for (index, event) in events.iter().enumerate() {
                let applied = self.apply(conn, event).await;
                applied.map_err(|error| BatchError::at(index, error))?;
            }
            return Ok(());
        }
        let types: Vec<&str> = events.iter().map(|e| e.aggregate_type.as_str()).collect();
        sqlx::query(
            "insert into event_count select t, count(*) from unnest($1::text[]) as e(t) group by t \
             on conflict (aggregate_type) do update set n = event_count.n + excluded.n",
        )
        .bind(types)
        .execute(conn)
        .await
        .map_err(BatchError::whole)?;
        if self.strict && events.iter().any(|e| e.event_type == "Poison") {
            return Err(BatchError::whole(ApplyError::poison(
                "a poison event somewhere",
            )));
        }
        Ok(())
    }
}

/// Appends `n` single-event streams of `aggregate_type` with event `event_type`.
async fn append(pool: &PgPool, aggregate_type: &str, event_type: &str, n: usize) {
    for _ in 0..n {
        let id = Uuid::now_v7().to_string();
        let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test").to_map();
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             values ($1, $2, 1, $3, '1.0', '{}', $4)",
        )
        .bind(aggregate_type)
        .bind(id)
        .bind(event_type)
        .bind(serde_json::to_value(meta).unwrap())
        .execute(pool)
        .await
        .unwrap();
    }
}

async fn counts(pool: &PgPool) -> Vec<(String, i64)> {
    sqlx::query_as("select aggregate_type, n from read.event_count order by 1")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn live_generation(pool: &PgPool) -> i32 {
    live(pool, "counter").await.unwrap().unwrap().generation
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_worker_killed_at_random_points_applies_every_event_exactly_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await
        .unwrap();
    let counter = Counter::default();
    ensure_live(&pool, &counter).await.unwrap();
    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                append(&pool, "Order", "OrderPlaced", 20).await;
                append(&pool, "Escrow", "EscrowFunded", 5).await;
            }
        })
    };
    // start and kill the worker over and over while events arrive: the
    // timeout drops the worker wherever it is, mid-batch included
    for round in 0..30u64 {
        let wakeups = Wakeups::polling(Duration::from_millis(2));
        let run = worker::run(
            pool.clone(),
            counter.clone(),
            wakeups,
            std::future::pending(),
        );
        let _ = tokio::time::timeout(Duration::from_millis(3 + round % 7), run).await;
    }
    writer.await.unwrap();
    let written: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 500, "every append committed");
    catch_up(&pool, &counter, live_generation(&pool).await, |_| {})
        .await
        .unwrap();

    assert_eq!(
        counts(&pool).await,
        [("Escrow".to_owned(), 100), ("Order".to_owned(), 400)]
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_failed_batch_is_retried_whole(pool: PgPool) {
    let counter = Counter::default();
    let generation = ensure_live(&pool, &counter).await.unwrap().generation;
    append(&pool, "Order", "OrderPlaced", 3).await;
    counter.hiccup.store(true, Ordering::SeqCst);

    let first = catch_up(&pool, &counter, generation, |_| {}).await;
    let second = catch_up(&pool, &counter, generation, |_| {}).await.unwrap();

    assert!(first.is_err(), "the batch failed");
    assert_eq!(second, 3, "the whole batch was applied on retry");
    assert_eq!(counts(&pool).await, [("Order".to_owned(), 3)]);
    let status = statuses(&pool).await.unwrap().remove(0);
    assert_eq!(status.status, "live", "a transient failure does not poison");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_poison_event_stops_the_projection_naming_the_event(pool: PgPool) {
    let counter = Counter {
        strict: true,
        ..Counter::default()
    };
    poison_stops_at_the_event(&pool, counter).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_set_based_batch_refused_as_a_whole_is_retried_one_event_at_a_time(pool: PgPool) {
    let counter = Counter {
        strict: true,
        set_based: true,
        ..Counter::default()
    };
    poison_stops_at_the_event(&pool, counter).await;
}

/// Two good events, a poison one, two good ones: the projection applies the
/// first two exactly once and stops at the poison event, naming it.
async fn poison_stops_at_the_event(pool: &PgPool, counter: Counter) {
    let generation = ensure_live(pool, &counter).await.unwrap().generation;
    append(pool, "Order", "OrderPlaced", 2).await;
    append(pool, "Order", "Poison", 1).await;
    append(pool, "Order", "OrderPlaced", 2).await;

    let result = catch_up(pool, &counter, generation, |_| {}).await;

    assert!(result.is_err());
    let status = statuses(pool)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.projection_name == "counter")
        .unwrap();
    assert_eq!(status.status, "failed");
    assert!(
        status.error.as_deref().unwrap().contains("Order Poison"),
        "{:?}",
        status.error
    );
    assert_eq!(
        (status.events_applied, status.lag_events),
        (2, 3),
        "stopped before the poison event"
    );
    assert_eq!(counts(pool).await, [("Order".to_owned(), 2)]);
    let again = catch_up(pool, &counter, generation, |_| {}).await;
    assert!(again.is_err(), "a failed generation is not advanced");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuild_fills_a_new_generation_and_switches_readers(pool: PgPool) {
    let counter = Counter::default();
    let first = ensure_live(&pool, &counter).await.unwrap().generation;
    append(&pool, "Order", "OrderPlaced", 30).await;
    catch_up(&pool, &counter, first, |_| {}).await.unwrap();
    let before = counts(&pool).await;
    let mut seen = Vec::new();

    let second = rebuild(&pool, &counter, |done, total| seen.push((done, total)))
        .await
        .unwrap();

    assert_eq!(live_generation(&pool).await, second);
    assert_ne!(first, second);
    assert_eq!(
        counts(&pool).await,
        before,
        "the rebuilt model equals the live one"
    );
    assert_eq!(seen.last(), Some(&(30, 30)), "progress reached the end");
    let old = generations(&pool, "counter")
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.generation == first)
        .unwrap();
    assert_eq!(old.status, "retired");
    let old_schema: Option<String> =
        sqlx::query_scalar("select nspname::text from pg_namespace where nspname = $1")
            .bind(format!("rm_counter_g{first}"))
            .fetch_optional(&pool)
            .await
            .unwrap();
    assert_eq!(
        old_schema, None,
        "the replaced generation's tables are dropped"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn status_reports_lag_in_events_and_seconds(pool: PgPool) {
    let counter = Counter::default();
    let generation = ensure_live(&pool, &counter).await.unwrap().generation;
    append(&pool, "Order", "OrderPlaced", 4).await;

    let behind = statuses(&pool).await.unwrap().remove(0);
    catch_up(&pool, &counter, generation, |_| {}).await.unwrap();
    let caught_up = statuses(&pool).await.unwrap().remove(0);

    assert_eq!((behind.lag_events, caught_up.lag_events), (4, 0));
    assert!(behind.lag_seconds > 0.0 && caught_up.lag_seconds == 0.0);
    assert_eq!(caught_up.events_applied, 4);
}

/// Receives a batch through the write side wired to `notifier` (the
/// event store signals it after the commit), from "another process" when
/// the worker does not share it.
async fn append_notified(pool: &PgPool, notifier: &bazaar_event_store::Notifier) {
    use bazaar_domain::ids::{BatchId, Sku, VendorId, WarehouseId};
    use bazaar_domain::inventory::InventoryReservationCommand;
    let app = bazaar_commands::WriteSide::with_notifier(pool.clone(), notifier.clone());
    let command = InventoryReservationCommand::ReceiveBatch {
        sku: Sku::parse("apple").unwrap(),
        warehouse: WarehouseId::parse("wh-1").unwrap(),
        vendor: VendorId::parse("vendor-a").unwrap(),
        batch: BatchId::parse("b-1").unwrap(),
        quantity: 5,
        expires_on: None,
        at: chrono::Utc::now(),
    };
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
    app.stock
        .execute("apple@wh-1", command, &meta)
        .await
        .unwrap();
}

/// With polling pushed out to an hour, only a wake-up can bring the event
/// in before the test's deadline.
async fn woken(
    pool: &PgPool,
    worker_notifier: Option<&bazaar_event_store::Notifier>,
    appender: &bazaar_event_store::Notifier,
) {
    let counter = Counter::default();
    ensure_live(pool, &counter).await.unwrap();
    let wakeups = Wakeups::new(pool, worker_notifier)
        .await
        .with_poll(Duration::from_secs(3600));
    let run = worker::run(pool.clone(), counter, wakeups, std::future::pending());
    let check = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        append_notified(pool, appender).await;
        while counts(pool).await.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        () = run => unreachable!("the worker runs until stopped"),
        done = tokio::time::timeout(Duration::from_secs(20), check) => done.expect("woken well before the poll"),
    }
    assert_eq!(counts(pool).await, [("InventoryReservation".to_owned(), 1)]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_append_in_this_process_wakes_the_worker(pool: PgPool) {
    let notifier = bazaar_event_store::Notifier::local_only();
    woken(&pool, Some(&notifier), &notifier).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_append_in_another_process_wakes_the_worker_through_notify(pool: PgPool) {
    let other_process = bazaar_event_store::Notifier::new(pool.clone());
    woken(&pool, None, &other_process).await;
}

/// Appends `n` single-event streams of `Order` in one statement.
async fn append_many(pool: &PgPool, n: i64) {
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test").to_map();
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         select 'Order', gen_random_uuid()::text, 1, 'Placed', '1.0', '{}', $2 from generate_series(1, $1)",
    )
    .bind(n)
    .bind(serde_json::to_value(meta).unwrap())
    .execute(pool)
    .await
    .unwrap();
}

/// The backend holding a projection worker's election lock, if any.
async fn lock_holder(pool: &PgPool) -> Option<i32> {
    sqlx::query_scalar(
        "select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 2 \
            and classid = hashtext('projection')::oid \
            and database = (select oid from pg_database where datname = current_database())",
    )
    .fetch_optional(pool)
    .await
    .unwrap()
}

async fn applied(pool: &PgPool) -> i64 {
    counts(pool).await.iter().map(|(_, n)| n).sum()
}

/// Polls `done` every 20 ms for up to 60 s.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The election lock's session is killed (`pg_terminate_backend`, what a
/// failover does to every session) four times while batches run and
/// events keep coming: each time the worker notices, stops, wins the lock
/// again on a new session by itself, and in the end every event is
/// counted exactly once.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_worker_whose_lock_session_dies_competes_again_and_applies_every_event_once(
    pool: PgPool,
) {
    const KILLS: usize = 4;
    const CHUNK: i64 = 1_000;
    let counter = Counter {
        slow: true,
        ..Counter::default()
    };
    ensure_live(&pool, &counter).await.unwrap();
    append_many(&pool, CHUNK).await;
    let wakeups = Wakeups::polling(Duration::from_millis(20));
    let run = worker::run(pool.clone(), counter, wakeups, std::future::pending());
    let check = async {
        let mut killed = Vec::new();
        for _ in 0..KILLS {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let pid = loop {
                let holder = lock_holder(&pool).await.filter(|pid| !killed.contains(pid));
                if let Some(pid) = holder {
                    break pid;
                }
                assert!(std::time::Instant::now() < deadline, "never re-elected");
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            // events to apply before waiting for a batch: the worker may
            // have applied everything before it was found (it reads the
            // next batch while applying one)
            let before = applied(&pool).await;
            append_many(&pool, CHUNK).await;
            eventually("a batch commits", || async {
                applied(&pool).await > before
            })
            .await;
            let terminated: bool = sqlx::query_scalar("select pg_terminate_backend($1)")
                .bind(pid)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert!(terminated);
            killed.push(pid);
        }
        let total = CHUNK * (KILLS as i64 + 1);
        eventually("every event applied", || async {
            applied(&pool).await >= total
        })
        .await;
        // a little longer: a batch applied twice would show now
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(counts(&pool).await, [("Order".to_owned(), total)]);
        let holder = lock_holder(&pool).await;
        assert!(
            holder.is_some_and(|pid| !killed.contains(&pid)),
            "re-elected on a new session"
        );
    };
    tokio::select! {
        () = run => unreachable!("the worker runs until stopped"),
        () = check => {}
    }
}

/// The position of the last event appended.
async fn head(pool: &PgPool) -> bazaar_event_store::Position {
    let (tx_id, position): (String, i64) = sqlx::query_as(
        "select tx_id::text, global_position from events order by global_position desc limit 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    bazaar_event_store::Position::new(tx_id.parse().unwrap(), position)
}

/// Appends three events, runs a worker (`reporting` into the queries'
/// `Reached`, or on its own as in another process) and waits for them the
/// way a read-your-writes query does.
async fn waited_for(pool: &PgPool, reporting: bool) {
    let counter = Counter::default();
    ensure_live(pool, &counter).await.unwrap();
    append(pool, "Order", "Placed", 3).await;
    let head = head(pool).await;
    let reached = Reached::new();
    let wakeups = Wakeups::polling(Duration::from_millis(20));
    let worker_reached = if reporting {
        reached.clone()
    } else {
        Reached::new()
    };
    let run = worker::run_reporting(
        pool.clone(),
        counter,
        wakeups,
        worker_reached,
        std::future::pending(),
    );
    let check = async {
        let bound = Duration::from_secs(20);
        assert!(reached
            .wait_for(pool, &["counter"], head, bound)
            .await
            .unwrap());
        // never stale: once the wait says so, the rows are there
        assert_eq!(counts(pool).await, [("Order".to_owned(), 3)]);
        let beyond = bazaar_event_store::Position::new(head.tx_id + 1_000_000, i64::MAX);
        let short = Duration::from_millis(50);
        assert!(!reached
            .wait_for(pool, &["counter"], beyond, short)
            .await
            .unwrap());
        assert!(!reached
            .wait_for(pool, &["counter", "unknown"], head, short)
            .await
            .unwrap());
    };
    tokio::select! {
        () = run => unreachable!("the worker runs until stopped"),
        () = check => {}
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_query_waits_for_a_worker_of_this_process_in_memory(pool: PgPool) {
    waited_for(&pool, true).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_query_follows_a_worker_of_another_process_by_polling(pool: PgPool) {
    waited_for(&pool, false).await;
}
