//! A running Bazaar write side (executors, checkout saga, scheduler) and
//! its read models over one real database, with domain time under the
//! test's control; adapted from the projections tests' world.

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
use bazaar_projections::generation::ensure_live;
use bazaar_projections::read_models::orders::Orders;
use bazaar_projections::read_models::stock::Stock as StockModel;
use bazaar_projections::{runtime, Projection};
use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) const WAREHOUSE: &str = "w1";

pub(crate) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

/// Checkout time (domain time) of every order.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub(crate) fn minutes(n: i64) -> DateTime<Utc> {
    t0() + Span::minutes(n)
}

pub(crate) fn vendor(id: &str) -> VendorId {
    VendorId::parse(id).unwrap()
}

/// Metadata of a command that starts its own flow.
pub(crate) fn meta(actor: &str) -> EventMetadata {
    EventMetadata::for_command(Uuid::now_v7(), actor)
}

/// Metadata of a buyer's command in the flow `correlation_id`.
pub(crate) fn in_flow(correlation_id: Uuid) -> EventMetadata {
    let command_id = Uuid::now_v7();
    EventMetadata {
        command_id,
        correlation_id,
        causation_id: command_id,
        actor: "buyer:buyer-1".into(),
        traceparent: None,
    }
}

fn line(vendor_id: &str, sku: &str, quantity: u32, cents: i64) -> LineInput {
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

/// Order `id` of buyer-1, 29.00 EUR: vendor A 5 apples (10.00), B one bread
/// (4.50), C two cheeses (14.50); payment due 30 minutes after t0.
pub(crate) fn place() -> OrderCommand {
    OrderCommand::PlaceOrder {
        buyer: BuyerId::parse("buyer-1").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines: vec![
            line("vendor-a", "apple", 5, 200),
            line("vendor-b", "bread", 1, 450),
            line("vendor-c", "cheese", 2, 725),
        ],
        payment_due_at: minutes(30),
        at: t0(),
    }
}

/// The whole of order `place()` paid with capture `pay-1`.
pub(crate) fn pay(at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(2_900),
        at,
    }
}

pub(crate) struct World {
    pub(crate) pool: PgPool,
    pub(crate) app: Arc<WriteSide>,
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

    /// Receives 10 apples, 5 breads and 4 cheeses (one batch each).
    pub(crate) async fn stock_up(&self) {
        for (sku, quantity) in [("apple", 10), ("bread", 5), ("cheese", 4)] {
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
    }

    pub(crate) async fn order(&self, id: &str, command: OrderCommand, metadata: &EventMetadata) {
        self.app
            .orders
            .execute(id, command, metadata)
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

    /// Brings the orders and stock read models up to every committed event.
    pub(crate) async fn project(&self) {
        project(&self.pool, &Orders).await;
        project(&self.pool, &StockModel).await;
    }

    /// The database clock now.
    pub(crate) async fn now(&self) -> DateTime<Utc> {
        sqlx::query_scalar("select clock_timestamp()")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

async fn project<P: Projection>(pool: &PgPool, projection: &P) {
    let generation = ensure_live(pool, projection).await.unwrap().generation;
    let run = runtime::catch_up_fully(pool, projection, generation, |_| {});
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the projection catches up")
        .unwrap();
}
