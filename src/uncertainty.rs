//! Per-item uncertainty scores from a probability vector, and the strategies built on them (the
//! labeling queue, [`crate::queue`], puts the least certain items first).

use serde::{Deserialize, Serialize};

/// The three classic uncertainty measures of one prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Uncertainty {
    /// `1 − max p`: 0 when the model is sure, up to `1 − 1/classes` when it is uniform.
    pub least_confidence: f32,
    /// `p₁ − p₂`, the gap between the two most likely classes: small means uncertain.
    pub margin: f32,
    /// Shannon entropy `−Σ p ln p` in nats: 0 when sure, `ln(classes)` when uniform.
    pub entropy: f32,
}

impl Uncertainty {
    /// Computes all three measures from one item's probabilities (which should sum to 1).
    /// An empty slice yields zeros.
    pub fn from_probs(probs: &[f32]) -> Self {
        let (mut p1, mut p2) = (0.0f32, 0.0f32);
        let mut entropy = 0.0f32;
        for &p in probs {
            if p > p1 {
                p2 = p1;
                p1 = p;
            } else if p > p2 {
                p2 = p;
            }
            if p > 0.0 {
                entropy -= p * p.ln();
            }
        }
        if probs.len() < 2 {
            p2 = 0.0;
        }
        Self {
            least_confidence: if probs.is_empty() { 0.0 } else { 1.0 - p1 },
            margin: p1 - p2,
            entropy,
        }
    }

    /// A score where higher means "label this first" under `strategy`
    /// ([`Strategy::Random`] has no score and returns 0).
    pub fn score(&self, strategy: Strategy) -> f32 {
        match strategy {
            Strategy::LeastConfidence => self.least_confidence,
            Strategy::Margin => 1.0 - self.margin,
            Strategy::Entropy => self.entropy,
            Strategy::Random => 0.0,
        }
    }
}

/// How the labeling queue orders unlabeled items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Lowest top probability first.
    LeastConfidence,
    /// Smallest gap between the top two classes first.
    Margin,
    /// Highest entropy first.
    Entropy,
    /// No model: uniformly random order.
    Random,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn hand_checked_three_class_example() {
        // p = [0.7, 0.2, 0.1]
        let u = Uncertainty::from_probs(&[0.2, 0.7, 0.1]);
        assert!(close(u.least_confidence, 0.3));
        assert!(close(u.margin, 0.5));
        // −(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1) = 0.249672 + 0.321888 + 0.230259
        assert!(close(u.entropy, 0.801_818_3), "{}", u.entropy);
    }

    #[test]
    fn certain_and_uniform_extremes() {
        let sure = Uncertainty::from_probs(&[0.0, 1.0, 0.0, 0.0]);
        assert!(close(sure.least_confidence, 0.0));
        assert!(close(sure.margin, 1.0));
        assert!(close(sure.entropy, 0.0));
        let uniform = Uncertainty::from_probs(&[0.25; 4]);
        assert!(close(uniform.least_confidence, 0.75));
        assert!(close(uniform.margin, 0.0));
        assert!(close(uniform.entropy, 4f32.ln()));
    }

    #[test]
    fn ties_at_the_top_give_zero_margin() {
        let u = Uncertainty::from_probs(&[0.45, 0.1, 0.45]);
        assert!(close(u.margin, 0.0));
    }

    #[test]
    fn scores_rank_uncertain_items_higher() {
        let sure = Uncertainty::from_probs(&[0.9, 0.05, 0.05]);
        let unsure = Uncertainty::from_probs(&[0.4, 0.35, 0.25]);
        for s in [
            Strategy::LeastConfidence,
            Strategy::Margin,
            Strategy::Entropy,
        ] {
            assert!(unsure.score(s) > sure.score(s), "{s:?}");
        }
    }
}
