//! Logging through `tracing`, and optional trace export.
//!
//! Text logs are for people. JSON logs ([`json`]) are one flat object per
//! line carrying the fields of every span the event happened in, so the
//! request id and correlation id an HTTP span records, or the aggregate id
//! of a command span, are on every line logged inside it and a log
//! pipeline can filter on them without knowing the span structure. With
//! the `otel` cargo feature (off by default, to keep default builds lean)
//! spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set, and JSON lines also carry the `trace_id` and `span_id` of that
//! export, so logs and traces join.
//!
//! # Layout
//! - [`json`]: the flat JSON line format.
//! - `otel`: the OpenTelemetry layer and its exporter (feature `otel`).

use tracing::Subscriber;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, Settings};

pub mod json;
#[cfg(feature = "otel")]
pub mod otel;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutput {
    /// Standard output: for services.
    Stdout,
    /// Standard error: for commands whose standard output is their result.
    Stderr,
}

/// Keeps trace export running; dropping it flushes the spans not yet sent.
#[must_use = "dropping it stops the trace export"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    _otel: Option<otel::Exporter>,
}

/// Installs the global subscriber with the `RUST_LOG` filter (default
/// `info`) and no trace export; later calls are no-ops. For tests.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(log_layer(format, LogOutput::Stdout))
        .try_init();
}

/// Installs the global subscriber as `settings` say: log filter, format
/// and, in builds with the `otel` feature, trace export. A second call
/// keeps the first subscriber.
pub fn init_with(settings: &Settings, output: LogOutput) -> anyhow::Result<Telemetry> {
    let telemetry = &settings.telemetry;
    // a blank RUST_LOG means the default, not "errors only"
    let directives = match telemetry.log_filter.trim() {
        "" => "info",
        directives => directives,
    };
    let filter = EnvFilter::try_new(directives).map_err(|error| {
        anyhow::anyhow!(
            "bad log filter (RUST_LOG) `{}`: {error}",
            telemetry.log_filter
        )
    })?;
    let json = json::FlatJson::new();
    #[cfg(feature = "otel")]
    let slot = json.dispatch_slot();
    let logs = tracing_subscriber::registry()
        .with(filter)
        .with(log_layer_with(settings.log_format, output, json));
    #[cfg(feature = "otel")]
    {
        let (layer, exporter) = otel::layer(telemetry)?;
        let dispatch = tracing::Dispatch::new(logs.with(layer));
        let _ = slot.set(dispatch.downgrade());
        let _ = dispatch.try_init();
        Ok(Telemetry { _otel: exporter })
    }
    #[cfg(not(feature = "otel"))]
    {
        let _ = logs.try_init();
        if telemetry.otel_endpoint.is_some() {
            tracing::warn!(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but this build has no OpenTelemetry \
                 support (cargo feature `otel`): no traces are exported"
            );
        }
        Ok(Telemetry {})
    }
}

/// The layer that writes log lines to `output` in `format`.
pub fn log_layer<S>(format: LogFormat, output: LogOutput) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    log_layer_with(format, output, json::FlatJson::new())
}

fn log_layer_with<S>(
    format: LogFormat,
    output: LogOutput,
    json: json::FlatJson,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let writer = match output {
        LogOutput::Stdout => BoxMakeWriter::new(std::io::stdout),
        LogOutput::Stderr => BoxMakeWriter::new(std::io::stderr),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer
            .fmt_fields(JsonFields::new())
            .event_format(json)
            .boxed(),
    }
}
