//! A local HTTP server standing in for Elasticsearch: it records every
//! request exactly (method, path, query, body) and answers with real
//! Elasticsearch bodies from `tests/fixtures/search/es` (see its README).
//!
//! It keeps the aliases it is told about (`POST /_aliases`) so `GET
//! /_alias` answers as a cluster would. Bulk requests are answered item by
//! item from a script (`created`, `version_conflict`, `mapper_parsing`,
//! `rejected`, `index_missing`), or all `created` when nothing is
//! scripted; other answers can be scripted per method and path.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

const ITEMS: &str = include_str!("../../fixtures/search/es/bulk_items.json");
const ACK: &str = include_str!("../../fixtures/search/es/acknowledged.json");
const CREATED_INDEX: &str = include_str!("../../fixtures/search/es/create_index.json");
const ALIAS_MISSING: &str = include_str!("../../fixtures/search/es/alias_missing.json");
pub(crate) const UNAVAILABLE: &str = include_str!("../../fixtures/search/es/bulk_unavailable.json");
pub(crate) const SEARCH_ORDERS: &str = include_str!("../../fixtures/search/es/search_orders.json");

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) body: String,
}

impl Recorded {
    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The body as NDJSON lines.
    pub(crate) fn lines(&self) -> Vec<Value> {
        self.body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// How to answer one bulk request.
#[derive(Debug, Clone)]
pub(crate) enum BulkReply {
    /// One fixture item name per request item.
    Items(Vec<&'static str>),
    /// The whole request fails with this status and body.
    Whole(u16, &'static str),
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    bulk: VecDeque<BulkReply>,
    scripted: VecDeque<(Method, String, u16, String)>,
    aliases: BTreeMap<String, BTreeSet<String>>,
}

/// The running server.
#[derive(Clone)]
pub(crate) struct MockEs {
    pub(crate) url: String,
    inner: Arc<Mutex<Inner>>,
}

impl MockEs {
    /// Starts a server on a free port of 127.0.0.1.
    pub(crate) async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, inner }
    }

    /// Answers the next bulk request with `reply`.
    pub(crate) fn script_bulk(&self, reply: BulkReply) {
        self.inner.lock().unwrap().bulk.push_back(reply);
    }

    /// Answers the next `method path` request with `status` and `body`.
    pub(crate) fn script(&self, method: Method, path: &str, status: u16, body: &str) {
        let entry = (method, path.to_owned(), status, body.to_owned());
        self.inner.lock().unwrap().scripted.push_back(entry);
    }

    /// Every request so far, and forgets them.
    pub(crate) fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.inner.lock().unwrap().requests)
    }

    /// Indices holding `alias`.
    pub(crate) fn alias(&self, alias: &str) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .aliases
            .get(alias)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn reply(status: u16, body: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, [("content-type", "application/json")], body.into()).into_response()
}

async fn answer(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let body = String::from_utf8(body.to_vec()).unwrap();
    let path = uri.path().to_owned();
    let mut inner = inner.lock().unwrap();
    inner.requests.push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        body: body.clone(),
    });
    let at = inner
        .scripted
        .iter()
        .position(|(m, p, _, _)| *m == method && *p == path);
    if let Some(at) = at {
        let (_, _, status, body) = inner.scripted.remove(at).unwrap();
        return reply(status, body);
    }
    match (method.as_str(), path.as_str()) {
        ("POST", "/_bulk") => bulk(&mut inner, &body),
        ("POST", "/_aliases") => {
            apply_aliases(&mut inner, &serde_json::from_str(&body).unwrap());
            reply(200, ACK)
        }
        ("GET", p) if p.starts_with("/_alias/") => get_alias(&inner, &p["/_alias/".len()..]),
        ("PUT", p) if p.starts_with("/_index_template/") => reply(200, ACK),
        ("PUT", p) => {
            let mut created: Value = serde_json::from_str(CREATED_INDEX).unwrap();
            created["index"] = json!(&p[1..]);
            reply(200, created.to_string())
        }
        ("DELETE", _) => reply(200, ACK),
        _ => reply(
            404,
            json!({"error": format!("no route for {method} {path}"), "status": 404}).to_string(),
        ),
    }
}

fn bulk(inner: &mut Inner, body: &str) -> Response {
    let actions: Vec<Value> = body
        .lines()
        .step_by(2)
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["index"].clone())
        .collect();
    let names = match inner.bulk.pop_front() {
        Some(BulkReply::Whole(status, body)) => return reply(status, body),
        Some(BulkReply::Items(names)) => names,
        None => vec!["created"; actions.len()],
    };
    assert_eq!(
        names.len(),
        actions.len(),
        "bulk script does not match the request"
    );
    let fixtures: Value = serde_json::from_str(ITEMS).unwrap();
    let items: Vec<Value> = actions
        .iter()
        .zip(names)
        .map(|(action, name)| {
            let mut item = fixtures[name].clone();
            item["_index"] = action["_index"].clone();
            item["_id"] = action["_id"].clone();
            if name == "created" {
                item["_version"] = action["version"].clone();
            }
            json!({ "index": item })
        })
        .collect();
    let errors = items.iter().any(|i| i["index"]["error"].is_object());
    reply(
        200,
        json!({ "took": 30, "errors": errors, "items": items }).to_string(),
    )
}

fn apply_aliases(inner: &mut Inner, body: &Value) {
    for action in body["actions"].as_array().unwrap() {
        if let Some(add) = action.get("add") {
            let holders = inner
                .aliases
                .entry(add["alias"].as_str().unwrap().to_owned())
                .or_default();
            holders.insert(add["index"].as_str().unwrap().to_owned());
        }
        if let Some(remove) = action.get("remove") {
            let holders = inner
                .aliases
                .entry(remove["alias"].as_str().unwrap().to_owned())
                .or_default();
            holders.remove(remove["index"].as_str().unwrap());
        }
    }
}

fn get_alias(inner: &Inner, alias: &str) -> Response {
    let holders = inner.aliases.get(alias).filter(|h| !h.is_empty());
    let Some(holders) = holders else {
        let mut missing: Value = serde_json::from_str(ALIAS_MISSING).unwrap();
        missing["error"] = json!(format!("alias [{alias}] missing"));
        return reply(404, missing.to_string());
    };
    let body: serde_json::Map<String, Value> = holders
        .iter()
        .map(|index| (index.clone(), json!({ "aliases": { alias: {} } })))
        .collect();
    reply(200, Value::Object(body).to_string())
}
