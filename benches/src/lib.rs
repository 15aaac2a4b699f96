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
/// rounds after one untimed round, and returns each one's figures; every
/// call returns the contender's measure for that call (a time per
/// message, say).
///
/// On a shared machine whose load drifts, contenders measured one after
/// the other (as criterion does) each meet a different load; taking turns
/// spreads the drift over all of them, and the ratio within a round, a few
/// milliseconds apart, is the figure least exposed to it.
pub fn take_turns(rounds: usize, contenders: &mut [&mut dyn FnMut() -> f64]) -> Vec<TurnStats> {
    assert!(rounds > 0, "take_turns needs at least one round");
    for run in contenders.iter_mut() {
        run();
    }
    let mut times = vec![Vec::with_capacity(rounds); contenders.len()];
    for _ in 0..rounds {
        for (i, run) in contenders.iter_mut().enumerate() {
            times[i].push(run());
        }
    }
    times
        .iter()
        .map(|t| {
            let ratios: Vec<f64> = t
                .iter()
                .zip(&times[0])
                .map(|(t, first)| t / first)
                .collect();
            TurnStats {
                median: median(t),
                lowest: t.iter().copied().fold(f64::INFINITY, f64::min),
                ratio_to_first: median(&ratios),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_taken_within_rounds() {
        // The first contender's time doubles halfway through (the machine
        // got busier); the second always takes 1.5 times the first's.
        let round = std::cell::Cell::new(0);
        let first_time = std::cell::Cell::new(0.0);
        let mut first = || {
            round.set(round.get() + 1);
            first_time.set(if round.get() > 3 { 2.0 } else { 1.0 });
            first_time.get()
        };
        let mut second = || first_time.get() * 1.5;
        let stats = take_turns(4, &mut [&mut first, &mut second]);
        assert_eq!(stats[0].ratio_to_first, 1.0);
        assert_eq!(stats[1].ratio_to_first, 1.5);
        assert_eq!(stats[0].lowest, 1.0);
        assert_eq!(stats[1].median, 3.0);
    }
}
