//! A running Bazaar write side (executors, checkout saga, scheduler) over
//! one real database, with time under the test's control; adapted from
//! `commands/tests/commands/world.rs`.

use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::{run_once, Saga};
use bazaar_commands::scheduler::run_due;
use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand as Stock};
use bazaar_domain::money::{Currency, FeeRate, Money};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::{load_checkpoint, EventMetadata};
use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) const WAREHOUSE: &str = "w1";

pub(crate) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

/// Checkout time of every order.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub(crate) fn days(n: i64) -> DateTime<Utc> {
    t0() + Span::days(n)
}

pub(crate) fn minutes(n: i64) -> DateTime<Utc> {
    t0() + Span::minutes(n)
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

/// The whole order paid with capture `pay-1`.
pub(crate) fn pay(cents: i64, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(cents),
        at,
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

    /// Receives `quantity` units of `sku` (batch `b-<sku>`).
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
            at: t0() - Span::days(1),
        };
        let id = stock_id(&sku, &warehouse);
        self.app
            .stock
            .execute(&id, command, &meta("vendor:test"))
            .await
            .unwrap();
    }

    /// Stock for [`World::three_vendor_order`]: 10 apples, 5 breads, 4 cheeses.
    pub(crate) async fn stock_up(&self) {
        self.receive("apple", 10).await;
        self.receive("bread", 5).await;
        self.receive("cheese", 4).await;
    }

    /// Order `id` of buyer-1 from three vendors, 29.00 EUR: A sells apples
    /// (lines 1 and 3, 10.00), B bread (line 2, 4.50), C cheese (line 4,
    /// 14.50).
    pub(crate) async fn three_vendor_order(&self, id: &str) {
        let lines = vec![
            line("vendor-a", "apple", 3, 200),
            line("vendor-b", "bread", 1, 450),
            line("vendor-a", "apple", 2, 200),
            line("vendor-c", "cheese", 2, 725),
        ];
        self.place(id, "buyer-1", lines).await;
    }

    /// Places order `id` for `buyer` at t0, payment due 30 minutes later.
    pub(crate) async fn place(&self, id: &str, buyer: &str, lines: Vec<LineInput>) {
        let command = OrderCommand::PlaceOrder {
            buyer: BuyerId::parse(buyer).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            fee_rate: FeeRate::from_bps(1_000).unwrap(),
            lines,
            payment_due_at: minutes(30),
            at: t0(),
        };
        self.order(id, command).await;
    }

    pub(crate) async fn order(&self, id: &str, command: OrderCommand) {
        self.app
            .orders
            .execute(id, command, &meta("test"))
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
}
