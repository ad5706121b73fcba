//! The stories the tests tell, driven through the real executors and the
//! checkout saga: one order of three vendors from payment to payout, a
//! return after payout, failed payouts and a chargeback.

use bazaar_domain::ids::PayoutId;
use bazaar_domain::order::{OrderCommand, ReturnReceipt};
use bazaar_domain::payment_split::{ChargebackId, PaymentSplitCommand, PayoutFailureReason};
use bazaar_projections::read_models::balances::Balances;
use bazaar_testkit::fixtures::{eur, minutes, pay, t0, vendor};
use bazaar_testkit::read;
use bazaar_testkit::world::World;
use chrono::{DateTime, Duration, Utc};

use super::rows::reference;

pub(crate) fn day(n: i64) -> DateTime<Utc> {
    t0() + Duration::days(n)
}

/// Order o-1 paid in full (29.00): vendor A sells apples (10.00 over two
/// lines), B bread (4.50), C cheese (14.50); 10 % fee.
pub(crate) async fn paid(world: &World) {
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(t0() + Duration::minutes(5)).await;
}

/// Order o-1 paid, delivered and paid out.
pub(crate) async fn paid_out(world: &World) {
    paid(world).await;
    deliver_and_pay_out(world).await;
}

/// Everything ships on day 1; A and B confirm delivery on day 3, C's is
/// auto-confirmed on day 15. Inspections lapse three days after delivery,
/// payouts are released a day after that.
pub(crate) async fn deliver_and_pay_out(world: &World) {
    for (id, lines) in [
        ("vendor-a", vec![(1, 3), (3, 2)]),
        ("vendor-b", vec![(2, 1)]),
        ("vendor-c", vec![(4, 2)]),
    ] {
        let vendor = vendor(id);
        let pack = OrderCommand::PackVendorOrder {
            vendor: vendor.clone(),
            at: day(1),
        };
        world.order("o-1", pack).await;
        let tracking = format!("trk-{id}");
        let ship = OrderCommand::ShipVendorOrder {
            vendor,
            tracking,
            lines,
            at: day(1),
        };
        world.order("o-1", ship).await;
    }
    for id in ["vendor-a", "vendor-b"] {
        let vendor = vendor(id);
        let confirm = OrderCommand::ConfirmDelivery { vendor, at: day(3) };
        world.order("o-1", confirm).await;
    }
    world.settle(day(15)).await;
    world.settle(day(30)).await;
}

/// On day 31 the buyer returns one apple (2.00) of line 1; the saga refunds it.
pub(crate) async fn return_one_apple(world: &World) {
    let request = OrderCommand::RequestReturn {
        vendor: vendor("vendor-a"),
        lines: vec![(1, 1)],
        reason: "bruised".into(),
        at: day(31),
    };
    world.order("o-1", request).await;
    let receipt = ReturnReceipt {
        line_no: 1,
        received: 1,
        damaged: 0,
    };
    let receive = OrderCommand::ReceiveReturn {
        vendor: vendor("vendor-a"),
        lines: vec![receipt],
        at: day(31),
    };
    world.order("o-1", receive).await;
    world.settle(day(31)).await;
}

/// On day 32 the payment provider reports a vendor's payout as failed.
pub(crate) async fn payout_failed(world: &World, id: &str, reason: PayoutFailureReason) {
    read::project(&world.pool, &Balances).await;
    let payout_id = reference(&world.pool, id, "payout").await;
    let failed = PaymentSplitCommand::RecordPayoutFailed {
        vendor: vendor(id),
        payout_id: PayoutId::parse(payout_id).unwrap(),
        reason,
        at: day(32),
    };
    world.split("o-1", failed).await;
}

/// Payouts, a return, a failed payout settling a debt and a chargeback.
pub(crate) async fn eventful_history(world: &World) {
    paid_out(world).await;
    return_one_apple(world).await;
    payout_failed(world, "vendor-a", PayoutFailureReason::AccountClosed).await;
    let chargeback = PaymentSplitCommand::RecordChargeback {
        chargeback_id: ChargebackId::parse("dp-1").unwrap(),
        amount: eur(300),
        at: day(33),
    };
    world.split("o-1", chargeback).await;
}
