//! Shared helpers for the benchmarks.

/// The median of `values` (the upper one of the middle two for an even count).
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The `p`th percentile of `values` (nearest rank: the smallest value with
/// at least `p`% of the values at or below it).
///
/// # Panics
/// If `values` is empty.
pub fn percentile(values: &[f64], p: usize) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (p * v.len()).div_ceil(100).max(1);
    v[rank - 1]
}

/// A ratio taken within each round, over the rounds.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    /// The median of the per-round ratios.
    pub median: f64,
    /// Their 10th percentile.
    pub p10: f64,
    /// Their 90th percentile.
    pub p90: f64,
}

/// The ratio of `times` to `base`, round by round (both from
/// [`turn_times`]).
pub fn ratio(times: &[f64], base: &[f64]) -> Ratio {
    let ratios: Vec<f64> = times.iter().zip(base).map(|(t, b)| t / b).collect();
    Ratio {
        median: median(&ratios),
        p10: percentile(&ratios, 10),
        p90: percentile(&ratios, 90),
    }
}

/// What [`take_turns`] measured of one contender.
#[derive(Debug, Clone, Copy)]
pub struct TurnStats {
    /// The median of its rounds.
    pub median: f64,
    /// Its lowest round.
    pub lowest: f64,
    /// The median over rounds of its figure over the first contender's in
    /// the same round.
    pub ratio_to_first: f64,
}

/// Runs the contenders in turn, one call each per round, for `rounds`
/// rounds after one untimed round, and returns each one's measure per
/// round (every call returns the contender's measure for that call: a time
/// per message, say). Each round runs them in a new order (a fixed
/// pseudo-random sequence of shuffles), so none always runs first, last,
/// or after the same one: what one leaves behind (caches, the allocator's
/// free lists) falls on each of the others alike.
///
/// On a shared machine whose load drifts, contenders measured one after
/// the other (as criterion does) each meet a different load; taking turns
/// spreads the drift over all of them, and the ratio within a round, a few
/// milliseconds apart, is the figure least exposed to it.
pub fn turn_times(rounds: usize, contenders: &mut [&mut dyn FnMut() -> f64]) -> Vec<Vec<f64>> {
    assert!(rounds > 0, "take_turns needs at least one round");
    for run in contenders.iter_mut() {
        run();
    }
    let n = contenders.len();
    let mut times = vec![Vec::with_capacity(rounds); n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..rounds {
        // Fisher-Yates with xorshift64.
        for i in (1..n).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            times[i].push(contenders[i]());
        }
    }
    times
}

/// [`turn_times`], summed up: each contender's median and lowest measure
/// and the median of its per-round ratio to the first contender.
pub fn take_turns(rounds: usize, contenders: &mut [&mut dyn FnMut() -> f64]) -> Vec<TurnStats> {
    let times = turn_times(rounds, contenders);
    times
        .iter()
        .map(|t| TurnStats {
            median: median(t),
            lowest: t.iter().copied().fold(f64::INFINITY, f64::min),
            ratio_to_first: ratio(t, &times[0]).median,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_taken_within_rounds() {
        // The load doubles after the second timed round (the machine got
        // busier); the second contender always takes 1.5 times the first.
        let calls = std::cell::Cell::new(0);
        let load = || {
            let round = calls.get() / 2;
            calls.set(calls.get() + 1);
            if round > 2 {
                2.0
            } else {
                1.0
            }
        };
        let mut first = || load();
        let mut second = || load() * 1.5;
        let stats = take_turns(4, &mut [&mut first, &mut second]);
        assert_eq!(stats[0].ratio_to_first, 1.0);
        assert_eq!(stats[1].ratio_to_first, 1.5);
        assert_eq!(stats[0].lowest, 1.0);
        assert_eq!(stats[1].median, 3.0);
    }

    #[test]
    fn every_contender_runs_once_a_round_in_varying_order() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut a = || {
            order.borrow_mut().push(0);
            1.0
        };
        let mut b = || {
            order.borrow_mut().push(1);
            2.0
        };
        let mut c = || {
            order.borrow_mut().push(2);
            4.0
        };
        let times = turn_times(30, &mut [&mut a, &mut b, &mut c]);
        let order = order.into_inner();
        // The untimed round, in order, then 30 rounds of one call each.
        assert_eq!(order[..3], [0, 1, 2]);
        let rounds: Vec<&[usize]> = order[3..].chunks(3).collect();
        assert_eq!(rounds.len(), 30);
        for round in &rounds {
            let mut sorted = round.to_vec();
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2]);
        }
        // Each contender comes first in some round.
        for first in 0..3 {
            assert!(rounds.iter().any(|r| r[0] == first), "{first} never first");
        }
        assert_eq!(times[2], [4.0; 30]);
        let r = ratio(&times[2], &times[1]);
        assert_eq!((r.median, r.p10, r.p90), (2.0, 2.0, 2.0));
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 10), 2.0);
        assert_eq!(percentile(&v, 50), 10.0);
        assert_eq!(percentile(&v, 90), 18.0);
        assert_eq!(percentile(&v, 100), 20.0);
        assert_eq!(percentile(&[3.0], 10), 3.0);
    }
}
