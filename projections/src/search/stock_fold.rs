//! Folding `InventoryReservation` events into a [`StockDoc`]. Every event
//! that moves units carries the absolute levels of the batches it touched
//! and the stock's availability on its date; they are assigned as they are.
//!
//! The document lists only the batches that hold units (on hand or
//! reserved), as the aggregate's own decision state does: a batch sold
//! out, adjusted to nothing or written off leaves the list, and comes back
//! if units return to it (a restock or an adjustment carries its levels
//! again). Listing every batch ever received made the document, which is
//! rewritten whole on every change, grow with the stock's history. Totals
//! over batches and the next expiry are sums and a minimum over the listed
//! batches: a batch left out holds nothing, so the sums still cover every
//! batch.

use bazaar_domain::inventory::{BatchLevel, InventoryReservationEvent as E};
use chrono::{DateTime, NaiveTime, Utc};

use super::document::{BatchDoc, StockDoc};

/// The SKU, warehouse and time of any stock event.
fn stock_of(event: &E) -> (&str, &str, DateTime<Utc>) {
    match event {
        E::ExpiredBatchWrittenOff {
            sku, warehouse, on, ..
        } => (
            sku.as_ref(),
            warehouse.as_ref(),
            on.and_time(NaiveTime::MIN).and_utc(),
        ),
        E::BatchReceived {
            sku, warehouse, at, ..
        }
        | E::StockReserved {
            sku, warehouse, at, ..
        }
        | E::ReservationExtended {
            sku, warehouse, at, ..
        }
        | E::ReservationReallocated {
            sku, warehouse, at, ..
        }
        | E::ReservationCommitted {
            sku, warehouse, at, ..
        }
        | E::ReservationReleased {
            sku, warehouse, at, ..
        }
        | E::ReservationExpired {
            sku, warehouse, at, ..
        }
        | E::StockAdjusted {
            sku, warehouse, at, ..
        }
        | E::ReturnRestocked {
            sku, warehouse, at, ..
        } => (sku.as_ref(), warehouse.as_ref(), *at),
    }
}

/// An empty document for the stock `event` is about (its first event).
pub fn new_stock(stock_id: &str, event: &E, recorded_at: DateTime<Utc>) -> StockDoc {
    let (sku, warehouse, at) = stock_of(event);
    StockDoc {
        stock_id: stock_id.to_owned(),
        sku: sku.to_owned(),
        warehouse_id: warehouse.to_owned(),
        vendor_id: None,
        available: 0,
        on_hand: 0,
        reserved: 0,
        as_of: at,
        next_expiry: None,
        batches: Vec::new(),
        updated_at: recorded_at,
        text: String::new(),
    }
}

impl StockDoc {
    /// Folds one event recorded at `recorded_at`.
    pub fn apply(&mut self, event: &E, recorded_at: DateTime<Utc>) {
        if let Some(levels) = event.levels() {
            self.available = levels.available;
            self.as_of = stock_of(event).2;
            for level in &levels.batches {
                self.assign(level);
            }
        }
        match event {
            E::BatchReceived { vendor, .. } if self.vendor_id.is_none() => {
                self.vendor_id = Some(vendor.to_string());
            }
            _ => {}
        }
        self.on_hand = self.batches.iter().map(|b| b.on_hand).sum();
        self.reserved = self.batches.iter().map(|b| b.reserved).sum();
        self.next_expiry = self
            .batches
            .iter()
            .filter(|b| b.free > 0)
            .filter_map(|b| b.expires_on)
            .min();
        self.updated_at = recorded_at;
        self.refresh_text();
    }

    /// Takes over one batch's levels: listed while it holds units, left
    /// out once it holds none. Batches stay sorted by id so a rebuild
    /// yields the same document.
    fn assign(&mut self, level: &BatchLevel) {
        let id = level.batch.as_ref();
        let found = self
            .batches
            .binary_search_by(|b| b.batch_id.as_str().cmp(id));
        if level.on_hand == 0 && level.reserved == 0 {
            if let Ok(at) = found {
                self.batches.remove(at);
            }
            return;
        }
        let (on_hand, reserved) = (u64::from(level.on_hand), u64::from(level.reserved));
        let batch = BatchDoc {
            batch_id: id.to_owned(),
            expires_on: level.expires_on,
            on_hand,
            reserved,
            free: on_hand.saturating_sub(reserved),
        };
        match found {
            Ok(at) => self.batches[at] = batch,
            Err(at) => self.batches.insert(at, batch),
        }
    }

    fn refresh_text(&mut self) {
        let mut words = vec![
            self.stock_id.clone(),
            self.sku.clone(),
            self.warehouse_id.clone(),
        ];
        words.extend(self.batches.iter().map(|b| b.batch_id.clone()));
        self.text = words.join(" ");
    }
}
