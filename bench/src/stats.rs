//! The arithmetic of an interleaved run, kept pure so that it can be tested: the order
//! the throughput cases run in, medians over rounds, and ratios to the baseline of the
//! same round.

use std::time::Duration;

/// The order of an interleaved run: every case once per round, in the order given,
/// `rounds` times over (`a, b, c, a, b, c, …`), as `(round, case)` pairs. Interleaving
/// spreads a noisy neighbour, a checkpoint or a warming cache over all cases instead of
/// letting it land on one of them.
pub(crate) fn interleaved<T: Copy>(cases: &[T], rounds: usize) -> Vec<(usize, T)> {
    (0..rounds)
        .flat_map(|round| cases.iter().map(move |case| (round, *case)))
        .collect()
}

/// The middle value, or the mean of the two middle ones for an even count; `None` for
/// no values. NaNs are ignored.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// [`median`] of durations.
pub(crate) fn median_duration(values: &[Duration]) -> Option<Duration> {
    let seconds: Vec<f64> = values.iter().map(Duration::as_secs_f64).collect();
    median(&seconds).map(Duration::from_secs_f64)
}

/// The ratio of each round's figure to the baseline of the same round, for the rounds
/// that have both (a round whose baseline failed says nothing about the others).
pub(crate) fn per_round_ratios(figures: &[Option<f64>], baselines: &[Option<f64>]) -> Vec<f64> {
    figures
        .iter()
        .zip(baselines)
        .filter_map(|(figure, baseline)| match (figure, baseline) {
            (Some(figure), Some(baseline)) if *baseline > 0.0 => Some(figure / baseline),
            _ => None,
        })
        .collect()
}

/// The median of the per-round ratios: each round compares cases that ran minutes apart
/// at most, so a machine that slows down between rounds does not skew the ratio.
pub(crate) fn median_ratio(figures: &[Option<f64>], baselines: &[Option<f64>]) -> Option<f64> {
    median(&per_round_ratios(figures, baselines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_repeat_every_case_in_order() {
        let order = interleaved(&['b', 'g', 'r'], 2);
        assert_eq!(
            order,
            [(0, 'b'), (0, 'g'), (0, 'r'), (1, 'b'), (1, 'g'), (1, 'r')]
        );
        assert!(interleaved(&['b'], 0).is_empty());
    }

    #[test]
    fn medians_take_the_middle() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        let ms = Duration::from_millis;
        assert_eq!(median_duration(&[ms(30), ms(10), ms(20)]), Some(ms(20)));
        assert_eq!(median_duration(&[ms(10), ms(20)]), Some(ms(15)));
    }

    #[test]
    fn ratios_compare_each_round_with_its_own_baseline() {
        // Round 2 ran on a slower machine: both halved. The ratio does not move.
        let grpc = [Some(1_000.0), Some(500.0), Some(1_100.0)];
        let baseline = [Some(1_000.0), Some(500.0), Some(1_000.0)];
        assert_eq!(per_round_ratios(&grpc, &baseline), [1.0, 1.0, 1.1]);
        assert_eq!(median_ratio(&grpc, &baseline), Some(1.0));
        // The ratio of medians would have said 1000 / 1000 too here, but not when the
        // slow round falls on one side only:
        let grpc = [Some(900.0), Some(450.0), Some(950.0)];
        let baseline = [Some(1_000.0), Some(1_000.0), Some(500.0)];
        assert_eq!(median_ratio(&grpc, &baseline), Some(0.9));
    }

    #[test]
    fn rounds_without_both_figures_are_left_out() {
        let figures = [Some(10.0), None, Some(30.0)];
        let baselines = [None, Some(20.0), Some(20.0)];
        assert_eq!(per_round_ratios(&figures, &baselines), [1.5]);
        assert_eq!(median_ratio(&[None], &[None]), None);
    }
}
