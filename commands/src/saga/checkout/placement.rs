//! `OrderPlaced`: reserve every line or reject the order.

use bazaar_domain::inventory::event::ReleaseReason;
use bazaar_domain::inventory::InventoryReservationCommand as Stock;
use bazaar_domain::order::{OrderCommand, OrderEvent};
use bazaar_event_store::RecordedEvent;
use chrono::Duration;

use super::{placed_from, timer, CheckoutSaga, Hold, Placed, Refusal, Step};

impl CheckoutSaga {
    pub(super) async fn on_placed(
        &self,
        event: &RecordedEvent,
        payload: OrderEvent,
    ) -> Result<(), String> {
        let OrderEvent::OrderPlaced { .. } = payload else {
            return Ok(());
        };
        let order_id = &event.aggregate_id;
        // the event in hand is the order's first: no need to read it again
        let placed = placed_from(order_id, payload)?;
        let mut reserved = Vec::new();
        for hold in &placed.holds {
            match self.reserve(event, &placed, hold).await? {
                Step::Done => reserved.push(hold),
                Step::Rejected(reason) => {
                    tracing::info!(order_id, stock = %hold.stock, %reason, "checkout: stock short, rejecting order");
                    return self.reject(event, &placed, &reserved, &hold.stock).await;
                }
            }
        }
        self.await_payment(event, &placed).await
    }

    async fn reserve(
        &self,
        event: &RecordedEvent,
        placed: &Placed,
        hold: &Hold,
    ) -> Result<Step<bazaar_domain::inventory::InventoryReservationError>, String> {
        let ship_on =
            (placed.placed_at + Duration::days(self.policy.ship_within_days)).date_naive();
        let command = Stock::Reserve {
            reservation: hold.reservation.clone(),
            quantity: hold.quantity,
            expires_at: placed.payment_due_at + self.policy.reservation_grace,
            ship_on,
            min_shelf_life_days: self.policy.min_shelf_life_days,
            at: placed.placed_at,
        };
        let step = format!("reserve/{}/{}", hold.stock, hold.vendor);
        self.run(&self.app.stock, event, &step, &hold.stock, command)
            .await
    }

    /// A line was short: release what was reserved and cancel the order.
    async fn reject(
        &self,
        event: &RecordedEvent,
        placed: &Placed,
        reserved: &[&Hold],
        short: &str,
    ) -> Result<(), String> {
        for hold in reserved {
            let release = Stock::ReleaseReservation {
                reservation: hold.reservation.clone(),
                reason: ReleaseReason::OrderRejected,
                at: placed.placed_at,
            };
            let step = format!("release/{}/{}", hold.stock, hold.vendor);
            self.run_or_log(
                Refusal::Skip,
                &self.app.stock,
                event,
                &step,
                &hold.stock,
                release,
            )
            .await?;
        }
        let cancel = OrderCommand::CancelOrder {
            reason: format!("insufficient stock of {short}"),
            at: placed.placed_at,
        };
        self.run_or_log(
            Refusal::Skip,
            &self.app.orders,
            event,
            "reject-order",
            &event.aggregate_id,
            cancel,
        )
        .await
    }

    /// Everything is reserved: time out the payment at the payment
    /// deadline and, as a safety net for a hold the payment path misses,
    /// each reservation when its hold lapses (the deadline plus the grace:
    /// an earlier `ExpireReservation` would be refused as too early).
    async fn await_payment(&self, event: &RecordedEvent, placed: &Placed) -> Result<(), String> {
        let due = placed.payment_due_at;
        let lapses = due + self.policy.reservation_grace;
        let expire = OrderCommand::ExpirePayment { at: due };
        let order_id = &event.aggregate_id;
        let mut timers = vec![timer(
            event,
            "expire-payment",
            "Order",
            order_id,
            &expire,
            due,
        )?];
        for hold in &placed.holds {
            let expire = Stock::ExpireReservation {
                reservation: hold.reservation.clone(),
                at: lapses,
            };
            let step = format!("expire-reservation/{}/{}", hold.stock, hold.vendor);
            let kind = "InventoryReservation";
            timers.push(timer(event, &step, kind, &hold.stock, &expire, lapses)?);
        }
        // one statement for all of them: one round trip, not one per timer
        self.schedule_all(&timers).await
    }
}
