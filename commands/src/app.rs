//! The application's write side: one executor per aggregate.
//!
//! Each field is the use-case entry point of its aggregate: callers build
//! the aggregate's command (typed, validated at the boundary) and run it
//! with `execute(aggregate_id, command, &metadata)`. The same struct runs
//! the scheduler's timers ([`Dispatcher`]) and the sagas' commands. All
//! four executors append through one [`GroupCommit`], so commands of every
//! aggregate running at the same time share a transaction and its commit.

use bazaar_domain::escrow::Escrow;
use bazaar_domain::inventory::InventoryReservation;
use bazaar_domain::order::Order;
use bazaar_domain::payment_split::PaymentSplit;
use bazaar_event_store::{BatchSizes, EventMetadata, GroupCommit, Notifier, PgEventStore};
use cqrs_es::Aggregate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgPool;

use crate::error::CommandError;
use crate::executor::Executor;
use crate::scheduler::{Dispatcher, Fired, Timer};

/// Snapshot every this many events of a stream; inventory streams of busy
/// SKUs grow long, the others rarely reach it.
const SNAPSHOT_EVERY: usize = 100;

/// The write side: every aggregate's executor over one pool.
pub struct WriteSide {
    /// The database.
    pub pool: PgPool,
    /// Buyer orders.
    pub orders: Executor<Order>,
    /// Stock per SKU and warehouse.
    pub stock: Executor<InventoryReservation>,
    /// Who gets what of each captured payment.
    pub splits: Executor<PaymentSplit>,
    /// Funds held until delivery is accepted.
    pub escrows: Executor<Escrow>,
    /// The writer every executor's appends go through.
    group: GroupCommit,
}

fn executor<A: Aggregate<Services = ()>>(
    pool: &PgPool,
    group: &GroupCommit,
    notifier: &Option<Notifier>,
) -> Executor<A>
where
    A::Command: Serialize + Clone,
    A::Error: Serialize + serde::de::DeserializeOwned,
{
    let mut store = PgEventStore::new(pool.clone())
        .with_snapshots(SNAPSHOT_EVERY)
        .with_group_commit(group.clone());
    if let Some(notifier) = notifier {
        store = store.with_notifier(notifier.clone());
    }
    Executor::new(pool.clone(), store, ())
}

impl WriteSide {
    /// The write side over `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self::build(pool, None)
    }

    /// The write side over `pool`, signalling `notifier` after every append
    /// so projectors wake at once.
    pub fn with_notifier(pool: PgPool, notifier: Notifier) -> Self {
        Self::build(pool, Some(notifier))
    }

    fn build(pool: PgPool, notifier: Option<Notifier>) -> Self {
        let group = GroupCommit::new(pool.clone());
        Self {
            orders: executor(&pool, &group, &notifier),
            stock: executor(&pool, &group, &notifier),
            splits: executor(&pool, &group, &notifier),
            escrows: executor(&pool, &group, &notifier),
            group,
            pool,
        }
    }

    /// The sizes of the group commits this write side made so far.
    pub fn batch_sizes(&self) -> BatchSizes {
        self.group.batch_sizes()
    }
}

/// Runs a timer's stored command on aggregate `A`.
async fn fire_on<A>(executor: &Executor<A>, timer: &Timer) -> Fired
where
    A: Aggregate,
    A::Command: Serialize + DeserializeOwned + Clone,
    A::Error: Serialize + DeserializeOwned,
{
    let command: A::Command = match serde_json::from_value(timer.command.clone()) {
        Ok(command) => command,
        Err(error) => return Fired::Rejected(format!("unreadable command: {error}")),
    };
    let metadata = EventMetadata {
        command_id: timer.id,
        correlation_id: timer.correlation_id,
        causation_id: timer.causation_id,
        actor: "system:scheduler".to_owned(),
        traceparent: None,
    };
    match executor
        .execute(&timer.aggregate_id, command, &metadata)
        .await
    {
        Ok(_) => Fired::Done,
        Err(CommandError::Rejected(reason)) => Fired::Rejected(reason.to_string()),
        Err(CommandError::CommandIdReused(id)) => {
            Fired::Rejected(format!("command id {id} reused"))
        }
        Err(other) => Fired::Failed(other.to_string()),
    }
}

impl Dispatcher for WriteSide {
    async fn fire(&self, timer: &Timer) -> Fired {
        match timer.aggregate_type.as_str() {
            "Order" => fire_on(&self.orders, timer).await,
            "InventoryReservation" => fire_on(&self.stock, timer).await,
            "PaymentSplit" => fire_on(&self.splits, timer).await,
            "Escrow" => fire_on(&self.escrows, timer).await,
            other => Fired::Rejected(format!("no aggregate type {other}")),
        }
    }
}
