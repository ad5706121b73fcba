//! OpenTelemetry trace export over OTLP/HTTP (cargo feature `otel`).
//!
//! Spans are batched by the SDK's background thread and sent to
//! `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` as protobuf over plain
//! HTTP (a collector next to the service; no TLS client is compiled in).
//! The W3C `traceparent` propagator is installed, so an HTTP layer can
//! continue a caller's trace. Other `OTEL_EXPORTER_OTLP_*` variables
//! (headers, timeout, compression) are read by the exporter itself.

use serde_json::{Map, Value};
use tracing::dispatcher::Dispatch;
use tracing::Subscriber;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;

use crate::config::TelemetrySettings;

/// The running exporter; dropping it flushes and stops it.
pub struct Exporter(SdkTracerProvider);

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Err(error) = self.0.shutdown() {
            eprintln!("trace export did not shut down cleanly: {error}");
        }
    }
}

/// A boxed layer of subscriber `S`.
pub type BoxedLayer<S> = Box<dyn Layer<S> + Send + Sync>;

/// The tracing layer that turns spans into OpenTelemetry spans, and the
/// exporter behind it; `None` for both when no endpoint is configured.
pub fn layer<S>(
    settings: &TelemetrySettings,
) -> anyhow::Result<(Option<BoxedLayer<S>>, Option<Exporter>)>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let Some(base) = settings.otel_endpoint.as_deref().map(str::trim) else {
        return Ok((None, None));
    };
    if base.is_empty() {
        return Ok((None, None));
    }
    let endpoint = format!("{}/v1/traces", base.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint.as_str())
        .build()
        .map_err(|error| anyhow::anyhow!("bad OTLP endpoint `{endpoint}`: {error}"))?;
    let resource = Resource::builder()
        .with_service_name(settings.otel_service_name.clone())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    Ok((Some(tracing_layer(&provider)), Some(Exporter(provider))))
}

/// A tracing layer over `provider`, with the W3C propagator installed.
pub fn tracing_layer<S>(provider: &SdkTracerProvider) -> BoxedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let tracer = provider.tracer("bazaar");
    tracing_opentelemetry::layer().with_tracer(tracer).boxed()
}

/// Adds `trace_id` and `span_id` of the event's innermost span, if it has
/// a valid OpenTelemetry span, to `fields`.
pub(crate) fn trace_ids<S>(
    ctx: &FmtContext<'_, S, JsonFields>,
    dispatch: &Dispatch,
    fields: &mut Map<String, Value>,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(id) = ctx
        .event_scope()
        .and_then(|mut scope| scope.next())
        .map(|span| span.id())
    else {
        return;
    };
    let Some(context) = tracing_opentelemetry::get_otel_context(&id, dispatch) else {
        return;
    };
    let span = context.span();
    let span_context = span.span_context();
    if span_context.is_valid() {
        let trace_id = span_context.trace_id().to_string();
        let span_id = span_context.span_id().to_string();
        fields.insert("trace_id".to_owned(), trace_id.into());
        fields.insert("span_id".to_owned(), span_id.into());
    }
}
