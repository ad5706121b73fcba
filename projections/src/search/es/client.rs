//! Reaching Elasticsearch: settings, the official client, names, and one
//! helper that turns any call into `(status, JSON body)` or a typed error.

use std::time::Duration;

use elasticsearch::auth::Credentials;
use elasticsearch::http::response::Response;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::http::Url;
use elasticsearch::Elasticsearch;
use serde_json::Value;

/// Version of the mappings in [`super::mappings`]: part of every index
/// name, so a mapping change gets new indices (by a rebuild).
pub const MAPPING_VERSION: u32 = 1;

/// How the indexer and the searches reach Elasticsearch.
#[derive(Debug, Clone)]
pub struct EsSettings {
    /// `ELASTICSEARCH_URL`, e.g. `https://user:secret@es.internal:9200`;
    /// credentials in the URL are sent as basic authentication.
    pub url: String,
    /// First part of every index, alias and template name.
    pub index_prefix: String,
    /// Replicas of each index (0 for a single-node cluster).
    pub replicas: u32,
    /// Events read per batch (one bulk request and one checkpoint each).
    pub batch_size: i64,
    /// Longest pause between retries while Elasticsearch fails.
    pub max_backoff: Duration,
    /// Timeout of one request.
    pub request_timeout: Duration,
}

impl EsSettings {
    /// Settings with the defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            index_prefix: "bazaar".to_owned(),
            replicas: 1,
            batch_size: 500,
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The two kinds of documents, one index (and alias) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// Order documents, id = order id.
    Orders,
    /// Stock documents, id = `sku@warehouse`.
    Stock,
}

impl DocKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Orders, Self::Stock];

    /// `orders` or `stock`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Stock => "stock",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Why a call to Elasticsearch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EsError {
    /// No answer: connection refused, reset, timed out.
    #[error("no answer from elasticsearch: {0}")]
    Transport(String),
    /// An answer with an unexpected status.
    #[error("elasticsearch answered {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The body, for the log.
        body: String,
    },
    /// An answer that is not the JSON expected.
    #[error("unreadable elasticsearch answer: {0}")]
    Body(String),
    /// A setting is wrong (bad URL).
    #[error("bad elasticsearch settings: {0}")]
    Settings(String),
}

impl EsError {
    /// Whether retrying later may succeed (no answer, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Body(_) | Self::Settings(_) => false,
        }
    }
}

/// The official client with Bazaar's names. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EsClient {
    client: Elasticsearch,
    settings: EsSettings,
}

impl EsClient {
    /// A client for `settings` (no request is sent yet).
    pub fn new(settings: EsSettings) -> Result<Self, EsError> {
        let mut url = Url::parse(&settings.url)
            .map_err(|e| EsError::Settings(format!("ELASTICSEARCH_URL: {e}")))?;
        let credentials = (!url.username().is_empty()).then(|| {
            let password = url.password().unwrap_or_default();
            Credentials::Basic(percent_decode(url.username()), percent_decode(password))
        });
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(settings.request_timeout)
            .enable_meta_header(false);
        if let Some(credentials) = credentials {
            builder = builder.auth(credentials);
        }
        let transport = builder
            .build()
            .map_err(|e| EsError::Settings(e.to_string()))?;
        Ok(Self {
            client: Elasticsearch::new(transport),
            settings,
        })
    }

    /// The official client.
    pub fn client(&self) -> &Elasticsearch {
        &self.client
    }

    /// The settings.
    pub fn settings(&self) -> &EsSettings {
        &self.settings
    }

    /// The alias searches read: `<prefix>-<kind>`.
    pub fn alias(&self, kind: DocKind) -> String {
        format!("{}-{}", self.settings.index_prefix, kind.as_str())
    }

    /// The index of `generation`: `<prefix>-<kind>-v<mapping>-<generation>`.
    pub fn index(&self, kind: DocKind, generation: i32) -> String {
        format!("{}-v{MAPPING_VERSION}-{generation}", self.alias(kind))
    }

    /// The template's name: `<prefix>-<kind>-v<mapping>`.
    pub fn template(&self, kind: DocKind) -> String {
        format!("{}-v{MAPPING_VERSION}", self.alias(kind))
    }
}

/// Percent-decoding of URL user info (`%40` → `@`).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The status and JSON body of a call, or why there is none.
pub async fn answer(sent: Result<Response, elasticsearch::Error>) -> Result<(u16, Value), EsError> {
    let response = sent.map_err(|e| EsError::Transport(e.to_string()))?;
    let status = response.status_code().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| EsError::Transport(e.to_string()))?;
    if text.is_empty() {
        return Ok((status, Value::Null));
    }
    let body = serde_json::from_str(&text).map_err(|_| EsError::Body(clip(&text)))?;
    Ok((status, body))
}

/// The JSON body of a call that must succeed (2xx).
pub async fn expect_ok(sent: Result<Response, elasticsearch::Error>) -> Result<Value, EsError> {
    match answer(sent).await? {
        (status, body) if (200..300).contains(&status) => Ok(body),
        (status, body) => Err(EsError::Status {
            status,
            body: clip(&body.to_string()),
        }),
    }
}

/// At most 1,000 characters of `text`, for logs and errors.
pub fn clip(text: &str) -> String {
    text.chars().take(1_000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_kind_mapping_version_and_generation() {
        let client = EsClient::new(EsSettings::new("http://127.0.0.1:9200")).unwrap();
        assert_eq!(client.alias(DocKind::Orders), "bazaar-orders");
        assert_eq!(client.index(DocKind::Stock, 3), "bazaar-stock-v1-3");
        assert_eq!(client.template(DocKind::Orders), "bazaar-orders-v1");
    }

    #[test]
    fn credentials_in_the_url_are_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(percent_decode("plain%"), "plain%");
    }

    #[test]
    fn only_no_answer_429_and_5xx_are_transient() {
        assert!(EsError::Transport("reset".into()).is_transient());
        let status = |status| EsError::Status {
            status,
            body: String::new(),
        };
        assert!(status(429).is_transient());
        assert!(status(503).is_transient());
        assert!(!status(400).is_transient());
        assert!(!status(403).is_transient());
    }
}
