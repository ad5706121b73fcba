//! What a hit shows in each [`Scope`], and cutting a page: shared by both
//! backends so their answers are the same.

use super::criteria::{OrderKey, StockKey};
use super::document::{OrderDoc, StockDoc};
use super::request::{Scope, StockHit};
use crate::keyset::encode_cursor;

/// `doc` as `scope` may see it: in vendor scope only the vendor's own part,
/// with the order's status and amounts replaced by the part's; search text
/// omitted everywhere.
pub fn order_hit(mut doc: OrderDoc, scope: &Scope) -> OrderDoc {
    doc.text.clear();
    if let Scope::Vendor(vendor) = scope {
        doc.vendors.retain(|part| &part.vendor_id == vendor);
        if let Some(part) = doc.vendors.first() {
            doc.status = part.status.clone();
            doc.total = part.subtotal;
            doc.refunded = part.refunded;
        }
    }
    for part in &mut doc.vendors {
        part.text.clear();
    }
    doc
}

/// `doc` as `scope` may see it: batches and on-hand figures for
/// [`Scope::All`] and for the vendor owning the stock (a vendor's search
/// only finds its own stock); buyers see availability only.
pub fn stock_hit(doc: StockDoc, scope: &Scope) -> StockHit {
    let full = match scope {
        Scope::All => true,
        Scope::Vendor(vendor) => doc.vendor_id.as_ref() == Some(vendor),
        Scope::Buyer(_) => false,
    };
    StockHit {
        stock_id: doc.stock_id,
        sku: doc.sku,
        warehouse_id: doc.warehouse_id,
        vendor_id: doc.vendor_id,
        available: doc.available,
        as_of: doc.as_of,
        next_expiry: doc.next_expiry,
        on_hand: full.then_some(doc.on_hand),
        reserved: full.then_some(doc.reserved),
        batches: full.then_some(doc.batches),
    }
}

/// Keeps the first `size` of `docs` (fetched `size + 1` to tell whether
/// more follow) and the cursor after the last kept one.
pub fn order_page(mut docs: Vec<OrderDoc>, size: u32) -> (Vec<OrderDoc>, Option<String>) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if docs.len() <= size {
        return (docs, None);
    }
    docs.truncate(size);
    let next = docs.last().map(|d| {
        encode_cursor(&OrderKey {
            placed_at: d.placed_at,
            order_id: d.order_id.clone(),
        })
    });
    (docs, next)
}

/// [`order_page`] for stock, keyed by stock id.
pub fn stock_page(mut docs: Vec<StockDoc>, size: u32) -> (Vec<StockDoc>, Option<String>) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if docs.len() <= size {
        return (docs, None);
    }
    docs.truncate(size);
    let next = docs.last().map(|d| {
        encode_cursor(&StockKey {
            stock_id: d.stock_id.clone(),
        })
    });
    (docs, next)
}
