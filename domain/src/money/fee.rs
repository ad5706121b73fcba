//! The platform's fee rate, snapshotted into each order at checkout.

use serde::{Deserialize, Serialize};

use super::MoneyError;

/// A fee rate in basis points (1 bps = 0.01 %), 0 to 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct FeeRate(u32);

impl FeeRate {
    /// A rate of `bps` basis points; 1 000 is 10 %.
    pub fn from_bps(bps: u32) -> Result<Self, MoneyError> {
        if bps > 10_000 {
            return Err(MoneyError::FeeRateOutOfRange(bps));
        }
        Ok(Self(bps))
    }

    /// The rate in basis points.
    pub fn bps(&self) -> u32 {
        self.0
    }

    /// The fee on `amount` minor units (zero or more), rounded once, half
    /// up: 645 at 30 % is 193.5, so 194.
    pub fn fee_on(&self, amount: i64) -> Result<i64, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::Negative(amount));
        }
        let scaled = i128::from(amount) * i128::from(self.0);
        let fee = (scaled + 5_000) / 10_000;
        i64::try_from(fee).map_err(|_| MoneyError::Overflow)
    }
}

impl TryFrom<u32> for FeeRate {
    type Error = MoneyError;

    fn try_from(bps: u32) -> Result<Self, MoneyError> {
        Self::from_bps(bps)
    }
}

impl From<FeeRate> for u32 {
    fn from(rate: FeeRate) -> Self {
        rate.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ten_percent_of_sixty_and_forty() {
        let rate = FeeRate::from_bps(1_000).unwrap();
        assert_eq!(rate.fee_on(6_000), Ok(600));
        assert_eq!(rate.fee_on(4_000), Ok(400));
    }

    #[test]
    fn rounds_half_up_once() {
        let rate = FeeRate::from_bps(3_000).unwrap();
        assert_eq!(rate.fee_on(645), Ok(194));
        assert_eq!(rate.fee_on(5), Ok(2));
        assert_eq!(FeeRate::from_bps(1).unwrap().fee_on(49), Ok(0));
        assert_eq!(FeeRate::from_bps(1).unwrap().fee_on(50), Ok(0));
        assert_eq!(FeeRate::from_bps(1).unwrap().fee_on(5_000), Ok(1));
    }

    #[test]
    fn rates_above_one_hundred_percent_are_rejected() {
        assert_eq!(
            FeeRate::from_bps(10_001),
            Err(MoneyError::FeeRateOutOfRange(10_001))
        );
        assert!(serde_json::from_str::<FeeRate>("10001").is_err());
        assert_eq!(serde_json::from_str::<FeeRate>("250").unwrap().bps(), 250);
    }

    proptest! {
        #[test]
        fn the_fee_never_exceeds_the_amount(amount in 0i64..=i64::MAX, bps in 0u32..=10_000) {
            let fee = FeeRate::from_bps(bps).unwrap().fee_on(amount).unwrap();
            prop_assert!(fee >= 0 && fee <= amount);
        }
    }
}
