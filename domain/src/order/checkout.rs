//! Placing an order and taking its payment.

use chrono::{DateTime, Utc};

use super::command::LineInput;
use super::error::OrderError;
use super::event::{OrderEvent, PlacedLine, PlacedVendorOrder, VendorGross};
use super::rules::{check_quantity, check_text, sum, MAX_TITLE_CHARS};
use super::{Order, OrderStatus, VendorOrderStatus, MAX_LINES};
use crate::ids::{BuyerId, PaymentId};
use crate::money::{Currency, FeeRate, Money};

impl Order {
    pub(super) fn place(
        &self,
        buyer: BuyerId,
        currency: Currency,
        fee_rate: FeeRate,
        lines: Vec<LineInput>,
        payment_due_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        if self.checkout.is_some() {
            return Err(OrderError::AlreadyPlaced);
        }
        if lines.is_empty() {
            return Err(OrderError::EmptyOrder);
        }
        if lines.len() > MAX_LINES {
            return Err(OrderError::TooManyLines { max: MAX_LINES });
        }
        if payment_due_at <= at {
            return Err(OrderError::PaymentDueBeforePlacement);
        }
        let vendor_orders = group_by_vendor(currency, lines)?;
        let total = sum(currency, vendor_orders.iter().map(|v| v.subtotal))?;
        let statuses: Vec<VendorOrderStatus> = vendor_orders.iter().map(|v| v.status).collect();
        Ok(OrderEvent::OrderPlaced {
            buyer,
            currency,
            fee_rate,
            placed_at: at,
            payment_due_at,
            total,
            vendor_orders,
            order_status: OrderStatus::derive(false, &statuses),
        })
    }

    pub(super) fn confirm_payment(
        &self,
        payment_id: PaymentId,
        amount: Money,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let currency = self.checkout()?.currency;
        if amount.amount() <= 0 {
            return Err(OrderError::NonPositivePayment);
        }
        if amount.currency() != currency {
            let found = amount.currency();
            return Err(OrderError::PaymentCurrencyMismatch {
                expected: currency,
                found,
            });
        }
        if self.knows_payment(&payment_id) {
            return Err(OrderError::PaymentAlreadyRecorded { payment_id });
        }
        let order_status = self.status_after(&[]);
        if order_status.is_closed() {
            let refund_due = amount;
            let received_at = at;
            return Ok(OrderEvent::PaymentReceivedAfterClose {
                payment_id,
                amount,
                refund_due,
                received_at,
                order_status,
            });
        }
        if self.payment.is_some() {
            let refund_due = amount;
            let received_at = at;
            return Ok(OrderEvent::DuplicatePaymentReceived {
                payment_id,
                amount,
                refund_due,
                received_at,
                order_status,
            });
        }
        self.pay_in_full(payment_id, amount, at)
    }

    /// The first payment of an open order: exactly the live subtotals.
    fn pay_in_full(
        &self,
        payment_id: PaymentId,
        amount: Money,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let checkout = self.checkout()?;
        let vendor_gross: Vec<VendorGross> = self
            .live_vendor_orders()
            .map(|v| VendorGross {
                vendor: v.vendor.clone(),
                subtotal: v.subtotal,
            })
            .collect();
        let due = sum(checkout.currency, vendor_gross.iter().map(|v| v.subtotal))?;
        if amount != due {
            return Err(OrderError::PaymentAmountMismatch {
                expected: due,
                found: amount,
            });
        }
        let changes: Vec<_> = vendor_gross
            .iter()
            .map(|v| (&v.vendor, VendorOrderStatus::Paid))
            .collect();
        let order_status = self.status_after(&changes);
        Ok(OrderEvent::PaymentConfirmed {
            payment_id,
            amount,
            fee_rate: checkout.fee_rate,
            vendor_gross,
            paid_at: at,
            vendor_order_status: VendorOrderStatus::Paid,
            order_status,
        })
    }
}

/// One vendor order per vendor, in order of first appearance; line numbers
/// are cart positions from 1.
fn group_by_vendor(
    currency: Currency,
    lines: Vec<LineInput>,
) -> Result<Vec<PlacedVendorOrder>, OrderError> {
    let mut groups: Vec<PlacedVendorOrder> = Vec::new();
    for (line_no, input) in (1u32..).zip(lines) {
        let vendor = input.vendor.clone();
        let line = placed_line(line_no, currency, input)?;
        match groups.iter_mut().find(|group| group.vendor == vendor) {
            Some(group) => {
                group.subtotal = group.subtotal.checked_add(line.line_total)?;
                group.lines.push(line);
            }
            None => groups.push(PlacedVendorOrder {
                vendor,
                subtotal: line.line_total,
                lines: vec![line],
                status: VendorOrderStatus::Created,
            }),
        }
    }
    Ok(groups)
}

fn placed_line(
    line_no: u32,
    currency: Currency,
    input: LineInput,
) -> Result<PlacedLine, OrderError> {
    check_text(
        &input.title,
        MAX_TITLE_CHARS,
        OrderError::InvalidTitle { line_no },
    )?;
    check_quantity(line_no, input.quantity)?;
    let found = input.unit_price.currency();
    if found != currency {
        return Err(OrderError::LineCurrencyMismatch {
            line_no,
            expected: currency,
            found,
        });
    }
    if input.unit_price.amount() <= 0 {
        return Err(OrderError::InvalidUnitPrice { line_no });
    }
    let line_total = input.unit_price.checked_mul(i64::from(input.quantity))?;
    Ok(PlacedLine {
        line_no,
        product: input.product,
        sku: input.sku,
        warehouse: input.warehouse,
        title: input.title,
        quantity: input.quantity,
        unit_price: input.unit_price,
        line_total,
    })
}
