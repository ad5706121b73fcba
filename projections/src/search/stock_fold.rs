//! Folding `InventoryReservation` events into a [`StockDoc`]. Every event
//! that moves units carries the absolute levels of the batches it touched
//! and the stock's availability on its date; they are assigned as they are.
//! Totals over batches and the next expiry are sums and a minimum over the
//! document's own batches.

use bazaar_domain::inventory::InventoryReservationEvent as E;
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
                let batch = self.batch(level.batch.as_ref());
                batch.expires_on = level.expires_on;
                batch.on_hand = u64::from(level.on_hand);
                batch.reserved = u64::from(level.reserved);
                batch.free = batch.on_hand.saturating_sub(batch.reserved);
            }
        }
        match event {
            E::ExpiredBatchWrittenOff { batch, .. } => {
                self.batch(batch.as_ref()).written_off = true
            }
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
            .filter(|b| b.free > 0 && !b.written_off)
            .filter_map(|b| b.expires_on)
            .min();
        self.updated_at = recorded_at;
        self.refresh_text();
    }

    /// The batch's entry, created (empty) on its first mention; batches
    /// stay sorted by id so a rebuild yields the same document.
    fn batch(&mut self, batch_id: &str) -> &mut BatchDoc {
        let at = match self
            .batches
            .binary_search_by(|b| b.batch_id.as_str().cmp(batch_id))
        {
            Ok(at) => at,
            Err(at) => {
                let empty = BatchDoc {
                    batch_id: batch_id.to_owned(),
                    expires_on: None,
                    on_hand: 0,
                    reserved: 0,
                    free: 0,
                    written_off: false,
                };
                self.batches.insert(at, empty);
                at
            }
        };
        &mut self.batches[at]
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
