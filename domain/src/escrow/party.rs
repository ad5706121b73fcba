//! A party to an escrow: the buyer who pays in or the seller who is paid out.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::InvalidId;

/// A buyer or seller of an escrow: a buyer id, a vendor id, or for a
/// checkout escrow the marketplace itself. Same shape as [`crate::ids`]:
/// 1 to 64 characters of ASCII letters, digits and `-_.:@`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartyId(String);

impl PartyId {
    /// Parses and checks a party id.
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
                kind: "party id",
                value,
            })
        }
    }
}

impl AsRef<str> for PartyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyId({:?})", self.0)
    }
}

impl TryFrom<String> for PartyId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, InvalidId> {
        Self::parse(value)
    }
}

impl From<PartyId> for String {
    fn from(id: PartyId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_ids_accept_buyer_and_vendor_shapes() {
        for value in ["buyer-1", "vendor_2", "bazaar", "acme@b2b"] {
            assert!(PartyId::parse(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn empty_or_odd_party_ids_are_rejected() {
        for value in ["", "a b", "a/b", "ü"] {
            assert!(PartyId::parse(value).is_err(), "{value:?}");
        }
        assert!(serde_json::from_str::<PartyId>("\"\"").is_err());
    }
}
