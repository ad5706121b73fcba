//! `kill -9` in the middle of group commits: sixteen buyers check out with
//! Idempotency-Keys against a spawned `bazaar serve` that is killed with
//! SIGKILL four times and restarted; every buyer retries until answered.
//! Afterwards every key has exactly one order with one `OrderPlaced`, the
//! read model holds every order, the saga reserved stock for each (with
//! plenty of stock, none is rejected) and `bazaar audit verify` passes.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::helpers::{admin, buyer, vendor, SECRET};

const CLIENTS: usize = 16;
const ORDERS_EACH: usize = 8;
/// The server is killed each time this many more orders were answered.
const KILL_EVERY: usize = 25;
const KILLS: usize = 4;

struct Server {
    url: String,
    port: u16,
}

impl Server {
    fn spawn(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_bazaar"))
            .arg("serve")
            .env("DATABASE_URL", &self.url)
            .env("BAZAAR_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("BAZAAR_JWT_SECRET", SECRET)
            .env("BAZAAR_IDEMPOTENCY_LEASE_SECONDS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bazaar starts")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[tokio::test]
async fn checkouts_survive_sigkill_exactly_once() {
    let base: PgConnectOptions = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL")
        .parse()
        .unwrap();
    let name = format!("bazaar_crash_{}", std::process::id());
    let server = Arc::new(Server {
        url: base.clone().database(&name).to_url_lossy().to_string(),
        port: free_port(),
    });
    let mut child = server.spawn();
    assert!(wait_ready(server.port).await, "never became ready");
    let http = reqwest::Client::new();
    let stocked = post(
        &http,
        &server.base(),
        &vendor("v-1"),
        "/v1/stock/apple/wh-1/batches",
        &json!({"batch": "b-1", "quantity": 100_000, "expires_on": "2099-12-31"}),
        None,
    )
    .await;
    assert_eq!(stocked.map(|(s, _)| s), Some(200));

    let answered = Arc::new(AtomicUsize::new(0));
    let buyers: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(checkouts(server.base(), c, Arc::clone(&answered))))
        .collect();
    for kill in 1..=KILLS {
        while answered.load(Ordering::SeqCst) < kill * KILL_EVERY {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        child = server.spawn();
        assert!(wait_ready(server.port).await, "never came back");
    }
    let mut orders = Vec::new();
    for buyer in buyers {
        orders.extend(buyer.await.unwrap());
    }

    let pool = PgPool::connect(&server.url).await.unwrap();
    let checked = check(&pool, &http, &server.base(), &orders).await;
    let verified = Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &server.url)
        .output()
        .expect("bazaar audit runs");
    child.kill().unwrap();
    child.wait().unwrap();
    pool.close().await;
    drop_database(&base, &name).await;
    checked.unwrap();
    assert!(
        verified.status.success(),
        "audit verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// One buyer's checkouts, each retried with its key until answered 201;
/// the order ids.
async fn checkouts(base: String, c: usize, answered: Arc<AtomicUsize>) -> Vec<String> {
    let http = reqwest::Client::new();
    let token = buyer(&format!("crash-buyer-{c}"));
    let cart = json!({"currency": "EUR", "lines": [{
        "product": "p-apple", "sku": "apple", "warehouse": "wh-1", "vendor": "v-1",
        "title": "apple", "quantity": 1, "unit_price": {"amount": 200, "currency": "EUR"},
    }]});
    let mut orders = Vec::new();
    for n in 0..ORDERS_EACH {
        let key = format!("checkout-{c}-{n}");
        loop {
            match post(&http, &base, &token, "/v1/orders", &cart, Some(&key)).await {
                Some((201, body)) => {
                    orders.push(body["aggregate_id"].as_str().unwrap().to_owned());
                    break;
                }
                // the server is down, restarting, or the key is still
                // leased by a request the kill cut short: retry
                Some((status, _)) if status >= 500 || status == 409 || status == 429 => {}
                None => {}
                Some(other) => panic!("checkout {key}: unexpected answer {other:?}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        answered.fetch_add(1, Ordering::SeqCst);
    }
    orders
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> Option<(u16, Value)> {
    let mut request = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

/// Every order placed once, reserved once, and in the read model.
async fn check(
    pool: &PgPool,
    http: &reqwest::Client,
    base: &str,
    orders: &[String],
) -> Result<(), String> {
    let expected = (CLIENTS * ORDERS_EACH) as i64;
    let mut distinct = orders.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.len() as i64 != expected {
        return Err(format!(
            "{} distinct orders for {expected} keys",
            distinct.len()
        ));
    }
    let placed: Vec<(String, i64)> = sqlx::query_as(
        "select aggregate_id, count(*) from events where event_type = 'OrderPlaced' \
          group by aggregate_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    if placed.len() as i64 != expected || placed.iter().any(|(_, n)| *n != 1) {
        return Err(format!("OrderPlaced per order: {placed:?}"));
    }
    if placed
        .iter()
        .any(|(id, _)| distinct.binary_search(id).is_err())
    {
        return Err("an OrderPlaced of no answered key".into());
    }
    let reserved = eventually(|| async {
        let (reserved, released): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where event_type = 'StockReserved'), \
                    count(*) filter (where event_type = 'ReservationReleased') \
               from events where aggregate_type = 'InventoryReservation'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        (reserved == expected).then_some((reserved, released))
    })
    .await;
    if reserved != Some((expected, 0)) {
        return Err(format!("reservations and releases: {reserved:?}"));
    }
    for order in &distinct {
        let shown = eventually(|| async {
            let response = http
                .get(format!("{base}/v1/orders/{order}"))
                .bearer_auth(admin())
                .send()
                .await
                .ok()?;
            (response.status() == 200).then_some(())
        })
        .await;
        if shown.is_none() {
            return Err(format!("order {order} not in the read model"));
        }
    }
    Ok(())
}

/// Polls `probe` (every 50 ms, for at most a minute) until it answers.
async fn eventually<T, F, Fut>(probe: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..1200 {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_ready(port: u16) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        let url = format!("http://127.0.0.1:{port}/health/ready");
        if let Ok(response) = client.get(url).send().await {
            if response.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn drop_database(base: &PgConnectOptions, name: &str) {
    let mut admin = base.clone().connect().await.unwrap();
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}
