//! Free text (titles, reasons, descriptions, tracking references) that
//! storage can hold.
//!
//! Events are stored as Postgres `jsonb`, which cannot hold a NUL
//! (`\u0000`); other control characters are stored but break logs, CSV
//! exports and terminals, and no person types them. So text refuses every
//! Unicode control character except tab, line feed and carriage return
//! (which multi-line reasons use), at the boundary ([`Text`] in request
//! bodies) and again in the aggregates ([`is_storable`]), so that commands
//! built by the saga or the scheduler from stored data are held to the
//! same rule. Lengths are each field's own rule, checked by its aggregate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Text held a control character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text must not contain control characters (found U+{code:04X} at character {at})")]
pub struct InvalidText {
    /// The refused character's code point.
    pub code: u32,
    /// Its place, counted in characters from 0.
    pub at: usize,
}

/// Whether `text` holds no control character but tab, line feed and
/// carriage return.
pub fn is_storable(text: &str) -> bool {
    first_control(text).is_none()
}

fn first_control(text: &str) -> Option<InvalidText> {
    text.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .map(|(at, c)| InvalidText {
            code: u32::from(c),
            at,
        })
}

/// Free text without control characters (see the module docs).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    /// Checks `value`.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidText> {
        let value = value.into();
        match first_control(&value) {
            None => Ok(Self(value)),
            Some(error) => Err(error),
        }
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", self.0)
    }
}

impl TryFrom<String> for Text {
    type Error = InvalidText;
    fn try_from(value: String) -> Result<Self, InvalidText> {
        Self::parse(value)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_nul_and_other_control_characters() {
        for bad in [
            "a\u{0}b",
            "\u{7}",
            "bell\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(Text::parse(bad).is_err(), "{bad:?}");
            assert!(!is_storable(bad), "{bad:?}");
        }
        assert_eq!(
            Text::parse("ab\u{0}").unwrap_err(),
            InvalidText { code: 0, at: 2 }
        );
        assert!(serde_json::from_str::<Text>(r#""a\u0000""#).is_err());
    }

    #[test]
    fn text_keeps_tabs_line_breaks_and_any_printable_script() {
        for good in ["Äpfel, 1 kg", "line 1\nline 2\r\n\tend", "りんご", "🍎", ""] {
            assert_eq!(Text::parse(good).unwrap().as_ref(), good);
        }
    }
}
