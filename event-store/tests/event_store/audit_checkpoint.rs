//! Signed checkpoints: they survive later appends, and they catch what the
//! hash chains alone cannot (a stream cut short, an event rewritten with a
//! freshly computed hash) as well as what they can.

use std::time::Duration;

use bazaar_event_store::audit::checkpoint::{check, sign};
use bazaar_event_store::audit::{keys, AuditError, Checkpoint};
use bazaar_event_store::{verify_all, PgEventStore};
use ed25519_dalek::SigningKey;
use sqlx::PgPool;

use crate::support::{as_superuser, cqrs, open_and_deposit};

/// Seeds two ledgers: l-1 with 4 events, l-2 with 2.
async fn seed(pool: &PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "l-1", vec![10, 20, 30]).await;
    open_and_deposit(&cqrs, "l-2", vec![40]).await;
}

/// Signs once every one of `events` is below the horizon (another
/// database's open transaction can hold it back a moment).
async fn sign_all(pool: &PgPool, key: &SigningKey, events: u64) -> Checkpoint {
    let signing = async {
        loop {
            let checkpoint = sign(pool, key, "test-store").await.unwrap();
            if checkpoint.events == events {
                return checkpoint;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), signing)
        .await
        .expect("every event below the horizon")
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_checkpoint_still_holds_after_later_appends(pool: PgPool) {
    seed(&pool).await;
    let key = keys::generate().unwrap();
    let checkpoint = sign_all(&pool, &key, 6).await;
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "l-3", vec![1]).await;
    let more = crate::support::LedgerCommand::Deposit { amounts: vec![5] };
    cqrs.execute_with_metadata("l-1", more, crate::support::meta())
        .await
        .unwrap();

    let offline = check(&checkpoint, &key.verifying_key(), None)
        .await
        .unwrap();
    let online = check(&checkpoint, &key.verifying_key(), Some(&pool))
        .await
        .unwrap();

    assert_eq!((checkpoint.streams, checkpoint.events), (2, 6));
    assert!(offline.passed() && offline.store.is_none());
    let store = online.store.as_ref().unwrap();
    assert!(online.passed(), "{store:?}");
    assert_eq!(store.heads_digest, checkpoint.heads_digest);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_tampered_checkpoint_or_another_key_fails(pool: PgPool) {
    seed(&pool).await;
    let key = keys::generate().unwrap();
    let checkpoint = sign_all(&pool, &key, 6).await;
    let mut fewer = checkpoint.clone();
    fewer.events -= 1;
    let json = serde_json::to_string(&checkpoint)
        .unwrap()
        .replace(&checkpoint.heads_digest, &"0".repeat(64));

    let tampered = check(&fewer, &key.verifying_key(), None).await.unwrap();
    let edited = Checkpoint::from_json(&json).unwrap();
    let other_key = keys::generate().unwrap().verifying_key();

    assert!(!tampered.signature_valid && !tampered.passed());
    assert!(!edited.signature_holds(&key.verifying_key()));
    assert!(!checkpoint.signature_holds(&other_key));
    assert!(Checkpoint::from_json(r#"{"format": "other"}"#).is_err());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stream_cut_short_keeps_its_chain_but_fails_the_checkpoint(pool: PgPool) {
    seed(&pool).await;
    let key = keys::generate().unwrap();
    let checkpoint = sign_all(&pool, &key, 6).await;

    as_superuser(
        &pool,
        "delete from events where aggregate_id = 'l-1' and sequence = 4",
    )
    .await;

    assert_eq!(verify_all(&pool).await.unwrap().broken, None);
    let report = check(&checkpoint, &key.verifying_key(), Some(&pool))
        .await
        .unwrap();
    assert!(report.signature_valid && !report.passed());
    let store = report.store.unwrap();
    assert_eq!(store.broken, None);
    assert!(store
        .differences
        .iter()
        .any(|d| d.starts_with("events: signed 6, store has 5")));
    assert!(store
        .differences
        .iter()
        .any(|d| d.starts_with("heads_digest")));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_event_rewritten_with_a_valid_hash_fails_the_checkpoint(pool: PgPool) {
    seed(&pool).await;
    let key = keys::generate().unwrap();
    let checkpoint = sign_all(&pool, &key, 6).await;

    // a superuser removes l-2's last event and writes it back with another
    // amount but the same transaction id, position, time and event id; the
    // chain trigger computes a perfectly valid hash for the forgery
    as_superuser(
        &pool,
        r#"create temporary table original on commit drop as
             select * from events where aggregate_id = 'l-2' and sequence = 2;
           delete from events where aggregate_id = 'l-2' and sequence = 2;
           set local session_replication_role = origin;
           insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                               payload, metadata, global_position, tx_id, recorded_at, event_id)
           overriding system value
           select aggregate_type, aggregate_id, sequence, event_type, event_version,
                  '{"Deposited": {"amount": 4, "currency": "EUR"}}', metadata,
                  global_position, tx_id, recorded_at, event_id
             from original;"#,
    )
    .await;

    assert_eq!(verify_all(&pool).await.unwrap().broken, None);
    let report = check(&checkpoint, &key.verifying_key(), Some(&pool))
        .await
        .unwrap();
    let store = report.store.unwrap();
    assert!(!store.matches);
    assert_eq!(store.differences.len(), 1, "{:?}", store.differences);
    assert!(store.differences[0].starts_with("heads_digest"));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_changed_payload_is_named_and_a_broken_store_is_not_signed(pool: PgPool) {
    seed(&pool).await;
    let key = keys::generate().unwrap();
    let checkpoint = sign_all(&pool, &key, 6).await;

    as_superuser(
        &pool,
        r#"update events set payload = '{"Deposited": {"amount": 9000, "currency": "EUR"}}'
            where aggregate_id = 'l-1' and sequence = 2"#,
    )
    .await;

    let report = check(&checkpoint, &key.verifying_key(), Some(&pool))
        .await
        .unwrap();
    let broken = report.store.unwrap().broken.expect("a broken link");
    assert_eq!((broken.aggregate_id.as_str(), broken.sequence), ("l-1", 2));
    assert!(matches!(
        sign(&pool, &key, "test-store").await,
        Err(AuditError::ChainBroken(link)) if link.sequence == 2
    ));
}
