//! `bazaar simulate` against the real application with its workers: the
//! simulator's library entry point drives a few dozen orders through every
//! path, and its reconciliation must agree to the minor unit — and must
//! notice when a read model is tampered with.

use bazaar_simulate::tally::Outcome;
use bazaar_simulate::{reconcile_again, simulate, SimulateArgs};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use bazaar_testkit::app::{admin, spawn_full, workers_idle, TestApp, SECRET};

fn args(app: &TestApp, orders: u64) -> SimulateArgs {
    let mut args = SimulateArgs::new(&app.address, SECRET, orders);
    args.seed = Some(7);
    args.vendors = 3;
    args.buyers = 6;
    args.rate = 50.0;
    args.concurrency = 12;
    args.wait_seconds = 120;
    args
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_simulated_run_reconciles_to_the_minor_unit(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;

    let run = simulate(&args(&app, 24), |_, _| {}).await.expect("the run");
    let report = &run.report;
    report.print(&mut std::io::stdout()).unwrap();

    assert!(
        report.failures.is_empty(),
        "failures: {:#?}",
        report.failures
    );
    assert!(
        report.reconciled(),
        "mismatches: {:#?}",
        report.mismatches()
    );
    assert_eq!(report.outcomes.values().sum::<u64>(), 24);
    let brokered: Vec<_> = report
        .checks
        .iter()
        .filter(|c| {
            c.figure
                .ends_with("commission + seller proceeds + platform fee = released")
        })
        .collect();
    assert_eq!(brokered.len(), 4, "one identity per agent-brokered sale");
    assert!(brokered
        .iter()
        .all(|c| c.ok && c.events > 0 && c.simulator == Some(c.events)));
    assert!(
        report.outcomes.len() >= 4,
        "seed 7 takes several paths: {:?}",
        report.outcomes
    );
    assert!(!report.outcomes.contains_key(&Outcome::Failed));
    let eur = &report.money["EUR"];
    assert!(eur.captured > 0 && eur.platform_fees > 0);
    let fees = app.read(&admin(), "/v1/platform/fees?limit=200").await;
    let rows = fees["items"].as_array().unwrap();
    let captured: i64 = rows.iter().map(|r| r["captured"].as_i64().unwrap()).sum();
    let platform: i64 = rows
        .iter()
        .map(|r| r["platform_fee"].as_i64().unwrap())
        .sum();
    assert_eq!(eur.captured, captured, "revenue is the read model's");
    assert_eq!(eur.platform_fees, platform, "fees are the read model's");
    assert_eq!(
        eur.paid_orders,
        i64::try_from(rows.len()).unwrap(),
        "one fee row per paid order"
    );
    let unpaid = report
        .outcomes
        .get(&Outcome::CancelledBeforePayment)
        .copied()
        .unwrap_or(0)
        + report
            .outcomes
            .get(&Outcome::RejectedOutOfStock)
            .copied()
            .unwrap_or(0);
    assert_eq!(eur.paid_orders as u64 + unpaid, 24);
    let checked: Vec<&str> = report.checks.iter().map(|c| c.figure.as_str()).collect();
    assert!(checked.contains(&"EUR captured"), "{checked:?}");
    assert!(checked.iter().any(|f| f.ends_with("EUR earned")));
    let invoiced = report
        .checks
        .iter()
        .filter(|c| c.figure.ends_with("EUR invoiced less credited"))
        .map(|c| c.read_model)
        .sum::<i64>();
    assert_eq!(
        invoiced,
        eur.captured - eur.refunded,
        "invoices less credit notes are what was captured and kept"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_tampered_vendor_balance_is_reported_as_a_mismatch(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let mut args = args(&app, 8);
    let run = simulate(&args, |_, _| {}).await.expect("the run");
    assert!(run.report.reconciled(), "{:#?}", run.report.mismatches());
    let earned = run
        .report
        .checks
        .iter()
        .find(|c| c.figure.ends_with(" EUR earned") && c.read_model > 0)
        .expect("a vendor that earned something")
        .clone();
    let vendor = earned.figure.split(' ').nth(1).unwrap().to_owned();

    // The run ends when the simulator's own steps are done, not when the
    // workers' are: the saga may still be scheduling the payouts of
    // released escrows (`PayoutScheduled`: no money moves, so the
    // reconciliation agrees without it), and the balances projection
    // recomputes a vendor's `vendor_balances` rows from its order rows on
    // every such event, which would undo a tamper made before it.
    let pending = workers_idle(&app.pool).await;
    if !pending.is_empty() {
        eprintln!("waited for the workers after the run: {pending:?}");
    }
    let changed = sqlx::query(
        "update read.vendor_balances set earned = earned + 1 where vendor_id = $1 and currency = 'EUR'",
    )
    .bind(&vendor)
    .execute(&app.pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    args.wait_seconds = 2;
    let checks = reconcile_again(&args, &run)
        .await
        .expect("reconciled again");

    let bad: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(bad.len(), 1, "exactly the tampered figure: {bad:#?}");
    assert_eq!(bad[0].figure, format!("vendor {vendor} EUR earned"));
    assert_eq!(
        bad[0].events, earned.events,
        "the events are as the run left them"
    );
    assert_eq!(
        bad[0].read_model,
        earned.read_model + 1,
        "the tampered row, untouched"
    );

    // an invoice that overstates a sale is caught as well
    sqlx::query(
        "update read.vendor_balances set earned = earned - 1 where vendor_id = $1 and currency = 'EUR'",
    )
    .bind(&vendor)
    .execute(&app.pool)
    .await
    .unwrap();
    let changed = sqlx::query(
        "update read.invoices set total = total + 1 where document_id = \
           (select document_id from read.invoices where issuer_id = $1 and kind = 'invoice' limit 1)",
    )
    .bind(&vendor)
    .execute(&app.pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    let checks = reconcile_again(&args, &run)
        .await
        .expect("reconciled again");
    let bad: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(bad.len(), 1, "exactly the tampered invoice: {bad:#?}");
    assert_eq!(
        bad[0].figure,
        format!("vendor {vendor} EUR invoiced less credited")
    );
}

/// A plain run, as `bazaar simulate --orders N --rate 50` makes it (five
/// vendors, twenty-five buyers, 64 orders in flight), at a small size: no
/// unexpected answer, whatever the saga and the timers do between the
/// simulator's steps — among them returns that refund a vendor's whole
/// milestone, which leave nothing to accept.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_plain_run_meets_no_unexpected_answer(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    let mut args = SimulateArgs::new(&app.address, SECRET, 60);
    args.rate = 50.0;
    args.seed = Some(22);
    args.wait_seconds = 120;

    let run = simulate(&args, |_, _| {}).await.expect("the run");

    let report = &run.report;
    assert!(
        report.failures.is_empty(),
        "unexpected answers: {:#?}",
        report.failures
    );
    assert!(report.reconciled(), "{:#?}", report.mismatches());
    assert_eq!(report.outcomes.values().sum::<u64>(), 60);
    assert!(
        report.outcomes.contains_key(&Outcome::Returned),
        "seed 22 returns some orders: {:?}",
        report.outcomes
    );
}
