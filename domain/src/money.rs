//! Money: an integer amount of minor units and an ISO-4217 currency.
//!
//! No floats anywhere. Arithmetic is checked: mixing currencies or
//! overflowing `i64` is an error, never a silent wrap. Splitting an amount
//! ([`allocate`]) and taking a fee ([`FeeRate::fee_on`]) are exact to the
//! minor unit.
//!
//! # Layout
//! - [`currency`]: the currency code and its minor-unit exponent.
//! - [`allocation`]: largest-remainder splitting, ties by key.
//! - [`fee`]: fee rates in basis points, rounded once, half up.

pub mod allocation;
pub mod currency;
pub mod fee;

use serde::{Deserialize, Serialize};

pub use allocation::allocate;
pub use currency::Currency;
pub use fee::FeeRate;

/// Errors of money arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum MoneyError {
    /// Not a supported ISO-4217 code.
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    /// Two amounts of different currencies were combined.
    #[error("currency mismatch: {expected} and {found}")]
    CurrencyMismatch {
        /// The currency already in use.
        expected: Currency,
        /// The other currency.
        found: Currency,
    },
    /// The result does not fit in 64 bits of minor units.
    #[error("amount overflow")]
    Overflow,
    /// An amount that must be zero or more was negative.
    #[error("negative amount {0}")]
    Negative(i64),
    /// A fee rate outside 0..=10000 basis points.
    #[error("fee rate {0} bps is outside 0..=10000")]
    FeeRateOutOfRange(u32),
    /// Allocation weights were empty, negative or all zero.
    #[error("allocation weights must be non-negative with a positive sum")]
    BadWeights,
}

/// An amount of minor units of one currency (cents for EUR, yen for JPY,
/// fils for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    /// `amount` minor units of `currency`.
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero of `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The amount in minor units.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `self + other`, same currency, no overflow.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self - other`, same currency, no overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self × quantity`, no overflow.
    pub fn checked_mul(self, quantity: i64) -> Result<Self, MoneyError> {
        let amount = self
            .amount
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Fails unless `other` has the same currency.
    pub fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                expected: self.currency,
                found: other.currency,
            })
        }
    }

    /// Fails if the amount is negative.
    pub fn non_negative(self) -> Result<Self, MoneyError> {
        if self.amount < 0 {
            Err(MoneyError::Negative(self.amount))
        } else {
            Ok(self)
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let exponent = u32::from(self.currency.minor_units());
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if exponent == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let unit = 10u64.pow(exponent);
        let width = exponent as usize;
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / unit,
            abs % unit,
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: i64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn mixing_currencies_is_rejected() {
        let jpy = Money::new(100, Currency::parse("JPY").unwrap());
        assert!(matches!(
            eur(1).checked_add(jpy),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn display_uses_the_currency_exponent() {
        assert_eq!(eur(-1050).to_string(), "-10.50 EUR");
        assert_eq!(
            Money::new(1050, Currency::parse("JPY").unwrap()).to_string(),
            "1050 JPY"
        );
        assert_eq!(
            Money::new(1050, Currency::parse("KWD").unwrap()).to_string(),
            "1.050 KWD"
        );
    }
}
