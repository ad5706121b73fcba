//! After payment: delivery, inspection, payouts and returns.

use bazaar_domain::escrow::{EscrowCommand, EscrowEvent, RefundCause};
use bazaar_domain::ids::{PayoutId, VendorId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand as Stock};
use bazaar_domain::order::{OrderCommand, OrderEvent};
use bazaar_domain::payment_split::{PaymentSplitCommand, PaymentSplitEvent};
use bazaar_event_store::RecordedEvent;

use super::{step_id, CheckoutSaga, Refusal};

fn vendor_of(milestone: &bazaar_domain::ids::MilestoneId) -> Result<VendorId, String> {
    VendorId::parse(milestone.to_string()).map_err(|e| e.to_string())
}

impl CheckoutSaga {
    pub(super) async fn on_fulfilment(
        &self,
        event: &RecordedEvent,
        payload: OrderEvent,
    ) -> Result<(), String> {
        let order_id = &event.aggregate_id;
        match payload {
            OrderEvent::VendorOrderShipped {
                vendor,
                auto_confirm_at: Some(due),
                ..
            } => {
                let confirm = OrderCommand::AutoConfirmDelivery {
                    vendor: vendor.clone(),
                    at: due,
                };
                let step = format!("auto-confirm/{vendor}");
                self.schedule(event, &step, "Order", order_id, &confirm, due)
                    .await
            }
            OrderEvent::VendorOrderDelivered {
                vendor,
                delivered_at,
                ..
            } => {
                let milestone = bazaar_domain::ids::MilestoneId::parse(vendor.to_string())
                    .map_err(|e| e.to_string())?;
                let delivered = EscrowCommand::MarkDelivered {
                    milestone,
                    at: delivered_at,
                };
                let step = format!("escrow-delivered/{vendor}");
                self.run_or_log(
                    Refusal::Skip,
                    &self.app.escrows,
                    event,
                    &step,
                    order_id,
                    delivered,
                )
                .await
            }
            OrderEvent::ReturnReceived {
                vendor,
                lines,
                refund_total,
                received_at,
                ..
            } => {
                for line in lines.iter().filter(|l| l.restock_quantity > 0) {
                    let stock = stock_id(&line.sku, &line.warehouse);
                    let restock = Stock::RestockReturn {
                        batch: None,
                        quantity: line.restock_quantity,
                        reason: format!("return of order {order_id} line {}", line.line_no),
                        at: received_at,
                    };
                    let step = format!("restock-return/{}", line.line_no);
                    self.run_or_log(
                        Refusal::Skip,
                        &self.app.stock,
                        event,
                        &step,
                        &stock,
                        restock,
                    )
                    .await?;
                }
                if refund_total.amount() == 0 {
                    return Ok(());
                }
                self.refund(
                    event,
                    &[(vendor, refund_total)],
                    "return received",
                    received_at,
                )
                .await
            }
            _ => Ok(()),
        }
    }

    pub(super) async fn on_escrow(
        &self,
        event: &RecordedEvent,
        payload: EscrowEvent,
    ) -> Result<(), String> {
        let escrow_id = &event.aggregate_id;
        match payload {
            EscrowEvent::MilestoneDelivered {
                milestone,
                inspection_ends_at,
                ..
            } => {
                let lapse = EscrowCommand::LapseInspection {
                    milestone: milestone.id.clone(),
                    at: inspection_ends_at,
                };
                let step = format!("lapse-inspection/{}", milestone.id);
                self.schedule(
                    event,
                    &step,
                    "Escrow",
                    escrow_id,
                    &lapse,
                    inspection_ends_at,
                )
                .await
            }
            EscrowEvent::DisputeResolved {
                milestone,
                inspection_ends_at,
                at,
                ..
            } if milestone.remaining.amount() > 0 => {
                let due = inspection_ends_at.max(at);
                let lapse = EscrowCommand::LapseInspection {
                    milestone: milestone.id.clone(),
                    at: due,
                };
                let step = format!("lapse-inspection/{}", milestone.id);
                self.schedule(event, &step, "Escrow", escrow_id, &lapse, due)
                    .await
            }
            EscrowEvent::FundsReleased { milestone, at, .. } => {
                let vendor = vendor_of(&milestone.id)?;
                let hold_until = at + self.policy.payout_delay;
                let payout = PaymentSplitCommand::SchedulePayout {
                    vendor: vendor.clone(),
                    hold_until,
                    at,
                };
                let step = format!("schedule-payout/{vendor}");
                self.run_or_log(
                    Refusal::Skip,
                    &self.app.splits,
                    event,
                    &step,
                    escrow_id,
                    payout,
                )
                .await
            }
            EscrowEvent::FundsRefunded {
                cause: RefundCause::DisputeResolution,
                amount,
                milestone,
                at,
                ..
            } => {
                let vendor = vendor_of(&milestone.id)?;
                self.refund_split_only(event, vendor, amount, at).await
            }
            _ => Ok(()),
        }
    }

    pub(super) async fn on_split(
        &self,
        event: &RecordedEvent,
        payload: PaymentSplitEvent,
    ) -> Result<(), String> {
        let PaymentSplitEvent::PayoutScheduled {
            vendor, hold_until, ..
        } = payload
        else {
            return Ok(());
        };
        let payout_id = PayoutId::parse(format!("po-{}", step_id(event, "payout")))
            .map_err(|e| e.to_string())?;
        let release = PaymentSplitCommand::ReleasePayout {
            vendor: vendor.clone(),
            payout_id,
            amount: None,
            at: hold_until,
        };
        let step = format!("release-payout/{vendor}");
        self.schedule(
            event,
            &step,
            "PaymentSplit",
            &event.aggregate_id,
            &release,
            hold_until,
        )
        .await
    }

    /// A dispute decided a refund out of the escrow: record it in the split.
    async fn refund_split_only(
        &self,
        event: &RecordedEvent,
        vendor: VendorId,
        amount: bazaar_domain::money::Money,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let refund_id =
            bazaar_domain::ids::RefundId::parse(format!("re-{}", step_id(event, "refund")))
                .map_err(|e| e.to_string())?;
        let record = PaymentSplitCommand::RecordRefund {
            refund_id,
            amount,
            allocation: Some(vec![(vendor, amount)]),
            at,
        };
        self.run_or_log(
            Refusal::Skip,
            &self.app.splits,
            event,
            "record-refund",
            &event.aggregate_id,
            record,
        )
        .await
    }
}
