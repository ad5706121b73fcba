use bazaar_event_store::{verify, verify_all, verify_stream, BreakReason, PgEventStore, Scope};
use sqlx::PgPool;

use crate::support::{as_superuser, cqrs, open_and_deposit};

async fn seed(pool: &PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "l-1", vec![10, 20, 30]).await;
    open_and_deposit(&cqrs, "l-2", vec![40]).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_untouched_store_verifies_with_the_rust_recomputation(pool: PgPool) {
    seed(&pool).await;

    let report = verify_all(&pool).await.unwrap();

    assert_eq!((report.streams, report.events, report.broken), (2, 6, None));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_changed_payload_is_named_as_the_first_broken_link(pool: PgPool) {
    seed(&pool).await;

    as_superuser(
        &pool,
        r#"update events set payload = '{"Deposited": {"amount": 9000, "currency": "EUR"}}'
            where aggregate_id = 'l-1' and sequence = 3"#,
    )
    .await;

    let broken = verify_all(&pool)
        .await
        .unwrap()
        .broken
        .expect("tampering detected");
    assert_eq!((broken.aggregate_id.as_str(), broken.sequence), ("l-1", 3));
    assert_eq!(broken.reason, BreakReason::HashMismatch);
    assert_eq!(
        verify_stream(&pool, "Ledger", "l-2").await.unwrap().broken,
        None
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_deleted_event_is_detected(pool: PgPool) {
    seed(&pool).await;

    as_superuser(
        &pool,
        "delete from events where aggregate_id = 'l-1' and sequence = 2",
    )
    .await;

    let broken = verify_stream(&pool, "Ledger", "l-1")
        .await
        .unwrap()
        .broken
        .expect("deletion detected");
    assert_eq!(broken.sequence, 3);
    assert_eq!(broken.reason, BreakReason::SequenceGap { expected: 2 });
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn reordered_events_are_detected(pool: PgPool) {
    seed(&pool).await;

    as_superuser(
        &pool,
        "update events set sequence = 100 where aggregate_id = 'l-1' and sequence = 2; \
         update events set sequence = 2 where aggregate_id = 'l-1' and sequence = 3; \
         update events set sequence = 3 where aggregate_id = 'l-1' and sequence = 100;",
    )
    .await;

    let broken = verify_all(&pool)
        .await
        .unwrap()
        .broken
        .expect("reordering detected");
    assert_eq!((broken.aggregate_id.as_str(), broken.sequence), ("l-1", 2));
    assert_eq!(broken.reason, BreakReason::HashMismatch);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn odd_characters_hash_the_same_in_postgres_and_rust(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    for id in [
        "quote\"back\\slash",
        "line\nbreak\ttab\u{1}\u{1f}",
        "ünïcödé €",
        "emoji 🧺",
    ] {
        open_and_deposit(&cqrs, id, vec![i64::MAX / 4, -1]).await;
    }

    let report = verify_all(&pool).await.unwrap();

    assert_eq!(
        (report.streams, report.events, report.broken),
        (4, 12, None)
    );
}

/// Verification split into ranges walked at once finds what one walk in
/// stream order finds: the same counts, heads and first broken link.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn ranges_walked_at_once_find_what_one_walk_finds(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    for n in 0..40 {
        open_and_deposit(&cqrs, &format!("l-{n:02}"), vec![n, 1]).await;
    }
    sqlx::query("analyze events").execute(&pool).await.unwrap();
    let scope = |workers| Scope {
        digest_heads: true,
        workers,
        ..Scope::default()
    };

    let one = verify(&pool, &scope(1)).await.unwrap();
    let four = verify(&pool, &scope(4)).await.unwrap();
    assert_eq!(
        (one.streams, one.events, one.broken.as_ref()),
        (40, 120, None)
    );
    assert_eq!(four, one);
    assert!(one.heads.is_some());

    as_superuser(
        &pool,
        "delete from events where aggregate_id = 'l-07' and sequence = 2; \
         update events set payload = '{\"Deposited\": {\"amount\": 1, \"currency\": \"EUR\"}}' \
          where aggregate_id in ('l-21', 'l-33') and sequence = 3;",
    )
    .await;

    let one = verify(&pool, &scope(1)).await.unwrap();
    let four = verify(&pool, &scope(4)).await.unwrap();
    let broken = one.broken.clone().expect("a broken link");
    assert_eq!((broken.aggregate_id.as_str(), broken.sequence), ("l-07", 3));
    assert_eq!(four, one);
    assert_eq!(one.heads, None);
}
