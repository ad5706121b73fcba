use std::sync::Arc;

use bazaar_commands::scheduler::{run_due, schedule, Timer};
use bazaar_commands::WriteSide;
use bazaar_domain::escrow::EscrowCommand;
use bazaar_domain::ids::PaymentId;
use bazaar_event_store::{read_stream, EventMetadata};
use bazaar_testkit::fixtures::{eur, meta, t0};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::create_escrow;

fn fund_at(due: DateTime<Utc>) -> Timer {
    let fund = EscrowCommand::Fund {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(10_000),
        at: due,
    };
    Timer {
        id: Uuid::now_v7(),
        aggregate_type: "Escrow".into(),
        aggregate_id: "e-1".into(),
        command: serde_json::to_value(fund).unwrap(),
        due_at: due,
        correlation_id: Uuid::now_v7(),
        causation_id: Uuid::now_v7(),
    }
}

async fn escrow_events(pool: &PgPool) -> usize {
    read_stream(pool, "Escrow", "e-1", 0).await.unwrap().len()
}

async fn status(pool: &PgPool, timer: &Timer) -> (String, Option<String>) {
    sqlx::query_as(
        "select status, last_error from scheduled_command where scheduled_command_id = $1",
    )
    .bind(timer.id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn setup(pool: &PgPool) -> Arc<WriteSide> {
    let app = Arc::new(WriteSide::new(pool.clone()));
    app.escrows
        .execute("e-1", create_escrow(), &meta("admin:test"))
        .await
        .unwrap();
    app
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_timer_fires_once_when_due_and_not_before(pool: PgPool) {
    let app = setup(&pool).await;
    let timer = fund_at(t0() + Duration::hours(1));
    assert!(schedule(&pool, &timer).await.unwrap());
    assert!(
        !schedule(&pool, &timer).await.unwrap(),
        "scheduling again is a no-op"
    );

    let early = run_due(&pool, &*app, t0(), 10).await.unwrap();
    let due = run_due(&pool, &*app, t0() + Duration::hours(1), 10)
        .await
        .unwrap();
    let again = run_due(&pool, &*app, t0() + Duration::hours(2), 10)
        .await
        .unwrap();

    assert_eq!((early, due, again), (0, 1, 0));
    assert_eq!(escrow_events(&pool).await, 2);
    assert_eq!(status(&pool, &timer).await.0, "done");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_worker_that_died_after_acting_is_taken_over_without_acting_twice(pool: PgPool) {
    let app = setup(&pool).await;
    let timer = fund_at(t0());
    schedule(&pool, &timer).await.unwrap();
    // the first worker claimed the timer, ran its command, and died before
    // recording it: the lease it held has run out
    let command = serde_json::from_value(timer.command.clone()).unwrap();
    let metadata = EventMetadata {
        command_id: timer.id,
        correlation_id: timer.correlation_id,
        causation_id: timer.causation_id,
        actor: "system:scheduler".into(),
        traceparent: None,
    };
    app.escrows
        .execute("e-1", command, &metadata)
        .await
        .unwrap();
    sqlx::query(
        "update scheduled_command set attempts = 1, locked_until = now() - interval '1 second'",
    )
    .execute(&pool)
    .await
    .unwrap();

    let ran = run_due(&pool, &*app, t0(), 10).await.unwrap();

    assert_eq!(ran, 1);
    assert_eq!(escrow_events(&pool).await, 2, "funded once");
    assert_eq!(status(&pool, &timer).await.0, "done");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_timer_whose_command_no_longer_applies_is_closed_with_the_reason(pool: PgPool) {
    let app = setup(&pool).await;
    app.escrows
        .execute("e-1", crate::fixtures::fund(10_000), &meta("admin:test"))
        .await
        .unwrap();
    let timer = fund_at(t0());
    schedule(&pool, &timer).await.unwrap();

    run_due(&pool, &*app, t0(), 10).await.unwrap();

    let (state, reason) = status(&pool, &timer).await;
    assert_eq!(state, "rejected");
    assert!(reason.unwrap().contains("funded"));
    assert_eq!(escrow_events(&pool).await, 2);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn two_workers_never_run_the_same_timer(pool: PgPool) {
    let app = setup(&pool).await;
    let timers: Vec<_> = (0..20)
        .map(|n| fund_at(t0() + Duration::seconds(n)))
        .collect();
    for timer in &timers {
        schedule(&pool, timer).await.unwrap();
    }

    let now = t0() + Duration::minutes(1);
    let (a, b) = tokio::join!(
        run_due(&pool, &*app, now, 20),
        run_due(&pool, &*app, now, 20)
    );

    assert_eq!(
        a.unwrap() + b.unwrap(),
        20,
        "every timer claimed by exactly one worker"
    );
    let done = sqlx::query_scalar::<_, i64>(
        "select count(*) from scheduled_command where status in ('done', 'rejected')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(done, 20);
    assert_eq!(
        escrow_events(&pool).await,
        2,
        "funded by one timer, the rest rejected"
    );
}
