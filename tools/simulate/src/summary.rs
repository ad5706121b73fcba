//! The end of a run: how the orders ended, the money per currency (from
//! the read models, which the reconciliation has just compared with the
//! events), the pace achieved, every unexpected answer, and each compared
//! figure with OK or MISMATCH. Printed for people; `--json FILE` writes the
//! same as JSON for scripts.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::reconcile::{Check, ReadModels};
use super::tally::{Failure, Outcome, Tally};

/// Money of one currency, minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CurrencyMoney {
    /// Orders paid.
    pub paid_orders: i64,
    /// Captured: the gross revenue.
    pub captured: i64,
    /// Platform fees charged.
    pub platform_fees: i64,
    /// Part of the fees given back with refunds.
    pub fees_given_back: i64,
    /// Refunded to buyers.
    pub refunded: i64,
    /// Paid out to vendors.
    pub paid_out: i64,
    /// Still held in checkout escrows.
    pub in_escrow: i64,
}

/// What a run did and whether its money reconciles.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The run's tag (prefix of its ids).
    pub run: String,
    /// The seed its choices came from.
    pub seed: u64,
    /// Orders simulated.
    pub orders: u64,
    /// Orders by how they ended.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Money per currency.
    pub money: BTreeMap<String, CurrencyMoney>,
    /// Payouts the simulator released.
    pub payouts: u64,
    /// Seconds from the first order to the last order's end.
    pub elapsed_seconds: f64,
    /// Orders started per second, as achieved: intervals between the first
    /// and the last start over the time they took.
    pub achieved_rate: f64,
    /// Unexpected answers and timeouts.
    pub failures: Vec<Failure>,
    /// Every compared figure.
    pub checks: Vec<Check>,
}

impl Report {
    /// Builds the report from the tally and the last reconciliation.
    pub(crate) fn new(
        (run, seed): (String, u64),
        tally: Tally,
        (checks, read): (Vec<Check>, ReadModels),
        (elapsed_seconds, starting_seconds): (f64, f64),
    ) -> Self {
        let orders = tally.orders();
        Self {
            run,
            seed,
            orders,
            outcomes: tally.outcomes,
            money: money(&read),
            payouts: tally.payouts,
            elapsed_seconds,
            achieved_rate: start_rate(orders, starting_seconds),
            failures: tally.failures,
            checks,
        }
    }

    /// Whether every compared figure agrees.
    pub fn reconciled(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The figures that disagree.
    pub fn mismatches(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.ok).collect()
    }

    /// Prints the summary for people.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "run {} (seed {}): {} orders in {:.1} s, started at {:.1} orders/s",
            self.run, self.seed, self.orders, self.elapsed_seconds, self.achieved_rate
        )?;
        writeln!(out, "\norders by final state")?;
        for (outcome, count) in &self.outcomes {
            let name = serde_json::to_value(outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            writeln!(out, "  {name:<26} {count:>8}")?;
        }
        writeln!(out, "\nmoney (minor units)")?;
        writeln!(
            out,
            "  {:<8} {:>6} {:>14} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "currency", "paid", "revenue", "fees", "fees back", "refunds", "payouts", "in escrow"
        )?;
        for (c, m) in &self.money {
            writeln!(
                out,
                "  {c:<8} {:>6} {:>14} {:>12} {:>12} {:>12} {:>12} {:>12}",
                m.paid_orders,
                m.captured,
                m.platform_fees,
                m.fees_given_back,
                m.refunded,
                m.paid_out,
                m.in_escrow
            )?;
        }
        writeln!(out, "  payouts released by the simulator: {}", self.payouts)?;
        writeln!(out, "\nfailures: {}", self.failures.len())?;
        for f in &self.failures {
            let status = f
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".to_owned());
            writeln!(
                out,
                "  order {} {}: {status} {} ({})",
                f.order, f.step, f.problem, f.detail
            )?;
        }
        self.print_checks(out)
    }

    fn print_checks(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "\nreconciliation: read models vs events vs simulator")?;
        writeln!(
            out,
            "  {:<58} {:>14} {:>14} {:>14}",
            "figure", "read model", "events", "simulator"
        )?;
        for c in &self.checks {
            let sim = c
                .simulator
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".to_owned());
            let verdict = if c.ok { "OK" } else { "MISMATCH" };
            writeln!(
                out,
                "  {:<58} {:>14} {:>14} {:>14}  {verdict}",
                c.figure, c.read_model, c.events, sim
            )?;
        }
        let bad = self.mismatches().len();
        if bad == 0 {
            writeln!(
                out,
                "\nreconciliation OK: {} figures agree to the minor unit",
                self.checks.len()
            )
        } else {
            writeln!(
                out,
                "\nreconciliation FAILED: {bad} of {} figures MISMATCH",
                self.checks.len()
            )
        }
    }
}

fn start_rate(orders: u64, starting_seconds: f64) -> f64 {
    if orders > 1 && starting_seconds > 0.0 {
        (orders - 1) as f64 / starting_seconds
    } else {
        orders as f64
    }
}

fn money(read: &ReadModels) -> BTreeMap<String, CurrencyMoney> {
    let mut money: BTreeMap<String, CurrencyMoney> = BTreeMap::new();
    let field = |row: &serde_json::Value, name: &str| row[name].as_i64().unwrap_or_default();
    for row in read.fees.values() {
        let m = money
            .entry(row["currency"].as_str().unwrap_or_default().to_owned())
            .or_default();
        m.paid_orders += 1;
        m.captured += field(row, "captured");
        m.platform_fees += field(row, "platform_fee");
        m.fees_given_back += field(row, "platform_fee_refunded");
        m.refunded += field(row, "refunded");
    }
    for ((_, currency), row) in &read.balances {
        let m = money.entry(currency.clone()).or_default();
        m.paid_out += field(row, "paid_out");
        m.in_escrow += field(row, "held_in_escrow");
    }
    money
}
