//! The balances read model against a real Postgres, fed by the real
//! executors and the checkout saga: each test gets a fresh, migrated
//! database from `#[sqlx::test]`.

mod replay;
pub(crate) mod rows;
pub(crate) mod scenario;

use bazaar_domain::escrow::{EscrowCommand, MilestoneInput, PartyId};
use bazaar_domain::ids::{MilestoneId, PaymentId};
use bazaar_domain::money::Currency;
use bazaar_domain::order::OrderCommand;
use bazaar_domain::payment_split::PayoutFailureReason;
use bazaar_projections::read_models::balances::Balances;
use bazaar_testkit::fixtures::{eur, t0, vendor};
use bazaar_testkit::read;
use bazaar_testkit::world::World;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use self::rows::{
    assert_identities, ledger, platform_fees, reference, vendor_order, vendor_totals, VendorOrder,
};
use self::scenario::{day, deliver_and_pay_out, paid, paid_out, payout_failed, return_one_apple};

fn entry(kind: &str, amount: i64, detail: Option<&str>) -> (String, i64, Option<String>) {
    (kind.to_owned(), amount, detail.map(str::to_owned))
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_three_vendor_order_is_balanced_from_payment_to_payout(pool: PgPool) {
    let world = World::new(&pool);
    paid(&world).await;
    read::project(&world.pool, &Balances).await;
    let shares = [
        ("vendor-a", 1_000, 100),
        ("vendor-b", 450, 45),
        ("vendor-c", 1_450, 145),
    ];
    for (id, allocated, fee) in shares {
        let split = VendorOrder::split(allocated, fee);
        assert_eq!(vendor_order(&pool, "o-1", id).await, split, "{id}");
        let net = allocated - fee;
        let totals = [net, net, allocated, 0, 0, 0, 1];
        assert_eq!(vendor_totals(&pool, id).await, totals, "{id}");
    }
    assert_eq!(
        platform_fees(&pool, "o-1").await,
        [2_900, 290, 0, 0, 0, 2_900]
    );

    deliver_and_pay_out(&world).await;
    read::project(&world.pool, &Balances).await;

    for ((id, allocated, fee), until) in shares.into_iter().zip([day(7), day(7), day(19)]) {
        let row = VendorOrder::paid_out(allocated, fee, until);
        assert_eq!(vendor_order(&pool, "o-1", id).await, row, "{id}");
        let net = allocated - fee;
        assert_eq!(
            vendor_totals(&pool, id).await,
            [net, 0, 0, 0, net, 0, 1],
            "{id}"
        );
        let statement = vec![
            entry("earned", allocated, None),
            entry("fee", -fee, Some("sale")),
            entry("escrow_released", allocated, Some("inspection_lapsed")),
            entry("payout", -net, None),
        ];
        assert_eq!(ledger(&pool, id).await, statement, "{id}");
        assert_eq!(reference(&pool, id, "earned").await, "pay-1");
        assert!(reference(&pool, id, "payout").await.starts_with("po-"));
    }
    let payouts_on: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "select occurred_at from read.payout_ledger where kind = 'payout' order by vendor_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(payouts_on, [day(7), day(7), day(19)]);
    assert_eq!(
        platform_fees(&pool, "o-1").await,
        [2_900, 290, 0, 0, 0, 2_900]
    );
    assert_eq!(assert_identities(&pool).await, 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_refund_after_payout_leaves_the_vendor_in_debt(pool: PgPool) {
    let world = World::new(&pool);
    paid_out(&world).await;

    return_one_apple(&world).await;
    read::project(&world.pool, &Balances).await;

    // 2.00 back over (fee 1.00, net 9.00) left: 0.20 fee, 1.80 net, all paid out
    let a = VendorOrder {
        fee_refunded: 20,
        net_refunded: 180,
        debt: 180,
        ..VendorOrder::paid_out(1_000, 100, day(7))
    };
    assert_eq!(vendor_order(&pool, "o-1", "vendor-a").await, a);
    assert_eq!(
        vendor_totals(&pool, "vendor-a").await,
        [720, 0, 0, 0, 900, 180, 1]
    );
    let tail = ledger(&pool, "vendor-a").await.split_off(4);
    let refund = vec![
        entry("fee", 20, Some("refund")),
        entry("refund", -200, None),
        entry("debt_incurred", -180, Some("refund")),
    ];
    assert_eq!(tail, refund);
    let refund_id = reference(&pool, "vendor-a", "refund").await;
    assert_eq!(
        reference(&pool, "vendor-a", "debt_incurred").await,
        refund_id
    );
    assert_eq!(
        platform_fees(&pool, "o-1").await,
        [2_900, 290, 20, 200, 0, 2_700]
    );
    assert_eq!(
        vendor_totals(&pool, "vendor-b").await,
        [405, 0, 0, 0, 405, 0, 1]
    );
    assert_eq!(assert_identities(&pool).await, 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_failed_payout_is_available_again_and_settles_the_debt(pool: PgPool) {
    let world = World::new(&pool);
    paid_out(&world).await;
    return_one_apple(&world).await;

    payout_failed(&world, "vendor-a", PayoutFailureReason::AccountClosed).await;
    payout_failed(&world, "vendor-b", PayoutFailureReason::Declined).await;
    read::project(&world.pool, &Balances).await;

    // 9.00 back in available, 1.80 of it settles the debt
    let a = VendorOrder {
        fee_refunded: 20,
        net_refunded: 180,
        available: 720,
        paid_out: 0,
        ..VendorOrder::paid_out(1_000, 100, day(7))
    };
    assert_eq!(vendor_order(&pool, "o-1", "vendor-a").await, a);
    assert_eq!(
        vendor_totals(&pool, "vendor-a").await,
        [720, 0, 0, 720, 0, 0, 1]
    );
    let tail = ledger(&pool, "vendor-a").await.split_off(7);
    let failed = vec![
        entry("payout_failed", 900, Some("account_closed")),
        entry("debt_recovered", 180, Some("payout_failed")),
    ];
    assert_eq!(tail, failed);
    let payout_id = reference(&pool, "vendor-a", "payout").await;
    assert_eq!(
        reference(&pool, "vendor-a", "payout_failed").await,
        payout_id
    );
    assert_eq!(
        reference(&pool, "vendor-a", "debt_recovered").await,
        payout_id
    );

    assert_eq!(
        vendor_totals(&pool, "vendor-b").await,
        [405, 0, 0, 405, 0, 0, 1]
    );
    let tail = ledger(&pool, "vendor-b").await.split_off(4);
    assert_eq!(tail, vec![entry("payout_failed", 405, Some("declined"))]);
    assert_eq!(assert_identities(&pool).await, 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_vendor_cancelling_before_shipping_is_refunded_from_held_and_escrow(pool: PgPool) {
    let world = World::new(&pool);
    paid(&world).await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-b"),
        reason: "oven broke".into(),
        at: t0() + Duration::hours(2),
    };
    world.order("o-1", cancel).await;
    world.settle(t0() + Duration::hours(2)).await;
    read::project(&world.pool, &Balances).await;

    let b = VendorOrder {
        fee_refunded: 45,
        net_refunded: 405,
        held: 0,
        held_in_escrow: 0,
        ..VendorOrder::split(450, 45)
    };
    assert_eq!(vendor_order(&pool, "o-1", "vendor-b").await, b);
    assert_eq!(
        vendor_totals(&pool, "vendor-b").await,
        [0, 0, 0, 0, 0, 0, 1]
    );
    let statement = vec![
        entry("earned", 450, None),
        entry("fee", -45, Some("sale")),
        entry("fee", 45, Some("refund")),
        entry("refund", -450, None),
        entry("escrow_refunded", -450, Some("refund")),
    ];
    assert_eq!(ledger(&pool, "vendor-b").await, statement);
    let a = VendorOrder::split(1_000, 100);
    assert_eq!(vendor_order(&pool, "o-1", "vendor-a").await, a);
    assert_eq!(
        platform_fees(&pool, "o-1").await,
        [2_900, 290, 45, 450, 0, 2_450]
    );
    assert_eq!(assert_identities(&pool).await, 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_escrow_outside_checkout_stays_out_of_the_balances(pool: PgPool) {
    let world = World::new(&pool);
    let create = EscrowCommand::CreateEscrow {
        buyer: PartyId::parse("buyer-1").unwrap(),
        seller: PartyId::parse("vendor-a").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        amount: eur(10_000),
        milestones: vec![MilestoneInput {
            milestone: MilestoneId::parse("vendor-a").unwrap(),
            description: "the whole deal".into(),
            amount: eur(10_000),
        }],
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at: t0(),
    };
    world.escrow("deal-1", create).await;
    let fund = EscrowCommand::Fund {
        payment_id: PaymentId::parse("pay-9").unwrap(),
        amount: eur(10_000),
        at: t0(),
    };
    world.escrow("deal-1", fund).await;
    let milestone = MilestoneId::parse("vendor-a").unwrap();
    world
        .escrow(
            "deal-1",
            EscrowCommand::Release {
                milestone,
                at: day(1),
            },
        )
        .await;
    read::project(&world.pool, &Balances).await;

    for table in [
        "vendor_order_balances",
        "vendor_balances",
        "payout_ledger",
        "platform_fees",
    ] {
        let rows = world
            .count(&format!("select count(*) from read.{table}"))
            .await;
        assert_eq!(rows, 0, "{table}");
    }
}
