//! The `commissions` read model against a real Postgres: a brokered sale
//! driven through the real Escrow executor beside the escrows without an
//! agent, rows asserted to the minor unit, and a rebuild and a replay that
//! change nothing.

use bazaar_commands::WriteSide;
use bazaar_domain::escrow::PartyId;
use bazaar_domain::escrow::{AgentTerms, Commission, EscrowCommand as Command, MilestoneInput};
use bazaar_domain::ids::{AgentId, MilestoneId, PaymentId};
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_event_store::EventMetadata;
use bazaar_projections::generation;
use bazaar_projections::read_models::commissions::Commissions;
use bazaar_projections::Projection;
use bazaar_testkit::fixtures::eur;
use bazaar_testkit::read;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::world::scenario;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).unwrap()
}

fn ms(id: &str) -> MilestoneId {
    MilestoneId::parse(id).unwrap()
}

async fn run(app: &WriteSide, command: Command) {
    let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
    app.escrows.execute("sale-1", command, &meta).await.unwrap();
}

/// A 10,000.00 EUR business sale brokered by `ag-1` at 3 % with a 1 %
/// platform fee: funded in October, part released in October, part
/// refunded and the rest released in November.
async fn brokered_sale(app: &WriteSide) {
    let input = |id: &str, cents| MilestoneInput {
        milestone: ms(id),
        description: format!("hand over {id}"),
        amount: eur(cents),
    };
    run(
        app,
        Command::CreateEscrow {
            buyer: PartyId::parse("buyer-9").unwrap(),
            seller: PartyId::parse("seller-9").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            amount: eur(1_000_000),
            milestones: vec![input("shares", 700_000), input("stock", 300_000)],
            inspection_period_days: 3,
            dispute_window_hours: 48,
            agent: Some(AgentTerms {
                agent_id: AgentId::parse("ag-1").unwrap(),
                commission: Commission::Bps(300),
            }),
            platform_fee_rate: Some(FeeRate::from_bps(100).unwrap()),
            at: at(10, 1),
        },
    )
    .await;
    let fund = Command::Fund {
        payment_id: PaymentId::parse("pay-9").unwrap(),
        amount: eur(1_000_000),
        at: at(10, 2),
    };
    run(app, fund).await;
    let release = |id: &str, day| Command::Release {
        milestone: ms(id),
        at: at(if day > 20 { 10 } else { 11 }, day),
    };
    run(app, release("shares", 25)).await;
    let refund = Command::Refund {
        milestone: Some(ms("stock")),
        amount: Some(eur(100_001)),
        reason: "part of the stock was sold off".into(),
        at: at(11, 3),
    };
    run(app, refund).await;
    run(app, release("stock", 4)).await;
}

async fn projected(pool: &PgPool) -> i32 {
    let app = WriteSide::new(pool.clone());
    scenario(&app).await;
    brokered_sale(&app).await;
    read::project(pool, &Commissions).await.generation
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_brokered_sale_shows_its_commission_earned_paid_and_forfeited(pool: PgPool) {
    projected(&pool).await;

    let escrows: Value = sqlx::query_scalar(
        "select jsonb_agg(to_jsonb(t) - 'updated_at' - 'created_at' - 'funded_at') from read.agent_escrows t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // 3 % = 30,000.00 (shares 21,000, stock 9,000); fee 1 % = 10,000.00
    // (7,000 and 3,000); 100,001 of stock refunded forfeits a third of its
    // charges, rounded half up on what can still be released
    assert_eq!(
        escrows,
        json!([{"escrow_id": "sale-1", "agent_id": "ag-1", "buyer_party": "buyer-9",
            "seller_party": "seller-9", "currency": "EUR", "amount": 1_000_000,
            "commission_bps": 300, "commission_fixed": null, "status": "closed",
            "agreed": 30_000, "earned": 27_000, "paid": 27_000, "pending": 0, "forfeited": 3_000,
            "released": 899_999, "seller_proceeds": 863_999, "platform_fee": 9_000,
            "last_sequence": 6}])
    );
    let months: Value = sqlx::query_scalar(
        "select jsonb_agg(m order by m.month) from (select to_char(at, 'YYYY-MM') as month, \
                sum(amount) filter (where kind = 'earned') as earned, \
                sum(amount) filter (where kind = 'paid') as paid, \
                sum(amount) filter (where kind = 'forfeited') as forfeited \
           from read.agent_commission_entries group by 1) m",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        months,
        json!([{"month": "2026-10", "earned": 30_000, "paid": 21_000, "forfeited": null},
               {"month": "2026-11", "earned": null, "paid": 6_000, "forfeited": 3_000}])
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuild_and_a_replay_give_the_same_rows(pool: PgPool) {
    let live = projected(&pool).await;
    let once = read::dump_generation(&pool, &Commissions, live).await;
    let counts: Vec<usize> = once.iter().map(|t| t.as_array().unwrap().len()).collect();
    assert_eq!(counts, [1, 4], "one brokered escrow, four entries");

    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let rebuilt = generation::create(&mut tx, &Commissions, "building")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    read::catch_up(&pool, &Commissions, rebuilt).await;
    assert_eq!(
        read::dump_generation(&pool, &Commissions, rebuilt).await,
        once,
        "a rebuild from zero"
    );

    // lose the checkpoint: the whole log is applied a second time
    let checkpoint = "update projection set tx_id = '0'::xid8, position = 0 \
                      where projection_name = $1 and generation = $2";
    sqlx::query(checkpoint)
        .bind(Commissions::NAME)
        .bind(rebuilt)
        .execute(&pool)
        .await
        .unwrap();
    read::catch_up(&pool, &Commissions, rebuilt).await;
    assert_eq!(
        read::dump_generation(&pool, &Commissions, rebuilt).await,
        once,
        "every event applied twice"
    );
}
