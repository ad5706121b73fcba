//! W3C Trace Context (`traceparent`) as Bazaar carries it: from a client's
//! request into the request's span, into the metadata of the events the
//! request wrote, through the sagas' commands to their events, and onto the
//! Kafka records the relay publishes, so one trace runs from the client to
//! a consumer.
//!
//! Only version `00` is produced; a header of a later version is read by
//! its first four fields, as the specification asks. A malformed header is
//! ignored (the request starts a new trace), never an error.

use std::fmt;

use uuid::Uuid;

/// Metadata key (and Kafka header) of the W3C trace context.
pub const TRACEPARENT: &str = "traceparent";

/// One `traceparent`: the trace, the span that is the parent of whatever
/// carries it, and the flags (bit 0: sampled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// 16 bytes, not all zero.
    pub trace_id: [u8; 16],
    /// 8 bytes, not all zero.
    pub span_id: [u8; 8],
    /// Trace flags.
    pub flags: u8,
}

impl TraceParent {
    /// Parses a `traceparent` header value; `None` if it is not one.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let mut parts = value.split('-');
        let version = hex::<1>(parts.next()?)?[0];
        let trace_id = hex::<16>(parts.next()?)?;
        let span_id = hex::<8>(parts.next()?)?;
        let flags = hex::<1>(parts.next()?)?[0];
        let rest = parts.next();
        let valid_version = match version {
            0x00 => rest.is_none(),
            0xff => false,
            _ => true,
        };
        let zero = trace_id == [0; 16] || span_id == [0; 8];
        (valid_version && !zero).then_some(Self {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A new trace (sampled), for a request that did not continue one.
    pub fn new_root() -> Self {
        Self {
            trace_id: random_bytes(),
            span_id: random_bytes(),
            flags: 0x01,
        }
    }

    /// The same trace, with a new span as the parent: what a span that
    /// continues this context passes on.
    #[must_use]
    pub fn child(&self) -> Self {
        Self {
            span_id: random_bytes(),
            ..*self
        }
    }

    /// The trace id as 32 lower-case hex digits.
    pub fn trace_id_hex(&self) -> String {
        to_hex(&self.trace_id)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            to_hex(&self.trace_id),
            to_hex(&self.span_id),
            self.flags
        )
    }
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Random bytes from a UUIDv7's random part (74 bits of it), never all zero.
fn random_bytes<const N: usize>() -> [u8; N] {
    loop {
        let mut out = [0u8; N];
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let random: Vec<u8> = a.as_bytes()[8..]
            .iter()
            .chain(&b.as_bytes()[8..])
            .copied()
            .collect();
        out.copy_from_slice(&random[..N]);
        if out.iter().any(|b| *b != 0) {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specifications_example_round_trips() {
        let parsed = TraceParent::parse(EXAMPLE).unwrap();
        assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parsed.flags, 1);
        assert_eq!(parsed.to_string(), EXAMPLE);
    }

    #[test]
    fn malformed_headers_are_not_trace_contexts() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
        // a later version may add fields
        assert!(TraceParent::parse(&format!("cc{}-later", &EXAMPLE[2..])).is_some());
    }

    #[test]
    fn a_child_keeps_the_trace_and_gets_its_own_span() {
        let parent = TraceParent::parse(EXAMPLE).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id, parent.trace_id);
        assert_eq!(child.flags, parent.flags);
        assert_ne!(child.span_id, parent.span_id);
        assert_eq!(TraceParent::parse(&child.to_string()), Some(child));
        assert_ne!(TraceParent::new_root().trace_id, parent.trace_id);
    }
}
