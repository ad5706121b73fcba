//! Rebuilds, replays and the documented queries, over a history with
//! payouts, a return, a failed payout settling a debt and a chargeback.

use bazaar_projections::generation::{create, schema_name};
use bazaar_projections::read_models::balances::Balances;
use bazaar_projections::runtime::catch_up;
use bazaar_projections::Projection;
use bazaar_testkit::read;
use bazaar_testkit::world::World;
use sqlx::PgPool;

use super::rows::{assert_identities, snapshots, vendor_totals, TABLES};
use super::scenario::eventful_history;

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuilt_generation_has_identical_rows(pool: PgPool) {
    let world = World::new(&pool);
    eventful_history(&world).await;
    let live = read::project(&world.pool, &Balances).await;
    assert_eq!(assert_identities(&pool).await, 3);
    let chargebacks = world
        .count("select count(*) from read.payout_ledger where kind = 'chargeback'")
        .await;
    assert_eq!(chargebacks, 3, "the chargeback is spread over every vendor");

    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let rebuilt = create(&mut tx, &Balances, "building").await.unwrap();
    tx.commit().await.unwrap();
    read::catch_up(&world.pool, &Balances, rebuilt).await;

    let before = snapshots(&pool, &live.schema()).await;
    let after = snapshots(&pool, &schema_name(Balances::NAME, rebuilt)).await;
    for (table, (old, new)) in TABLES.iter().zip(before.iter().zip(&after)) {
        assert!(
            old.as_array().is_some_and(|rows| !rows.is_empty()),
            "{table} has rows"
        );
        assert_eq!(old, new, "{table}");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn applying_every_event_again_changes_nothing(pool: PgPool) {
    let world = World::new(&pool);
    eventful_history(&world).await;
    let live = read::project(&world.pool, &Balances).await;
    let before = snapshots(&pool, &live.schema()).await;

    // in log order, then newest first: stale events must not win
    let events = world.all_events().await;
    for pass in [events.clone(), events.into_iter().rev().collect()] {
        let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
        let path = format!("set local search_path = {}, public", live.schema());
        sqlx::raw_sql(&path).execute(&mut *tx).await.unwrap();
        for event in &pass {
            Balances.apply(&mut tx, event).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(snapshots(&pool, &live.schema()).await, before);
    }
    let again = catch_up(&pool, &Balances, live.generation, |_| {})
        .await
        .unwrap();
    assert_eq!(again, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_documented_queries_run(pool: PgPool) {
    let world = World::new(&pool);
    eventful_history(&world).await;
    read::project(&world.pool, &Balances).await;

    let doc = include_str!("../../../../docs/read-models/balances.md");
    let queries: Vec<&str> = doc
        .split("```sql\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert_eq!(queries.len(), 10);
    for sql in &queries {
        let rows = sqlx::query(sql)
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        let reconciliation = sql.contains("is distinct from");
        assert_eq!(rows.is_empty(), reconciliation, "{sql}");
    }

    // the statement's closing balance is what vendor_balances says
    let statement = queries.iter().find(|q| q.contains("with period")).unwrap();
    let closing: i64 = sqlx::query_scalar(&format!(
        "select balance::bigint from ({}) s order by occurred_at desc, position desc, kind desc limit 1",
        statement.trim().trim_end_matches(';')
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    let [earned, _, _, _, paid_out, _, _] = vendor_totals(&pool, "vendor-a").await;
    assert_eq!(closing, earned - paid_out);
}

/// A new `building` generation and a transaction in its schema.
async fn fresh(pool: &PgPool) -> (String, sqlx::Transaction<'static, sqlx::Postgres>) {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let generation = create(&mut tx, &Balances, "building").await.unwrap();
    tx.commit().await.unwrap();
    let schema = schema_name(Balances::NAME, generation);
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&path).execute(&mut *tx).await.unwrap();
    (schema, tx)
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn one_set_based_batch_gives_the_rows_of_one_event_at_a_time(pool: PgPool) {
    let world = World::new(&pool);
    eventful_history(&world).await;
    let events = world.all_events().await;

    let (single, mut tx) = fresh(&pool).await;
    for event in &events {
        Balances.apply(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();

    // every event twice in one batch: the second copies change nothing
    let twice: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
    let (batched, mut tx) = fresh(&pool).await;
    Balances.apply_batch(&mut tx, &twice).await.unwrap();
    tx.commit().await.unwrap();

    let rows = snapshots(&pool, &single).await;
    for (table, rows) in TABLES.iter().zip(&rows) {
        assert!(rows.as_array().is_some_and(|r| !r.is_empty()), "{table}");
    }
    assert_eq!(snapshots(&pool, &batched).await, rows);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_names_the_event_it_cannot_apply(pool: PgPool) {
    let world = World::new(&pool);
    eventful_history(&world).await;
    let mut events = world.all_events().await;
    let split = events
        .iter()
        .position(|e| e.event_type == "SplitComputed")
        .unwrap();
    let mut stranger = events[split].clone();
    stranger.payload = serde_json::json!({ "SplitComputed": { "order": 7 } }).into();
    events.insert(split + 1, stranger);

    let (_, mut tx) = fresh(&pool).await;
    let failure = Balances.apply_batch(&mut tx, &events).await.unwrap_err();
    assert_eq!(failure.at, Some(split + 1));
    assert!(
        matches!(&failure.error, bazaar_projections::ApplyError::Poison(r) if r.contains("unreadable PaymentSplit SplitComputed")),
        "{:?}",
        failure.error
    );
}
