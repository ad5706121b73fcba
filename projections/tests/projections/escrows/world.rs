//! The escrow tests' world: three escrows driven through the real Escrow
//! executor, one stock event beside them, and a projection caught up.

use bazaar_commands::WriteSide;
use bazaar_domain::escrow::{EscrowCommand as Command, MilestoneInput, PartyId};
use bazaar_domain::ids::{BatchId, MilestoneId, PaymentId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand};
use bazaar_domain::money::Currency;
use bazaar_event_store::EventMetadata;
use bazaar_testkit::fixtures::eur;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// November 2026, UTC.
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn milestone(id: &str) -> MilestoneId {
    MilestoneId::parse(id).unwrap()
}

async fn run(app: &WriteSide, escrow: &str, command: Command) {
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
    app.escrows.execute(escrow, command, &meta).await.unwrap();
}

/// 100.00 EUR for `buyer` and `seller`: m-1 60.00, m-2 40.00; three days
/// of inspection, a 48-hour dispute window.
fn create(buyer: &str, seller: &str) -> Command {
    let input = |id: &str, cents| MilestoneInput {
        milestone: milestone(id),
        description: format!("deliver {id}"),
        amount: eur(cents),
    };
    Command::CreateEscrow {
        buyer: PartyId::parse(buyer).unwrap(),
        seller: PartyId::parse(seller).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        amount: eur(10_000),
        milestones: vec![input("m-1", 6_000), input("m-2", 4_000)],
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at: at(2, 9),
    }
}

fn fund(payment: &str) -> Command {
    Command::Fund {
        payment_id: PaymentId::parse(payment).unwrap(),
        amount: eur(10_000),
        at: at(2, 10),
    }
}

fn delivered(id: &str, when: DateTime<Utc>) -> Command {
    Command::MarkDelivered {
        milestone: milestone(id),
        at: when,
    }
}

/// Funded; m-1 delivered, disputed, resolved (20.00 released, 10.00
/// refunded) and the rest released; m-2 refunded; closed. 10 events.
pub(crate) async fn disputed_then_closed(app: &WriteSide) {
    let escrow = "escrow-1";
    run(app, escrow, create("buyer-1", "seller-1")).await;
    run(app, escrow, fund("pay-1")).await;
    run(app, escrow, delivered("m-1", at(3, 9))).await;
    let dispute = Command::OpenDispute {
        milestone: milestone("m-1"),
        reason: "arrived damaged".to_owned(),
        at: at(3, 12),
    };
    run(app, escrow, dispute).await;
    let decision = Command::ResolveDispute {
        milestone: milestone("m-1"),
        release: eur(2_000),
        refund: eur(1_000),
        at: at(4, 9),
    };
    run(app, escrow, decision).await;
    run(
        app,
        escrow,
        Command::Release {
            milestone: milestone("m-1"),
            at: at(4, 10),
        },
    )
    .await;
    let refund = Command::Refund {
        milestone: Some(milestone("m-2")),
        amount: None,
        reason: "seller cannot deliver".to_owned(),
        at: at(5, 9),
    };
    run(app, escrow, refund).await;
}

/// Funded, then cancelled: everything refunded. 5 events.
pub(crate) async fn cancelled(app: &WriteSide) {
    let escrow = "escrow-2";
    run(app, escrow, create("buyer-2", "seller-1")).await;
    run(app, escrow, fund("pay-2")).await;
    run(
        app,
        escrow,
        Command::Cancel {
            reason: "buyer changed their mind".to_owned(),
            at: at(2, 11),
        },
    )
    .await;
}

/// Funded; m-2 delivered and accepted; m-1 delivered and rejected, its
/// dispute still open. 6 events.
pub(crate) async fn rejected_and_open(app: &WriteSide) {
    let escrow = "escrow-3";
    run(app, escrow, create("buyer-1", "seller-3")).await;
    run(app, escrow, fund("pay-3")).await;
    run(app, escrow, delivered("m-2", at(3, 9))).await;
    run(
        app,
        escrow,
        Command::AcceptMilestone {
            milestone: milestone("m-2"),
            at: at(3, 10),
        },
    )
    .await;
    run(app, escrow, delivered("m-1", at(3, 9))).await;
    let reject = Command::RejectMilestone {
        milestone: milestone("m-1"),
        reason: "wrong colour".to_owned(),
        at: at(4, 9),
    };
    run(app, escrow, reject).await;
}

/// A stock event in the same log, which this model ignores.
pub(crate) async fn unrelated_stock(app: &WriteSide) {
    let (sku, warehouse) = (
        Sku::parse("sku-1").unwrap(),
        WarehouseId::parse("w1").unwrap(),
    );
    let command = InventoryReservationCommand::ReceiveBatch {
        sku: sku.clone(),
        warehouse: warehouse.clone(),
        vendor: VendorId::parse("v-stock").unwrap(),
        batch: BatchId::parse("b-1").unwrap(),
        quantity: 5,
        expires_on: NaiveDate::from_ymd_opt(2026, 12, 31),
        at: at(1, 9),
    };
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
    app.stock
        .execute(&stock_id(&sku, &warehouse), command, &meta)
        .await
        .unwrap();
}

pub(crate) async fn scenario(app: &WriteSide) {
    unrelated_stock(app).await;
    disputed_then_closed(app).await;
    cancelled(app).await;
    rejected_and_open(app).await;
}

/// When event `sequence` of `escrow` was recorded.
pub(crate) async fn recorded_at(pool: &PgPool, escrow: &str, sequence: i64) -> DateTime<Utc> {
    sqlx::query_scalar("select recorded_at from events where aggregate_id = $1 and sequence = $2")
        .bind(escrow)
        .bind(sequence)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every row of `read.<table>` but `updated_at`, as JSON, in key order.
pub(crate) async fn rows(pool: &PgPool, table: &str, order: &str) -> Value {
    sqlx::query_scalar(&format!(
        "select coalesce(jsonb_agg(to_jsonb(t) - 'updated_at' order by {order}), '[]'::jsonb) \
           from read.{table} t"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The `updated_at` column `sql` selects.
pub(crate) async fn updated_at(pool: &PgPool, sql: &str) -> Vec<DateTime<Utc>> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}
