use bazaar_event_store::{find_command, CommandRecord, Error, EventMetadata, PgEventStore};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{count_events, Ledger, LedgerEvent};

fn record(command_id: Uuid) -> CommandRecord {
    CommandRecord {
        command_id,
        command_type: "Open".into(),
        body_hash: vec![7; 32],
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_command_is_logged_with_its_events_in_one_statement(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let command_id = Uuid::now_v7();
    let events = vec![
        LedgerEvent::Opened {
            currency: "EUR".into(),
        },
        LedgerEvent::Deposited {
            amount: 5,
            currency: "EUR".into(),
        },
    ];
    let meta = EventMetadata::for_command(command_id, "buyer:1").to_map();

    let context = store.load("l-1").await.unwrap();
    store
        .append_recorded(events, context, meta, Some(record(command_id)))
        .await
        .unwrap();

    let logged = find_command(&pool, command_id)
        .await
        .unwrap()
        .expect("logged");
    assert_eq!(
        (
            logged.aggregate_id.as_str(),
            logged.first_sequence,
            logged.last_sequence
        ),
        ("l-1", Some(1), Some(2))
    );
    assert_eq!(logged.command_type, "Open");
    assert_eq!(find_command(&pool, Uuid::now_v7()).await.unwrap(), None);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_reused_command_id_writes_nothing_even_on_another_stream(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let command_id = Uuid::now_v7();
    let open = || {
        vec![LedgerEvent::Opened {
            currency: "EUR".into(),
        }]
    };
    let meta = EventMetadata::for_command(command_id, "buyer:1").to_map();
    let first = store.load("l-1").await.unwrap();
    store
        .append_recorded(open(), first, meta.clone(), Some(record(command_id)))
        .await
        .unwrap();

    let other = store.load("l-2").await.unwrap();
    let again = store
        .append_recorded(open(), other, meta, Some(record(command_id)))
        .await;

    assert!(
        matches!(again, Err(Error::DuplicateCommand(id)) if id == command_id),
        "got {again:?}"
    );
    assert_eq!(count_events(&pool).await, 1);
}
