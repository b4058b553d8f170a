//! Deterministic fault decisions: a SplitMix64 stream keyed by the seed and a per-server counter.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::options::Faults;

/// What to do with one faultable request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    TooManyRequests,
    InternalError,
    Drop,
}

/// Draws fault decisions.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    faults: Faults,
    counter: AtomicU64,
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl FaultInjector {
    pub fn new(faults: Faults) -> Self {
        FaultInjector {
            faults,
            counter: AtomicU64::new(0),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Whether any random fault is configured (so the stream is only advanced when it matters).
    fn active(&self) -> bool {
        self.faults.rate_429 > 0.0 || self.faults.rate_500 > 0.0 || self.faults.rate_drop > 0.0
    }

    /// The fault for the next faultable request, if any.
    pub fn next(&self) -> Option<Fault> {
        if !self.active() {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let draw = splitmix64(self.faults.seed ^ splitmix64(n));
        let u = (draw >> 11) as f64 / (1u64 << 53) as f64;
        let f = &self.faults;
        if u < f.rate_429 {
            Some(Fault::TooManyRequests)
        } else if u < f.rate_429 + f.rate_500 {
            Some(Fault::InternalError)
        } else if u < f.rate_429 + f.rate_500 + f.rate_drop {
            Some(Fault::Drop)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_roughly_proportional() {
        let faults = Faults {
            rate_429: 0.2,
            rate_500: 0.1,
            seed: 7,
            ..Faults::default()
        };
        let a: Vec<_> = {
            let f = FaultInjector::new(faults.clone());
            (0..1000).map(|_| f.next()).collect()
        };
        let b: Vec<_> = {
            let f = FaultInjector::new(faults);
            (0..1000).map(|_| f.next()).collect()
        };
        assert_eq!(a, b);
        let n429 = a
            .iter()
            .filter(|f| **f == Some(Fault::TooManyRequests))
            .count();
        let n500 = a
            .iter()
            .filter(|f| **f == Some(Fault::InternalError))
            .count();
        assert!((150..250).contains(&n429), "{n429}");
        assert!((60..140).contains(&n500), "{n500}");
    }
}
