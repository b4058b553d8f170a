//! A small seeded pseudo-random generator (SplitMix64). Hand-written so the output of a seed never
//! changes with a dependency upgrade: same seed, same cluster, byte for byte.

/// SplitMix64: one `u64` of state, good statistical quality for test data, not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

/// Letters Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The suffix after `suffix` in the name-suffix alphabet's order, as a base-27 number that wraps
/// around (a suffix drawn twice moves on to this one: no extra draw, so the rest of the cluster stays
/// the same). Characters outside the alphabet count as its first.
pub fn next_suffix(suffix: &str) -> String {
    let mut digits: Vec<usize> = suffix
        .bytes()
        .map(|b| SUFFIX_ALPHABET.iter().position(|&a| a == b).unwrap_or(0))
        .collect();
    for d in digits.iter_mut().rev() {
        *d = (*d + 1) % SUFFIX_ALPHABET.len();
        if *d != 0 {
            break;
        }
    }
    digits
        .into_iter()
        .map(|d| char::from(SUFFIX_ALPHABET[d]))
        .collect()
}

impl Rng {
    /// A generator for `seed`, mixed with `stream` so that independent parts of the cluster draw from
    /// independent sequences (adding a draw in one part does not shift the others).
    pub fn new(seed: u64, stream: &str) -> Self {
        let mut state = seed ^ 0x5151_c0de_5ec0_0001;
        for b in stream.bytes() {
            state = (state ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = Rng { state };
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A `usize` in `0..n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// `n` characters of the Kubernetes name-suffix alphabet (`7c9d8b6f4`, `x2x7q`).
    pub fn suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(SUFFIX_ALPHABET[self.index(SUFFIX_ALPHABET.len())]))
            .collect()
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }

    /// A version-4-shaped UUID.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Splits `total` into `weights.len()` parts proportional to `weights` that sum to exactly `total`
/// (cumulative rounding, so no part is off by more than one from its exact share).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut cumulative = 0.0;
    let mut given = 0u64;
    for (i, w) in weights.iter().enumerate() {
        cumulative += w;
        let upto = if i + 1 == weights.len() {
            total
        } else {
            ((cumulative / sum) * total as f64).round() as u64
        };
        let upto = upto.clamp(given, total);
        out.push(upto - given);
        given = upto;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_suffix_counts_in_the_alphabet_and_wraps() {
        assert_eq!(next_suffix("bbbbb"), "bbbbc");
        assert_eq!(next_suffix("bbbb9"), "bbbcb");
        assert_eq!(next_suffix("99999"), "bbbbb");
        assert_ne!(next_suffix("x2x7q"), "x2x7q");
    }

    #[test]
    fn same_seed_same_sequence_and_streams_differ() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7, "x").next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, "x").next_u64(), Rng::new(7, "y").next_u64());
        assert_ne!(Rng::new(7, "x").next_u64(), Rng::new(8, "x").next_u64());
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = Rng::new(1, "t");
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.suffix(5).len(), 5);
        let id = r.uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn apportion_sums_exactly() {
        let w = [0.5, 3.0, 1.0, 0.0, 7.25];
        for total in [0, 1, 7, 1000, 123_457] {
            let parts = apportion(total, &w);
            assert_eq!(parts.iter().sum::<u64>(), total);
            assert_eq!(parts[3], 0);
        }
    }
}
