//! What a JSON log line carries: the spans' fields, flat.

use std::io;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Captured {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
            .collect()
    }
}

fn capture(f: impl FnOnce()) -> Vec<Value> {
    let out = Captured::default();
    let layer = tracing_subscriber::fmt::layer()
        .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
        .event_format(super::FlatJson::new())
        .with_writer(out.clone());
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f);
    out.lines()
}

#[test]
fn a_line_carries_the_fields_of_every_span_it_is_logged_in() {
    let lines = capture(|| {
        let request = tracing::info_span!("request", request_id = "r-1", correlation_id = "c-1");
        let _request = request.enter();
        let command = tracing::info_span!("command", aggregate_id = "order-7", attempt = 1);
        let _command = command.enter();
        tracing::info!(amount = 500, paid = true, "order placed");
    });

    let line = &lines[0];
    assert_eq!(line["message"], "order placed");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["request_id"], "r-1");
    assert_eq!(line["correlation_id"], "c-1");
    assert_eq!(line["aggregate_id"], "order-7");
    assert_eq!(line["attempt"], 1);
    assert_eq!(line["amount"], 500);
    assert_eq!(line["paid"], true);
    assert_eq!(line["spans"], "request>command");
    assert!(
        line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{line}"
    );
    assert!(
        line["target"].as_str().is_some_and(|t| t.contains("json")),
        "{line}"
    );
}

#[test]
fn fields_recorded_after_the_span_started_and_inner_values_win() {
    let lines = capture(|| {
        let outer = tracing::info_span!("outer", actor = "buyer:b-1", user = tracing::field::Empty);
        let _outer = outer.enter();
        outer.record("user", "u-9");
        let inner = tracing::info_span!("inner", actor = "system:saga");
        let _inner = inner.enter();
        tracing::warn!("retrying");
    });

    let line = &lines[0];
    assert_eq!(line["user"], "u-9");
    assert_eq!(line["actor"], "system:saga");
    assert_eq!(line["level"], "WARN");
}

#[test]
fn the_fixed_keys_come_first_and_cannot_be_overridden() {
    let out = Captured::default();
    let layer = tracing_subscriber::fmt::layer()
        .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
        .event_format(super::FlatJson::new())
        .with_writer(out.clone());
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("s", level = "forged");
        let _span = span.enter();
        tracing::error!(target: "bazaar", "boom");
    });

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.starts_with("{\"timestamp\":")
            && text.contains(",\"level\":\"ERROR\",\"target\":\"bazaar\",\"message\":\"boom\""),
        "{text}"
    );
}

#[test]
fn a_line_outside_any_span_has_no_span_fields() {
    let lines = capture(|| tracing::info!(order_id = "o-1", "hello"));

    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for key in ["timestamp", "level", "target", "message", "order_id"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
}

#[cfg(feature = "otel")]
#[test]
fn with_opentelemetry_lines_carry_the_trace_and_span_ids() {
    let out = Captured::default();
    let json = super::FlatJson::new();
    let slot = json.dispatch_slot();
    let layer = tracing_subscriber::fmt::layer()
        .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
        .event_format(json)
        .with_writer(out.clone());
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(crate::telemetry::otel::tracing_layer(&provider));
    let dispatch = tracing::Dispatch::new(subscriber);
    slot.set(dispatch.downgrade()).unwrap();
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info!("outside");
        {
            let request = tracing::info_span!("request");
            let _request = request.enter();
            tracing::info!("one");
            let command = tracing::info_span!("command");
            let _command = command.enter();
            tracing::info!("two");
        }
        let other = tracing::info_span!("other");
        let _other = other.enter();
        tracing::info!("three");
    });

    let lines = out.lines();
    let id = |n: usize, key: &str| lines[n][key].as_str().map(str::to_owned);
    assert_eq!(id(0, "trace_id"), None, "no span, no trace");
    let trace = id(1, "trace_id").expect("a trace id inside a span");
    assert_eq!(trace.len(), 32);
    assert!(trace.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        id(2, "trace_id").as_deref(),
        Some(trace.as_str()),
        "child span, same trace"
    );
    assert_ne!(
        id(1, "span_id"),
        id(2, "span_id"),
        "child span, own span id"
    );
    assert_eq!(id(1, "span_id").map(|s| s.len()), Some(16));
    assert_ne!(
        id(3, "trace_id").as_deref(),
        Some(trace.as_str()),
        "new root, new trace"
    );
}
