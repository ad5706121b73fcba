//! HTTP load: closed loops (N clients, each sending its next request when
//! the last one answered) for throughput, and a fixed rate for lag; the
//! latency of every request is kept for exact percentiles.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use bazaar_api::http::auth::sign_hs256;
pub(crate) use bazaar_simulate::client::Who;

/// Latencies of one measurement.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    /// Requests answered as expected.
    pub(crate) ok: u64,
    /// Requests answered otherwise.
    pub(crate) failed: u64,
    /// The measurement's wall time.
    pub(crate) elapsed: Duration,
    samples: Vec<Duration>,
}

impl Latencies {
    /// Successful requests per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-quantile (0..=1) of the latencies, in milliseconds.
    pub(crate) fn ms(&self, p: f64) -> f64 {
        percentile(&self.samples, p)
    }

    fn merge(&mut self, other: Self) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.samples.extend(other.samples);
    }
}

/// The `p`-quantile of `samples` in milliseconds (0 when empty).
pub(crate) fn percentile(samples: &[Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

/// `clients` loops for `duration`; `request(client, n)` sends request `n`
/// of a client and says whether it succeeded.
pub(crate) async fn closed_loop<F, Fut>(clients: usize, duration: Duration, request: F) -> Latencies
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let request = Arc::clone(&request);
        tasks.spawn(async move {
            let mut own = Latencies::default();
            let mut n = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = request(client, n).await;
                own.samples.push(sent.elapsed());
                if ok {
                    own.ok += 1
                } else {
                    own.failed += 1
                }
                n += 1;
            }
            own
        });
    }
    let mut all = Latencies::default();
    while let Some(own) = tasks.join_next().await {
        if let Ok(own) = own {
            all.merge(own);
        }
    }
    all.elapsed = started.elapsed();
    all
}

/// A client of the stack's API with tokens of every role.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: Client,
    base: String,
    secret: Vec<u8>,
}

impl Http {
    /// A client of `base`, signing with `secret`.
    pub(crate) fn new(base: &str, secret: &str) -> Self {
        let client = Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        Self {
            client,
            base: base.to_owned(),
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// A bearer token for `who` (valid for a day).
    pub(crate) fn token(&self, who: &Who) -> String {
        let claims = who.claims(Duration::from_secs(86_400));
        sign_hs256(&self.secret, &claims).unwrap_or_default()
    }

    /// Sends a request; the status and the JSON body (`Null` if none).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Option<(StatusCode, Value)> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
                .json(body);
        }
        let response = request.send().await.ok()?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Some((status, body))
    }

    /// POSTs a command; its answer if it was accepted (2xx).
    pub(crate) async fn command(&self, path: &str, token: &str, body: &Value) -> Option<Value> {
        match self.send(Method::POST, path, token, Some(body)).await? {
            (status, value) if status.is_success() => Some(value),
            (status, value) => {
                tracing::debug!(%status, %value, path, "command refused");
                None
            }
        }
    }

    /// GETs a resource and reads its body without parsing it (the query
    /// figure times the server, not this client's JSON parser); whether
    /// the answer was 200.
    pub(crate) async fn get_ok(&self, path: &str, token: &str) -> bool {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        match request.send().await {
            Ok(response) => response.status() == StatusCode::OK && response.bytes().await.is_ok(),
            Err(_) => false,
        }
    }

    /// GETs a resource; its body on 200.
    pub(crate) async fn get(&self, path: &str, token: &str) -> Option<Value> {
        match self.send(Method::GET, path, token, None).await? {
            (StatusCode::OK, value) => Some(value),
            _ => None,
        }
    }
}
