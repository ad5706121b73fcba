//! Reconciliation, to the minor unit: every money figure of the run as the
//! read models show it (vendor balances, order balances, the payout
//! ledger, platform fees, invoices and credit notes — through the query
//! endpoints), as the events
//! tell it ([`ledger`](super::ledger), folded independently), and, where
//! the simulator knows it, as its own tally says.
//!
//! The read models trail the log, and the saga may still be booking the
//! last refunds when the orders are done; so the comparison is repeated —
//! each time reading the read models at the position of the last event
//! folded (`min_position`) — until everything agrees or the bound passes.
//! What is reported is the last comparison.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::client::{Api, CallError, Who};
use super::ledger::{self, Fold};
use super::tally::Tally;

/// One compared figure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// What is compared, e.g. `EUR captured` or `vendor v01 EUR earned`.
    pub figure: String,
    /// As the read models show it.
    pub read_model: i64,
    /// As the events tell it.
    pub events: i64,
    /// As the simulator counted it, where it knows.
    pub simulator: Option<i64>,
    /// All of them equal.
    pub ok: bool,
}

impl Check {
    pub(crate) fn new(
        figure: String,
        read_model: i64,
        events: i64,
        simulator: Option<i64>,
    ) -> Self {
        let ok = read_model == events && simulator.is_none_or(|s| s == events);
        Self {
            figure,
            read_model,
            events,
            simulator,
            ok,
        }
    }
}

/// The read models' figures of the run.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadModels {
    /// `read.vendor_balances` rows, by (vendor, currency).
    pub(crate) balances: BTreeMap<(String, String), Value>,
    /// `read.vendor_order_balances` rows of the run's orders, by (order, vendor).
    pub(crate) shares: BTreeMap<(String, String), Value>,
    /// Σ in-balance ledger amounts, by (vendor, currency).
    pub(crate) ledger: BTreeMap<(String, String), i64>,
    /// `read.platform_fees` rows of the run's orders, by order.
    pub(crate) fees: BTreeMap<String, Value>,
    /// Invoiced less credited on the run's orders, by (vendor, currency).
    pub(crate) invoiced: BTreeMap<(String, String), Invoiced>,
}

/// What one vendor's documents add up to: invoices less credit notes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Invoiced {
    /// The vendor's sale documents to buyers.
    pub(crate) sales: i64,
    /// The platform's fee documents to the vendor.
    pub(crate) fees: i64,
}

/// Compares until all agree or `timeout` passes; returns the checks and
/// the read models of the last comparison.
pub(crate) async fn reconcile(
    api: &Api,
    (tally, vendors): (&Tally, &[String]),
    from: &str,
    timeout: Duration,
) -> Result<(Vec<Check>, ReadModels), CallError> {
    let orders: BTreeSet<String> = tally.order_ids.iter().cloned().collect();
    let started = Instant::now();
    loop {
        let fold = ledger::fold(api, &orders, from).await?;
        let read =
            read_models(api, vendors, &orders, (from, fold.last_position.as_deref())).await?;
        let checks = compare(&read, &fold, tally);
        if checks.iter().all(|c| c.ok) || started.elapsed() >= timeout {
            return Ok((checks, read));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn read_models(
    api: &Api,
    vendors: &[String],
    orders: &BTreeSet<String>,
    (from, position): (&str, Option<&str>),
) -> Result<ReadModels, CallError> {
    let at = position
        .map(|p| format!("&min_position={p}"))
        .unwrap_or_default();
    let mut read = ReadModels::default();
    for vendor in vendors {
        let path = format!(
            "/v1/vendors/{vendor}/balances?{}",
            at.trim_start_matches('&')
        );
        for row in api
            .get(&Who::Admin, &path)
            .await?
            .as_array()
            .into_iter()
            .flatten()
        {
            read.balances
                .insert((vendor.clone(), text(row, "currency")), row.clone());
        }
        let path = format!("/v1/vendors/{vendor}/order-balances?limit=200{at}");
        for row in pages(api, &path).await? {
            read.shares
                .insert((text(&row, "order_id"), vendor.clone()), row);
        }
        let path = format!("/v1/vendors/{vendor}/ledger?limit=200{at}");
        for row in pages(api, &path).await? {
            if row["in_balance"] == true {
                let key = (vendor.clone(), text(&row, "currency"));
                *read.ledger.entry(key).or_default() += amount(&row, "amount");
            }
        }
    }
    let path = format!("/v1/platform/fees?from={from}&limit=200{at}");
    for row in pages(api, &path).await? {
        let order = text(&row, "order_id");
        if orders.contains(&order) {
            read.fees.insert(order, row);
        }
    }
    read.invoiced = invoiced(api, orders, (from, &at)).await?;
    Ok(read)
}

/// Σ invoices − Σ credit notes of the run's orders, per vendor and
/// currency, from `/v1/invoices` (issued on or after the run's first day).
async fn invoiced(
    api: &Api,
    orders: &BTreeSet<String>,
    (from, at): (&str, &str),
) -> Result<BTreeMap<(String, String), Invoiced>, CallError> {
    let day = from.get(..10).unwrap_or(from);
    let path = format!("/v1/invoices?from={day}&limit=200{at}");
    let mut invoiced: BTreeMap<(String, String), Invoiced> = BTreeMap::new();
    for doc in pages(api, &path).await? {
        if !orders.contains(&text(&doc, "order_id")) {
            continue;
        }
        let sign = if doc["kind"] == "credit_note" { -1 } else { 1 };
        let key = (text(&doc, "vendor_id"), text(&doc, "currency"));
        let sums = invoiced.entry(key).or_default();
        let total = sign * amount(&doc, "total");
        match doc["subject"].as_str() {
            Some("sale") => sums.sales += total,
            _ => sums.fees += total,
        }
    }
    Ok(invoiced)
}

/// Every item of a paged list.
async fn pages(api: &Api, path: &str) -> Result<Vec<Value>, CallError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let page = api.get(&Who::Admin, &page_path).await?;
        items.extend(page["items"].as_array().into_iter().flatten().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(items),
        }
    }
}

fn text(row: &Value, field: &str) -> String {
    row[field].as_str().unwrap_or_default().to_owned()
}

fn amount(row: &Value, field: &str) -> i64 {
    row[field].as_i64().unwrap_or_default()
}

/// Every figure, per currency, per vendor and currency, and per order share.
pub(crate) fn compare(read: &ReadModels, fold: &Fold, tally: &Tally) -> Vec<Check> {
    let mut checks = per_currency(read, fold, tally);
    checks.extend(per_vendor(read, fold, tally));
    checks.extend(per_share(read, fold));
    checks
}

fn per_currency(read: &ReadModels, fold: &Fold, tally: &Tally) -> Vec<Check> {
    let mut currencies: BTreeSet<String> = tally.currencies.keys().cloned().collect();
    currencies.extend(fold.payments.values().map(|p| p.currency.clone()));
    currencies.extend(read.fees.values().map(|r| text(r, "currency")));
    let mut checks = Vec::new();
    for c in currencies {
        let rows: Vec<&Value> = read.fees.values().filter(|r| r["currency"] == *c).collect();
        let sum = |field: &str| rows.iter().map(|r| amount(r, field)).sum::<i64>();
        let payments: Vec<_> = fold.payments.values().filter(|p| p.currency == c).collect();
        let mine = tally.currencies.get(&c).cloned().unwrap_or_default();
        let paid = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        checks.push(Check::new(
            format!("{c} paid orders"),
            paid(rows.len()),
            paid(payments.len()),
            Some(mine.paid_orders),
        ));
        checks.push(Check::new(
            format!("{c} captured"),
            sum("captured"),
            payments.iter().map(|p| p.captured).sum(),
            Some(mine.captured),
        ));
        checks.push(Check::new(
            format!("{c} platform fees"),
            sum("platform_fee"),
            payments.iter().map(|p| p.platform_fee).sum(),
            None,
        ));
        checks.push(Check::new(
            format!("{c} fees given back"),
            sum("platform_fee_refunded"),
            payments.iter().map(|p| p.platform_fee_refunded).sum(),
            None,
        ));
        checks.push(Check::new(
            format!("{c} refunded"),
            sum("refunded"),
            payments.iter().map(|p| p.refunded).sum(),
            Some(mine.refunds),
        ));
        checks.push(Check::new(
            format!("{c} charged back"),
            sum("charged_back"),
            payments.iter().map(|p| p.charged_back).sum(),
            Some(0),
        ));
        let paid_out: i64 = read
            .balances
            .iter()
            .filter(|((_, rc), _)| *rc == c)
            .map(|(_, r)| amount(r, "paid_out"))
            .sum();
        let folded: i64 = fold
            .shares
            .values()
            .filter(|s| s.currency == c)
            .map(|s| s.paid_out)
            .sum();
        checks.push(Check::new(
            format!("{c} paid out to vendors"),
            paid_out,
            folded,
            None,
        ));
    }
    checks
}

fn per_vendor(read: &ReadModels, fold: &Fold, tally: &Tally) -> Vec<Check> {
    let mut keys: BTreeSet<(String, String)> = read.balances.keys().cloned().collect();
    keys.extend(
        fold.shares
            .iter()
            .map(|((_, v), s)| (v.clone(), s.currency.clone())),
    );
    keys.extend(read.invoiced.keys().cloned());
    let mut checks = Vec::new();
    for (vendor, c) in keys {
        let shares: Vec<_> = fold
            .shares
            .iter()
            .filter(|((_, v), s)| *v == vendor && s.currency == c)
            .map(|(_, s)| s)
            .collect();
        let total = |f: fn(&super::ledger::Share) -> i64| shares.iter().map(|s| f(s)).sum::<i64>();
        let row = read
            .balances
            .get(&(vendor.clone(), c.clone()))
            .cloned()
            .unwrap_or(Value::Null);
        let gross: i64 = read
            .shares
            .iter()
            .filter(|((_, v), r)| *v == vendor && r["currency"] == *c)
            .map(|(_, r)| amount(r, "allocated"))
            .sum();
        let earned = total(|s| s.net - s.net_refunded);
        let owed = earned - total(|s| s.paid_out);
        let name = |what: &str| format!("vendor {vendor} {c} {what}");
        let sold = tally
            .vendor_gross
            .get(&(vendor.clone(), c.clone()))
            .copied()
            .unwrap_or(0);
        checks.push(Check::new(
            name("gross"),
            gross,
            total(|s| s.allocated),
            Some(sold),
        ));
        checks.push(Check::new(
            name("earned"),
            amount(&row, "earned"),
            earned,
            None,
        ));
        checks.push(Check::new(
            name("paid out"),
            amount(&row, "paid_out"),
            total(|s| s.paid_out),
            None,
        ));
        checks.push(Check::new(
            name("debt"),
            amount(&row, "debt"),
            total(|s| s.debt),
            None,
        ));
        let held = amount(&row, "held") + amount(&row, "available") - amount(&row, "debt");
        checks.push(Check::new(name("owed to vendor"), held, owed, None));
        checks.push(Check::new(
            name("in escrow"),
            amount(&row, "held_in_escrow"),
            total(|s| s.in_escrow),
            None,
        ));
        let ledger = read
            .ledger
            .get(&(vendor.clone(), c.clone()))
            .copied()
            .unwrap_or(0);
        checks.push(Check::new(name("ledger balance"), ledger, owed, None));
        let invoiced = read
            .invoiced
            .get(&(vendor.clone(), c.clone()))
            .copied()
            .unwrap_or_default();
        checks.push(Check::new(
            name("invoiced less credited"),
            invoiced.sales,
            total(|s| s.allocated - s.fee_refunded - s.net_refunded),
            None,
        ));
        checks.push(Check::new(
            name("fees invoiced less credited"),
            invoiced.fees,
            total(|s| s.fee - s.fee_refunded),
            None,
        ));
    }
    checks
}

/// One check for the number of (order, vendor) rows, and one per figure
/// of a row that disagrees.
fn per_share(read: &ReadModels, fold: &Fold) -> Vec<Check> {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut checks = vec![Check::new(
        "order balance rows".to_owned(),
        count(read.shares.len()),
        count(fold.shares.len()),
        None,
    )];
    for (key, share) in &fold.shares {
        let row = read.shares.get(key).cloned().unwrap_or(Value::Null);
        let figures = [
            ("allocated", share.allocated),
            ("fee", share.fee),
            ("net", share.net),
            ("fee_refunded", share.fee_refunded),
            ("net_refunded", share.net_refunded),
            ("paid_out", share.paid_out),
            ("debt", share.debt),
            ("held_in_escrow", share.in_escrow),
        ];
        for (field, events) in figures {
            let check = Check::new(
                format!("order {} vendor {} {field}", key.0, key.1),
                amount(&row, field),
                events,
                None,
            );
            if !check.ok {
                checks.push(check);
            }
        }
    }
    checks
}
