//! An order's life after payment: a vendor cancelling its part, packing,
//! shipping and delivery, the checkout escrow (acceptance, a return during
//! inspection, a dispute and its resolution), completion, and payouts
//! released at once by finance.
//!
//! The checkout saga acts between these steps (it marks escrow milestones
//! delivered, books refunds, schedules payouts), so before each step that
//! depends on it the simulator waits until the read models show it: a
//! buyer accepting a milestone before the saga refunded a return from it
//! would leave the refund nowhere to come from.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use super::client::Who;
use super::ctx::Ctx;
use super::plan::{OrderPlan, Path};
use super::tally::{Failure, OrderRun, Outcome};
use super::wait;

/// From PAID to COMPLETED along the plan's path.
pub(crate) async fn after_payment(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    account: &mut OrderRun,
) -> Result<Outcome, Failure> {
    let mut live = plan.vendors();
    let mut outcome = Outcome::Completed;
    if plan.path == Path::VendorCancel {
        let vendor = live.remove(0);
        vendor_cancel(ctx, plan, order, &vendor).await?;
        account.refunds += plan.subtotal(&vendor);
        outcome = Outcome::VendorCancelled;
    }
    for vendor in &live {
        ship_and_deliver(ctx, plan, order, vendor).await?;
    }
    for vendor in &live {
        milestone_when(ctx, plan, (order, vendor), "wait delivered", |m| {
            m["status"] == "delivered"
        })
        .await?;
    }
    let mut accepted = live.clone();
    match plan.path {
        Path::Return => {
            let refund = return_one(ctx, plan, order, &live[0]).await?;
            account.refunds += refund;
            if refund == plan.subtotal(&live[0]) {
                // the return refunded the whole milestone: it is settled
                // (and the escrow closed if nothing else remains), so there
                // is nothing left for the buyer to accept or to pay out
                accepted.remove(0);
            }
            outcome = Outcome::Returned;
        }
        Path::Dispute => {
            account.refunds += dispute(ctx, plan, order, &live[0]).await?;
            accepted.remove(0);
            outcome = Outcome::Disputed;
        }
        _ => {}
    }
    for vendor in &accepted {
        let path = format!("/v1/escrows/{order}/milestones/{vendor}/accept");
        let buyer = Who::Buyer(plan.buyer.clone());
        let step = format!("accept-{vendor}");
        ctx.post((&buyer, &path, json!(null)), (plan.number, &step))
            .await?;
    }
    complete(ctx, plan, order, &live).await?;
    if plan.instant_payout {
        for vendor in &accepted {
            if pay_out(ctx, plan, order, vendor).await? {
                account.payouts += 1;
            }
        }
    }
    Ok(outcome)
}

fn vendor_path(order: &str, vendor: &str, what: &str) -> String {
    format!("/v1/orders/{order}/vendors/{vendor}/{what}")
}

async fn vendor_cancel(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    vendor: &str,
) -> Result<(), Failure> {
    let who = Who::Vendor(vendor.to_owned());
    let body = json!({"reason": "out of season (simulated)"});
    let path = vendor_path(order, vendor, "cancel");
    ctx.post((&who, &path, body), (plan.number, "vendor-cancel"))
        .await?;
    Ok(())
}

/// The vendor packs and ships all its lines; the buyer confirms delivery.
async fn ship_and_deliver(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    vendor: &str,
) -> Result<(), Failure> {
    let n = plan.number;
    let seller = Who::Vendor(vendor.to_owned());
    let pack = vendor_path(order, vendor, "pack");
    ctx.post(
        (&seller, &pack, json!(null)),
        (n, &format!("pack-{vendor}")),
    )
    .await?;
    let lines: Vec<Value> = plan
        .lines
        .iter()
        .filter(|l| l.vendor == vendor)
        .map(|l| json!({"line_no": l.line_no, "quantity": l.quantity}))
        .collect();
    let body = json!({"tracking": format!("TRK-{}-{n}", ctx.run), "lines": lines});
    let ship = vendor_path(order, vendor, "shipments");
    ctx.post((&seller, &ship, body), (n, &format!("ship-{vendor}")))
        .await?;
    let buyer = Who::Buyer(plan.buyer.clone());
    let deliver = vendor_path(order, vendor, "delivery");
    ctx.post(
        (&buyer, &deliver, json!(null)),
        (n, &format!("deliver-{vendor}")),
    )
    .await?;
    Ok(())
}

/// Waits until the checkout escrow's milestone of `vendor` passes `ready`.
async fn milestone_when(
    ctx: &Ctx,
    plan: &OrderPlan,
    (order, vendor): (&str, &str),
    step: &str,
    ready: impl Fn(&Value) -> bool,
) -> Result<Value, Failure> {
    let path = format!("/v1/escrows/{order}");
    let buyer = Who::Buyer(plan.buyer.clone());
    let step = format!("{step} {vendor}");
    wait::until(
        &ctx.api,
        (&buyer, &path),
        (plan.number, &step),
        ctx.step_timeout,
        |e| milestone(e, vendor).is_some_and(&ready),
    )
    .await
}

fn milestone<'a>(escrow: &'a Value, vendor: &str) -> Option<&'a Value> {
    escrow["milestones"]
        .as_array()?
        .iter()
        .find(|m| m["milestone_id"] == vendor)
}

/// One unit of the vendor's first line comes back; returns its refund,
/// once the saga has taken it from the escrow.
async fn return_one(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    vendor: &str,
) -> Result<i64, Failure> {
    let n = plan.number;
    let line = plan
        .lines
        .iter()
        .find(|l| l.vendor == vendor)
        .expect("a vendor of the order has a line");
    let buyer = Who::Buyer(plan.buyer.clone());
    let body = json!({"lines": [{"line_no": line.line_no, "quantity": 1}], "reason": "wrong size (simulated)"});
    let path = vendor_path(order, vendor, "returns");
    ctx.post((&buyer, &path, body), (n, "return")).await?;
    let damaged = u32::from(plan.damaged);
    let body = json!({"lines": [{"line_no": line.line_no, "received": 1, "damaged": damaged}]});
    let path = vendor_path(order, vendor, "returns/receipts");
    let seller = Who::Vendor(vendor.to_owned());
    ctx.post((&seller, &path, body), (n, "return-receipt"))
        .await?;
    let refund = line.sku.unit_price;
    milestone_when(ctx, plan, (order, vendor), "wait return refund", |m| {
        m["refunded"].as_i64() == Some(refund)
    })
    .await?;
    Ok(refund)
}

/// The buyer disputes the vendor's delivery; the agent (admin) refunds the
/// planned share and releases the rest. Returns the refund.
async fn dispute(ctx: &Ctx, plan: &OrderPlan, order: &str, vendor: &str) -> Result<i64, Failure> {
    let n = plan.number;
    let buyer = Who::Buyer(plan.buyer.clone());
    let path = format!("/v1/escrows/{order}/milestones/{vendor}/disputes");
    let body = json!({"reason": "arrived spoiled (simulated)"});
    ctx.post((&buyer, &path, body), (n, "dispute")).await?;
    let disputed = plan.subtotal(vendor);
    let refund = disputed * plan.dispute_refund_percent / 100;
    let money = |amount: i64| json!({"amount": amount, "currency": plan.currency});
    let body = json!({"release": money(disputed - refund), "refund": money(refund)});
    let path = format!("/v1/escrows/{order}/milestones/{vendor}/resolution");
    ctx.post((&Who::staff(n), &path, body), (n, "resolve"))
        .await?;
    Ok(refund)
}

/// The back office completes every live vendor order; waits for COMPLETED.
async fn complete(
    ctx: &Ctx,
    plan: &OrderPlan,
    order: &str,
    live: &[String],
) -> Result<(), Failure> {
    let mut position = String::new();
    for vendor in live {
        let path = vendor_path(order, vendor, "complete");
        let step = format!("complete-{vendor}");
        let done = ctx
            .post(
                (&Who::staff(plan.number), &path, json!(null)),
                (plan.number, &step),
            )
            .await?;
        position = done["position"].as_str().unwrap_or_default().to_owned();
    }
    let buyer = Who::Buyer(plan.buyer.clone());
    ctx.order_in((plan.number, &buyer), (order, &position), &["COMPLETED"])
        .await?;
    Ok(())
}

/// Finance pays the vendor's released share out now: once the saga has
/// scheduled the payout, it moves the hold to now and releases the payout.
/// Moving the hold makes the saga set a payout timer due at once, so the
/// scheduler may pay the share out first; then the release finds nothing
/// available, and the simulator waits until the payment shows the share
/// paid out. Returns whether the simulator released the payout itself.
async fn pay_out(ctx: &Ctx, plan: &OrderPlan, order: &str, vendor: &str) -> Result<bool, Failure> {
    let n = plan.number;
    let step = format!("wait payout scheduled {vendor}");
    vendor_share(ctx, (n, order, vendor), &step, |s| {
        s["hold_state"] == "scheduled"
    })
    .await?;
    let base = format!("/v1/payments/{order}/vendors/{vendor}");
    // a little in the past, so the API's clock has passed it when it pays out
    let hold_until = Utc::now() - Duration::seconds(5);
    let body = json!({"hold_until": hold_until});
    let step = format!("payout-now-{vendor}");
    ctx.post(
        (&Who::staff(n), &format!("{base}/payout-schedule"), body),
        (n, &step),
    )
    .await?;
    let body = json!({"payout_id": format!("po-{}-o{n}-{vendor}", ctx.run)});
    let step = format!("payout-{vendor}");
    match ctx
        .post(
            (&Who::staff(n), &format!("{base}/payouts"), body),
            (n, &step),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(refused) if refused.problem == "nothing-available" => {
            let step = format!("wait payout by the scheduler {vendor}");
            vendor_share(ctx, (n, order, vendor), &step, |s| {
                s["hold_state"] == "lifted"
                    && s["available"] == 0
                    && s["paid_out"].as_i64().is_some_and(|paid| paid > 0)
            })
            .await?;
            Ok(false)
        }
        Err(refused) => Err(refused),
    }
}

/// Waits until `vendor`'s share of order `order`'s payment (as finance
/// reads it) satisfies `ready`.
async fn vendor_share(
    ctx: &Ctx,
    (n, order, vendor): (u64, &str, &str),
    step: &str,
    ready: impl Fn(&Value) -> bool,
) -> Result<Value, Failure> {
    let path = format!("/v1/payments/{order}");
    wait::until(
        &ctx.api,
        (&Who::staff(n), &path),
        (n, step),
        ctx.step_timeout,
        |p| {
            p["vendors"]
                .as_array()
                .is_some_and(|shares| shares.iter().any(|s| s["vendor_id"] == vendor && ready(s)))
        },
    )
    .await
}
