//! ISO-4217 currency codes with their minor-unit exponents.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;

/// Supported currencies and their minor-unit exponents. Zero-decimal and
/// three-decimal currencies are listed explicitly; the rest use two.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("ARS", 2), ("AUD", 2), ("BHD", 3), ("BRL", 2), ("CAD", 2), ("CHF", 2),
    ("CLP", 0), ("CNY", 2), ("COP", 2), ("CZK", 2), ("DKK", 2), ("EGP", 2), ("EUR", 2),
    ("GBP", 2), ("GHS", 2), ("HKD", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2),
    ("IQD", 3), ("ISK", 0), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KRW", 0), ("KWD", 3),
    ("LYD", 3), ("MAD", 2), ("MXN", 2), ("MYR", 2), ("NGN", 2), ("NOK", 2), ("NZD", 2),
    ("OMR", 3), ("PEN", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("QAR", 2), ("RON", 2),
    ("SAR", 2), ("SEK", 2), ("SGD", 2), ("THB", 2), ("TND", 3), ("TRY", 2), ("TWD", 2),
    ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("VND", 0), ("XAF", 0), ("XOF", 0),
    ("ZAR", 2),
];

/// The codes of every supported currency, in alphabetical order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    CURRENCIES.iter().map(|(code, _)| *code)
}

/// An ISO-4217 currency that Bazaar supports.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

impl Currency {
    /// Parses an upper-case ISO-4217 code such as `EUR`.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(known, minor_units)| {
                let bytes = known.as_bytes();
                Self {
                    code: [bytes[0], bytes[1], bytes[2]],
                    minor_units: *minor_units,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// How many decimal places the minor unit has (0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }
}

impl AsRef<str> for Currency {
    fn as_ref(&self) -> &str {
        // the code is always one of the ASCII literals above
        std::str::from_utf8(&self.code).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_ref())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_parse_with_their_exponent() {
        assert_eq!(Currency::parse("EUR").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
    }

    #[test]
    fn unknown_or_lower_case_codes_are_rejected() {
        for code in ["eur", "EU", "EURO", "XXX", ""] {
            assert!(Currency::parse(code).is_err(), "{code}");
        }
    }

    #[test]
    fn serialises_as_its_code() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(serde_json::to_string(&eur).unwrap(), "\"EUR\"");
        assert_eq!(serde_json::from_str::<Currency>("\"EUR\"").unwrap(), eur);
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
