//! The Order aggregate: one buyer checkout, split into one vendor order per
//! vendor.
//!
//! # Lifecycle
//!
//! `PlaceOrder` groups the cart by vendor. Each vendor order has its own
//! subtotal and moves CREATED -> PAID -> PACKED -> (PARTIALLY_SHIPPED ->)
//! SHIPPED -> DELIVERED -> COMPLETED, or to CANCELLED from CREATED or PAID
//! only; after shipping, getting money back is a return. The order's status
//! ([`OrderStatus`]) is derived from its vendor orders by one pure function,
//! [`OrderStatus::derive`], and every event carries the result.
//!
//! The checkout saga reads `OrderPlaced` to reserve stock per line,
//! `PaymentConfirmed` to commit reservations and compute the split,
//! `PaymentExpired` / `OrderCancelled` / `VendorOrderCancelled` to release
//! reservations and refund, `PaymentReceivedAfterClose` /
//! `DuplicatePaymentReceived` to refund stray captures, `VendorOrderShipped`
//! to schedule `AutoConfirmDelivery` at `auto_confirm_at`, `ReturnReceived`
//! to restock and refund, and `VendorOrderDelivered` to start the escrow's
//! inspection, whose lapse releases the vendor's share. `VendorOrderCompleted`
//! carries `releasable` for read models; the saga does not act on it.
//!
//! # Policy choices (recorded in `docs/domain.md`)
//!
//! - **Grouping.** Vendor orders are in order of the vendor's first line in
//!   the cart (the buyer's view of the cart, rather than sorted by vendor id;
//!   the PaymentSplit does its own tie-breaking by vendor id).
//!   Line numbers are cart positions from 1 and unique across the order.
//!   Two lines may draw on one SKU; the saga sums a vendor's lines of one
//!   stock into one reservation. At most [`MAX_LINES`] lines.
//! - **Prices.** Unit prices must be positive and in the order currency; free
//!   items and discounts are not modelled here. Line totals, subtotals and
//!   the total use checked arithmetic.
//! - **Payment.** One capture pays the whole order and must equal the sum of
//!   the live (not cancelled) vendor subtotals exactly, in the order
//!   currency; anything else is a typed error (no partial payments). The
//!   deadline is enforced by `ExpirePayment` only: a capture confirmed after
//!   `payment_due_at` but before the expiry ran is accepted, because the
//!   money is already taken (providers report captures late: delayed
//!   webhooks, asynchronous methods such as bank transfers).
//!   A capture for an order already cancelled or expired is recorded as
//!   `PaymentReceivedAfterClose` and a second capture of a paid order as
//!   `DuplicatePaymentReceived`, each with the full amount as `refund_due`;
//!   the saga refunds them. Re-sending a known payment id is rejected, and
//!   a capture in another currency is rejected even after close (an
//!   aggregate never mixes currencies; operations must refund it by hand).
//! - **Cancellation.** `CancelOrder` is all or nothing: it cancels every live
//!   vendor order, and is rejected if any is already PACKED or further
//!   (Shopify refuses to cancel orders with fulfilments); single vendors cancel
//!   with `CancelVendorOrder`. A paid vendor order refunds its whole subtotal
//!   (every line total); fee reversal is the PaymentSplit's business. A
//!   vendor cancelled before payment lowers the amount due.
//! - **Shipping.** Any number of parcels, each naming `(line_no, quantity)`.
//!   PARTIALLY_SHIPPED is a vendor order status of its own (Shopify's
//!   "partially fulfilled"). The parcel that completes the vendor order sets
//!   `auto_confirm_at` = its `shipped_at` + [`AUTO_CONFIRM_DAYS`] days
//!   (Sharetribe's 14 days); earlier parcels carry `None`, since the buyer
//!   cannot confirm what has not all been sent.
//! - **Delivery.** Only a fully SHIPPED vendor order can be delivered, by the
//!   buyer or by `AutoConfirmDelivery`, which is rejected before the deadline
//!   (`DeliveryNotDue`) and after delivery (`AlreadyDelivered`).
//! - **Returns.** Return first, receive later (an RMA, like the return
//!   flows of Shopify and Medusa): `RequestReturn` is allowed on PARTIALLY_SHIPPED, SHIPPED and
//!   DELIVERED vendor orders, up to the units shipped; `ReceiveReturn` up to
//!   the units requested and not yet received. Every received unit is
//!   refunded at its unit price, damaged ones included: damage in transit is
//!   a claim against the carrier or vendor, not the buyer, and a partial
//!   refund for buyer damage would be a separate, explicit command. Damaged
//!   units are never restocked (`restock_quantity` = received - damaged,
//!   Shopify's `no_restock`). The order and vendor order statuses do not
//!   change with returns; the events carry the per-line totals. The return
//!   window is not enforced here: returns are taken until completion, which
//!   an admin sends.
//! - **Completion.** `CompleteVendorOrder` needs DELIVERED and no returned
//!   units still expected, and carries `releasable` = subtotal - refunded.
//!   After completion no returns are taken (disputes go to the escrow).
//! - **Texts.** Titles 1..=200 characters, reasons 1..=500, tracking
//!   1..=100, none blank. Times in commands are taken as given; only the
//!   scheduler-guarded commands compare them with stored deadlines.
//! - **Invariants.** Per line: shipped <= ordered, requested back <= shipped,
//!   received back <= requested back, refunded <= line total; per vendor
//!   order, refunds <= subtotal; in total, refunds <= the captured amount.
//!
//! # Layout
//! - [`command`], [`event`], [`error`]: the aggregate's vocabulary.
//! - `status`: [`VendorOrderStatus`], [`OrderStatus`] and the derivation.
//! - `checkout`, `cancellation`, `fulfilment`, `returns`: the decisions.
//! - `state`, `rules`: stored state with its `apply`, shared checks.

pub mod command;
pub mod error;
pub mod event;

mod cancellation;
mod checkout;
mod fulfilment;
mod returns;
mod rules;
mod state;
mod status;
#[cfg(test)]
mod tests;

use crate::ids::{BuyerId, VendorId};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::{LineInput, OrderCommand, ReturnReceipt};
pub use error::OrderError;
pub use event::{DeliveryConfirmation, OrderEvent};
pub use status::{OrderStatus, VendorOrderStatus};

use state::{Checkout, Payment, VendorOrder};

/// The most units of a line, a parcel line, a return or a receipt.
pub const MAX_QUANTITY: u32 = 1_000_000;
/// The most lines in one checkout.
pub const MAX_LINES: usize = 500;
/// Days after the last parcel when delivery is confirmed automatically.
pub const AUTO_CONFIRM_DAYS: i64 = 14;

/// One buyer order and its vendor orders (aggregate id: an `OrderId`).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    checkout: Option<Checkout>,
    status: Option<OrderStatus>,
    payment: Option<Payment>,
    payment_expired: bool,
    vendor_orders: Vec<VendorOrder>,
    refundable_payments: Vec<Payment>,
}

impl Order {
    /// The order status, once placed.
    pub fn status(&self) -> Option<OrderStatus> {
        self.status
    }

    /// Who placed the order, once placed.
    pub fn buyer(&self) -> Option<&BuyerId> {
        self.checkout.as_ref().map(|checkout| &checkout.buyer)
    }

    /// Whether `vendor` sells in this order.
    pub fn has_vendor(&self, vendor: &VendorId) -> bool {
        self.vendor_orders.iter().any(|part| part.vendor == *vendor)
    }
}

impl Aggregate for Order {
    const TYPE: &'static str = "Order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;
    type Services = ();

    async fn handle(
        &mut self,
        command: OrderCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), OrderError> {
        use OrderCommand as C;
        let event = match command {
            C::PlaceOrder {
                buyer,
                currency,
                fee_rate,
                lines,
                payment_due_at,
                at,
            } => self.place(buyer, currency, fee_rate, lines, payment_due_at, at),
            C::ConfirmPayment {
                payment_id,
                amount,
                at,
            } => self.confirm_payment(payment_id, amount, at),
            C::ExpirePayment { at } => self.expire_payment(at),
            C::CancelOrder { reason, at } => self.cancel_order(reason, at),
            C::CancelVendorOrder { vendor, reason, at } => {
                self.cancel_vendor_order(vendor, reason, at)
            }
            C::PackVendorOrder { vendor, at } => self.pack(vendor, at),
            C::ShipVendorOrder {
                vendor,
                tracking,
                lines,
                at,
            } => self.ship(vendor, tracking, lines, at),
            C::ConfirmDelivery { vendor, at } => {
                self.deliver(vendor, at, DeliveryConfirmation::Buyer)
            }
            C::AutoConfirmDelivery { vendor, at } => {
                self.deliver(vendor, at, DeliveryConfirmation::Automatic)
            }
            C::RequestReturn {
                vendor,
                lines,
                reason,
                at,
            } => self.request_return(vendor, lines, reason, at),
            C::ReceiveReturn { vendor, lines, at } => self.receive_return(vendor, lines, at),
            C::CompleteVendorOrder { vendor, at } => self.complete(vendor, at),
        }?;
        sink.write(event, self).await;
        Ok(())
    }

    /// Assigns what the event says; the rules ran in `handle`.
    fn apply(&mut self, event: OrderEvent) {
        self.status = Some(event.order_status());
        if event.vendor().is_some() {
            self.apply_to_vendor(event);
        } else {
            self.apply_to_order(event);
        }
    }
}
