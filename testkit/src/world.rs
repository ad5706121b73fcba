//! A running Bazaar write side for tests: the executors, the checkout saga
//! and the scheduler over one real database, with domain time under the
//! test's control ([`World::settle`] runs the saga and fires the timers
//! due at the instant the test names).

use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::{run_once, Saga};
use bazaar_commands::scheduler::run_due;
use bazaar_commands::WriteSide;
use bazaar_domain::escrow::EscrowCommand;
use bazaar_domain::ids::{BatchId, BuyerId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{InventoryReservation, InventoryReservationCommand as Stock};
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_domain::payment_split::PaymentSplitCommand;
use bazaar_event_store::{
    held_back, load_checkpoint, read_after, EventMetadata, Position, RecordedEvent,
};
use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use sqlx::PgPool;

use crate::fixtures::{line, meta, minutes, stock, t0, WAREHOUSE};

/// The write side under test control.
pub struct World {
    pub pool: PgPool,
    pub app: Arc<WriteSide>,
    pub saga: CheckoutSaga,
}

impl World {
    pub fn new(pool: &PgPool) -> Self {
        let app = Arc::new(WriteSide::new(pool.clone()));
        let saga = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
        Self {
            pool: pool.clone(),
            app,
            saga,
        }
    }

    /// Receives `quantity` units of `sku` as batch `b-<sku>` (best before
    /// 2027-01-01), the day before [`t0`].
    pub async fn receive(&self, sku: &str, quantity: u32) {
        let command = Stock::ReceiveBatch {
            sku: Sku::parse(sku).unwrap(),
            warehouse: WarehouseId::parse(WAREHOUSE).unwrap(),
            vendor: VendorId::parse("v-stock").unwrap(),
            batch: BatchId::parse(format!("b-{sku}")).unwrap(),
            quantity,
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
            at: t0() - Span::days(1),
        };
        self.app
            .stock
            .execute(&stock(sku), command, &meta("vendor:test"))
            .await
            .unwrap();
    }

    /// Stock for [`World::three_vendor_order`]: 10 apples, 5 breads, 4 cheeses.
    pub async fn stock_up(&self) {
        self.receive("apple", 10).await;
        self.receive("bread", 5).await;
        self.receive("cheese", 4).await;
    }

    /// Order `id` of buyer-1 from three vendors, 29.00 EUR: A sells apples
    /// (lines 1 and 3, 10.00), B bread (line 2, 4.50), C cheese (line 4,
    /// 14.50). [`World::stock_up`] first.
    pub async fn three_vendor_order(&self, id: &str) {
        let lines = vec![
            line("vendor-a", "apple", 3, 200),
            line("vendor-b", "bread", 1, 450),
            line("vendor-a", "apple", 2, 200),
            line("vendor-c", "cheese", 2, 725),
        ];
        self.place(id, "buyer-1", lines).await;
    }

    /// Places order `id` for `buyer` at [`t0`] (10 % fee), payment due 30
    /// minutes later.
    pub async fn place(&self, id: &str, buyer: &str, lines: Vec<LineInput>) {
        let command = OrderCommand::PlaceOrder {
            buyer: BuyerId::parse(buyer).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            fee_rate: FeeRate::from_bps(1_000).unwrap(),
            lines,
            payment_due_at: minutes(30),
            at: t0(),
        };
        self.app
            .orders
            .execute(id, command, &meta("buyer:test"))
            .await
            .unwrap();
    }

    /// Runs `command` on order `id`.
    pub async fn order(&self, id: &str, command: OrderCommand) {
        self.order_as(id, command, &meta("admin:test")).await;
    }

    /// Runs `command` on order `id` with `metadata` (an actor, a flow).
    pub async fn order_as(&self, id: &str, command: OrderCommand, metadata: &EventMetadata) {
        self.app
            .orders
            .execute(id, command, metadata)
            .await
            .unwrap();
    }

    /// Runs `command` on payment split `id`.
    pub async fn split(&self, id: &str, command: PaymentSplitCommand) {
        let meta = meta("admin:test");
        self.app.splits.execute(id, command, &meta).await.unwrap();
    }

    /// Runs `command` on escrow `id`.
    pub async fn escrow(&self, id: &str, command: EscrowCommand) {
        let meta = meta("admin:test");
        self.app.escrows.execute(id, command, &meta).await.unwrap();
    }

    /// Runs the saga and every timer due at `now` until nothing is left
    /// (a bound, not a timing check: a few hundred orders' timers on a
    /// loaded machine took longer than a minute).
    pub async fn settle(&self, now: DateTime<Utc>) {
        tokio::time::timeout(Duration::from_secs(300), async {
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

    /// Whether the saga has passed every committed event ([`caught_up`]).
    pub async fn saga_caught_up(&self) -> bool {
        caught_up(&self.pool, CheckoutSaga::NAME).await
    }

    /// The stock aggregate of `sku`, loaded from its events.
    pub async fn inventory(&self, sku: &str) -> InventoryReservation {
        let stock = self.app.stock.store().load(&stock(sku)).await;
        stock.unwrap().aggregate
    }

    /// (on hand, reserved) of `sku`'s only batch.
    pub async fn levels(&self, sku: &str) -> (u32, u32) {
        let stock = self.inventory(sku).await;
        let batch = stock.batches().values().next().expect("a batch");
        (batch.on_hand, batch.reserved)
    }

    /// The one number `sql` selects.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Every stored event, in commit order.
    pub async fn all_events(&self) -> Vec<RecordedEvent> {
        all_events(&self.pool).await
    }
}

/// Whether subscription `name` has passed every committed event, in commit
/// order. Not "its position is the highest": two transactions writing at
/// once interleave their positions, so the event read last can have a
/// lower position than one read before it (the saga's concurrent steps
/// commit in two group-commit batches at once).
pub async fn caught_up(pool: &PgPool, name: &str) -> bool {
    let at = load_checkpoint(pool, name).await.unwrap();
    !held_back(pool, at).await.unwrap()
}

/// Every event stored in `pool`'s database, in commit order, once no open
/// transaction holds any of them back.
pub async fn all_events(pool: &PgPool) -> Vec<RecordedEvent> {
    let stored: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await
        .unwrap();
    loop {
        let events = read_after(pool, Position::START, 100_000).await.unwrap();
        if i64::try_from(events.len()).unwrap() == stored {
            return events;
        }
        // another database's open transaction holds the horizon back
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
