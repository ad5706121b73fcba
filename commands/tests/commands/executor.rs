use bazaar_commands::{CommandError, Executor};
use bazaar_domain::escrow::error::EscrowError;
use bazaar_domain::escrow::Escrow;
use bazaar_domain::escrow::EscrowCommand;
use bazaar_event_store::{read_stream, PgEventStore};
use bazaar_testkit::fixtures::meta;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::fixtures::{create_escrow, fund};

fn escrows(pool: &PgPool) -> Executor<Escrow> {
    Executor::new(pool.clone(), PgEventStore::new(pool.clone()), ())
}

async fn events(pool: &PgPool, id: &str) -> usize {
    read_stream(pool, "Escrow", id, 0).await.unwrap().len()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_retried_command_returns_its_first_outcome_and_writes_nothing(pool: PgPool) {
    let escrows = escrows(&pool);
    let metadata = meta("admin:test");

    let first = escrows
        .execute("e-1", create_escrow(), &metadata)
        .await
        .unwrap();
    let retry = escrows
        .execute("e-1", create_escrow(), &metadata)
        .await
        .unwrap();

    assert!(!first.replayed);
    assert!(retry.replayed);
    assert_eq!(
        (first.sequences, first.last_position),
        (retry.sequences, retry.last_position)
    );
    assert_eq!(events(&pool, "e-1").await, 1);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_same_command_id_with_another_body_or_stream_is_refused(pool: PgPool) {
    let escrows = escrows(&pool);
    let metadata = meta("admin:test");
    escrows
        .execute("e-1", create_escrow(), &metadata)
        .await
        .unwrap();
    escrows
        .execute("e-1", fund(10_000), &meta("admin:test"))
        .await
        .unwrap();

    let other_body = escrows.execute("e-1", fund(9_999), &metadata).await;
    let other_stream = escrows.execute("e-2", create_escrow(), &metadata).await;

    assert!(
        matches!(other_body, Err(CommandError::CommandIdReused(id)) if id == metadata.command_id)
    );
    assert!(matches!(
        other_stream,
        Err(CommandError::CommandIdReused(_))
    ));
    assert_eq!(events(&pool, "e-1").await, 2);
    assert_eq!(events(&pool, "e-2").await, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_retried_rejection_returns_the_first_rejection_whatever_changed_since(pool: PgPool) {
    let escrows = escrows(&pool);
    escrows
        .execute("e-1", create_escrow(), &meta("admin:test"))
        .await
        .unwrap();
    let metadata = meta("admin:test");

    let short = escrows.execute("e-1", fund(5_000), &metadata).await;
    escrows
        .execute("e-1", fund(10_000), &meta("admin:test"))
        .await
        .unwrap();
    let retry = escrows.execute("e-1", fund(5_000), &metadata).await;

    assert!(
        matches!(
            short,
            Err(CommandError::Rejected(EscrowError::FundingMismatch { .. }))
        ),
        "{short:?}"
    );
    assert!(
        matches!(
            retry,
            Err(CommandError::Rejected(EscrowError::FundingMismatch { .. }))
        ),
        "{retry:?}"
    );
    assert_eq!(
        events(&pool, "e-1").await,
        2,
        "the rejection wrote no event"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_derived_command_replays_by_name_even_if_its_wording_changed(pool: PgPool) {
    let escrows = escrows(&pool);
    let metadata = meta("admin:test");
    escrows
        .execute_derived("e-1", create_escrow(), &metadata)
        .await
        .unwrap();
    let reworded = match create_escrow() {
        EscrowCommand::CreateEscrow {
            milestones,
            buyer,
            seller,
            currency,
            amount,
            at,
            ..
        } => EscrowCommand::CreateEscrow {
            milestones,
            buyer,
            seller,
            currency,
            amount,
            at,
            inspection_period_days: 5,
            dispute_window_hours: 72,
            agent: None,
            platform_fee_rate: None,
        },
        other => other,
    };

    let replay = escrows
        .execute_derived("e-1", reworded.clone(), &metadata)
        .await
        .unwrap();
    let strict = escrows.execute("e-1", reworded, &metadata).await;

    assert!(replay.replayed);
    assert!(matches!(strict, Err(CommandError::CommandIdReused(_))));
    assert_eq!(events(&pool, "e-1").await, 1);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn racing_commands_on_one_aggregate_all_take_effect_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options)
        .await
        .unwrap();
    escrows(&pool)
        .execute("e-1", create_escrow(), &meta("admin:test"))
        .await
        .unwrap();

    // Eight different funding commands race: exactly one funds the escrow,
    // the others are rejected by the aggregate after reloading.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let escrows = escrows(&pool);
            tokio::spawn(async move {
                escrows
                    .execute("e-1", fund(10_000), &meta("admin:test"))
                    .await
            })
        })
        .collect();
    let mut funded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => funded += 1,
            Err(CommandError::Rejected(EscrowError::AlreadyFunded)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    assert_eq!(funded, 1);
    assert_eq!(events(&pool, "e-1").await, 2);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_same_command_racing_itself_takes_effect_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options)
        .await
        .unwrap();
    escrows(&pool)
        .execute("e-1", create_escrow(), &meta("admin:test"))
        .await
        .unwrap();
    let metadata = meta("admin:test");

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (escrows, metadata) = (escrows(&pool), metadata.clone());
            tokio::spawn(async move { escrows.execute("e-1", fund(10_000), &metadata).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(
            task.await
                .unwrap()
                .expect("every copy succeeds with the first outcome"),
        );
    }

    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    assert!(outcomes.iter().all(|o| o.sequences == Some((2, 2))));
    assert_eq!(events(&pool, "e-1").await, 2);
}
