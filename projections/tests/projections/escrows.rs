//! The `escrows` read model against a real Postgres: events produced by
//! the real Escrow executor, rows asserted to the minor unit.

mod world;

mod commissions;

use bazaar_commands::WriteSide;
use bazaar_event_store::{read_stream, Position, RecordedEvent};
use bazaar_projections::generation::{self, ensure_live};
use bazaar_projections::read_models::escrows::Escrows;
use bazaar_projections::{ApplyError, Projection};
use bazaar_testkit::read;
use bazaar_testkit::world::all_events;
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use self::world::{recorded_at, rows, scenario, updated_at};

/// A caught-up live generation over the whole scenario.
async fn projected(pool: &PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let generation = read::live(pool, &Escrows).await;
    read::catch_up(pool, &Escrows, generation).await;
}

/// `base` with the keys of `facts` added or replaced.
fn merged(base: &Value, facts: Value) -> Value {
    let mut row = base.clone();
    if let (Some(row), Value::Object(facts)) = (row.as_object_mut(), facts) {
        row.extend(facts);
    }
    row
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn escrows_carry_the_totals_and_dates_of_their_events(pool: PgPool) {
    projected(&pool).await;

    let escrows = rows(&pool, "escrows", "escrow_id").await;

    let terms = json!({"currency": "EUR", "amount": 10_000, "inspection_period_days": 3,
        "dispute_window_hours": 48, "created_at": "2026-11-02T09:00:00+00:00",
        "funded_at": "2026-11-02T10:00:00+00:00", "funded": 10_000});
    let closed = json!({"escrow_id": "escrow-1", "buyer_party": "buyer-1",
        "seller_party": "seller-1", "payment_id": "pay-1", "last_sequence": 10,
        "status": "closed", "released": 5_000, "refunded": 5_000, "held": 0,
        "closed_at": "2026-11-05T09:00:00+00:00", "cancelled_at": null, "cancel_reason": null});
    let cancelled = json!({"escrow_id": "escrow-2", "buyer_party": "buyer-2",
        "seller_party": "seller-1", "payment_id": "pay-2", "last_sequence": 5,
        "status": "cancelled", "released": 0, "refunded": 10_000, "held": 0,
        "closed_at": null, "cancelled_at": "2026-11-02T11:00:00+00:00",
        "cancel_reason": "buyer changed their mind"});
    let open = json!({"escrow_id": "escrow-3", "buyer_party": "buyer-1",
        "seller_party": "seller-3", "payment_id": "pay-3", "last_sequence": 6,
        "status": "funded", "released": 4_000, "refunded": 0, "held": 6_000,
        "closed_at": null, "cancelled_at": null, "cancel_reason": null});
    let expected = [closed, cancelled, open].map(|facts| merged(&terms, facts));
    assert_eq!(escrows, json!(expected));
    let last_events = vec![
        recorded_at(&pool, "escrow-1", 10).await,
        recorded_at(&pool, "escrow-2", 5).await,
        recorded_at(&pool, "escrow-3", 6).await,
    ];
    let sql = "select updated_at from read.escrows order by escrow_id";
    assert_eq!(updated_at(&pool, sql).await, last_events);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn milestones_carry_their_balances_deadlines_and_disputes(pool: PgPool) {
    projected(&pool).await;

    let milestones = rows(&pool, "escrow_milestones", "escrow_id, milestone_id").await;

    let delivered = json!({"delivered_at": "2026-11-03T09:00:00+00:00",
        "inspection_ends_at": "2026-11-06T09:00:00+00:00",
        "dispute_window_ends_at": "2026-11-05T09:00:00+00:00"});
    let never = json!({"delivered_at": null, "inspection_ends_at": null,
        "dispute_window_ends_at": null});
    let milestone = |escrow: &str, id: &str, amount: i64, times: &Value, facts: Value| {
        let terms = json!({"escrow_id": escrow, "milestone_id": id, "currency": "EUR",
            "description": format!("deliver {id}"), "amount": amount, "funded": amount,
            "dispute_open": false, "dispute_reason": null});
        merged(&merged(&terms, times.clone()), facts)
    };
    let settled = |released: i64, refunded: i64| json!({"status": "settled", "released": released, "refunded": refunded, "remaining": 0});
    let resolved = merged(
        &settled(5_000, 1_000),
        json!({"dispute_reason": "arrived damaged"}),
    );
    let rejected = json!({"status": "disputed", "released": 0, "refunded": 0, "remaining": 6_000,
        "dispute_open": true, "dispute_reason": "wrong colour"});
    let expected = json!([
        milestone("escrow-1", "m-1", 6_000, &delivered, resolved),
        milestone("escrow-1", "m-2", 4_000, &never, settled(0, 4_000)),
        milestone("escrow-2", "m-1", 6_000, &never, settled(0, 6_000)),
        milestone("escrow-2", "m-2", 4_000, &never, settled(0, 4_000)),
        milestone("escrow-3", "m-1", 6_000, &delivered, rejected),
        milestone("escrow-3", "m-2", 4_000, &delivered, settled(4_000, 0)),
    ]);
    assert_eq!(milestones, expected);
    let sql = "select updated_at from read.escrow_milestones \
                where escrow_id = 'escrow-1' and milestone_id = 'm-1'";
    let release = recorded_at(&pool, "escrow-1", 8).await;
    assert_eq!(
        updated_at(&pool, sql).await,
        vec![release],
        "the agent's release was its last change"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuilt_generation_equals_the_one_followed_live(pool: PgPool) {
    let app = WriteSide::new(pool.clone());
    let generation = read::live(&pool, &Escrows).await;
    world::unrelated_stock(&app).await;
    world::disputed_then_closed(&app).await;
    read::catch_up(&pool, &Escrows, generation).await;
    world::cancelled(&app).await;
    world::rejected_and_open(&app).await;
    read::catch_up(&pool, &Escrows, generation).await;

    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let rebuilt = generation::create(&mut tx, &Escrows, "building")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    read::catch_up(&pool, &Escrows, rebuilt).await;

    let live_rows = read::dump_generation(&pool, &Escrows, generation).await;
    assert_eq!(
        live_rows
            .iter()
            .map(|t| t.as_array().unwrap().len())
            .collect::<Vec<_>>(),
        vec![3, 6]
    );
    assert_eq!(
        read::dump_generation(&pool, &Escrows, rebuilt).await,
        live_rows
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn applying_the_same_events_twice_changes_nothing(pool: PgPool) {
    projected(&pool).await;
    let generation = read::live(&pool, &Escrows).await;
    let once = read::dump_generation(&pool, &Escrows, generation).await;

    // lose the checkpoint: the whole log is applied a second time
    sqlx::query("update projection set tx_id = '0'::xid8, position = 0 where projection_name = $1 and generation = $2")
        .bind(Escrows::NAME)
        .bind(generation)
        .execute(&pool)
        .await
        .unwrap();
    read::catch_up(&pool, &Escrows, generation).await;

    assert_eq!(
        read::dump_generation(&pool, &Escrows, generation).await,
        once
    );
    let row = ensure_live(&pool, &Escrows).await.unwrap();
    assert_eq!(row.events_applied, 44, "all 22 events were applied twice");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_old_event_applied_again_after_newer_ones_changes_nothing(pool: PgPool) {
    projected(&pool).await;
    let generation = read::live(&pool, &Escrows).await;
    let once = read::dump_generation(&pool, &Escrows, generation).await;
    let old = read_stream(&pool, "Escrow", "escrow-1", 3).await.unwrap();

    // the dispute opened before the decision and the close
    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let schema = generation::schema_name(Escrows::NAME, generation);
    let search_path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&search_path).execute(&mut *tx).await.unwrap();
    Escrows.apply(&mut tx, &old[0]).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(old[0].sequence, 4);
    assert_eq!(
        read::dump_generation(&pool, &Escrows, generation).await,
        once
    );
}

/// The `sql` blocks of the model's documentation.
fn documented_queries() -> Vec<&'static str> {
    let doc = include_str!("../../../docs/read-models/escrows.md");
    let blocks = doc.split("```sql\n").skip(1);
    blocks
        .map(|block| block.split("```").next().unwrap())
        .collect()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_documented_queries_run(pool: PgPool) {
    projected(&pool).await;

    let queries = documented_queries();

    assert!(queries.len() >= 6, "{} queries", queries.len());
    for query in &queries {
        let ran = sqlx::raw_sql(query).execute(&pool).await;
        assert!(ran.is_ok(), "{query}: {ran:?}");
    }
    let held = as_json(&pool, queries[0]).await;
    let expected =
        json!([{"seller_party": "seller-3", "currency": "EUR", "escrows": 1, "held": 6_000}]);
    assert_eq!(held, expected);
    let disputes = as_json(&pool, queries[4]).await;
    let expected = json!([{"dispute_reason": "arrived damaged", "currency": "EUR", "milestones": 1,
        "released": 5_000, "refunded": 1_000, "released_pct": 83.3}]);
    assert_eq!(disputes, expected);
}

/// The rows of `query` as a JSON array.
async fn as_json(pool: &PgPool, query: &str) -> Value {
    let query = query.trim().trim_end_matches(';');
    let sql = format!("select jsonb_agg(to_jsonb(q)) from ({query}) q");
    sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap()
}

fn fabricated(aggregate_type: &str, sequence: i64, payload: Value) -> RecordedEvent {
    RecordedEvent {
        position: Position::new(1, 1),
        event_id: Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: "escrow-9".to_owned(),
        sequence,
        event_type: "EscrowClosed".to_owned(),
        event_version: "1.0".to_owned(),
        payload: payload.into(),
        metadata: json!({}).into(),
        recorded_at: Utc::now(),
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn unreadable_or_orphan_events_poison_and_other_aggregates_are_ignored(pool: PgPool) {
    let generation = read::live(&pool, &Escrows).await;
    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let schema = generation::schema_name(Escrows::NAME, generation);
    sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
        .execute(&mut *tx)
        .await
        .unwrap();
    let garbage = json!({"EscrowClosed": {"at": "yesterday"}});
    let balance = json!({"status": "Closed", "amount": {"amount": 100, "currency": "EUR"},
        "funded": {"amount": 100, "currency": "EUR"}, "released": {"amount": 100, "currency": "EUR"},
        "refunded": {"amount": 0, "currency": "EUR"}, "held": {"amount": 0, "currency": "EUR"}});
    let orphan = json!({"EscrowClosed": {"escrow": balance, "at": "2026-11-02T09:00:00Z"}});

    let ignored = Escrows
        .apply(
            &mut tx,
            &fabricated("InventoryReservation", 1, garbage.clone()),
        )
        .await;
    let unreadable = Escrows
        .apply(&mut tx, &fabricated("Escrow", 1, garbage))
        .await;
    let never_created = Escrows
        .apply(&mut tx, &fabricated("Escrow", 2, orphan))
        .await;

    assert!(ignored.is_ok());
    assert!(
        matches!(unreadable, Err(ApplyError::Poison(_))),
        "{unreadable:?}"
    );
    assert!(
        matches!(&never_created, Err(ApplyError::Poison(reason)) if reason.contains("never created")),
        "{never_created:?}"
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from escrows")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

/// A new `building` generation and a transaction in its schema.
async fn fresh(pool: &PgPool) -> (i32, sqlx::Transaction<'static, sqlx::Postgres>) {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let created = generation::create(&mut tx, &Escrows, "building")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let schema = generation::schema_name(Escrows::NAME, created);
    let search_path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&search_path).execute(&mut *tx).await.unwrap();
    (created, tx)
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn one_set_based_batch_gives_the_rows_of_one_event_at_a_time(pool: PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let events = all_events(&pool).await;

    let (single, mut tx) = fresh(&pool).await;
    for event in &events {
        Escrows.apply(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();

    // every event twice in one batch: the second copies change nothing
    let twice: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
    let (batched, mut tx) = fresh(&pool).await;
    Escrows.apply_batch(&mut tx, &twice).await.unwrap();
    tx.commit().await.unwrap();

    let rows = read::dump_generation(&pool, &Escrows, single).await;
    assert_eq!(
        rows.iter()
            .map(|t| t.as_array().unwrap().len())
            .collect::<Vec<_>>(),
        vec![3, 6]
    );
    assert_eq!(read::dump_generation(&pool, &Escrows, batched).await, rows);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_names_the_event_it_cannot_apply(pool: PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let mut events = all_events(&pool).await;
    let money = |amount: i64| json!({"amount": amount, "currency": "EUR"});
    let balance = json!({"status": "Closed", "amount": money(100), "funded": money(100),
        "released": money(100), "refunded": money(0), "held": money(0)});
    let orphan = json!({"EscrowClosed": {"escrow": balance, "at": "2026-11-02T09:00:00Z"}});
    events.insert(5, fabricated("Escrow", 2, orphan));

    let (_, mut tx) = fresh(&pool).await;
    let failure = Escrows.apply_batch(&mut tx, &events).await.unwrap_err();

    assert_eq!(failure.at, Some(5));
    assert!(
        matches!(&failure.error, ApplyError::Poison(reason) if reason.contains("escrow-9 was never created")),
        "{:?}",
        failure.error
    );
}
