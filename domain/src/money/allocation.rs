//! Splitting an amount across keys in proportion to weights, exactly.
//!
//! Largest-remainder method: each key first gets the floor of its exact
//! share; the minor units left over go one each to the keys with the largest
//! fractional remainders, ties broken by key in ascending order. The parts
//! always sum to the total, and no part is more than one minor unit from its
//! exact share.

use super::MoneyError;

/// Splits `total` (minor units, zero or more) across `weights`, in the order
/// given. Weights must be non-negative with a positive sum.
pub fn allocate<K: Ord + Clone>(
    total: i64,
    weights: &[(K, i64)],
) -> Result<Vec<(K, i64)>, MoneyError> {
    if total < 0 {
        return Err(MoneyError::Negative(total));
    }
    let sum: i128 = weights.iter().map(|(_, w)| i128::from(*w)).sum();
    if weights.iter().any(|(_, w)| *w < 0) || sum <= 0 {
        return Err(MoneyError::BadWeights);
    }
    let total = i128::from(total);
    let mut parts: Vec<(usize, i128, i128)> = weights
        .iter()
        .enumerate()
        .map(|(index, (_, w))| {
            let exact = total * i128::from(*w);
            (index, exact / sum, exact % sum)
        })
        .collect();
    let given: i128 = parts.iter().map(|(_, floor, _)| floor).sum();
    let mut left = total - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        parts[b]
            .2
            .cmp(&parts[a].2)
            .then_with(|| weights[a].0.cmp(&weights[b].0))
    });
    for index in order {
        if left == 0 {
            break;
        }
        parts[index].1 += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|(index, amount, _)| {
            let amount = i64::try_from(amount).map_err(|_| MoneyError::Overflow)?;
            Ok((weights[index].0.clone(), amount))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn splits_in_proportion() {
        let parts = allocate(10_000, &[("a", 6_000), ("b", 4_000)]).unwrap();
        assert_eq!(parts, [("a", 6_000), ("b", 4_000)]);
    }

    #[test]
    fn leftover_units_go_to_the_largest_remainders() {
        // 100 over 3 equal weights: 33.33 each, one unit left
        let parts = allocate(100, &[("c", 1), ("a", 1), ("b", 1)]).unwrap();
        assert_eq!(
            parts,
            [("c", 33), ("a", 34), ("b", 33)],
            "tie broken by key: a first"
        );
        // remainders 0.5 vs 0.25: the larger wins even against an earlier key
        let parts = allocate(3, &[("a", 1), ("b", 2), ("c", 1)]).unwrap();
        assert_eq!(parts.iter().map(|p| p.1).sum::<i64>(), 3);
        assert_eq!(parts, [("a", 1), ("b", 1), ("c", 1)]);
    }

    #[test]
    fn zero_weights_get_nothing_and_bad_weights_are_rejected() {
        assert_eq!(
            allocate(5, &[("a", 0), ("b", 3)]).unwrap(),
            [("a", 0), ("b", 5)]
        );
        assert_eq!(allocate(5, &[("a", 0)]), Err(MoneyError::BadWeights));
        assert_eq!(
            allocate(5, &[("a", -1), ("b", 3)]),
            Err(MoneyError::BadWeights)
        );
        assert_eq!(allocate::<&str>(5, &[]), Err(MoneyError::BadWeights));
        assert_eq!(allocate(-5, &[("a", 1)]), Err(MoneyError::Negative(-5)));
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_total_and_stay_within_one_unit(
            total in 0i64..=i64::MAX / 2,
            weights in proptest::collection::vec(0i64..=1_000_000_000, 1..12),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let keyed: Vec<(usize, i64)> = weights.iter().copied().enumerate().collect();
            let parts = allocate(total, &keyed).unwrap();
            prop_assert_eq!(parts.iter().map(|p| i128::from(p.1)).sum::<i128>(), i128::from(total));
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for ((_, part), w) in parts.iter().zip(&weights) {
                let exact_floor = i128::from(total) * i128::from(*w) / sum;
                prop_assert!(i128::from(*part) - exact_floor <= 1 && i128::from(*part) >= exact_floor);
            }
        }
    }
}
