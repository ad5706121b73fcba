use bazaar_event_store::upcasters::fields_upcaster;
use bazaar_event_store::PgEventStore;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::{AggregateError, EventStore};
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::support::{Ledger, LedgerEvent};

/// A row as an older release of Bazaar stored it.
#[derive(Deserialize)]
struct StoredRow {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

pub(crate) async fn load_fixture(pool: &PgPool) {
    let text = include_str!("../fixtures/ledger_v1_events.json");
    let rows: Vec<StoredRow> = serde_json::from_str(text).unwrap();
    for row in rows {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(row.aggregate_type)
        .bind(row.aggregate_id)
        .bind(row.sequence)
        .bind(row.event_type)
        .bind(row.event_version)
        .bind(row.payload)
        .bind(row.metadata)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// Version 1.0 of `Deposited` had no currency: ledgers were EUR only.
pub(crate) fn deposited_v2() -> Box<dyn EventUpcaster> {
    fields_upcaster("Deposited", "2.0", |fields| {
        fields
            .entry("currency")
            .or_insert_with(|| Value::from("EUR"));
    })
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stored_version_one_event_is_upcast_on_load(pool: PgPool) {
    load_fixture(&pool).await;
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_upcasters(vec![deposited_v2()]);

    let events = store.load_events("l-legacy").await.unwrap();
    let ledger = store.load_aggregate("l-legacy").await.unwrap();

    assert_eq!(
        events[1].payload,
        LedgerEvent::Deposited {
            amount: 1250,
            currency: "EUR".into()
        }
    );
    assert_eq!(
        (ledger.aggregate.balance, ledger.current_sequence),
        (1250, 2)
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn without_its_upcaster_the_old_event_fails_loudly(pool: PgPool) {
    load_fixture(&pool).await;
    let store = PgEventStore::<Ledger>::new(pool.clone());

    let result = store.load_aggregate("l-legacy").await;

    assert!(matches!(
        result,
        Err(AggregateError::DeserializationError(_))
    ));
}
