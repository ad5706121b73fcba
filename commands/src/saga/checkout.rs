//! The checkout saga: from a placed order to vendor payouts, with
//! compensation.
//!
//! - `OrderPlaced` → reserve stock for every vendor's lines, one reservation
//!   per (order, vendor, stock), lines of one SKU summed, in stock-id order.
//!   All reserved: schedule payment expiry (and each reservation's expiry as
//!   a safety net) and await payment. Any line short: release what was
//!   reserved and cancel the order.
//! - `PaymentConfirmed` → compute the split, create and fund the order's
//!   escrow (one milestone per vendor, amount = its subtotal), commit the
//!   reservations. Every commit is tried; a vendor order whose stock can no
//!   longer be committed is cancelled, which refunds it. Reservations hold
//!   until the payment deadline plus a grace period, so a payment taken on
//!   time still finds its stock however late the saga runs.
//! - `PaymentExpired`, `OrderCancelled`, `VendorOrderCancelled` → release the
//!   reservations (or restock what was committed), refund what was captured
//!   (split refund and escrow refund). No escrow exists before payment.
//! - Shipped → schedule auto-confirmation; delivered → mark the escrow
//!   milestone delivered; the escrow then schedules the inspection lapse;
//!   released funds → schedule the vendor's payout; payout scheduled → a
//!   timer releases it. Returns restock undamaged units and refund.
//! - A payment that arrives after the order closed is recorded by the order
//!   with `refund_due`; the saga books it in the order's split as captured
//!   and refunded in full, so the money ledger shows it in and out. The
//!   payment provider integration executes the refund from `refund_due`. A
//!   second payment of a paid order (`DuplicatePaymentReceived`) is only
//!   recorded by the order, with its `refund_due`.
//! - Steps that move money and are refused (the ledgers disagree) are
//!   logged at error level; other refused steps mean "no longer applies".
//! - One saga process at a time is elected with an advisory lock.
//!
//! The escrow and the payment split of an order use the order's id as their
//! own; the milestone id of a vendor order is the vendor id.

use std::sync::Arc;

use bazaar_domain::ids::{ReservationId, VendorId};
use bazaar_domain::inventory::stock_id;
use bazaar_domain::order::event::PlacedVendorOrder;
use bazaar_domain::order::OrderEvent;
use bazaar_event_store::{read_stream, RecordedEvent};
use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use serde::Serialize;
use uuid::Uuid;

use crate::app::WriteSide;
use crate::error::CommandError;
use crate::executor::Executor;
use crate::saga::{caused_by, correlation_of, step_id, Saga};
use crate::scheduler::{schedule_all, Timer};

mod fulfilment;
mod payment;
mod placement;

/// Who the saga's commands are issued by.
const ACTOR: &str = "system:checkout-saga";

/// The marketplace's own party id: the seller of record in checkout escrows.
pub const MARKETPLACE_PARTY: &str = "bazaar-marketplace";

/// Business settings of checkout.
#[derive(Debug, Clone)]
pub struct CheckoutPolicy {
    /// Days after placement the goods are expected to ship; reservations
    /// pick batches still fresh then.
    pub ship_within_days: i64,
    /// Shelf life every reserved batch must still have on the ship date.
    pub min_shelf_life_days: u32,
    /// Buyer's inspection period of a delivered vendor order.
    pub inspection_days: u32,
    /// Window after delivery in which the buyer may open a dispute.
    pub dispute_window_hours: u32,
    /// Time between an escrow release and the vendor's payout.
    pub payout_delay: Duration,
    /// How long stock stays held after the payment deadline: a payment
    /// accepted on time must still find its stock when the saga commits it,
    /// however far the saga lags. Expiry of the payment releases the stock
    /// long before this (the hold's own expiry is a safety net).
    pub reservation_grace: Duration,
}

impl Default for CheckoutPolicy {
    fn default() -> Self {
        Self {
            ship_within_days: 2,
            min_shelf_life_days: 0,
            inspection_days: 3,
            dispute_window_hours: 48,
            payout_delay: Duration::days(1),
            reservation_grace: Duration::hours(6),
        }
    }
}

/// The checkout process manager.
#[derive(Clone)]
pub struct CheckoutSaga {
    app: Arc<WriteSide>,
    policy: CheckoutPolicy,
}

/// What a refused step means (see [`CheckoutSaga::run_or_log`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The step no longer applies.
    Skip,
    /// Money that should have moved did not.
    Alert,
}

/// What became of one of the saga's commands.
enum Step<E> {
    Done,
    Rejected(E),
}

impl Saga for CheckoutSaga {
    const NAME: &'static str = "checkout-saga";

    /// The order: an order's escrow and payment split share its id, so
    /// every step of one checkout runs in commit order, and different
    /// checkouts run at once.
    fn partition(&self, event: &RecordedEvent) -> Option<String> {
        matches!(
            event.aggregate_type.as_str(),
            "Order" | "Escrow" | "PaymentSplit"
        )
        .then(|| event.aggregate_id.clone())
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), String> {
        match event.aggregate_type.as_str() {
            "Order" => self.on_order(event, parse(event)?).await,
            "Escrow" => self.on_escrow(event, parse(event)?).await,
            "PaymentSplit" => self.on_split(event, parse(event)?).await,
            _ => Ok(()),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(event: &RecordedEvent) -> Result<T, String> {
    event
        .payload
        .decode()
        .map_err(|e| format!("unreadable event: {e}"))
}

impl CheckoutSaga {
    /// The saga over the application's executors.
    pub fn new(app: Arc<WriteSide>, policy: CheckoutPolicy) -> Self {
        Self { app, policy }
    }

    async fn on_order(&self, event: &RecordedEvent, payload: OrderEvent) -> Result<(), String> {
        match payload {
            OrderEvent::OrderPlaced { .. } => self.on_placed(event, payload).await,
            OrderEvent::PaymentConfirmed { .. } => self.on_paid(event, payload).await,
            OrderEvent::PaymentExpired {
                expired_at,
                vendor_orders,
                ..
            } => {
                let refunds = vendor_orders
                    .into_iter()
                    .map(|v| (v.vendor, v.refund_amount))
                    .collect();
                self.on_closed(
                    event,
                    Closure {
                        at: expired_at,
                        refunds,
                        expired: true,
                    },
                )
                .await
            }
            OrderEvent::OrderCancelled {
                cancelled_at,
                vendor_orders,
                ..
            } => {
                let refunds = vendor_orders
                    .into_iter()
                    .map(|v| (v.vendor, v.refund_amount))
                    .collect();
                self.on_closed(
                    event,
                    Closure {
                        at: cancelled_at,
                        refunds,
                        expired: false,
                    },
                )
                .await
            }
            OrderEvent::VendorOrderCancelled {
                cancelled_at,
                vendor,
                refund_amount,
                ..
            } => {
                let refunds = vec![(vendor, refund_amount)];
                self.on_closed(
                    event,
                    Closure {
                        at: cancelled_at,
                        refunds,
                        expired: false,
                    },
                )
                .await
            }
            OrderEvent::PaymentReceivedAfterClose {
                payment_id,
                amount,
                received_at,
                ..
            } => {
                self.on_stray_payment(event, payment_id, amount, received_at)
                    .await
            }
            _ => self.on_fulfilment(event, payload).await,
        }
    }

    /// Runs `command` on `aggregate_id` as step `step` of the reaction to
    /// `event`. Domain rejections are returned for the caller to judge;
    /// anything else fails the reaction so the event is retried.
    async fn run<A>(
        &self,
        executor: &Executor<A>,
        event: &RecordedEvent,
        step: &str,
        aggregate_id: &str,
        command: A::Command,
    ) -> Result<Step<A::Error>, String>
    where
        A: Aggregate,
        A::Command: Serialize + Clone,
        A::Error: Serialize + serde::de::DeserializeOwned,
    {
        let metadata = caused_by(event, step, ACTOR);
        match executor
            .execute_derived(aggregate_id, command, &metadata)
            .await
        {
            Ok(_) => Ok(Step::Done),
            Err(CommandError::Rejected(reason)) => Ok(Step::Rejected(reason)),
            Err(other) => Err(format!("{step}: {other}")),
        }
    }

    /// Like [`Self::run`], for steps whose refusal does not stop the
    /// reaction: with [`Refusal::Skip`] it only means the step no longer
    /// applies (logged at info); with [`Refusal::Alert`], for money steps
    /// that should always apply, it means the ledgers disagree and is logged
    /// at error level for an operator (the saga goes on; halting every
    /// checkout would not mend it).
    async fn run_or_log<A>(
        &self,
        refusal: Refusal,
        executor: &Executor<A>,
        event: &RecordedEvent,
        step: &str,
        aggregate_id: &str,
        command: A::Command,
    ) -> Result<(), String>
    where
        A: Aggregate,
        A::Command: Serialize + Clone,
        A::Error: Serialize + serde::de::DeserializeOwned,
    {
        let Step::Rejected(reason) = self
            .run(executor, event, step, aggregate_id, command)
            .await?
        else {
            return Ok(());
        };
        let event_id = event.event_id;
        match refusal {
            Refusal::Skip => {
                tracing::info!(step, aggregate_id, %reason, %event_id, "saga step does not apply")
            }
            Refusal::Alert => {
                tracing::error!(step, aggregate_id, %reason, %event_id, "money step refused: the ledgers need attention")
            }
        }
        Ok(())
    }

    /// Schedules `command` on `aggregate_type`/`aggregate_id` at `due_at`,
    /// as step `step` of the reaction to `event`.
    async fn schedule(
        &self,
        event: &RecordedEvent,
        step: &str,
        aggregate_type: &str,
        aggregate_id: &str,
        command: &impl Serialize,
        due_at: DateTime<Utc>,
    ) -> Result<(), String> {
        let timer = timer(event, step, aggregate_type, aggregate_id, command, due_at)?;
        self.schedule_all(&[timer]).await
    }

    /// Schedules `timers` in one statement (see [`schedule_all`]).
    async fn schedule_all(&self, timers: &[Timer]) -> Result<(), String> {
        schedule_all(&self.app.pool, timers)
            .await
            .map(|_| ())
            .map_err(|e| format!("schedule: {e}"))
    }

    /// The first event of order `order_id`, its `OrderPlaced`.
    async fn placed_event(&self, order_id: &str) -> Result<OrderEvent, String> {
        let first = read_stream(&self.app.pool, "Order", order_id, 0)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or_else(|| format!("order {order_id} has no events"))?;
        parse::<OrderEvent>(&first)
    }

    /// The facts of `OrderPlaced` every later reaction about the order needs.
    async fn placed(&self, order_id: &str) -> Result<Placed, String> {
        placed_from(order_id, self.placed_event(order_id).await?)
    }
}

/// The timer of `command` on `aggregate_type`/`aggregate_id` at `due_at`,
/// step `step` of the reaction to `event`: its id derived from both.
fn timer(
    event: &RecordedEvent,
    step: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    command: &impl Serialize,
    due_at: DateTime<Utc>,
) -> Result<Timer, String> {
    Ok(Timer {
        id: step_id(event, step),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        command: serde_json::to_value(command).map_err(|e| format!("{step}: {e}"))?,
        due_at,
        correlation_id: correlation_of(event),
        causation_id: event.event_id,
    })
}

/// The facts of `first`, the order's `OrderPlaced`.
fn placed_from(order_id: &str, first: OrderEvent) -> Result<Placed, String> {
    match first {
        OrderEvent::OrderPlaced {
            buyer,
            placed_at,
            payment_due_at,
            vendor_orders,
            ..
        } => Ok(Placed {
            holds: holds(order_id, &vendor_orders)?,
            buyer: buyer.to_string(),
            placed_at,
            payment_due_at,
        }),
        _ => Err(format!("order {order_id} does not start with OrderPlaced")),
    }
}

/// Vendor orders that closed before delivery, with what each refunds.
struct Closure {
    at: DateTime<Utc>,
    refunds: Vec<(VendorId, bazaar_domain::money::Money)>,
    expired: bool,
}

/// What the saga remembers of a placed order.
struct Placed {
    buyer: String,
    placed_at: DateTime<Utc>,
    payment_due_at: DateTime<Utc>,
    holds: Vec<Hold>,
}

/// One stock reservation of an order: a vendor's lines of one SKU in one
/// warehouse, summed.
#[derive(Debug, Clone)]
struct Hold {
    vendor: VendorId,
    stock: String,
    reservation: ReservationId,
    quantity: u32,
}

/// The order's reservations, in stock-id order (then vendor), so that
/// concurrent checkouts touch shared stock in the same order.
fn holds(order_id: &str, vendor_orders: &[PlacedVendorOrder]) -> Result<Vec<Hold>, String> {
    let mut holds: Vec<Hold> = Vec::new();
    for vendor_order in vendor_orders {
        for line in &vendor_order.lines {
            let stock = stock_id(&line.sku, &line.warehouse);
            let vendor = &vendor_order.vendor;
            match holds
                .iter_mut()
                .find(|h| h.stock == stock && &h.vendor == vendor)
            {
                Some(hold) => {
                    hold.quantity = hold
                        .quantity
                        .checked_add(line.quantity)
                        .ok_or("quantity overflow")?;
                }
                None => holds.push(Hold {
                    reservation: reservation_id(order_id, vendor, &stock)?,
                    vendor: vendor.clone(),
                    stock,
                    quantity: line.quantity,
                }),
            }
        }
    }
    holds.sort_by(|a, b| (&a.stock, &a.vendor).cmp(&(&b.stock, &b.vendor)));
    Ok(holds)
}

fn reservation_id(order_id: &str, vendor: &VendorId, stock: &str) -> Result<ReservationId, String> {
    let name = format!("reservation/{order_id}/{vendor}/{stock}");
    ReservationId::parse(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string())
        .map_err(|e| e.to_string())
}
