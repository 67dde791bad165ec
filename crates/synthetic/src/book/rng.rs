//! SplitMix64, the tiny non-cryptographic generator behind synthetic books (test data, never keys).

/// The SplitMix64 generator of Steele, Lea and Flood ("Fast splittable pseudorandom number generators",
/// OOPSLA 2014), as used to seed xoshiro: a 64-bit counter advanced by the golden-ratio increment and passed
/// through a 64-bit finalizer. It is fast, has a period of 2^64 and passes BigCrush, which is all synthetic
/// data needs. It is **not** cryptographic: an observer can predict it, so it must never make keys, nonces or
/// anything secret (those come from `ring::rand::SystemRandom` in custodia-crypto).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finalizer (a variant of MurmurHash3's fmix64): a bijection on u64 that mixes every input
/// bit into every output bit. Also used to derive independent per-customer seeds.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A generator starting from `seed`; equal seeds give equal sequences on every platform.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }

    /// A number in `0..bound` (0 if `bound` is 0), by Lemire's multiply-shift. The bias is below
    /// `bound / 2^64`, irrelevant for test data.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `low..=high` (`low` if `high < low`).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        // `below(span) < span <= i64::MAX - low + 1` as u64 arithmetic, so the sum fits back in i64.
        low.wrapping_add_unsigned(self.below(span))
    }

    /// A float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (values outside 0..=1 act as 0 or 1).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element, `None` for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference outputs of SplitMix64 for seed 1234567, from the reference C implementation (`splitmix64.c`
    /// by Sebastiano Vigna, public domain), as reproduced in many ports.
    #[test]
    fn matches_the_reference_sequence() {
        let mut rng = SplitMix64::new(1234567);
        let expected: [u64; 5] = [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ];
        for e in expected {
            assert_eq!(rng.next_u64(), e);
        }
    }

    #[test]
    fn ranges_hold() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..10_000 {
            assert!(rng.below(10) < 10);
            let x = rng.between(-3, 3);
            assert!((-3..=3).contains(&x));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.between(5, 1), 5);
        assert!(rng.pick::<u8>(&[]).is_none());
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
    }
}
