//! The figures measured over HTTP against the running stack: single-event
//! command throughput and latency, commands on a long stream, end-to-end
//! orders, projection lag under a fixed command rate, the checkout saga's
//! reaction lag at 100 and 1,000 checkouts/s, and query latency.
//! Between two figures the run waits until the workers are idle, so one
//! figure's backlog does not weigh on the next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::baseline::Baselines;
use super::load::{closed_loop, Http, Who};
use super::report::Figure;
use super::stack::Stack;
use super::BenchArgs;

mod lag;
mod saga;
mod stream;

/// The warehouse of every bench stock.
const WAREHOUSE: &str = "wh-bench";

/// Everything measured over HTTP that the run picked; (figures, what was
/// skipped). The queries read the orders the lag figure placed, so they
/// bring it along.
pub(crate) async fn measure(
    stack: &Stack,
    args: &BenchArgs,
    base: &Baselines,
) -> anyhow::Result<(Vec<Figure>, Vec<String>)> {
    use crate::Part::{Lag, LongStream, Orders, Queries, Saga};
    let http = Http::new(&stack.base, &stack.secret);
    if args.runs_any(&[Orders, Lag, Saga, Queries]) {
        stock_up(&http, args).await;
    }
    let mut skipped = Vec::new();
    let mut figures = Vec::new();
    if args.runs(crate::Part::Http) {
        let before = stack.app.batch_sizes();
        figures.extend(commands(&http, args, base).await);
        let sizes = stack.app.batch_sizes().since(&before);
        figures.extend(super::inprocess::batch_figures("over HTTP", &sizes));
    }
    if args.runs(LongStream) {
        skipped.extend(settled(&stack.pool, "stream").await);
        let (stream, waited) = stream::measure(stack, &http, args).await?;
        figures.extend(stream);
        skipped.extend(waited);
    }
    if args.runs(Orders) {
        skipped.extend(settled(&stack.pool, "orders").await);
        let before = stack.app.batch_sizes();
        figures.extend(orders_end_to_end(&http, args).await);
        let sizes = stack.app.batch_sizes().since(&before);
        figures.extend(super::inprocess::batch_figures("in orders", &sizes));
    }
    let mut placed = Vec::new();
    if args.runs_any(&[Lag, Queries]) {
        skipped.extend(settled(&stack.pool, "lag").await);
        let lag;
        (lag, placed) = lag::measure(stack, &http, args).await;
        figures.extend(lag);
    }
    if args.runs(Saga) {
        figures.extend(saga::measure(stack, &http, args).await);
    }
    if args.runs(Queries) {
        skipped.extend(settled(&stack.pool, "queries").await);
        figures.extend(queries(&http, args, base, placed).await);
    }
    Ok((figures, skipped))
}

/// Waits (at most three minutes) until the workers are idle (the saga and
/// every projection at the end of the log, no timer due), so one figure's
/// backlog does not slow the next; a note if they were not.
async fn settled(pool: &sqlx::PgPool, phase: &str) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(180) {
        let busy = bazaar_runtime::workers::outstanding(pool, 1).await.ok()?;
        if busy.is_empty() {
            let waited_ms = started.elapsed().as_millis() as u64;
            tracing::info!(phase, waited_ms, "workers idle");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(format!(
        "before {phase}: the workers were still busy after 3 minutes"
    ))
}

/// Every vendor receives a large batch into its stock, for the orders.
async fn stock_up(http: &Http, args: &BenchArgs) {
    for c in 0..args.clients {
        let token = http.token(&Who::Vendor(format!("bench-v{c}")));
        let path = format!("/v1/stock/sku-c{c}/{WAREHOUSE}/batches");
        let _ = http
            .command(&path, &token, &batch("stock", 1_000_000))
            .await;
    }
}

/// The body of a batch receipt (one `BatchReceived` event).
fn batch(id: &str, quantity: u32) -> Value {
    let expires = chrono::Utc::now().date_naive() + chrono::Days::new(365);
    json!({"batch": id, "quantity": quantity, "expires_on": expires.to_string()})
}

/// The terms of an escrow (one `EscrowCreated` event on a new stream).
fn escrow(seller: &str) -> Value {
    let eur = |cents: i64| json!({"amount": cents, "currency": "EUR"});
    json!({
        "seller": seller, "currency": "EUR", "amount": eur(10_000),
        "milestones": [{"milestone": "m1", "description": "hand over", "amount": eur(10_000)}],
        "inspection_period_days": 3, "dispute_window_hours": 48,
    })
}

/// Single-event commands: buyers opening escrows (each a new stream, so
/// every command costs the same however long the run).
async fn commands(http: &Http, args: &BenchArgs, base: &Baselines) -> Vec<Figure> {
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..args.clients)
            .map(|c| http.token(&Who::Buyer(format!("bench-b{c}"))))
            .collect(),
    );
    let client = http.clone();
    let load = closed_loop(
        args.clients,
        Duration::from_secs(args.seconds),
        move |c, _| {
            let (http, tokens) = (client.clone(), Arc::clone(&tokens));
            async move {
                let body = escrow(&format!("seller-{c}"));
                http.command("/v1/escrows", &tokens[c], &body)
                    .await
                    .is_some()
            }
        },
    )
    .await;
    let clients = args.clients;
    let rate = load.per_second();
    vec![
        Figure::new(
            format!("command over HTTP (1 event), {clients} clients"),
            rate,
            "ops/s",
        )
        .against("pgbench single-row insert", base.insert_tps)
        .target(">= 0.5 x raw inserts", rate >= 0.5 * base.insert_tps),
        Figure::new("command latency p50", load.ms(0.50), "ms")
            .against("pgbench insert latency (average)", base.insert_ms),
        Figure::new("command latency p99", load.ms(0.99), "ms")
            .target("<= 25 ms", load.ms(0.99) <= 25.0),
        Figure::new("commands refused or failed", load.failed as f64, "count"),
    ]
}

/// Places a two-vendor order as `buyer` on the bench stocks; its id and
/// position, and the total to pay.
async fn place(
    http: &Http,
    buyer_token: &str,
    n: u64,
    vendors: usize,
) -> Option<(String, String, i64)> {
    let line = |v: u64| {
        let c = v % vendors as u64;
        json!({
            "product": format!("p-{c}"), "sku": format!("sku-c{c}"), "warehouse": WAREHOUSE,
            "vendor": format!("bench-v{c}"), "title": format!("item {c}"), "quantity": 1,
            "unit_price": {"amount": 250, "currency": "EUR"},
        })
    };
    let body = json!({"currency": "EUR", "lines": [line(n), line(n + 1)]});
    let placed = http.command("/v1/orders", buyer_token, &body).await?;
    let id = placed["aggregate_id"].as_str()?.to_owned();
    let position = placed["position"].as_str()?.to_owned();
    Some((id, position, 500))
}

/// Orders placed, paid and read back as PAID, by `clients` buyers.
async fn orders_end_to_end(http: &Http, args: &BenchArgs) -> Vec<Figure> {
    let admin = http.token(&Who::Admin);
    let client = http.clone();
    let vendors = args.clients;
    let load = closed_loop(
        args.clients,
        Duration::from_secs(args.seconds),
        move |c, n| {
            let (http, admin) = (client.clone(), admin.clone());
            async move { order_to_paid(&http, &admin, c, n, vendors).await.is_some() }
        },
    )
    .await;
    vec![
        Figure::new(
            format!(
                "orders end to end (place, pay, read PAID), {} buyers",
                args.clients
            ),
            load.per_second(),
            "orders/s",
        ),
        Figure::new("order end to end p50", load.ms(0.50), "ms"),
        Figure::new("order end to end p99", load.ms(0.99), "ms"),
    ]
}

async fn order_to_paid(http: &Http, admin: &str, c: usize, n: u64, vendors: usize) -> Option<()> {
    let buyer = http.token(&Who::Buyer(format!("bench-b{c}")));
    let (id, _, total) = place(http, &buyer, n, vendors).await?;
    let body = json!({
        "payment_id": format!("pay-{id}"),
        "amount": {"amount": total, "currency": "EUR"},
    });
    let paid = http
        .command(&format!("/v1/orders/{id}/payments"), admin, &body)
        .await?;
    let position = paid["position"].as_str()?;
    let order = http
        .get(&format!("/v1/orders/{id}?min_position={position}"), &buyer)
        .await?;
    (order["order"]["status"] == "PAID").then_some(())
}

/// Reads of single orders by their buyers.
async fn queries(
    http: &Http,
    args: &BenchArgs,
    base: &Baselines,
    placed: Vec<(String, String)>,
) -> Vec<Figure> {
    if placed.is_empty() {
        return Vec::new();
    }
    let placed: Arc<Vec<(String, String)>> = Arc::new(
        placed
            .into_iter()
            .map(|(order, buyer)| (order, http.token(&Who::Buyer(buyer))))
            .collect(),
    );
    let client = http.clone();
    let load = closed_loop(
        args.clients,
        Duration::from_secs(args.seconds),
        move |c, n| {
            let (http, placed) = (client.clone(), Arc::clone(&placed));
            async move {
                let (order, token) = &placed[(c * 7919 + n as usize * 104_729) % placed.len()];
                http.get_ok(&format!("/v1/orders/{order}"), token).await
            }
        },
    )
    .await;
    let p99 = load.ms(0.99);
    vec![
        Figure::new(
            format!("query GET /v1/orders/{{id}}, {} clients", args.clients),
            load.per_second(),
            "ops/s",
        )
        .against("pgbench primary-key select", base.select_tps),
        Figure::new("query latency p50", load.ms(0.50), "ms")
            .against("pgbench select latency (average)", base.select_ms),
        Figure::new("query latency p99", p99, "ms").target("<= 10 ms", p99 <= 10.0),
    ]
}
