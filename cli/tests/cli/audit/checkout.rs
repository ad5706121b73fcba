//! The checkout every audit test follows: order o-1 of three vendors,
//! placed and paid in a flow of the buyer's own (a correlation id the
//! test picks), on the test kit's write side; and the read models the
//! audit's answers are compared with.

use bazaar_domain::ids::BuyerId;
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::OrderCommand;
use bazaar_event_store::EventMetadata;
use bazaar_projections::read_models::orders::Orders;
use bazaar_projections::read_models::stock::Stock;
use bazaar_testkit::fixtures::{line, minutes, t0};
use bazaar_testkit::read;
use bazaar_testkit::world::World;
use chrono::{DateTime, Utc};
use uuid::Uuid;

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

/// Order `id` of buyer-1, 29.00 EUR: vendor A 5 apples (10.00), B one bread
/// (4.50), C two cheeses (14.50); payment due 30 minutes after t0. Needs
/// the test kit's `World::stock_up`.
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

/// The whole of order [`place`] paid with capture `pay-1`.
pub(crate) fn pay(at: DateTime<Utc>) -> OrderCommand {
    bazaar_testkit::fixtures::pay(2_900, at)
}

/// Brings the orders and stock read models up to every committed event.
pub(crate) async fn project(world: &World) {
    read::project(&world.pool, &Orders).await;
    read::project(&world.pool, &Stock).await;
}

/// The database clock now.
pub(crate) async fn now(world: &World) -> DateTime<Utc> {
    sqlx::query_scalar("select clock_timestamp()")
        .fetch_one(&world.pool)
        .await
        .unwrap()
}
