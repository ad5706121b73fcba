//! Prometheus metrics: request counts and latencies, command outcomes,
//! and, computed when scraped, projection and relay lag.
//!
//! A small registry of our own instead of a metrics framework: the API
//! needs a handful of counters and one histogram shape, and the text
//! exposition format is simple. Counters are per process (one registry,
//! shared by every app in it); Prometheus sums replicas.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

/// The process's metrics.
pub struct Metrics(Mutex<Registry>);

/// The process-wide registry.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics(Mutex::new(Registry::default())))
}

impl Metrics {
    /// Adds one to counter `name` with `labels`.
    pub fn inc(&self, name: &'static str, labels: Labels) {
        let mut registry = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *registry.counters.entry((name, labels)).or_default() += 1;
    }

    /// Records `seconds` in histogram `name` with `labels`.
    pub fn observe(&self, name: &'static str, labels: Labels, seconds: f64) {
        let mut registry = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let histogram = registry.histograms.entry((name, labels)).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
    }

    /// The text exposition of every counter and histogram.
    pub fn render(&self) -> String {
        let registry = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let mut last = "";
        for ((name, labels), value) in &registry.counters {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{} {value}", label_text(labels, None));
        }
        for ((name, labels), histogram) in &registry.histograms {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} histogram");
                last = name;
            }
            for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                let le = bound.to_string();
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {count}",
                    label_text(labels, Some(&le))
                );
            }
            let all = label_text(labels, Some("+Inf"));
            let _ = writeln!(out, "{name}_bucket{all} {}", histogram.count);
            let plain = label_text(labels, None);
            let _ = writeln!(out, "{name}_sum{plain} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{plain} {}", histogram.count);
        }
        out
    }
}

/// `{a="1",b="2"}`, with `le` last for buckets; values escaped.
pub fn label_text(labels: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts every request and times it, by route template (not
/// the raw path, so ids do not explode the label space).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16().to_string();
    let registry = metrics();
    registry.inc(
        "bazaar_http_requests_total",
        vec![
            ("method", method.clone()),
            ("route", route.clone()),
            ("status", status),
        ],
    );
    registry.observe(
        "bazaar_http_request_duration_seconds",
        vec![("method", method), ("route", route)],
        seconds,
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_text_format() {
        let registry = Metrics(Mutex::new(Registry::default()));
        registry.inc("t_total", vec![("k", "a\"b".to_owned())]);
        registry.inc("t_total", vec![("k", "a\"b".to_owned())]);
        registry.observe("t_seconds", vec![], 0.003);
        let text = registry.render();
        assert!(text.contains("t_total{k=\"a\\\"b\"} 2"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.0025\"} 0"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("t_seconds_count 1"), "{text}");
    }
}
