//! The payment provider's id of a chargeback.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::InvalidId;

/// A chargeback (a Stripe dispute `dp_…`, an Adyen chargeback PSP
/// reference). A type of its own so that it is never mistaken for a
/// [`RefundId`](crate::ids::RefundId); the same shape rules as every other
/// id: 1 to 64 ASCII letters, digits and `-_.:@`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChargebackId(String);

impl ChargebackId {
    /// Parses and checks a chargeback id.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidId> {
        let value = value.into();
        let valid = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b));
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidId {
                kind: "chargeback id",
                value,
            })
        }
    }
}

impl AsRef<str> for ChargebackId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChargebackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChargebackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChargebackId({:?})", self.0)
    }
}

impl TryFrom<String> for ChargebackId {
    type Error = InvalidId;

    fn try_from(value: String) -> Result<Self, InvalidId> {
        Self::parse(value)
    }
}

impl From<ChargebackId> for String {
    fn from(id: ChargebackId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_dispute_ids_parse() {
        for value in ["dp_1Nx2Yz", "cb-2026:01", "8815823476123456"] {
            assert!(ChargebackId::parse(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn empty_long_or_odd_ids_are_rejected() {
        let long = "x".repeat(65);
        for value in ["", long.as_str(), "a b", "a/b", "ü"] {
            assert!(ChargebackId::parse(value).is_err(), "{value:?}");
        }
        assert!(serde_json::from_str::<ChargebackId>("\"a b\"").is_err());
        assert_eq!(
            serde_json::from_str::<ChargebackId>("\"dp_1\"").ok(),
            ChargebackId::parse("dp_1").ok()
        );
    }
}
