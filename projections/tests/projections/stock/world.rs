//! The stock tests' world: one cheese SKU driven through the real
//! InventoryReservation executor, and a projection caught up with it.

use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand as Command, ReleaseReason};
use bazaar_event_store::EventMetadata;
use bazaar_projections::generation;
use bazaar_projections::read_models::stock::Stock;
use bazaar_projections::Projection;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) const SKU: &str = "sku-cheese";
pub(crate) const WAREHOUSE: &str = "w1";

/// November 2026, UTC.
pub(crate) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0);
    time.unwrap()
}

pub(crate) fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn batch(id: &str) -> BatchId {
    BatchId::parse(id).unwrap()
}

fn hold(id: &str) -> ReservationId {
    ReservationId::parse(id).unwrap()
}

/// The aggregate id of `sku` in the warehouse.
pub(crate) fn stream(sku: &str) -> String {
    let sku = Sku::parse(sku).unwrap();
    stock_id(&sku, &WarehouseId::parse(WAREHOUSE).unwrap())
}

pub(crate) async fn run(app: &WriteSide, sku: &str, command: Command) {
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
    let outcome = app.stock.execute(&stream(sku), command, &meta).await;
    outcome.unwrap();
}

/// `quantity` units of batch `id` received on 1 November at 09:`minute`.
pub(crate) fn receive(
    sku: &str,
    id: &str,
    quantity: u32,
    expires_on: NaiveDate,
    minute: u32,
) -> Command {
    Command::ReceiveBatch {
        sku: Sku::parse(sku).unwrap(),
        warehouse: WarehouseId::parse(WAREHOUSE).unwrap(),
        vendor: VendorId::parse("v-stock").unwrap(),
        batch: batch(id),
        quantity,
        expires_on: Some(expires_on),
        at: at(1, 9, minute),
    }
}

/// A hold asked for on 2 November at 09:00, with no shelf life required.
pub(crate) fn reserve(
    id: &str,
    quantity: u32,
    expires_at: DateTime<Utc>,
    ship_on: NaiveDate,
) -> Command {
    Command::Reserve {
        reservation: hold(id),
        quantity,
        expires_at,
        ship_on,
        min_shelf_life_days: 0,
        at: at(2, 9, 0),
    }
}

/// Events 1-7: two batches (b-early, best before 5 November, and b-late),
/// five holds; r-expire is split over both batches.
pub(crate) async fn receive_and_reserve(app: &WriteSide) {
    run(app, SKU, receive(SKU, "b-early", 12, date(11, 5), 0)).await;
    run(app, SKU, receive(SKU, "b-late", 20, date(12, 31), 1)).await;
    run(app, SKU, reserve("r-realloc", 5, at(10, 9, 0), date(11, 5))).await;
    run(app, SKU, reserve("r-commit", 3, at(3, 9, 0), date(11, 3))).await;
    run(app, SKU, reserve("r-release", 2, at(3, 9, 0), date(11, 3))).await;
    run(app, SKU, reserve("r-lapsed", 1, at(2, 10, 0), date(11, 3))).await;
    run(app, SKU, reserve("r-expire", 4, at(2, 9, 30), date(11, 3))).await;
}

/// Events 8-16: an extension, a commit, a release, an expiry; b-early is
/// written off on 6 November while r-lapsed (lapsed: expired) and
/// r-realloc (moved to b-late) sit on it; a shrinkage count of -2 and a
/// returned unit without a batch.
pub(crate) async fn settle_and_write_off(app: &WriteSide) {
    let (realloc, commit) = (hold("r-realloc"), hold("r-commit"));
    let extend = Command::ExtendReservation {
        reservation: realloc,
        expires_at: at(12, 9, 0),
        at: at(2, 9, 5),
    };
    run(app, SKU, extend).await;
    run(
        app,
        SKU,
        Command::CommitReservation {
            reservation: commit,
            at: at(2, 9, 10),
        },
    )
    .await;
    let reason = ReleaseReason::OrderCancelled;
    let release = Command::ReleaseReservation {
        reservation: hold("r-release"),
        reason,
        at: at(2, 9, 15),
    };
    run(app, SKU, release).await;
    let expire = Command::ExpireReservation {
        reservation: hold("r-expire"),
        at: at(2, 9, 30),
    };
    run(app, SKU, expire).await;
    run(
        app,
        SKU,
        Command::WriteOffExpiredBatch {
            batch: batch("b-early"),
            on: date(11, 6),
        },
    )
    .await;
    let reason = "cycle count: 2 units damaged".to_owned();
    let count = Command::AdjustStock {
        batch: batch("b-late"),
        delta: -2,
        reason,
        at: at(7, 9, 0),
    };
    run(app, SKU, count).await;
    let reason = "return ret-1".to_owned();
    let restock = Command::RestockReturn {
        batch: None,
        quantity: 1,
        reason,
        at: at(8, 9, 0),
    };
    run(app, SKU, restock).await;
}

/// All 16 events.
pub(crate) async fn scenario(app: &WriteSide) {
    receive_and_reserve(app).await;
    settle_and_write_off(app).await;
}

/// When the stock's event `sequence` was recorded.
pub(crate) async fn recorded_at(pool: &PgPool, sequence: i64) -> DateTime<Utc> {
    sqlx::query_scalar("select recorded_at from events where aggregate_id = $1 and sequence = $2")
        .bind(stream(SKU))
        .bind(sequence)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A new `building` generation.
pub(crate) async fn building(pool: &PgPool) -> i32 {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let generation = generation::create(&mut tx, &Stock, "building")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    generation
}

/// A transaction writing in `generation`'s schema.
pub(crate) async fn in_generation(
    pool: &PgPool,
    generation: i32,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let schema = generation::schema_name(Stock::NAME, generation);
    let search_path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&search_path).execute(&mut *tx).await.unwrap();
    tx
}
