//! Tests of the Order aggregate: given/when/then per command, and property
//! tests over random command sequences.
//!
//! The fixture cart: line 1 (vendor A, 3 × 2.50), line 2 (vendor B,
//! 1 × 12.00), line 3 (vendor A, 2 × 1.50); A's subtotal 10.50, B's 12.00,
//! total 22.50 EUR, fee 10 %.

mod cancelling;
mod fulfilment;
mod payment;
mod placing;
mod properties;
mod returns;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::event::{PlacedLine, PlacedVendorOrder, VendorGross};
use super::*;
use crate::ids::{BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use crate::money::{Currency, FeeRate, Money};

fn order() -> TestFramework<Order> {
    TestFramework::with(())
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

fn zero() -> Money {
    eur(0)
}

fn vendor_a() -> VendorId {
    VendorId::parse("v-a").unwrap()
}

fn vendor_b() -> VendorId {
    VendorId::parse("v-b").unwrap()
}

fn payment(id: &str) -> PaymentId {
    PaymentId::parse(id).unwrap()
}

/// Checkout time; later times are offsets from it.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
}

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn days(d: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(d)
}

fn line_input(
    vendor: VendorId,
    n: u32,
    title: &str,
    quantity: u32,
    unit_price: Money,
) -> LineInput {
    LineInput {
        product: ProductId::parse(format!("p-{n}")).unwrap(),
        sku: Sku::parse(format!("sku-{n}")).unwrap(),
        warehouse: WarehouseId::parse(if vendor == vendor_a() { "wh-1" } else { "wh-2" }).unwrap(),
        vendor,
        title: title.to_owned(),
        quantity,
        unit_price,
    }
}

fn cart() -> Vec<LineInput> {
    vec![
        line_input(vendor_a(), 1, "Heirloom tomatoes", 3, eur(250)),
        line_input(vendor_b(), 2, "Wildflower honey", 1, eur(1_200)),
        line_input(vendor_a(), 3, "Basil", 2, eur(150)),
    ]
}

fn place_with(lines: Vec<LineInput>) -> OrderCommand {
    OrderCommand::PlaceOrder {
        buyer: BuyerId::parse("b-1").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines,
        payment_due_at: minutes(30),
        at: t0(),
    }
}

fn place() -> OrderCommand {
    place_with(cart())
}

fn placed_line(input: LineInput, line_no: u32) -> PlacedLine {
    PlacedLine {
        line_no,
        line_total: input
            .unit_price
            .checked_mul(i64::from(input.quantity))
            .unwrap(),
        product: input.product,
        sku: input.sku,
        warehouse: input.warehouse,
        title: input.title,
        quantity: input.quantity,
        unit_price: input.unit_price,
    }
}

/// What `place()` must produce, written out.
fn placed() -> OrderEvent {
    let [tomatoes, honey, basil]: [LineInput; 3] = cart().try_into().unwrap();
    OrderEvent::OrderPlaced {
        buyer: BuyerId::parse("b-1").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        placed_at: t0(),
        payment_due_at: minutes(30),
        total: eur(2_250),
        vendor_orders: vec![
            PlacedVendorOrder {
                vendor: vendor_a(),
                subtotal: eur(1_050),
                lines: vec![placed_line(tomatoes, 1), placed_line(basil, 3)],
                status: VendorOrderStatus::Created,
            },
            PlacedVendorOrder {
                vendor: vendor_b(),
                subtotal: eur(1_200),
                lines: vec![placed_line(honey, 2)],
                status: VendorOrderStatus::Created,
            },
        ],
        order_status: OrderStatus::AwaitingPayment,
    }
}

fn pay(amount: Money) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: payment("pay-1"),
        amount,
        at: minutes(5),
    }
}

/// What `pay(eur(2_250))` must produce after `placed()`.
fn paid() -> OrderEvent {
    OrderEvent::PaymentConfirmed {
        payment_id: payment("pay-1"),
        amount: eur(2_250),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        vendor_gross: vec![
            VendorGross {
                vendor: vendor_a(),
                subtotal: eur(1_050),
            },
            VendorGross {
                vendor: vendor_b(),
                subtotal: eur(1_200),
            },
        ],
        paid_at: minutes(5),
        vendor_order_status: VendorOrderStatus::Paid,
        order_status: OrderStatus::Paid,
    }
}

fn pack(vendor: VendorId) -> OrderCommand {
    OrderCommand::PackVendorOrder {
        vendor,
        at: days(1),
    }
}

fn ship(vendor: VendorId, lines: Vec<(u32, u32)>, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ShipVendorOrder {
        vendor,
        tracking: "TRK-1".to_owned(),
        lines,
        at,
    }
}

/// Ships all of A's lines (1 and 3) in one parcel on day 2.
fn ship_all_of_a() -> OrderCommand {
    ship(vendor_a(), vec![(1, 3), (3, 2)], days(2))
}

fn confirm_delivery(vendor: VendorId) -> OrderCommand {
    OrderCommand::ConfirmDelivery {
        vendor,
        at: days(4),
    }
}

/// Runs `commands` after `history`, each of which must be accepted, and
/// returns the whole history.
fn run(mut history: Vec<OrderEvent>, commands: Vec<OrderCommand>) -> Vec<OrderEvent> {
    for command in commands {
        let events = order()
            .given(history.clone())
            .when(command)
            .inspect_result()
            .unwrap();
        history.extend(events);
    }
    history
}

/// Placed, paid, A packed, A fully shipped, A delivered.
fn delivered_a() -> Vec<OrderEvent> {
    run(
        vec![placed(), paid()],
        vec![
            pack(vendor_a()),
            ship_all_of_a(),
            confirm_delivery(vendor_a()),
        ],
    )
}

/// Rebuilds the aggregate from `history`.
fn rebuild(history: &[OrderEvent]) -> Order {
    let mut order = Order::default();
    for event in history {
        cqrs_es::Aggregate::apply(&mut order, event.clone());
    }
    order
}
