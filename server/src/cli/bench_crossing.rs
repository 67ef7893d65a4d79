//! The labeling benchmarks' yardstick for a queue: the fewest labels at which the mean of its
//! runs' curves reaches random order's accuracy at the most labels, and how much that count
//! moves when the seeds are drawn again (a bootstrap over the seeds).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// One run's test accuracy by the number of labels its head was trained on.
pub type Curve = BTreeMap<usize, f64>;

/// The fewest labels at which the mean of `curves` reaches `target`, counting only the counts
/// every curve has a point at; `None` when the mean never does.
pub fn labels_to_reach(curves: &[&Curve], target: f64) -> Option<usize> {
    let mut by_labels: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for curve in curves {
        for (&labels, &acc) in curve.iter() {
            by_labels.entry(labels).or_default().push(acc);
        }
    }
    by_labels
        .into_iter()
        .filter(|(_, accs)| accs.len() == curves.len())
        .find(|(_, accs)| accs.iter().sum::<f64>() / accs.len() as f64 >= target)
        .map(|(labels, _)| labels)
}

/// How far the crossing moves with the seeds: `resamples` times, draw as many seeds as there
/// are with replacement (the queue's curve and random order's target from the same seeds, as
/// the runs are paired), and take the crossing of each draw.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossingSpread {
    /// The 2.5th and 97.5th percentile of the resampled crossings, in labels; `None` for a
    /// percentile at which the queue did not reach the target.
    pub interval: (Option<usize>, Option<usize>),
    /// Of the resamples, how many never reached the target.
    pub never: usize,
}

/// The bootstrap spread of [`labels_to_reach`] over paired seeds: `curves[i]` is the queue's
/// run with seed `i` and `targets[i]` random order's accuracy at the most labels with the same
/// seed. Deterministic for a given `seed`.
pub fn crossing_spread(
    curves: &[Curve],
    targets: &[f64],
    resamples: usize,
    seed: u64,
) -> CrossingSpread {
    assert_eq!(curves.len(), targets.len(), "one target per queue run");
    let n = curves.len();
    let mut rng = StdRng::seed_from_u64(seed);
    // `None` (never reached) sorts after every count: `usize::MAX` stands for it.
    let mut crossings: Vec<usize> = (0..resamples)
        .map(|_| {
            let draw: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let target = draw.iter().map(|&i| targets[i]).sum::<f64>() / n as f64;
            let picked: Vec<&Curve> = draw.iter().map(|&i| &curves[i]).collect();
            labels_to_reach(&picked, target).unwrap_or(usize::MAX)
        })
        .collect();
    crossings.sort_unstable();
    let at = |q: f64| {
        let idx = ((q * resamples as f64).floor() as usize).min(resamples.saturating_sub(1));
        crossings.get(idx).copied().filter(|&c| c != usize::MAX)
    };
    CrossingSpread {
        interval: (at(0.025), at(0.975)),
        never: crossings.iter().filter(|&&c| c == usize::MAX).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(usize, f64)]) -> Curve {
        points.iter().copied().collect()
    }

    #[test]
    fn the_queue_reaches_a_target_where_the_mean_of_its_runs_first_does() {
        let a = curve(&[(20, 0.5), (30, 0.7), (40, 0.8), (50, 0.9)]);
        let b = curve(&[(20, 0.6), (30, 0.7), (40, 0.7), (50, 0.8)]);
        assert_eq!(labels_to_reach(&[&a, &b], 0.7), Some(30));
        assert_eq!(labels_to_reach(&[&a, &b], 0.75), Some(40));
        assert_eq!(labels_to_reach(&[&a, &b], 0.85), Some(50));
        assert_eq!(labels_to_reach(&[&a, &b], 0.9), None);
        // One run above the target is not the mean above it.
        assert_eq!(labels_to_reach(&[&a, &b], 0.8), Some(50));
    }

    #[test]
    fn a_count_that_not_every_run_reached_is_not_a_crossing() {
        let a = curve(&[(20, 0.9), (50, 0.6)]);
        let b = curve(&[(50, 0.6)]);
        assert_eq!(labels_to_reach(&[&a, &b], 0.7), None);
    }

    #[test]
    fn identical_seeds_have_no_spread_and_different_ones_do() {
        let same = vec![curve(&[(10, 0.5), (20, 0.8), (30, 0.9)]); 8];
        let spread = crossing_spread(&same, &[0.8; 8], 500, 1);
        assert_eq!(spread.interval, (Some(20), Some(20)));
        assert_eq!(spread.never, 0);
        // Half the seeds cross at 10 labels, half at 30: the draws' crossings spread from one
        // to the other, and the target moves with the seeds drawn.
        let mut mixed = vec![curve(&[(10, 0.8), (20, 0.8), (30, 0.8)]); 4];
        mixed.extend(vec![curve(&[(10, 0.4), (20, 0.6), (30, 0.8)]); 4]);
        let spread = crossing_spread(&mixed, &[0.7; 8], 2000, 1);
        assert_eq!(spread.interval, (Some(10), Some(30)));
    }

    #[test]
    fn the_target_is_drawn_with_the_same_seeds_as_the_curves() {
        // Each seed's queue reaches exactly its own random order's accuracy: every draw
        // crosses at 10 labels when the target comes from the seeds drawn, some would not
        // with the target from other seeds.
        let mut curves = vec![curve(&[(10, 0.75), (20, 0.75)]); 4];
        curves.extend(vec![curve(&[(10, 0.25), (20, 0.25)]); 4]);
        let targets = [0.75, 0.75, 0.75, 0.75, 0.25, 0.25, 0.25, 0.25];
        let spread = crossing_spread(&curves, &targets, 1000, 3);
        assert_eq!(spread.interval, (Some(10), Some(10)));
        assert_eq!(spread.never, 0);
        // The same curves, a target that varies with the seeds drawn: the crossing does too.
        let same = vec![curve(&[(10, 0.5), (20, 0.7), (30, 0.9)]); 8];
        let targets = [0.6, 0.6, 0.6, 0.6, 0.8, 0.8, 0.8, 0.8];
        let spread = crossing_spread(&same, &targets, 2000, 3);
        assert_eq!(spread.interval, (Some(20), Some(30)));
    }

    #[test]
    fn draws_that_never_reach_the_target_are_counted_and_have_no_upper_bound() {
        let mut curves = vec![curve(&[(10, 0.9)]); 2];
        curves.extend(vec![curve(&[(10, 0.1)]); 6]);
        let spread = crossing_spread(&curves, &[0.5; 8], 1000, 7);
        assert!(spread.never > 0 && spread.never < 1000, "{spread:?}");
        assert_eq!(spread.interval.1, None);
    }
}
