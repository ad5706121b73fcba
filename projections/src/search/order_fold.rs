//! Folding `Order` events into an [`OrderDoc`]: `OrderPlaced` builds it,
//! every later event assigns the facts it carries (statuses, times, running
//! totals), never recomputing a rule of the domain. The only sums are the
//! order's `refunded` (over its vendor parts) and the search text.

use bazaar_domain::order::event::{CancelledVendorOrder, PlacedVendorOrder};
use bazaar_domain::order::OrderEvent as E;
use chrono::{DateTime, Utc};

use super::document::{to_millisecond, LineDoc, OrderDoc, VendorPart};
use vendor_events::{assign_vendor, released};

mod vendor_events;

/// Why an event cannot be folded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// The first event of an order was not `OrderPlaced`.
    #[error("order {0} has an event before it was placed")]
    NotPlaced(String),
    /// `OrderPlaced` arrived for an order that exists.
    #[error("order {0} placed a second time")]
    PlacedTwice(String),
    /// An event names a vendor or line the order does not have.
    #[error("order {order} has no {what}")]
    Unknown {
        /// The order.
        order: String,
        /// What is missing.
        what: String,
    },
}

/// The document `OrderPlaced` starts; any other event is refused.
pub fn placed(order_id: &str, event: &E, at: DateTime<Utc>) -> Result<OrderDoc, FoldError> {
    let E::OrderPlaced {
        buyer,
        currency,
        placed_at,
        total,
        vendor_orders,
        order_status,
        ..
    } = event
    else {
        return Err(FoldError::NotPlaced(order_id.to_owned()));
    };
    let currency = currency.to_string();
    // the search sorts, pages and filters on it to the millisecond
    let placed_at = to_millisecond(*placed_at);
    let vendors = vendor_orders
        .iter()
        .map(|v| vendor_part(v, &currency, placed_at))
        .collect();
    let mut doc = OrderDoc {
        order_id: order_id.to_owned(),
        buyer_id: buyer.to_string(),
        status: order_status.as_str().to_owned(),
        currency,
        total: total.amount(),
        refunded: 0,
        placed_at,
        paid_at: None,
        cancelled_at: None,
        updated_at: at,
        vendors,
        text: String::new(),
    };
    doc.refresh_text();
    Ok(doc)
}

fn vendor_part(placed: &PlacedVendorOrder, currency: &str, at: DateTime<Utc>) -> VendorPart {
    let lines = placed
        .lines
        .iter()
        .map(|l| LineDoc {
            line_no: l.line_no,
            product_id: l.product.to_string(),
            sku: l.sku.to_string(),
            warehouse_id: l.warehouse.to_string(),
            title: l.title.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price.amount(),
            line_total: l.line_total.amount(),
            shipped: 0,
            returned: 0,
            refunded: 0,
        })
        .collect();
    VendorPart {
        vendor_id: placed.vendor.to_string(),
        status: placed.status.as_str().to_owned(),
        subtotal: placed.subtotal.amount(),
        refunded: 0,
        currency: currency.to_owned(),
        placed_at: at,
        tracking: None,
        packed_at: None,
        shipped_at: None,
        delivered_at: None,
        completed_at: None,
        cancelled_at: None,
        lines,
        text: String::new(),
    }
}

impl OrderDoc {
    /// Folds an event that follows `OrderPlaced`, recorded at `at`.
    pub fn apply(&mut self, event: &E, at: DateTime<Utc>) -> Result<(), FoldError> {
        match event {
            E::OrderPlaced { .. } => return Err(FoldError::PlacedTwice(self.order_id.clone())),
            E::PaymentConfirmed {
                paid_at,
                vendor_gross,
                vendor_order_status,
                ..
            } => {
                self.paid_at = Some(*paid_at);
                for gross in vendor_gross {
                    self.vendor(gross.vendor.as_ref())?.status = vendor_order_status.to_string();
                }
            }
            E::PaymentExpired {
                expired_at,
                vendor_orders,
                vendor_order_status,
                ..
            } => self.cancel_all(vendor_orders, *expired_at, vendor_order_status.as_str())?,
            E::OrderCancelled {
                cancelled_at,
                vendor_orders,
                vendor_order_status,
                ..
            } => self.cancel_all(vendor_orders, *cancelled_at, vendor_order_status.as_str())?,
            _ => self.apply_vendor_event(event)?,
        }
        self.status = event.order_status().as_str().to_owned();
        self.refunded = self.vendors.iter().map(|v| v.refunded).sum();
        self.updated_at = at;
        Ok(())
    }

    fn cancel_all(
        &mut self,
        parts: &[CancelledVendorOrder],
        at: DateTime<Utc>,
        status: &str,
    ) -> Result<(), FoldError> {
        self.cancelled_at = Some(at);
        let order = self.order_id.clone();
        for part in parts {
            let vendor = self.vendor(part.vendor.as_ref())?;
            vendor.status = status.to_owned();
            vendor.cancelled_at = Some(at);
            vendor.refunded = part.refund_amount.amount();
            released(vendor, &part.lines, &order)?;
        }
        Ok(())
    }

    /// Events about one vendor order (and the payment events that change
    /// nothing but the order status).
    fn apply_vendor_event(&mut self, event: &E) -> Result<(), FoldError> {
        let Some(vendor_id) = event.vendor() else {
            return Ok(());
        };
        let order_closed = matches!(
            event,
            E::VendorOrderCancelled {
                order_status: bazaar_domain::order::OrderStatus::Cancelled,
                ..
            }
        );
        let order_id = self.order_id.clone();
        let part = self.vendor(vendor_id.as_ref())?;
        let cancelled = assign_vendor(part, event, &order_id)?;
        if order_closed {
            self.cancelled_at = cancelled;
        }
        Ok(())
    }

    fn vendor(&mut self, vendor_id: &str) -> Result<&mut VendorPart, FoldError> {
        let order = self.order_id.clone();
        self.vendors
            .iter_mut()
            .find(|v| v.vendor_id == vendor_id)
            .ok_or_else(|| FoldError::Unknown {
                order,
                what: format!("vendor {vendor_id}"),
            })
    }

    /// Recomputes the search text of the order and of each vendor part.
    pub fn refresh_text(&mut self) {
        for part in &mut self.vendors {
            let mut words = vec![part.vendor_id.clone()];
            for line in &part.lines {
                words.extend([
                    line.title.clone(),
                    line.sku.clone(),
                    line.product_id.clone(),
                ]);
            }
            part.text = words.join(" ");
        }
        let mut words = vec![self.order_id.clone(), self.buyer_id.clone()];
        words.extend(self.vendors.iter().map(|v| v.text.clone()));
        self.text = words.join(" ");
    }
}
