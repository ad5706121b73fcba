//! Identifiers of the things the aggregates talk about.
//!
//! Each is a newtype over a string so that a vendor id can never be passed
//! where a product id is expected. Ids are 1 to 64 characters of ASCII
//! letters, digits and `-_.:@`; anything else is rejected at the boundary.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A string was not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("invalid {kind}: {value:?} (1-64 characters of letters, digits and -_.:@)")]
pub struct InvalidId {
    /// Which kind of id.
    pub kind: &'static str,
    /// The rejected value.
    pub value: String,
}

fn valid(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and checks an id.
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                if valid(&value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidId { kind: $kind, value })
                }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

id_type!(
    /// A buyer order (one checkout), the Order aggregate's id.
    OrderId, "order id"
);
id_type!(
    /// A buyer.
    BuyerId, "buyer id"
);
id_type!(
    /// A vendor (seller) on the marketplace.
    VendorId, "vendor id"
);
id_type!(
    /// A product listing.
    ProductId, "product id"
);
id_type!(
    /// A stock keeping unit.
    Sku, "sku"
);
id_type!(
    /// A warehouse holding stock.
    WarehouseId, "warehouse id"
);
id_type!(
    /// A received batch of one SKU, with its own expiry date.
    BatchId, "batch id"
);
id_type!(
    /// A stock reservation for one order line.
    ReservationId, "reservation id"
);
id_type!(
    /// An escrow, the Escrow aggregate's id.
    EscrowId, "escrow id"
);
id_type!(
    /// A milestone of an escrow.
    MilestoneId, "milestone id"
);
id_type!(
    /// A payment (capture) at the payment provider.
    PaymentId, "payment id"
);
id_type!(
    /// A refund at the payment provider.
    RefundId, "refund id"
);
id_type!(
    /// A payout to a vendor.
    PayoutId, "payout id"
);
id_type!(
    /// A party to an escrow: a buyer id, a vendor id, or for a checkout
    /// escrow the marketplace itself.
    PartyId, "party id"
);
id_type!(
    /// An agent who brings the parties of an escrow sale together and
    /// earns a commission on it.
    AgentId, "agent id"
);
id_type!(
    /// A chargeback (a card dispute the buyer's bank decided) at the
    /// payment provider.
    ChargebackId, "chargeback id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_the_usual_shapes() {
        for value in [
            "v-1",
            "ord_2026.11:abc",
            "sku@wh-1",
            "0193f2a4-7b3c-7d2e-9f00-1a2b3c4d5e6f",
        ] {
            assert!(VendorId::parse(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn empty_long_or_odd_ids_are_rejected() {
        let long = "x".repeat(65);
        for value in ["", long.as_str(), "a b", "a/b", "ü", "a\n"] {
            assert!(Sku::parse(value).is_err(), "{value:?}");
        }
        assert!(serde_json::from_str::<Sku>("\"a b\"").is_err());
    }
}
