//! The payment provider's id of a chargeback.
//! The type itself is one of the id newtypes of [`crate::ids`].

pub use crate::ids::ChargebackId;

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
