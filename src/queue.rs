//! The labeling queue's order: unlabeled items ranked by how unsure the model is (a
//! [`Strategy`]), ties in a seeded random order, with every `explore_every`-th slot a uniformly
//! random remaining item (so the model also sees what it is sure about); items without a
//! prediction yet come last, in their given order. One implementation: the browser's queue
//! calls it through the wasm API (`rankQueue`), and `kindling bench active-learning` measures it.

use std::collections::VecDeque;

use crate::uncertainty::{Strategy, Uncertainty};

/// One in this many queue slots is a random pick, in the labeling app.
pub const EXPLORE_EVERY: usize = 10;

/// A small seeded generator (SplitMix64): the same order natively and in the browser.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }
}

/// The order in which to ask about `items` (their indices): predicted items ranked by
/// `strategy` with exploration every `explore_every` slots (0: none), then the unpredicted.
pub fn queue_order(
    items: &[Option<Uncertainty>],
    strategy: Strategy,
    seed: u64,
    explore_every: usize,
) -> Vec<usize> {
    let mut rng = SeededRng::new(seed);
    let mut predicted: Vec<usize> = (0..items.len()).filter(|&i| items[i].is_some()).collect();
    // Shuffled first, then a stable sort: equal scores (an untrained head scores every item the
    // same) come in a seeded random order, not in the given order.
    for i in (1..predicted.len()).rev() {
        let j = rng.below(i + 1);
        predicted.swap(i, j);
    }
    if strategy != Strategy::Random {
        let score = |i: usize| items[i].map_or(0.0, |u| u.score(strategy));
        predicted.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
    }
    let mut remaining: VecDeque<usize> = predicted.into();
    let mut out = Vec::with_capacity(items.len());
    while !remaining.is_empty() {
        let explore = explore_every > 0 && (out.len() + 1) % explore_every == 0;
        let pick = if explore {
            let j = rng.below(remaining.len());
            remaining.remove(j)
        } else {
            remaining.pop_front()
        };
        out.extend(pick);
    }
    out.extend((0..items.len()).filter(|&i| items[i].is_none()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(lc: &[Option<f32>]) -> Vec<Option<Uncertainty>> {
        lc.iter()
            .map(|l| {
                l.map(|p| Uncertainty {
                    least_confidence: p,
                    margin: 1.0 - p,
                    entropy: p,
                })
            })
            .collect()
    }

    #[test]
    fn most_uncertain_first_and_unpredicted_last_in_their_order() {
        let xs = items(&[Some(0.1), None, Some(0.9), Some(0.5), None]);
        for s in [
            Strategy::LeastConfidence,
            Strategy::Margin,
            Strategy::Entropy,
        ] {
            assert_eq!(queue_order(&xs, s, 7, 0), vec![2, 3, 0, 1, 4], "{s:?}");
        }
    }

    #[test]
    fn every_tenth_slot_explores_and_nothing_is_lost_or_repeated() {
        let xs = items(&(0..100).map(|i| Some(i as f32 / 100.0)).collect::<Vec<_>>());
        let order = queue_order(&xs, Strategy::LeastConfidence, 3, EXPLORE_EVERY);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        // The first nine slots are the nine most uncertain items.
        assert_eq!(order[..9], [99, 98, 97, 96, 95, 94, 93, 92, 91]);
        // Without exploration, pure top-k.
        let pure = queue_order(&xs, Strategy::LeastConfidence, 3, 0);
        assert_eq!(pure, (0..100).rev().collect::<Vec<_>>());
        assert_ne!(order, pure, "an exploration slot picked something else");
    }

    #[test]
    fn ties_follow_the_seed_and_a_seed_reproduces_its_order() {
        let xs = items(&[Some(0.5); 20]);
        let a = queue_order(&xs, Strategy::Margin, 1, EXPLORE_EVERY);
        assert_eq!(a, queue_order(&xs, Strategy::Margin, 1, EXPLORE_EVERY));
        assert_ne!(a, queue_order(&xs, Strategy::Margin, 2, EXPLORE_EVERY));
        assert_ne!(
            a,
            (0..20).collect::<Vec<_>>(),
            "ties are not left in the given order"
        );
    }

    #[test]
    fn random_strategy_is_a_seeded_permutation() {
        let xs = items(&(0..30).map(|i| Some(i as f32 / 30.0)).collect::<Vec<_>>());
        let order = queue_order(&xs, Strategy::Random, 5, 0);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..30).collect::<Vec<_>>());
        assert_ne!(order, (0..30).rev().collect::<Vec<_>>());
    }
}
