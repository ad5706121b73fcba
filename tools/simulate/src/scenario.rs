//! One order's life, driven through the API as its buyer, its vendors and
//! the back office would: the choice of path (happy, cancelled, returned,
//! disputed, …) and the steps up to payment. After payment,
//! [`fulfil`](super::fulfil) takes over.
//!
//! Every choice comes from the order's own generator, so a seed replays
//! the same orders. Every POST's idempotency key is `<run>-o<n>-<step>`: a
//! retry of a step can never act twice, and two runs never share a key.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::catalog::{Catalog, Sku, WAREHOUSE};
use super::client::{Api, Who};
use super::rng::Rng;
use super::tally::{Failure, OrderRun, Outcome};
use super::wait;

/// What a simulated order will go through, drawn before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Paid, shipped, delivered, accepted, released, completed.
    Happy,
    /// The buyer cancels before paying.
    CancelUnpaid,
    /// The buyer cancels after paying.
    CancelPaid,
    /// One vendor cancels its part after payment (multi-vendor orders).
    VendorCancel,
    /// The buyer sends one unit back.
    Return,
    /// The buyer disputes one vendor's delivery.
    Dispute,
}

/// One cart line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// 1-based place in the cart.
    pub(crate) line_no: u32,
    /// The seller.
    pub(crate) vendor: String,
    /// What is bought.
    pub(crate) sku: Sku,
    /// How many.
    pub(crate) quantity: u32,
}

/// A simulated order, drawn from the run's seed.
#[derive(Debug, Clone)]
pub(crate) struct OrderPlan {
    /// Its number in the run (from 1).
    pub(crate) number: u64,
    /// Who buys.
    pub(crate) buyer: String,
    /// The order's currency.
    pub(crate) currency: String,
    /// The cart.
    pub(crate) lines: Vec<Line>,
    /// What happens to it.
    pub(crate) path: Path,
    /// For returns: whether the unit comes back damaged (not restocked).
    pub(crate) damaged: bool,
    /// For disputes: the share of the disputed amount refunded, in percent.
    pub(crate) dispute_refund_percent: i64,
    /// Whether finance pays the vendors out at once after release.
    pub(crate) instant_payout: bool,
}

impl OrderPlan {
    /// Order `number` of a run over `catalog`, drawn from `seed`.
    pub(crate) fn draw(catalog: &Catalog, currencies: &[String], seed: u64, number: u64) -> Self {
        let mut rng = Rng::derived(seed, number);
        let buyer = catalog.buyers[rng.index(catalog.buyers.len())].clone();
        let currency = currencies[rng.index(currencies.len())].clone();
        let lines = draw_lines(catalog, &mut rng);
        let vendors = vendors_of(&lines).len();
        let path = match rng.range(0, 99) {
            0..=54 => Path::Happy,
            55..=62 => Path::CancelUnpaid,
            63..=70 => Path::CancelPaid,
            71..=77 if vendors > 1 => Path::VendorCancel,
            71..=77 => Path::Happy,
            78..=88 => Path::Return,
            _ => Path::Dispute,
        };
        Self {
            number,
            buyer,
            currency,
            lines,
            path,
            damaged: rng.chance(30),
            dispute_refund_percent: i64::try_from(rng.range(1, 4)).unwrap_or(1) * 25,
            instant_payout: rng.chance(50),
        }
    }

    /// The order's total.
    pub(crate) fn total(&self) -> i64 {
        self.lines.iter().map(line_total).sum()
    }

    /// The vendors of the order, in cart order.
    pub(crate) fn vendors(&self) -> Vec<String> {
        vendors_of(&self.lines)
    }

    /// One vendor's subtotal.
    pub(crate) fn subtotal(&self, vendor: &str) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.vendor == vendor)
            .map(line_total)
            .sum()
    }

    fn body(&self) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                json!({
                    "product": format!("p-{}", line.sku.sku),
                    "sku": line.sku.sku,
                    "warehouse": WAREHOUSE,
                    "vendor": line.vendor,
                    "title": format!("{} ({})", line.sku.sku, line.vendor),
                    "quantity": line.quantity,
                    "unit_price": {"amount": line.sku.unit_price, "currency": self.currency},
                })
            })
            .collect();
        json!({"currency": self.currency, "lines": lines})
    }
}

fn line_total(line: &Line) -> i64 {
    line.sku.unit_price * i64::from(line.quantity)
}

fn vendors_of(lines: &[Line]) -> Vec<String> {
    let mut vendors: Vec<String> = Vec::new();
    for line in lines {
        if !vendors.contains(&line.vendor) {
            vendors.push(line.vendor.clone());
        }
    }
    vendors
}

/// One to three vendors, one or two distinct SKUs each, one to three units.
fn draw_lines(catalog: &Catalog, rng: &mut Rng) -> Vec<Line> {
    let wanted = rng.range(1, 3).min(catalog.vendors.len() as u64) as usize;
    let first = rng.index(catalog.vendors.len());
    let mut lines = Vec::new();
    for k in 0..wanted {
        let vendor = &catalog.vendors[(first + k) % catalog.vendors.len()];
        let skus = rng.range(1, 2) as usize;
        let start = rng.index(vendor.skus.len());
        for s in 0..skus.min(vendor.skus.len()) {
            let sku = vendor.skus[(start + s) % vendor.skus.len()].clone();
            lines.push(Line {
                line_no: u32::try_from(lines.len() + 1).unwrap_or(u32::MAX),
                vendor: vendor.id.clone(),
                sku,
                quantity: u32::try_from(rng.range(1, 3)).unwrap_or(1),
            });
        }
    }
    lines
}

/// What every step of an order needs.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The API.
    pub(crate) api: Arc<Api>,
    /// The run's tag, first part of every idempotency key.
    pub(crate) run: String,
    /// Longest wait for one asynchronous step.
    pub(crate) step_timeout: Duration,
}

impl Ctx {
    /// POSTs one step of order `n` as `who`.
    pub(crate) async fn post(
        &self,
        (who, path, body): (&Who, &str, Value),
        (n, step): (u64, &str),
    ) -> Result<Value, Failure> {
        let key = format!("{}-o{n}-{step}", self.run);
        self.api
            .post(who, path, &body, &key)
            .await
            .map_err(|e| wait::failure(n, step, &e))
    }

    /// Waits until order `order` (read as `who`) is in one of `statuses`.
    pub(crate) async fn order_in(
        &self,
        (n, who): (u64, &Who),
        (order, position): (&str, &str),
        statuses: &[&str],
    ) -> Result<Value, Failure> {
        let path = format!("/v1/orders/{order}?min_position={position}");
        let step = format!("wait {}", statuses.join("|"));
        wait::until(
            &self.api,
            (who, &path),
            (n, &step),
            self.step_timeout,
            |d| statuses.iter().any(|s| d["order"]["status"] == *s),
        )
        .await
    }
}

/// Drives `plan` to its end; the account of what happened, failure included.
pub(crate) async fn run(ctx: &Ctx, plan: &OrderPlan) -> OrderRun {
    let mut account = OrderRun {
        order_id: None,
        currency: plan.currency.clone(),
        outcome: Outcome::Failed,
        captured: 0,
        refunds: 0,
        vendor_gross: Vec::new(),
        payouts: 0,
        failure: None,
    };
    match drive(ctx, plan, &mut account).await {
        Ok(outcome) => account.outcome = outcome,
        Err(failure) => account.failure = Some(failure),
    }
    account
}

async fn drive(ctx: &Ctx, plan: &OrderPlan, account: &mut OrderRun) -> Result<Outcome, Failure> {
    let n = plan.number;
    let buyer = Who::Buyer(plan.buyer.clone());
    let placed = ctx
        .post((&buyer, "/v1/orders", plan.body()), (n, "place"))
        .await?;
    let order = placed["aggregate_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    account.order_id = Some(order.clone());
    let position = placed["position"].as_str().unwrap_or_default().to_owned();
    let statuses = ["AWAITING_PAYMENT", "CANCELLED"];
    let detail = ctx
        .order_in((n, &buyer), (&order, &position), &statuses)
        .await?;
    if detail["order"]["status"] == "CANCELLED" {
        return Ok(Outcome::RejectedOutOfStock);
    }
    check_total(n, &detail, plan.total())?;
    if plan.path == Path::CancelUnpaid {
        cancel(ctx, plan, &order, "cancel-unpaid").await?;
        return Ok(Outcome::CancelledBeforePayment);
    }
    pay(ctx, plan, &order, account).await?;
    if plan.path == Path::CancelPaid {
        cancel(ctx, plan, &order, "cancel-paid").await?;
        account.refunds += plan.total();
        return Ok(Outcome::CancelledAfterPayment);
    }
    super::fulfil::after_payment(ctx, plan, &order, account).await
}

fn check_total(n: u64, detail: &Value, expected: i64) -> Result<(), Failure> {
    if detail["order"]["total"].as_i64() == Some(expected) {
        return Ok(());
    }
    Err(Failure {
        order: n,
        step: "check total".to_owned(),
        status: None,
        problem: "total-mismatch".to_owned(),
        detail: format!(
            "expected {expected}, the order says {}",
            detail["order"]["total"]
        ),
    })
}

/// The payment webhook (admin) confirms the whole total; waits for PAID.
async fn pay(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    account: &mut OrderRun,
) -> Result<(), Failure> {
    let n = plan.number;
    let total = plan.total();
    let body = json!({
        "payment_id": format!("pay-{}-o{n}", ctx.run),
        "amount": {"amount": total, "currency": plan.currency},
    });
    let path = format!("/v1/orders/{order}/payments");
    let paid = ctx.post((&Who::Admin, &path, body), (n, "pay")).await?;
    account.captured = total;
    account.vendor_gross = plan
        .vendors()
        .into_iter()
        .map(|v| {
            let gross = plan.subtotal(&v);
            (v, gross)
        })
        .collect();
    let position = paid["position"].as_str().unwrap_or_default();
    let buyer = Who::Buyer(plan.buyer.clone());
    ctx.order_in((n, &buyer), (order, position), &["PAID"])
        .await?;
    Ok(())
}

/// The buyer cancels the whole order; waits for CANCELLED.
async fn cancel(ctx: &Ctx, plan: &OrderPlan, order: &str, step: &str) -> Result<(), Failure> {
    let n = plan.number;
    let buyer = Who::Buyer(plan.buyer.clone());
    let path = format!("/v1/orders/{order}/cancel");
    let body = json!({"reason": "changed my mind (simulated)"});
    let done = ctx.post((&buyer, &path, body), (n, step)).await?;
    let position = done["position"].as_str().unwrap_or_default();
    ctx.order_in((n, &buyer), (order, position), &["CANCELLED"])
        .await?;
    Ok(())
}
