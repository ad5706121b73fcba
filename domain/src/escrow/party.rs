//! A party to an escrow: the buyer who pays in or the seller who is paid out.
//! The type itself is one of the id newtypes of [`crate::ids`].

pub use crate::ids::PartyId;

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
