//! When and how long to wait before trying a request again: exponential backoff with jitter,
//! `Retry-After` honoured, a bounded number of attempts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// Delay before the second try; doubled for each further try.
    pub base: Duration,
    /// Upper bound of one delay (a `Retry-After` may ask for more, up to `max_retry_after`).
    pub cap: Duration,
    /// Upper bound honoured for a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// What a failed attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// 429 Too Many Requests, with the server's `Retry-After` if it sent one.
    TooManyRequests(Option<Duration>),
    /// A 5xx answer.
    ServerError,
    /// The connection dropped, or the body was cut short: the server is there, but flaky.
    Connection,
    /// No answer at all: connecting or the TLS handshake failed or timed out, or the request timed
    /// out. Enough of these in a row, with no answer in between, give the whole capture up.
    Unanswered,
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed with `what`,
    /// or `None` when the attempts are used up. `jitter` in `[0, 1)` spreads retries of parallel
    /// lists apart: the delay is between half and all of the exponential step.
    pub fn delay(&self, attempt: u32, what: Transient, jitter: f64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.cap);
        let jittered = exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        match what {
            Transient::TooManyRequests(Some(after)) => {
                Some(after.min(self.max_retry_after).max(jittered))
            }
            _ => Some(jittered),
        }
    }
}

/// Parses a `Retry-After` header: delay-seconds (HTTP dates are rare from API servers and ignored).
pub fn parse_retry_after(value: Option<&http::HeaderValue>) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    text.parse::<u64>().ok().map(Duration::from_secs)
}

/// A cheap jitter source (splitmix64 over a global counter seeded from the clock); retries need
/// spread, not secrecy.
pub fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    if seed == 0 {
        seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        STATE.store(seed, Ordering::Relaxed);
    }
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(3),
        }
    }

    #[test]
    fn exponential_capped_and_bounded() {
        let p = policy();
        let full: Vec<_> = (1..=5)
            .map(|a| p.delay(a, Transient::ServerError, 1.0))
            .collect();
        assert_eq!(
            full,
            [
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(400)),
                Some(Duration::from_millis(500)),
                None
            ]
        );
        assert_eq!(
            p.delay(2, Transient::Connection, 0.0),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let p = policy();
        let d = p.delay(
            1,
            Transient::TooManyRequests(Some(Duration::from_secs(2))),
            0.5,
        );
        assert_eq!(d, Some(Duration::from_secs(2)));
        let d = p.delay(
            1,
            Transient::TooManyRequests(Some(Duration::from_secs(3600))),
            0.5,
        );
        assert_eq!(d, Some(Duration::from_secs(3)));
        let d = p.delay(3, Transient::TooManyRequests(Some(Duration::ZERO)), 1.0);
        assert_eq!(d, Some(Duration::from_millis(400)));
        assert_eq!(p.delay(5, Transient::TooManyRequests(None), 0.0), None);
    }

    #[test]
    fn retry_after_header() {
        let v = http::HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(Some(&v)), Some(Duration::from_secs(7)));
        let v = http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(Some(&v)), None);
        assert_eq!(parse_retry_after(None), None);
    }

    #[test]
    fn jitter_in_range_and_varies() {
        let samples: Vec<f64> = (0..100).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(samples.windows(2).any(|w| w[0] != w[1]));
    }
}
