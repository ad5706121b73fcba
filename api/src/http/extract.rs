//! Request extractors whose failures are problem details, not axum's
//! plain-text rejections: malformed JSON is 400, JSON of the wrong shape
//! or with unacceptable values (a negative quantity, an unknown
//! currency, a fraction where an integer belongs) is 422 naming the field, a missing content type is 415 and
//! an oversized body 413. A string anywhere in a body or a query that holds
//! a control character (NUL, which Postgres cannot store, and the like;
//! see `bazaar_domain::text`) is refused too: 422 naming the field in a
//! body, 400 in a query.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// A JSON body; see the module docs for its errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(request.headers()) {
            return Err(json_problem(&JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| json_problem(&JsonRejection::BytesRejection(e)))?;
        let axum::Json(value) = read_json::<T>(&bytes)?;
        if let Some(field) = control_character_at(&bytes) {
            return Err(Problem::invalid(
                "invalid-body",
                format!("{field}: text must not contain control characters"),
            )
            .with("field", field));
        }
        Ok(Self(value))
    }
}

/// The body as `T`. JSON has one kind of number: `2.0` is the integer 2
/// to JSON Schema and to the OpenAPI document, so a body whose integer
/// fields are spelled with a zero fraction is read as those integers,
/// exactly (the digits are kept, no float is involved). A fraction (`2.5`)
/// or an exponent (`1e3`) stays an error.
fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<axum::Json<T>, Problem> {
    // every body of this API is an object; serde would read a struct from
    // an array of its fields too
    let opening = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if opening.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(Problem::invalid(
            "invalid-body",
            "the body must be a JSON object",
        ));
    }
    let first = match axum::Json::<T>::from_bytes(bytes) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    if !matches!(first, JsonRejection::JsonDataError(_)) {
        return Err(json_problem(&first));
    }
    let Some(bytes) = whole_floats_as_integers(bytes) else {
        return Err(json_problem(&first));
    };
    axum::Json::<T>::from_bytes(&bytes).map_err(|e| json_problem(&e))
}

/// `bytes` with every number spelled `<digits>.0…` (outside strings)
/// rewritten as `<digits>`, exactly, without going through a float; `None`
/// when there is none.
fn whole_floats_as_integers(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let (mut i, mut in_string, mut changed) = (0, false, false);
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            out.push(byte);
            match byte {
                b'\\' => {
                    if let Some(next) = bytes.get(i + 1) {
                        out.push(*next);
                        i += 1;
                    }
                }
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
        }
        if !(byte.is_ascii_digit() || byte == b'-') {
            out.push(byte);
            i += 1;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))
            .map_or(bytes.len(), |n| i + n);
        let number = &bytes[i..end];
        match number.iter().position(|b| *b == b'.') {
            Some(dot)
                if dot > 0
                    && !number[dot + 1..].is_empty()
                    && number[dot + 1..].iter().all(|b| *b == b'0') =>
            {
                out.extend_from_slice(&number[..dot]);
                changed = true;
            }
            _ => out.extend_from_slice(number),
        }
        i = end;
    }
    changed.then_some(out)
}

fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The path (`lines[0].title`) of the first string of a JSON body that
/// holds a control character storage cannot or should not hold
/// (`bazaar_domain::text`), if any. Bodies without a `\u` escape or a raw
/// DEL/C1 byte are passed without a second parse: unescaped control
/// characters below U+0020 are already invalid JSON.
fn control_character_at(body: &[u8]) -> Option<String> {
    let suspicious = body
        .windows(2)
        .any(|w| w == b"\\u" || (w[0] == 0xC2 && (0x80..0xA0).contains(&w[1])))
        || body.contains(&0x7F);
    if !suspicious {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    first_control(&value, String::new())
}

fn first_control(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if !bazaar_domain::text::is_storable(text) => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_control(item, format!("{path}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(key, item)| {
            if !bazaar_domain::text::is_storable(key) {
                return Some(path.clone());
            }
            let inner = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            first_control(item, inner)
        }),
        _ => None,
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(error) => Problem::invalid("invalid-body", source_text(error)),
        JsonRejection::JsonSyntaxError(error) => {
            Problem::bad_request("malformed-json", source_text(error))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send JSON",
        )
        .detail("expected `Content-Type: application/json`"),
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "The request body is too large",
            )
        }
        other => Problem::bad_request("unreadable-body", other.body_text()),
    }
}

/// The innermost cause's message: serde's "lines[0].quantity: invalid
/// value …" rather than axum's generic wrapper text.
fn source_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text = inner.to_string();
        source = inner.source();
    }
    text
}

/// Query parameters; a malformed one is 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| !storable_query(q)) {
            return Err(Problem::bad_request(
                "invalid-query",
                "query parameters must not contain control characters",
            ));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(error)) => {
                Err(Problem::bad_request("invalid-query", source_text(&error)))
            }
            Err(other) => Err(Problem::bad_request("invalid-query", other.body_text())),
        }
    }
}

/// Whether the percent-decoded `query` holds no control character.
fn storable_query(query: &str) -> bool {
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    bazaar_domain::text::is_storable(&String::from_utf8_lossy(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_with_their_path() {
        let body = br#"{"lines":[{"title":"ok"},{"title":"a\u0000b"}]}"#;
        assert_eq!(
            control_character_at(body).as_deref(),
            Some("lines[1].title")
        );
        assert_eq!(control_character_at(br#"{"t":"tab\tand \u00e9"}"#), None);
        assert_eq!(
            control_character_at("{\"t\":\"del\u{7f}\"}".as_bytes()).as_deref(),
            Some("t")
        );
    }

    #[derive(Debug, serde::Deserialize)]
    struct Quantities {
        quantity: u32,
        amount: i64,
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_refused() {
        let axum::Json(read) =
            read_json::<Quantities>(br#"{"quantity": 2.0, "amount": -1999.0}"#).unwrap();
        assert_eq!((read.quantity, read.amount), (2, -1999));
        let fraction = read_json::<Quantities>(br#"{"quantity": 2.5, "amount": 1}"#);
        assert_eq!(
            fraction.unwrap_err().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let huge = read_json::<Quantities>(br#"{"quantity": 1, "amount": 1e300}"#);
        assert_eq!(huge.unwrap_err().status(), StatusCode::UNPROCESSABLE_ENTITY);
        // exact past what a float holds, and strings are left alone
        let axum::Json(exact) =
            read_json::<Quantities>(br#"{"quantity": 7, "amount": 3649026155053306.000}"#).unwrap();
        assert_eq!(exact.amount, 3_649_026_155_053_306);
        assert_eq!(
            whole_floats_as_integers(br#"{"t": "2.0 \" 3.0", "n": [1.0, -2.00, 2.5]}"#),
            Some(br#"{"t": "2.0 \" 3.0", "n": [1, -2, 2.5]}"#.to_vec())
        );
        let array = read_json::<Quantities>(br#"[1, 2]"#);
        assert_eq!(
            array.unwrap_err().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let syntax = read_json::<Quantities>(br#"{"quantity": 1,"#);
        assert_eq!(syntax.unwrap_err().status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn queries_with_encoded_control_characters_are_refused() {
        assert!(storable_query("status=paid&text=caf%C3%A9+au+lait"));
        assert!(!storable_query("aggregate_id=o-1%00"));
        assert!(!storable_query("text=%1b%5B31m"));
    }
}
