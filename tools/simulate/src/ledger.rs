//! The money as the events tell it: the simulator reads the `PaymentSplit`
//! and `Escrow` events of its own orders from the audit log
//! (`/v1/audit/events`, as an auditor) and folds them into per-share and
//! per-payment figures with its own arithmetic.
//!
//! The fold uses the events' movements — amounts captured, fee and net
//! parts of refunds, payouts, escrow funding, releases and refunds — and
//! not the resulting balances the events also carry (those are what the
//! read models copy, so copying them here would prove nothing). Escrow
//! `DisputeResolved` is skipped: its release and refund arrive as their own
//! `FundsReleased` and `FundsRefunded` events.

use std::collections::{BTreeMap, BTreeSet};

use bazaar_domain::escrow::EscrowEvent;
use bazaar_domain::payment_split::PaymentSplitEvent;
use serde_json::Value;

use super::client::{Api, CallError, Who};

/// One vendor's share of one order, as the events tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Share {
    /// Currency of the amounts.
    pub(crate) currency: String,
    /// The vendor's allocated gross.
    pub(crate) allocated: i64,
    /// Fee charged on it.
    pub(crate) fee: i64,
    /// Net owed to the vendor before refunds.
    pub(crate) net: i64,
    /// Fee given back by refunds and chargebacks.
    pub(crate) fee_refunded: i64,
    /// Net given back by refunds and chargebacks.
    pub(crate) net_refunded: i64,
    /// Paid out, less failed payouts.
    pub(crate) paid_out: i64,
    /// Owed by the vendor (incurred less recovered).
    pub(crate) debt: i64,
    /// Still in the order's escrow for the vendor (gross).
    pub(crate) in_escrow: i64,
}

/// One order's payment, as the events tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Payment {
    /// Currency of the amounts.
    pub(crate) currency: String,
    /// Captured and split.
    pub(crate) captured: i64,
    /// The platform's fee.
    pub(crate) platform_fee: i64,
    /// Fee given back.
    pub(crate) platform_fee_refunded: i64,
    /// Refunded to the buyer.
    pub(crate) refunded: i64,
    /// Charged back.
    pub(crate) charged_back: i64,
}

/// The fold of the run's money events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fold {
    /// By (order, vendor).
    pub(crate) shares: BTreeMap<(String, String), Share>,
    /// By order.
    pub(crate) payments: BTreeMap<String, Payment>,
    /// Payouts released (count).
    pub(crate) payouts: u64,
    /// The log position of the last event read, as a `min_position` token.
    pub(crate) last_position: Option<String>,
    /// Events folded.
    pub(crate) events: u64,
}

/// Reads and folds the money events of `orders` recorded since `from`.
pub(crate) async fn fold(
    api: &Api,
    orders: &BTreeSet<String>,
    from: &str,
) -> Result<Fold, CallError> {
    let mut fold = Fold::default();
    for kind in ["payment_split", "escrow"] {
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/audit/events?aggregate_type={kind}&from={from}&limit=1000");
            if let Some(cursor) = &after {
                path.push_str(&format!("&after={cursor}"));
            }
            let page = api.get(&Who::Auditor, &path).await?;
            for event in page["events"].as_array().into_iter().flatten() {
                fold.note_position(event);
                if orders.contains(event["aggregate_id"].as_str().unwrap_or_default()) {
                    fold.apply(event)?;
                }
            }
            if page["more"] != true {
                break;
            }
            after = page["next"].as_str().map(str::to_owned);
        }
    }
    Ok(fold)
}

impl Fold {
    fn note_position(&mut self, event: &Value) {
        let (Some(tx), Some(position)) =
            (event["tx_id"].as_u64(), event["global_position"].as_i64())
        else {
            return;
        };
        let newer = self
            .last_position
            .as_deref()
            .and_then(|p| p.split_once('-'))
            .and_then(|(t, p)| Some((t.parse::<u64>().ok()?, p.parse::<i64>().ok()?)))
            .is_none_or(|last| (tx, position) > last);
        if newer {
            self.last_position = Some(format!("{tx}-{position}"));
        }
    }

    fn apply(&mut self, event: &Value) -> Result<(), CallError> {
        let order = event["aggregate_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let unreadable = |e: serde_json::Error| {
            CallError::Local(format!("unreadable event {}: {e}", event["event_id"]))
        };
        self.events += 1;
        match event["aggregate_type"].as_str() {
            Some("PaymentSplit") => {
                let payload =
                    serde_json::from_value(event["payload"].clone()).map_err(unreadable)?;
                self.split(order, payload);
            }
            Some("Escrow") => {
                let payload =
                    serde_json::from_value(event["payload"].clone()).map_err(unreadable)?;
                self.escrow(&order, payload);
            }
            _ => {}
        }
        Ok(())
    }

    fn share(&mut self, order: &str, vendor: &str, currency: &str) -> &mut Share {
        let share = self
            .shares
            .entry((order.to_owned(), vendor.to_owned()))
            .or_default();
        if share.currency.is_empty() {
            currency.clone_into(&mut share.currency);
        }
        share
    }

    fn split(&mut self, order: String, event: PaymentSplitEvent) {
        use PaymentSplitEvent as E;
        match event {
            E::SplitComputed {
                captured,
                platform_fee,
                vendors,
                ..
            } => {
                let currency = captured.currency().to_string();
                for v in vendors {
                    let share = self.share(&order, v.vendor.as_ref(), &currency);
                    share.allocated += v.balance.allocated.amount();
                    share.fee += v.balance.fee.amount();
                    share.net += v.balance.net.amount();
                }
                let payment = self.payments.entry(order).or_default();
                payment.currency = currency;
                payment.captured += captured.amount();
                payment.platform_fee += platform_fee.amount();
            }
            E::RefundRecorded {
                amount, vendors, ..
            } => {
                self.taken_back(&order, amount.currency().to_string(), &vendors);
                let payment = self.payments.entry(order).or_default();
                payment.refunded += amount.amount();
            }
            E::ChargebackRecorded {
                amount, vendors, ..
            } => {
                self.taken_back(&order, amount.currency().to_string(), &vendors);
                let payment = self.payments.entry(order).or_default();
                payment.charged_back += amount.amount();
            }
            E::PayoutReleased { vendor, amount, .. } => {
                let currency = amount.currency().to_string();
                self.share(&order, vendor.as_ref(), &currency).paid_out += amount.amount();
                self.payouts += 1;
            }
            E::PayoutFailed { vendor, amount, .. } => {
                let currency = amount.currency().to_string();
                self.share(&order, vendor.as_ref(), &currency).paid_out -= amount.amount();
            }
            E::VendorDebtIncurred { vendor, amount, .. } => {
                let currency = amount.currency().to_string();
                self.share(&order, vendor.as_ref(), &currency).debt += amount.amount();
            }
            E::VendorDebtRecovered { vendor, amount, .. } => {
                let currency = amount.currency().to_string();
                self.share(&order, vendor.as_ref(), &currency).debt -= amount.amount();
            }
            E::PayoutScheduled { .. } | E::HoldLifted { .. } => {}
        }
    }

    fn taken_back(
        &mut self,
        order: &str,
        currency: String,
        vendors: &[bazaar_domain::payment_split::event::VendorReturn],
    ) {
        let mut fee_total = 0;
        for v in vendors {
            let share = self.share(order, v.vendor.as_ref(), &currency);
            share.fee_refunded += v.fee_part.amount();
            share.net_refunded += v.net_part.amount();
            fee_total += v.fee_part.amount();
        }
        self.payments
            .entry(order.to_owned())
            .or_default()
            .platform_fee_refunded += fee_total;
    }

    fn escrow(&mut self, order: &str, event: EscrowEvent) {
        match event {
            EscrowEvent::EscrowFunded { milestones, .. } => {
                for m in milestones {
                    let currency = m.funded.currency().to_string();
                    self.share(order, m.id.as_ref(), &currency).in_escrow += m.funded.amount();
                }
            }
            EscrowEvent::FundsReleased {
                amount, milestone, ..
            }
            | EscrowEvent::FundsRefunded {
                amount, milestone, ..
            } => {
                let currency = amount.currency().to_string();
                self.share(order, milestone.id.as_ref(), &currency)
                    .in_escrow -= amount.amount();
            }
            _ => {}
        }
    }
}
