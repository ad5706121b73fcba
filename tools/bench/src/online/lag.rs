//! Projection lag under a steady command load: orders are placed over
//! HTTP at `--lag-rate` per second, and each one's row is looked for in
//! `read.orders` from the moment its command was answered (committed) until
//! it appears. The observer polls with one indexed query per 2 ms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bazaar_projections::read_models::orders::queries as orders;
use tokio::sync::mpsc;

use super::place;
use crate::load::{percentile, Http, Who};
use crate::report::Figure;
use crate::stack::Stack;
use crate::BenchArgs;

/// Buyers taking turns placing the orders.
const BUYERS: usize = 200;

/// The lag figures, and the orders placed (id, buyer) for the queries.
pub(crate) async fn measure(
    stack: &Stack,
    http: &Http,
    args: &BenchArgs,
) -> (Vec<Figure>, Vec<(String, String)>) {
    let (committed, seen) = mpsc::unbounded_channel();
    let started = Instant::now();
    let (placed, lags) = tokio::join!(drive(http, args, committed), observe(stack, seen));
    let offered = args.lag_rate as f64;
    let achieved = placed.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let p99 = percentile(&lags, 0.99);
    let figures = vec![
        Figure::new(
            format!("lag: orders placed per second (offered {offered:.0}/s)"),
            achieved,
            "ops/s",
        ),
        Figure::new(
            "projection lag p50, commit to visible",
            percentile(&lags, 0.50),
            "ms",
        ),
        Figure::new("projection lag p99, commit to visible", p99, "ms").target(
            format!("< 100 ms at {offered:.0} commands/s"),
            p99 < 100.0 && achieved >= 0.95 * offered,
        ),
    ];
    (figures, placed)
}

async fn drive(
    http: &Http,
    args: &BenchArgs,
    committed: mpsc::UnboundedSender<(String, Instant)>,
) -> Vec<(String, String)> {
    let tokens: Vec<(String, String)> = (0..BUYERS)
        .map(|b| {
            let buyer = format!("lag-b{b}");
            let token = http.token(&Who::Buyer(buyer.clone()));
            (buyer, token)
        })
        .collect();
    let period = Duration::from_secs_f64(1.0 / args.lag_rate.max(1) as f64);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..args.lag_rate * args.seconds {
        tick.tick().await;
        let (buyer, token) = tokens[n as usize % BUYERS].clone();
        let (http, committed) = (http.clone(), committed.clone());
        let vendors = args.clients;
        tasks.spawn(async move {
            let (id, _, _) = place(&http, &token, n, vendors).await?;
            let _ = committed.send((id.clone(), Instant::now()));
            Some((id, buyer))
        });
    }
    drop(committed);
    let mut placed = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(Some(order)) = done {
            placed.push(order);
        }
    }
    placed
}

async fn observe(
    stack: &Stack,
    mut seen: mpsc::UnboundedReceiver<(String, Instant)>,
) -> Vec<Duration> {
    let mut pending: HashMap<String, Instant> = HashMap::new();
    let mut lags = Vec::new();
    let mut open = true;
    let give_up = Duration::from_secs(120);
    let mut last_progress = Instant::now();
    while (open || !pending.is_empty()) && last_progress.elapsed() < give_up {
        open = receive(&mut seen, &mut pending);
        if !pending.is_empty() {
            let ids: Vec<&str> = pending.keys().map(String::as_str).collect();
            let found = orders::present(&stack.pool, &ids).await.unwrap_or_default();
            let now = Instant::now();
            for id in found {
                if let Some(at) = pending.remove(&id) {
                    lags.push(now.saturating_duration_since(at));
                    last_progress = now;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    lags
}

/// Takes the newly answered orders; false once the driver is done.
fn receive(
    seen: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    pending: &mut HashMap<String, Instant>,
) -> bool {
    loop {
        match seen.try_recv() {
            Ok((id, at)) => {
                pending.insert(id, at);
            }
            Err(mpsc::error::TryRecvError::Empty) => return true,
            Err(mpsc::error::TryRecvError::Disconnected) => return false,
        }
    }
}
