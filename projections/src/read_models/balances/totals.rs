//! `vendor_balances` kept by difference: a batch adds to each (vendor,
//! currency) row what its `vendor_order_balances` rows changed by, instead
//! of summing all of the vendor's orders again.
//!
//! Summing again cost a batch time in proportion to the vendor's whole
//! history (a vendor with a million orders summed a million rows for every
//! batch that touched one of them). A batch holds every row it may change,
//! as loaded and as folded, so the difference is exact: the sums over its
//! rows after folding, less the sums over the same rows as loaded. Rows the
//! batch did not load did not change, and add the same to both.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::rows::VendorOrderRow;

/// The sums of one (vendor, currency), or their change.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sums {
    pub(super) earned: i64,
    pub(super) held: i64,
    pub(super) held_in_escrow: i64,
    pub(super) available: i64,
    pub(super) paid_out: i64,
    pub(super) debt: i64,
    pub(super) orders: i64,
}

impl Sums {
    fn add(&mut self, row: &VendorOrderRow, sign: i64) {
        self.earned += sign * (row.net - row.net_refunded);
        self.held += sign * row.held;
        self.held_in_escrow += sign * row.held_in_escrow;
        self.available += sign * row.available;
        self.paid_out += sign * row.paid_out;
        self.debt += sign * row.debt;
        self.orders += sign;
    }

    fn minus(self, other: &Sums) -> Sums {
        Sums {
            earned: self.earned - other.earned,
            held: self.held - other.held,
            held_in_escrow: self.held_in_escrow - other.held_in_escrow,
            available: self.available - other.available,
            paid_out: self.paid_out - other.paid_out,
            debt: self.debt - other.debt,
            orders: self.orders - other.orders,
        }
    }
}

/// (vendor, currency).
pub(super) type VendorKey = (String, String);

/// Sums per (vendor, currency).
pub(super) type SumsByVendor = BTreeMap<VendorKey, Sums>;

/// The sums over `rows`.
pub(super) fn sums<'a>(rows: impl Iterator<Item = &'a VendorOrderRow>) -> SumsByVendor {
    let mut sums = SumsByVendor::new();
    for row in rows {
        sums.entry(key(row)).or_default().add(row, 1);
    }
    sums
}

/// One `vendor_balances` row's change: what to add, and the latest
/// `updated_at` of the rows that changed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Change {
    pub(super) vendor_id: String,
    pub(super) currency: String,
    pub(super) by: Sums,
    pub(super) updated_at: DateTime<Utc>,
}

/// The change of every (vendor, currency) that has a changed row or sums
/// that moved: the sums over `now` (every row of the batch, folded) less
/// `loaded` (the same rows' sums as loaded). `updated_at` is the latest of
/// its changed rows (of all changed rows, for a row that only lost one to
/// another currency).
pub(super) fn changes<'a>(
    loaded: &SumsByVendor,
    now: impl Iterator<Item = &'a VendorOrderRow>,
    changed: impl Iterator<Item = &'a VendorOrderRow>,
) -> Vec<Change> {
    let mut touched: BTreeMap<VendorKey, DateTime<Utc>> = BTreeMap::new();
    for row in changed {
        let latest = touched.entry(key(row)).or_insert(row.updated_at);
        *latest = (*latest).max(row.updated_at);
    }
    let Some(latest) = touched.values().max().copied() else {
        return Vec::new();
    };
    let mut by = sums(now);
    for (key, before) in loaded {
        let after = by.entry(key.clone()).or_default();
        *after = after.minus(before);
    }
    by.into_iter()
        .filter_map(|(key, by)| {
            let updated_at = match touched.get(&key) {
                Some(at) => *at,
                None if by != Sums::default() => latest,
                None => return None,
            };
            let (vendor_id, currency) = key;
            Some(Change {
                vendor_id,
                currency,
                by,
                updated_at,
            })
        })
        .collect()
}

fn key(row: &VendorOrderRow) -> VendorKey {
    (row.vendor_id.clone(), row.currency.clone())
}
