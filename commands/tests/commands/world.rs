//! A running Bazaar write side for the checkout tests: the executors, the
//! saga and the scheduler over one real database, with time under the
//! test's control.

use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::{run_once, Saga};
use bazaar_commands::scheduler::run_due;
use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, BuyerId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{
    stock_id, InventoryReservation, InventoryReservationCommand as Stock,
};
use bazaar_domain::money::{Currency, FeeRate, Money};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::{load_checkpoint, EventMetadata};
use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) const WAREHOUSE: &str = "w1";

pub(crate) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub(crate) fn vendor(id: &str) -> VendorId {
    VendorId::parse(id).unwrap()
}

pub(crate) fn meta(actor: &str) -> EventMetadata {
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

pub(crate) fn stock(sku: &str) -> String {
    stock_id(
        &Sku::parse(sku).unwrap(),
        &WarehouseId::parse(WAREHOUSE).unwrap(),
    )
}

pub(crate) struct World {
    pub(crate) pool: PgPool,
    pub(crate) app: Arc<WriteSide>,
    pub(crate) saga: CheckoutSaga,
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
        let command = Stock::ReceiveBatch {
            sku: Sku::parse(sku).unwrap(),
            warehouse: WarehouseId::parse(WAREHOUSE).unwrap(),
            vendor: VendorId::parse("v-stock").unwrap(),
            batch: BatchId::parse(format!("b-{sku}")).unwrap(),
            quantity,
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
            at: t0() - Days::days(1),
        };
        self.app
            .stock
            .execute(&stock(sku), command, &meta("vendor:test"))
            .await
            .unwrap();
    }

    /// Places order `id` for `buyer`, payment due 30 minutes after t0.
    pub(crate) async fn place(&self, id: &str, buyer: &str, lines: Vec<LineInput>) {
        let command = OrderCommand::PlaceOrder {
            buyer: BuyerId::parse(buyer).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            fee_rate: FeeRate::from_bps(1_000).unwrap(),
            lines,
            payment_due_at: t0() + Days::minutes(30),
            at: t0(),
        };
        self.app
            .orders
            .execute(id, command, &meta("buyer:test"))
            .await
            .unwrap();
    }

    pub(crate) async fn order(&self, id: &str, command: OrderCommand) {
        self.app
            .orders
            .execute(id, command, &meta("vendor:test"))
            .await
            .unwrap();
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

    pub(crate) async fn inventory(&self, sku: &str) -> InventoryReservation {
        self.app
            .stock
            .store()
            .load(&stock(sku))
            .await
            .unwrap()
            .aggregate
    }

    /// (on hand, reserved) of `sku`'s only batch.
    pub(crate) async fn levels(&self, sku: &str) -> (u32, u32) {
        let stock = self.inventory(sku).await;
        let batch = stock.batches().values().next().expect("a batch");
        (batch.on_hand, batch.reserved)
    }

    pub(crate) async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}
