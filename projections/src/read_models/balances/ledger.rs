//! `payout_ledger` entries: their kinds, signs and ids.

use bazaar_domain::money::Money;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rows::{LedgerRow, Rows};
use super::Stamp;

/// What kind of movement an entry is (the `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The vendor's share of a captured payment (`allocated`), positive.
    Earned,
    /// Platform fee: negative when charged, positive when given back.
    Fee,
    /// Money paid out to the vendor's bank, negative.
    Payout,
    /// A payout that did not arrive, back in the balance, positive.
    PayoutFailed,
    /// The vendor's part of a refund to the buyer, negative.
    Refund,
    /// The vendor's part of a chargeback, negative.
    Chargeback,
    /// Memo: part of a refund or chargeback already paid out, negative.
    DebtIncurred,
    /// Memo: debt settled from a failed payout's money, positive.
    DebtRecovered,
    /// Memo: money released from the order's escrow for the vendor, positive.
    EscrowReleased,
    /// Memo: money refunded from the order's escrow to the buyer, negative.
    EscrowRefunded,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Earned => "earned",
            Self::Fee => "fee",
            Self::Payout => "payout",
            Self::PayoutFailed => "payout_failed",
            Self::Refund => "refund",
            Self::Chargeback => "chargeback",
            Self::DebtIncurred => "debt_incurred",
            Self::DebtRecovered => "debt_recovered",
            Self::EscrowReleased => "escrow_released",
            Self::EscrowRefunded => "escrow_refunded",
        }
    }

    /// Whether the entry's amount counts in `earned - paid_out`.
    fn in_balance(self) -> bool {
        !matches!(
            self,
            Self::DebtIncurred | Self::DebtRecovered | Self::EscrowReleased | Self::EscrowRefunded
        )
    }
}

/// One movement of one vendor's money.
#[derive(Debug, Clone)]
pub(super) struct Entry<'a> {
    /// Whose money.
    pub(super) vendor: &'a str,
    /// What kind of movement.
    pub(super) kind: Kind,
    /// Signed minor units, positive towards the vendor.
    pub(super) amount: i64,
    /// The currency of `amount`.
    pub(super) currency: String,
    /// The payout, refund, chargeback or payment id.
    pub(super) reference: Option<String>,
    /// A short qualifier: cause or reason (see the docs).
    pub(super) detail: Option<&'static str>,
    /// The event's business time (`at`).
    pub(super) occurred_at: DateTime<Utc>,
}

impl<'a> Entry<'a> {
    /// Money moving towards the vendor.
    pub(super) fn credit(vendor: &'a str, kind: Kind, money: Money, at: DateTime<Utc>) -> Self {
        Self::new(vendor, kind, money.amount(), money, at)
    }

    /// Money moving away from the vendor.
    pub(super) fn debit(vendor: &'a str, kind: Kind, money: Money, at: DateTime<Utc>) -> Self {
        Self::new(vendor, kind, -money.amount(), money, at)
    }

    fn new(vendor: &'a str, kind: Kind, amount: i64, money: Money, at: DateTime<Utc>) -> Self {
        Self {
            vendor,
            kind,
            amount,
            currency: money.currency().to_string(),
            reference: None,
            detail: None,
            occurred_at: at,
        }
    }

    /// The same entry with a reference id.
    pub(super) fn reference(self, reference: impl AsRef<str>) -> Self {
        Self {
            reference: Some(reference.as_ref().to_owned()),
            ..self
        }
    }

    /// The same entry with a qualifier.
    pub(super) fn detail(self, detail: &'static str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }
}

/// The entry's id: a UUIDv5 of vendor and kind in the event id's namespace,
/// so an event yields the same ids on every replay and rebuild.
fn entry_id(event_id: Uuid, vendor: &str, kind: Kind) -> Uuid {
    Uuid::new_v5(&event_id, format!("{vendor}/{}", kind.as_str()).as_bytes())
}

/// Records `entry` unless it is zero or already recorded.
pub(super) fn record(rows: &mut Rows, stamp: Stamp<'_>, entry: Entry<'_>) {
    if entry.amount == 0 {
        return;
    }
    let entry_id = entry_id(stamp.event_id, entry.vendor, entry.kind);
    if !rows.entered.insert(entry_id) {
        return;
    }
    rows.ledger.push(LedgerRow {
        entry_id,
        vendor_id: entry.vendor.to_owned(),
        order_id: stamp.order_id.to_owned(),
        currency: entry.currency,
        kind: entry.kind.as_str(),
        amount: entry.amount,
        in_balance: entry.kind.in_balance(),
        reference: entry.reference,
        detail: entry.detail,
        occurred_at: entry.occurred_at,
        event_id: stamp.event_id,
        position: stamp.position,
        recorded_at: stamp.recorded_at,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_differ_by_vendor_and_kind_and_repeat_per_event() {
        let event = Uuid::now_v7();
        let earned = entry_id(event, "vendor-a", Kind::Earned);
        assert_eq!(earned, entry_id(event, "vendor-a", Kind::Earned));
        assert_ne!(earned, entry_id(event, "vendor-a", Kind::Fee));
        assert_ne!(earned, entry_id(event, "vendor-b", Kind::Earned));
        assert_ne!(earned, entry_id(Uuid::now_v7(), "vendor-a", Kind::Earned));
    }

    #[test]
    fn memo_kinds_stay_out_of_the_balance() {
        let memo = [
            Kind::DebtIncurred,
            Kind::DebtRecovered,
            Kind::EscrowReleased,
            Kind::EscrowRefunded,
        ];
        for kind in memo {
            assert!(!kind.in_balance(), "{kind:?}");
        }
        for kind in [Kind::Earned, Kind::Fee, Kind::Payout, Kind::PayoutFailed] {
            assert!(kind.in_balance(), "{kind:?}");
        }
        assert!(Kind::Refund.in_balance() && Kind::Chargeback.in_balance());
    }
}
