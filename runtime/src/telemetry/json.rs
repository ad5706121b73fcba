//! JSON log lines: one flat object per event, with its spans' fields.
//!
//! tracing-subscriber's own JSON format nests span fields under `span` and
//! `spans`, so a pipeline must know in which span a request id was
//! recorded. Here every field of every span in scope is a top-level key
//! (an inner span's field wins over an outer one's, the event's own fields
//! win over both), followed by `spans`, the span names from the root
//! (`request>command`). `timestamp`, `level`, `target` and `message` come
//! first and cannot be overridden by a field of the same name.
//!
//! Example (an event inside a `request` span that recorded `request_id`
//! and `correlation_id`):
//!
//! ```text
//! {"timestamp":"2026-11-22T09:00:00.123456Z","level":"INFO","target":"bazaar_api::routes","message":"order placed","correlation_id":"c-1","order_id":"o-1","request_id":"r-1","spans":"request"}
//! ```

use std::fmt;
#[cfg(feature = "otel")]
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Keys every line starts with, in this order.
const FIXED: [&str; 4] = ["timestamp", "level", "target", "message"];

/// The flat JSON event format; spans' fields must be recorded with
/// [`JsonFields`] (`fmt::layer().fmt_fields(JsonFields::new())`).
#[derive(Debug, Default, Clone)]
pub struct FlatJson {
    /// The subscriber this format belongs to, to look up the OpenTelemetry
    /// span of an event (set once the subscriber is built).
    #[cfg(feature = "otel")]
    dispatch: Arc<OnceLock<tracing::dispatcher::WeakDispatch>>,
}

impl FlatJson {
    /// The format, without trace ids until [`Self::dispatch_slot`] is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to put the subscriber once built, so lines carry the
    /// `trace_id` and `span_id` of its OpenTelemetry layer.
    #[cfg(feature = "otel")]
    pub fn dispatch_slot(&self) -> Arc<OnceLock<tracing::dispatcher::WeakDispatch>> {
        Arc::clone(&self.dispatch)
    }
}

impl<S> FormatEvent<S, JsonFields> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        let mut names = Vec::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                names.push(span.name());
                let extensions = span.extensions();
                if let Some(recorded) = extensions.get::<FormattedFields<JsonFields>>() {
                    if let Ok(Value::Object(map)) = serde_json::from_str(recorded) {
                        fields.extend(map);
                    }
                }
            }
        }
        #[cfg(feature = "otel")]
        if let Some(dispatch) = self.dispatch.get().and_then(|weak| weak.upgrade()) {
            super::otel::trace_ids(ctx, &dispatch, &mut fields);
        }
        event.record(&mut Visitor(&mut fields));
        if !names.is_empty() {
            fields.insert("spans".to_owned(), Value::String(names.join(">")));
        }
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let meta = event.metadata();
        let message = fields.remove("message").unwrap_or(Value::Null);
        let fixed = [
            Value::String(timestamp),
            Value::String(meta.level().to_string()),
            Value::String(meta.target().to_owned()),
            message,
        ];
        writer.write_str(&line(&FIXED, fixed, fields).map_err(|_| fmt::Error)?)?;
        writer.write_char('\n')
    }
}

/// `{"fixed keys": …, "other keys": …}`, fixed keys first, in order; a
/// `null` message is left out.
fn line(
    keys: &[&str],
    values: [Value; 4],
    mut rest: Map<String, Value>,
) -> serde_json::Result<String> {
    let mut out = String::from("{");
    let mut first = true;
    for (key, value) in keys.iter().zip(values) {
        rest.remove(*key);
        if !value.is_null() {
            push(&mut out, &mut first, key, &value)?;
        }
    }
    for (key, value) in &rest {
        push(&mut out, &mut first, key, value)?;
    }
    out.push('}');
    Ok(out)
}

fn push(out: &mut String, first: &mut bool, key: &str, value: &Value) -> serde_json::Result<()> {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push_str(&serde_json::to_string(key)?);
    out.push(':');
    out.push_str(&serde_json::to_string(value)?);
    Ok(())
}

/// Records an event's fields as JSON values.
struct Visitor<'a>(&'a mut Map<String, Value>);

impl Visit for Visitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.0.insert(field.name().to_owned(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests;
