//! Payment confirmed: split, escrow, commit. Closed before delivery:
//! release, restock and refund.

use bazaar_domain::escrow::{EscrowCommand, MilestoneInput, PartyId};
use bazaar_domain::ids::{MilestoneId, OrderId, RefundId, VendorId};
use bazaar_domain::inventory::event::ReleaseReason;
use bazaar_domain::inventory::{InventoryReservationCommand as Stock, InventoryReservationError};
use bazaar_domain::money::Money;
use bazaar_domain::order::event::VendorGross;
use bazaar_domain::order::{OrderCommand, OrderEvent};
use bazaar_domain::payment_split::PaymentSplitCommand;
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, Utc};

use super::{step_id, CheckoutSaga, Closure, Hold, Refusal, Step, MARKETPLACE_PARTY};

fn id_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl CheckoutSaga {
    pub(super) async fn on_paid(
        &self,
        event: &RecordedEvent,
        payload: OrderEvent,
    ) -> Result<(), String> {
        let OrderEvent::PaymentConfirmed {
            payment_id,
            amount,
            fee_rate,
            vendor_gross,
            paid_at,
            ..
        } = payload
        else {
            return Ok(());
        };
        let order_id = &event.aggregate_id;
        let split = PaymentSplitCommand::ComputeSplit {
            order: OrderId::parse(order_id.clone()).map_err(id_error)?,
            payment_id: payment_id.clone(),
            captured: amount,
            fee_rate,
            vendors: vendor_gross
                .iter()
                .map(|v| (v.vendor.clone(), v.subtotal))
                .collect(),
            at: paid_at,
        };
        // the split, the escrow and each stock are aggregates of their own:
        // their steps run at once, each aggregate's in order
        let splitting = self.run_or_log(
            Refusal::Alert,
            &self.app.splits,
            event,
            "compute-split",
            order_id,
            split,
        );
        let escrow_and_stock = async {
            let placed = self.placed(order_id).await?;
            let create = self.escrow_terms(&placed.buyer, amount, &vendor_gross, paid_at)?;
            let fund = EscrowCommand::Fund {
                payment_id,
                amount,
                at: paid_at,
            };
            let escrow = async {
                let step = "create-escrow";
                let escrows = &self.app.escrows;
                self.run_or_log(Refusal::Alert, escrows, event, step, order_id, create)
                    .await?;
                let step = "fund-escrow";
                self.run_or_log(Refusal::Alert, escrows, event, step, order_id, fund)
                    .await
            };
            let commits = self.commit_all(event, &placed.holds, &vendor_gross, paid_at);
            tokio::try_join!(escrow, commits).map(|((), lost)| lost)
        };
        let ((), lost) = tokio::try_join!(splitting, escrow_and_stock)?;
        // every commit was tried; vendor orders whose stock is gone are
        // cancelled (and so refunded), the others go ahead
        for vendor in lost {
            let cancel = OrderCommand::CancelVendorOrder {
                vendor: vendor.clone(),
                reason: "reserved stock no longer available".to_owned(),
                at: paid_at,
            };
            let step = format!("cancel-unfulfillable/{vendor}");
            self.run_or_log(
                Refusal::Alert,
                &self.app.orders,
                event,
                &step,
                order_id,
                cancel,
            )
            .await?;
        }
        Ok(())
    }

    /// Commits the reservations of the paid vendors, every stock at once;
    /// returns the vendors whose stock could not be committed.
    async fn commit_all(
        &self,
        event: &RecordedEvent,
        holds: &[Hold],
        paid: &[VendorGross],
        at: DateTime<Utc>,
    ) -> Result<Vec<VendorId>, String> {
        let order_id = &event.aggregate_id;
        let paid_holds = holds
            .iter()
            .filter(|h| paid.iter().any(|v| v.vendor == h.vendor));
        let commits = paid_holds.map(|hold| async move {
            let commit = Stock::CommitReservation {
                reservation: hold.reservation.clone(),
                at,
            };
            let step = format!("commit/{}/{}", hold.stock, hold.vendor);
            let done = self
                .run(&self.app.stock, event, &step, &hold.stock, commit)
                .await?;
            Ok::<_, String>((hold, done))
        });
        let mut lost = Vec::new();
        for (hold, done) in futures::future::try_join_all(commits).await? {
            if let Step::Rejected(reason) = done {
                tracing::warn!(order_id, stock = %hold.stock, %reason, "checkout: paid but stock lost");
                if !lost.contains(&hold.vendor) {
                    lost.push(hold.vendor.clone());
                }
            }
        }
        Ok(lost)
    }

    /// A payment for an order that had already expired or been cancelled:
    /// book it in the order's split and refund all of it at once, so the
    /// money ledger shows it came in and went back out. The provider
    /// integration executes the refund from the order's `refund_due`.
    pub(super) async fn on_stray_payment(
        &self,
        event: &RecordedEvent,
        payment_id: bazaar_domain::ids::PaymentId,
        amount: Money,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        let order_id = &event.aggregate_id;
        let OrderEvent::OrderPlaced {
            fee_rate,
            vendor_orders,
            ..
        } = self.placed_event(order_id).await?
        else {
            return Err(format!("order {order_id} does not start with OrderPlaced"));
        };
        let split = PaymentSplitCommand::ComputeSplit {
            order: OrderId::parse(order_id.clone()).map_err(id_error)?,
            payment_id,
            captured: amount,
            fee_rate,
            vendors: vendor_orders
                .iter()
                .map(|v| (v.vendor.clone(), v.subtotal))
                .collect(),
            at,
        };
        if let Step::Rejected(reason) = self
            .run(&self.app.splits, event, "stray-split", order_id, split)
            .await?
        {
            tracing::warn!(order_id, %reason, "stray payment not booked in the split; refund_due stands");
            return Ok(());
        }
        let refund_id =
            RefundId::parse(format!("re-{}", step_id(event, "stray-refund"))).map_err(id_error)?;
        let refund = PaymentSplitCommand::RecordRefund {
            refund_id,
            amount,
            allocation: None,
            at,
        };
        self.run_or_log(
            Refusal::Alert,
            &self.app.splits,
            event,
            "stray-refund",
            order_id,
            refund,
        )
        .await
    }

    fn escrow_terms(
        &self,
        buyer: &str,
        amount: Money,
        vendors: &[VendorGross],
        at: DateTime<Utc>,
    ) -> Result<EscrowCommand, String> {
        let milestones = vendors
            .iter()
            .map(|v| {
                Ok(MilestoneInput {
                    milestone: MilestoneId::parse(v.vendor.to_string()).map_err(id_error)?,
                    description: format!("vendor order of {}", v.vendor),
                    amount: v.subtotal,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(EscrowCommand::CreateEscrow {
            buyer: PartyId::parse(buyer).map_err(id_error)?,
            seller: PartyId::parse(MARKETPLACE_PARTY).map_err(id_error)?,
            currency: amount.currency(),
            amount,
            milestones,
            inspection_period_days: self.policy.inspection_days,
            dispute_window_hours: self.policy.dispute_window_hours,
            agent: None,
            platform_fee_rate: None,
            at,
        })
    }

    /// Vendor orders closed before shipping: free or restock their stock and
    /// refund what was paid for them.
    pub(super) async fn on_closed(
        &self,
        event: &RecordedEvent,
        closure: Closure,
    ) -> Result<(), String> {
        let placed = self.placed(&event.aggregate_id).await?;
        let vendors: Vec<_> = closure.refunds.iter().map(|(v, _)| v).collect();
        // each stock, the split and the escrow at once
        let frees = placed
            .holds
            .iter()
            .filter(|h| vendors.contains(&&h.vendor))
            .map(|hold| self.free(event, hold, &closure));
        let refunds: Vec<_> = closure
            .refunds
            .iter()
            .filter(|(_, m)| m.amount() > 0)
            .cloned()
            .collect();
        let refund = async {
            if refunds.is_empty() {
                return Ok(());
            }
            self.refund(event, &refunds, "order cancelled", closure.at)
                .await
        };
        tokio::try_join!(futures::future::try_join_all(frees), refund).map(|_| ())
    }

    /// Releases a reservation; one already committed (paid, not shipped) is
    /// put back on the shelf instead.
    async fn free(
        &self,
        event: &RecordedEvent,
        hold: &Hold,
        closure: &Closure,
    ) -> Result<(), String> {
        let reason = if closure.expired {
            ReleaseReason::PaymentExpired
        } else {
            ReleaseReason::OrderCancelled
        };
        let release = Stock::ReleaseReservation {
            reservation: hold.reservation.clone(),
            reason,
            at: closure.at,
        };
        let step = format!("release/{}/{}", hold.stock, hold.vendor);
        match self
            .run(&self.app.stock, event, &step, &hold.stock, release)
            .await?
        {
            Step::Rejected(InventoryReservationError::ReservationCommitted { .. }) => {
                let restock = Stock::RestockReturn {
                    batch: None,
                    quantity: hold.quantity,
                    reason: "order cancelled before shipping".to_owned(),
                    at: closure.at,
                };
                let step = format!("restock/{}/{}", hold.stock, hold.vendor);
                self.run_or_log(
                    Refusal::Skip,
                    &self.app.stock,
                    event,
                    &step,
                    &hold.stock,
                    restock,
                )
                .await
            }
            Step::Rejected(reason) => {
                tracing::info!(stock = %hold.stock, %reason, "checkout: nothing to release");
                Ok(())
            }
            Step::Done => Ok(()),
        }
    }

    /// Records a refund of `refunds` in the split and takes it out of the
    /// escrow, milestone by milestone.
    pub(super) async fn refund(
        &self,
        event: &RecordedEvent,
        refunds: &[(bazaar_domain::ids::VendorId, Money)],
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        let order_id = &event.aggregate_id;
        let mut total = Money::zero(refunds[0].1.currency());
        for (_, amount) in refunds {
            total = total.checked_add(*amount).map_err(id_error)?;
        }
        let refund_id =
            RefundId::parse(format!("re-{}", step_id(event, "refund"))).map_err(id_error)?;
        let record = PaymentSplitCommand::RecordRefund {
            refund_id,
            amount: total,
            allocation: Some(refunds.to_vec()),
            at,
        };
        self.run_or_log(
            Refusal::Alert,
            &self.app.splits,
            event,
            "record-refund",
            order_id,
            record,
        )
        .await?;
        for (vendor, amount) in refunds {
            let refund = EscrowCommand::Refund {
                milestone: Some(MilestoneId::parse(vendor.to_string()).map_err(id_error)?),
                amount: Some(*amount),
                reason: reason.to_owned(),
                at,
            };
            let step = format!("escrow-refund/{vendor}");
            self.run_or_log(
                Refusal::Alert,
                &self.app.escrows,
                event,
                &step,
                order_id,
                refund,
            )
            .await?;
        }
        Ok(())
    }
}
