//! The load's client: commands on new stocks with idempotency keys and
//! queries, as one vendor, every answer remembered so that the test can
//! check each was 2xx or 503 with `Retry-After`, or, for a resend, 409
//! with `Retry-After` while the key of its refused first attempt is still
//! being freed (the server frees it in the background as soon as the
//! database answers again).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::vendor;

/// The 503 problem types an outage may answer: the database is busy, or
/// (a query with `min_position`) the read model is not there yet.
const OUTAGE_TYPES: &[&str] = &["/problems/database-busy", "/problems/read-model-behind"];
/// The 409 a resend may get while its first attempt's key is being freed.
const IN_FLIGHT: &str = "/problems/idempotency-request-in-flight";
/// Most 409 in-flight answers in a row one resend may see (a second apart):
/// a key left in flight until its 60 s lease lapses would exceed it.
const MOST_IN_FLIGHT: usize = 10;
/// How a resend's request is named in the answers.
const RESEND: &str = " (resend)";

/// One command of the load: a batch received on a stock of its own.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    sku: String,
    key: String,
}

impl Command {
    /// The `n`th command of task `task`.
    pub(crate) fn new(task: usize, n: usize) -> Self {
        Self {
            sku: format!("rs-{task}-{n}"),
            key: format!("restart-{task}-{n}"),
        }
    }

    /// The stream it writes to.
    pub(crate) fn stock_id(&self) -> String {
        format!("{}@wh-1", self.sku)
    }
}

/// An answer: status, body, and the headers the test looks at.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    status: u16,
    body: Value,
    replayed: bool,
    retry_after: bool,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The command id of an accepted command.
    pub(crate) fn command_id(&self) -> String {
        self.body["command_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no command id in {self:?}"))
            .to_owned()
    }

    /// Whether this is the first answer again (stored response, or the
    /// command log's outcome).
    pub(crate) fn replayed(&self) -> bool {
        self.replayed || self.body["replayed"] == true
    }

    fn in_flight(&self) -> bool {
        self.status == 409 && self.body["type"] == IN_FLIGHT
    }

    fn position(&self) -> Option<&str> {
        self.body["position"].as_str()
    }
}

/// What the test saw of one request.
#[derive(Debug)]
struct Seen {
    what: String,
    status: u16,
    kind: Value,
    retry_after: bool,
}

impl Seen {
    /// 2xx; 503 with `Retry-After` saying the database is busy or the read
    /// model behind; or, for a resend, 409 in flight with `Retry-After`.
    fn expected(&self) -> bool {
        let retry = |types: &[&str]| self.retry_after && types.iter().any(|t| self.kind == *t);
        (200..300).contains(&self.status)
            || (self.status == 503 && retry(OUTAGE_TYPES))
            || (self.status == 409 && self.what.ends_with(RESEND) && retry(&[IN_FLIGHT]))
    }

    fn line(&self) -> String {
        format!(
            "{}: {} {} (Retry-After: {})",
            self.what, self.status, self.kind, self.retry_after
        )
    }
}

/// The server's API, as the vendor owning every stock of the load.
pub(crate) struct Api {
    base: String,
    client: reqwest::Client,
    token: String,
    seen: Mutex<Vec<Seen>>,
    keys_sent: Mutex<HashSet<String>>,
    acknowledged: AtomicUsize,
}

impl Api {
    pub(crate) fn new(port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            token: vendor("v-1"),
            seen: Mutex::default(),
            keys_sent: Mutex::default(),
            acknowledged: AtomicUsize::new(0),
        }
    }

    /// Waits (up to two minutes) until `/health/ready` answers 200.
    pub(crate) async fn ready(&self) {
        for _ in 0..1_200 {
            let url = format!("{}/health/ready", self.base);
            if let Ok(response) = self.client.get(url).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("bazaar serve never became ready");
    }

    /// Receives the stock every task queries, and waits until it reads.
    pub(crate) async fn warm_up(&self) {
        let warm = Command {
            sku: "warm".into(),
            key: "warm".into(),
        };
        let answer = self.settle(&warm).await;
        self.read_back_until_found(&warm, &answer).await;
    }

    /// Sends `command` once.
    pub(crate) async fn receive(&self, command: &Command) -> Answer {
        let body = json!({"batch": "b-1", "quantity": 5, "expires_on": null});
        let request = self
            .client
            .post(format!(
                "{}/v1/stock/{}/wh-1/batches",
                self.base, command.sku
            ))
            .header("Idempotency-Key", &command.key)
            .json(&body);
        let first = (self.keys_sent.lock().expect("keys sent")).insert(command.key.clone());
        let what = format!("POST {}{}", command.key, if first { "" } else { RESEND });
        let answer = self.send(&what, request).await;
        if answer.is_success() {
            self.acknowledged.fetch_add(1, Ordering::AcqRel);
        }
        answer
    }

    /// Sends `command` until it is acknowledged, waiting as each answer's
    /// `Retry-After` asks (at most two minutes in all). A key still in
    /// flight must be freed within [`MOST_IN_FLIGHT`] tries.
    pub(crate) async fn settle(&self, command: &Command) -> Answer {
        let mut in_flight = 0;
        for _ in 0..120 {
            let answer = self.receive(command).await;
            if answer.is_success() {
                return answer;
            }
            assert!(answer.retry_after, "{command:?}: {answer:?}");
            in_flight = if answer.in_flight() { in_flight + 1 } else { 0 };
            assert!(
                in_flight <= MOST_IN_FLIGHT,
                "{command:?} stayed in flight for {in_flight} tries"
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!("{command:?} was never acknowledged");
    }

    /// Reads back the stock `answer` wrote, with `min_position`.
    pub(crate) async fn read_back(&self, command: &Command, answer: &Answer) -> Answer {
        let position = answer.position().expect("an accepted command's position");
        let path = format!("/v1/stock/{}/wh-1?min_position={position}", command.sku);
        self.get(&path).await
    }

    /// Reads back until the stock is there (at most a minute).
    pub(crate) async fn read_back_until_found(&self, command: &Command, answer: &Answer) {
        for _ in 0..60 {
            let read = self.read_back(command, answer).await;
            if read.status == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!("{command:?} never became readable");
    }

    /// The query every task makes: the stock received before the load.
    pub(crate) async fn query_warm(&self) -> Answer {
        self.get("/v1/stock/warm/wh-1").await
    }

    /// Waits (at most two minutes) until `more` commands were acknowledged.
    pub(crate) async fn wait_for_acknowledged(&self, more: usize) {
        let target = self.acknowledged.load(Ordering::Acquire) + more;
        for _ in 0..1_200 {
            if self.acknowledged.load(Ordering::Acquire) >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("fewer than {more} commands acknowledged in two minutes");
    }

    /// Every answer so far was expected ([`Seen::expected`]).
    pub(crate) fn assert_every_answer_was_2xx_or_503_with_retry_after(&self) {
        let seen = self.seen.lock().expect("answers");
        let wrong: Vec<String> = seen
            .iter()
            .filter(|s| !s.expected())
            .map(Seen::line)
            .collect();
        assert!(
            wrong.is_empty(),
            "{} answers of {}: {wrong:#?}",
            wrong.len(),
            seen.len()
        );
    }

    /// How many answers of each method, status and problem type.
    pub(crate) fn summary(&self) -> String {
        let seen = self.seen.lock().expect("answers");
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for s in seen.iter() {
            let method = s.what.split(' ').next().unwrap_or("?");
            let kind = s.kind.as_str().unwrap_or("");
            *counts
                .entry(format!("{method} {} {kind}", s.status))
                .or_default() += 1;
        }
        counts
            .iter()
            .map(|(answer, n)| format!("{n} x {}", answer.trim_end()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    async fn get(&self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(&format!("GET {path}"), request).await
    }

    /// Sends `request`; a broken connection is remembered as status 0.
    async fn send(&self, what: &str, request: reqwest::RequestBuilder) -> Answer {
        let answer = match request.bearer_auth(&self.token).send().await {
            Ok(response) => {
                let headers = response.headers();
                let replayed = headers.contains_key("idempotent-replayed");
                let retry_after = headers.contains_key("retry-after");
                let status = response.status().as_u16();
                let body = response.json().await.unwrap_or(Value::Null);
                Answer {
                    status,
                    body,
                    replayed,
                    retry_after,
                }
            }
            Err(error) => Answer {
                status: 0,
                body: json!({ "transport": error.to_string() }),
                replayed: false,
                retry_after: false,
            },
        };
        self.seen.lock().expect("answers").push(Seen {
            what: what.to_owned(),
            status: answer.status,
            kind: answer.body["type"].clone(),
            retry_after: answer.retry_after,
        });
        answer
    }
}
