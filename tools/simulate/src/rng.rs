//! A tiny deterministic PRNG (splitmix64): the simulator's choices come
//! from `--seed`, so a run can be repeated choice for choice. Each order
//! gets its own generator derived from the seed and its number, so the
//! choices of one order do not depend on how tasks interleave. Not for
//! anything secret.

/// splitmix64 (Steele, Lea, Flood 2014): one `u64` of state.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The generator of stream `n` of `seed` (e.g. order number `n`).
    pub(crate) fn derived(seed: u64, n: u64) -> Self {
        let mut base = Self(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
        Self(base.next_u64())
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (`low <= high`).
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// An index below `len` (`len > 0`).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        (self.next_u64() % len as u64) as usize
    }

    /// True with probability `percent` in 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        let mut rng = Rng::new(7);
        let b = rng.next_u64();
        assert_eq!(a[0], b);
        assert_ne!(Rng::derived(7, 1).next_u64(), Rng::derived(7, 2).next_u64());
    }

    #[test]
    fn splitmix64_matches_its_reference_output() {
        // reference: the first output of splitmix64 seeded with 0
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(42);
        for _ in 0..1000 {
            let n = rng.range(3, 5);
            assert!((3..=5).contains(&n));
            assert!(rng.index(4) < 4);
        }
    }
}
