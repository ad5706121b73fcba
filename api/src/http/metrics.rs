//! Prometheus metrics through the `metrics` facade and
//! `metrics-exporter-prometheus`: every crate records its counters and
//! histograms where the work happens (requests and commands here, the
//! workers in `bazaar-commands` and `bazaar-projections`), the exporter
//! installed once per process renders them with `# HELP` and `# TYPE`
//! lines. Recording takes no process-wide lock: handles are atomics found
//! in a sharded registry. Latency histograms share [`BUCKETS`].
//!
//! Counters are per process; Prometheus sums replicas. Figures that live
//! in Postgres (projection, indexer and relay lag, parked documents, due
//! timers) are read when scraped ([`scrape`]), into a recorder
//! of that scrape alone, so every process reports the same values and two
//! databases served by one process (the tests) never mix.
//!
//! Lag gauges carry only the projection's name: the generation and the
//! state are gauges of their own, so a rebuild or a failure does not start
//! new lag series (which would break alerts and graphs across it).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

mod database;

pub use database::scrape;

/// Upper bounds of the latency buckets, in seconds: 1 ms to the default
/// request timeout.
pub const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "bazaar_http_requests_total";
/// Time to answer, by method and route template.
pub const HTTP_SECONDS: &str = "bazaar_http_request_duration_seconds";
/// Commands run through the API, by aggregate, command and outcome.
pub const COMMANDS: &str = "bazaar_commands_total";

/// The process's exporter, installed as the global recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = builder();
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "a metrics recorder was already installed; /metrics shows only database figures"
            );
        }
        describe();
        handle
    })
}

/// The exporter's settings: histograms with [`BUCKETS`], not summaries.
pub(crate) fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
        .expect("the buckets are not empty")
}

/// Registers the help texts of every process metric.
fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        Unit::Seconds,
        "Time to answer an HTTP request, by method and route template"
    );
    describe_counter!(
        COMMANDS,
        Unit::Count,
        "Commands run through the API: applied, replayed (idempotent retry), rejected, failed"
    );
    bazaar_commands::metrics::describe();
    bazaar_projections::metrics::describe();
    bazaar_event_store::election::describe();
}

/// Middleware: counts every request and times it, by route template (not
/// the raw path, so ids do not explode the label space).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!(HTTP_SECONDS, "method" => method, "route" => route).record(seconds);
    response
}

/// The method as a label: the standard ones by name, any other as `other`
/// (a client must not be able to add series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a command run through the API.
pub fn command(aggregate: &'static str, command: String, outcome: &'static str) {
    counter!(COMMANDS, "aggregate" => aggregate, "command" => command, "outcome" => outcome)
        .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_buckets_and_help() {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe_histogram!("t_seconds", Unit::Seconds, "a test histogram");
            histogram!("t_seconds").record(0.003);
            counter!("t_total", "k" => "a\"b").increment(2);
        });
        let text = handle.render();
        assert!(text.contains("# HELP t_seconds a test histogram"), "{text}");
        assert!(text.contains("# TYPE t_seconds histogram"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.0025\"} 0"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("t_seconds_count 1"), "{text}");
        assert!(text.contains("t_total{k=\"a\\\"b\"} 2"), "{text}");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
