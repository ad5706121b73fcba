//! A running Bazaar write side (executors, checkout saga, scheduler) over
//! one real database with time under the test's control, and the balances
//! projection following it. After `commands/tests/commands/world.rs`.

use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::{run_once, Saga};
use bazaar_commands::scheduler::run_due;
use bazaar_commands::WriteSide;
use bazaar_domain::escrow::EscrowCommand;
use bazaar_domain::ids::{BatchId, BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand as Stock};
use bazaar_domain::money::{Currency, FeeRate, Money};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_domain::payment_split::PaymentSplitCommand;
use bazaar_event_store::{load_checkpoint, read_after, EventMetadata, Position, RecordedEvent};
use bazaar_projections::generation::{ensure_live, generations, Generation};
use bazaar_projections::read_models::balances::Balances;
use bazaar_projections::runtime::catch_up_fully;
use bazaar_projections::Projection;
use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

const WAREHOUSE: &str = "w1";

pub(crate) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub(crate) fn vendor(id: &str) -> VendorId {
    VendorId::parse(id).unwrap()
}

fn meta(actor: &str) -> EventMetadata {
    EventMetadata::for_command(Uuid::now_v7(), actor)
}

/// One cart line: vendor, SKU, quantity, unit price in cents.
pub(crate) fn line(vendor_id: &str, sku: &str, quantity: u32, cents: i64) -> LineInput {
    LineInput {
        product: ProductId::parse(format!("p-{sku}")).unwrap(),
        sku: Sku::parse(sku).unwrap(),
        warehouse: WarehouseId::parse(WAREHOUSE).unwrap(),
        vendor: vendor(vendor_id),
        title: format!("{sku} from {vendor_id}"),
        quantity,
        unit_price: eur(cents),
    }
}

/// The buyer pays `cents` for the order, `minutes` after t0.
pub(crate) fn pay(cents: i64, minutes: i64) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(cents),
        at: t0() + Days::minutes(minutes),
    }
}

pub(crate) struct World {
    pub(crate) pool: PgPool,
    app: Arc<WriteSide>,
    saga: CheckoutSaga,
}

impl World {
    pub(crate) fn new(pool: &PgPool) -> Self {
        let app = Arc::new(WriteSide::new(pool.clone()));
        let saga = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
        Self {
            pool: pool.clone(),
            app,
            saga,
        }
    }

    /// Receives `quantity` units of `sku` (best before 2027-01-01).
    pub(crate) async fn receive(&self, sku: &str, quantity: u32) {
        let sku = Sku::parse(sku).unwrap();
        let warehouse = WarehouseId::parse(WAREHOUSE).unwrap();
        let command = Stock::ReceiveBatch {
            batch: BatchId::parse(format!("b-{sku}")).unwrap(),
            sku: sku.clone(),
            warehouse: warehouse.clone(),
            vendor: VendorId::parse("v-stock").unwrap(),
            quantity,
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
            at: t0() - Days::days(1),
        };
        let stock = stock_id(&sku, &warehouse);
        let meta = meta("vendor:test");
        self.app
            .stock
            .execute(&stock, command, &meta)
            .await
            .unwrap();
    }

    /// Places order `id` for `buyer` at t0 (10 % fee), payment due 30 minutes later.
    pub(crate) async fn place(&self, id: &str, buyer: &str, lines: Vec<LineInput>) {
        let command = OrderCommand::PlaceOrder {
            buyer: BuyerId::parse(buyer).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            fee_rate: FeeRate::from_bps(1_000).unwrap(),
            lines,
            payment_due_at: t0() + Days::minutes(30),
            at: t0(),
        };
        self.order(id, command).await;
    }

    pub(crate) async fn order(&self, id: &str, command: OrderCommand) {
        let meta = meta("buyer:test");
        self.app.orders.execute(id, command, &meta).await.unwrap();
    }

    pub(crate) async fn split(&self, id: &str, command: PaymentSplitCommand) {
        let meta = meta("admin:test");
        self.app.splits.execute(id, command, &meta).await.unwrap();
    }

    pub(crate) async fn escrow(&self, id: &str, command: EscrowCommand) {
        let meta = meta("admin:test");
        self.app.escrows.execute(id, command, &meta).await.unwrap();
    }

    /// Runs the saga and every timer due at `now` until nothing is left.
    pub(crate) async fn settle(&self, now: DateTime<Utc>) {
        tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let reacted = run_once(&self.pool, &self.saga, 500).await.unwrap();
                let fired = run_due(&self.pool, &*self.app, now, 500).await.unwrap();
                if reacted == 0 && fired == 0 {
                    if self.saga_caught_up().await {
                        return;
                    }
                    // another database's open transaction holds the horizon back
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        })
        .await
        .expect("the saga settles");
    }

    async fn saga_caught_up(&self) -> bool {
        let checkpoint = load_checkpoint(&self.pool, CheckoutSaga::NAME)
            .await
            .unwrap();
        let last: Option<i64> = sqlx::query_scalar("select max(global_position) from events")
            .fetch_one(&self.pool)
            .await
            .unwrap();
        last.is_none_or(|last| checkpoint.global_position >= last)
    }

    /// Brings the live balances generation up to every stored event.
    pub(crate) async fn project(&self) -> Generation {
        let live = ensure_live(&self.pool, &Balances).await.unwrap();
        self.catch_up(live.generation).await
    }

    /// Applies every stored event to `generation`.
    pub(crate) async fn catch_up(&self, generation: i32) -> Generation {
        let run = catch_up_fully(&self.pool, &Balances, generation, |_| {});
        tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the projection catches up")
            .unwrap();
        generations(&self.pool, Balances::NAME)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.generation == generation)
            .unwrap()
    }

    pub(crate) async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Every stored event, in commit order.
    pub(crate) async fn all_events(&self) -> Vec<RecordedEvent> {
        let stored = self.count("select count(*) from events").await;
        loop {
            let events = read_after(&self.pool, Position::START, 100_000)
                .await
                .unwrap();
            if i64::try_from(events.len()).unwrap() == stored {
                return events;
            }
            // another database's open transaction holds the horizon back
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
