//! The simulator's own account of what it did, kept apart from anything
//! the API reports: how each order ended, what it captured, what it asked
//! to refund and what it sold per vendor. The reconciliation compares this
//! with the events and the read models, so a bug that made both agree on a
//! wrong number still shows.

use std::collections::BTreeMap;

use serde::Serialize;

/// How a simulated order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Paid, shipped, delivered, accepted in escrow, released, completed.
    Completed,
    /// Like completed, after one unit came back (refunded).
    Returned,
    /// Like completed, after a dispute the agent split between release and refund.
    Disputed,
    /// One vendor cancelled its part after payment; the rest completed.
    VendorCancelled,
    /// The buyer cancelled before paying.
    CancelledBeforePayment,
    /// The buyer cancelled after paying; everything refunded.
    CancelledAfterPayment,
    /// The checkout saga found a line short and cancelled the order.
    RejectedOutOfStock,
    /// An unexpected answer or a timeout stopped the order (see failures).
    Failed,
}

/// An unexpected answer (or a wait that timed out), never swallowed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The simulated order's number (0 for set-up and reconciliation).
    pub order: u64,
    /// The step, e.g. `pay` or `wait PAID`.
    pub step: String,
    /// The HTTP status, if the API answered.
    pub status: Option<u16>,
    /// The problem type's slug, `timeout`, or what went wrong.
    pub problem: String,
    /// Detail for people.
    pub detail: String,
}

/// What one simulated order did.
#[derive(Debug, Clone)]
pub(crate) struct OrderRun {
    /// The order's id, once placed.
    pub(crate) order_id: Option<String>,
    /// Its currency.
    pub(crate) currency: String,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// Captured (the payment the simulator confirmed).
    pub(crate) captured: i64,
    /// Refunds the simulator's actions call for (cancellations, returns, disputes).
    pub(crate) refunds: i64,
    /// Each vendor's gross in the paid order.
    pub(crate) vendor_gross: Vec<(String, i64)>,
    /// Payouts the simulator released by hand.
    pub(crate) payouts: u64,
    /// What stopped it, if anything.
    pub(crate) failure: Option<Failure>,
}

/// Sums of one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CurrencyTally {
    /// Orders paid.
    pub paid_orders: i64,
    /// Captured.
    pub captured: i64,
    /// Refunds asked for.
    pub refunds: i64,
}

/// The whole run's account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Orders by how they ended.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Per currency.
    pub currencies: BTreeMap<String, CurrencyTally>,
    /// Gross sold per (vendor, currency), of paid orders.
    pub vendor_gross: BTreeMap<(String, String), i64>,
    /// Payouts released by hand.
    pub payouts: u64,
    /// Unexpected answers.
    pub failures: Vec<Failure>,
    /// Ids of the orders placed.
    #[serde(skip)]
    pub order_ids: Vec<String>,
}

impl Tally {
    /// Adds one order's account.
    pub(crate) fn add(&mut self, run: OrderRun) {
        *self.outcomes.entry(run.outcome).or_default() += 1;
        if run.captured > 0 {
            let sums = self.currencies.entry(run.currency.clone()).or_default();
            sums.paid_orders += 1;
            sums.captured += run.captured;
            sums.refunds += run.refunds;
            for (vendor, gross) in run.vendor_gross {
                *self
                    .vendor_gross
                    .entry((vendor, run.currency.clone()))
                    .or_default() += gross;
            }
        }
        self.payouts += run.payouts;
        self.order_ids.extend(run.order_id);
        self.failures.extend(run.failure);
    }

    /// Orders counted.
    pub fn orders(&self) -> u64 {
        self.outcomes.values().sum()
    }
}
