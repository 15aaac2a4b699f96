//! Reconnect delays: exponential with jitter, so a fleet of clients does not
//! reconnect in lockstep after a broker restart.

use core::time::Duration;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A small xorshift generator; jitter needs spread, not cryptographic quality.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// Seeded from the process's random hash keys.
    pub fn seeded() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x9E37_79B9_7F4A_7C15);
        Self(h.finish() | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// The delay before each reconnect attempt: starts at a minimum, doubles up
/// to a maximum, with ±25 % jitter so a fleet of clients does not reconnect
/// in lockstep after a broker restart.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
    rng: Rng,
}

impl Backoff {
    /// A backoff from `min` to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            current: min,
            rng: Rng::seeded(),
        }
    }

    /// The next delay: the current step with ±25 % jitter, then the step doubles up to max.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.current;
        self.current = (self.current * 2).min(self.max);
        let quarter = base.as_micros() as u64 / 4;
        if quarter == 0 {
            return base;
        }
        let jitter = self.rng.next() % (2 * quarter + 1);
        (base + Duration::from_micros(jitter)).saturating_sub(Duration::from_micros(quarter))
    }

    /// Back to the minimum, after a successful connection.
    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_max() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let steps: Vec<_> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        for (d, base) in steps.iter().zip([100u128, 200, 400, 800, 800, 800]) {
            assert!(*d >= base * 3 / 4 && *d <= base * 5 / 4, "{steps:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(125));
    }
}
