//! Money, times, ids and commands every write-side test builds the same
//! way: euros in cents, a fixed calendar starting at checkout time
//! ([`t0`], 2 November 2026, 09:00 UTC), one warehouse ([`WAREHOUSE`]).
//!
//! Test code: a value that does not parse is a broken test, so these
//! unwrap.

use bazaar_domain::ids::{PaymentId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::stock_id;
use bazaar_domain::money::{Currency, Money};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::EventMetadata;
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

/// The warehouse every line and batch is in.
pub const WAREHOUSE: &str = "w1";

/// `cents` euro cents.
pub fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap())
}

/// Checkout time (domain time) of every order.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// `n` minutes after [`t0`].
pub fn minutes(n: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(n)
}

/// `n` days after [`t0`].
pub fn days(n: i64) -> DateTime<Utc> {
    t0() + Duration::days(n)
}

pub fn vendor(id: &str) -> VendorId {
    VendorId::parse(id).unwrap()
}

/// Metadata of a command by `actor` that starts its own flow.
pub fn meta(actor: &str) -> EventMetadata {
    EventMetadata::for_command(Uuid::now_v7(), actor)
}

/// One cart line: vendor, SKU (product `p-<sku>`), quantity, unit price in
/// cents.
pub fn line(vendor_id: &str, sku: &str, quantity: u32, cents: i64) -> LineInput {
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

/// The aggregate id of `sku`'s stock in [`WAREHOUSE`].
pub fn stock(sku: &str) -> String {
    stock_id(
        &Sku::parse(sku).unwrap(),
        &WarehouseId::parse(WAREHOUSE).unwrap(),
    )
}

/// The buyer pays `cents` for an order with capture `pay-1`, at `at`.
pub fn pay(cents: i64, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(cents),
        at,
    }
}
