//! One order's life, driven through the API as its buyer, its vendors and
//! the back office would, along the path its [`plan`](super::plan) drew:
//! the steps up to payment. After payment, [`fulfil`](super::fulfil) takes
//! over; neither imports the other's steps back (they share [`Ctx`]).
//!
//! Every POST's idempotency key is `<run>-o<n>-<step>`: a
//! retry of a step can never act twice, and two runs never share a key.

use serde_json::{json, Value};

use super::client::Who;
use super::ctx::Ctx;
use super::fulfil;
use super::plan::{OrderPlan, Path};
use super::tally::{Failure, OrderRun, Outcome};

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
    fulfil::after_payment(ctx, plan, &order, account).await
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
    let paid = ctx.post((&Who::staff(n), &path, body), (n, "pay")).await?;
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
