//! Which given labels are likely wrong: confident learning (Northcutt et al., "Confident
//! Learning: Estimating Uncertainty in Dataset Labels", 2021) on out-of-sample predicted
//! probabilities — each item's probabilities must come from a model that did not train on it
//! (k-fold). For each class `j` a threshold `t_j` is the mean probability of `j` over the items
//! labeled `j` (how confident the model is, on average, about that class). An item labeled `y`
//! is *flagged* when some other class `j` reaches `p_j ≥ t_j`: the model is as sure it is a `j`
//! as it usually is about real `j`s. The review queue orders every item by ascending *relative*
//! self-confidence `p_y / t_y`: the probability of the given label against how sure the model
//! usually is of that class, so a hard class's correct labels (low `p_y` everywhere) do not
//! crowd out an easy class's wrong ones. `kindling bench label-errors` measured the choice: at
//! 10% reviewed this finds 86% of uniformly flipped labels where "flagged first, then by `p_y`"
//! found 74% (class-conditional flips: 63% both; raw `p_y` alone: 86% / 59%).
//!
//! Out-of-fold models still train on the *other* wrong labels: where a confusion is systematic
//! (class `c` labeled `c+1` again and again) they learn it, give a mislabeled `c` a fair
//! probability of `c+1`, and it hides among hard correct labels. So the queue takes two rounds
//! ([`second_round_left_out`]): the first round's most suspect items (1.5× the share it flags,
//! from 10% to 50% of the items) are left out of the second round's training — still predicted,
//! never learned from — and the second round's probabilities order the queue. On Fashion-MNIST
//! with 10% of labels flipped class c → c+1 this finds 86–88% of them in the first 10% reviewed
//! instead of 62–65% (`kindling bench label-errors`, 3 seeds).
//!
//! [`out_of_fold_probabilities`] makes such probabilities cheaply from features (a backbone's
//! embeddings): `k` linear heads (`local_head`), each fitted without one fold, predict that
//! fold; [`review_queue`] runs both rounds on them, then (for embeddings) ranks each item by the
//! sum of its rank in the second round and its rank by neighbour agreement
//! ([`crate::neighbours`]: how many of its 10 nearest items in feature space carry its label),
//! which a systematic confusion does not fool either ([`with_neighbours`]). The browser's likely-errors queue runs it through the
//! wasm API (`likelyErrors`).

use crate::local_head::{LocalHeadConfig, LocalHeadError, fit_linear_head};
use burn::tensor::Device;

/// What is wrong with the input of [`likely_errors`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelErrorsError {
    /// `probs` is not `given.len() × classes` values.
    #[error("expected {expected} probabilities ({items} items × {classes} classes), got {got}")]
    Shape {
        /// `items × classes`.
        expected: usize,
        /// Values given.
        got: usize,
        /// Items (`given.len()`).
        items: usize,
        /// Classes.
        classes: usize,
    },
    /// A given label is not a class index.
    #[error("item {item} has label {label}, but there are only {classes} classes")]
    LabelOutOfRange {
        /// The item.
        item: usize,
        /// Its label.
        label: u32,
        /// Classes.
        classes: usize,
    },
}

/// Why out-of-fold probabilities could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutOfFoldError {
    /// Fewer than 2 folds, or fewer items than folds.
    #[error("{folds} folds over {items} items: need at least 2 folds and an item per fold")]
    Folds {
        /// Folds asked for.
        folds: usize,
        /// Items given.
        items: usize,
    },
    /// A fold's head could not be fitted (shape, labels, too few classes).
    #[error(transparent)]
    Head(#[from] LocalHeadError),
    /// The probabilities could not be ordered (a label out of range).
    #[error(transparent)]
    Queue(#[from] LabelErrorsError),
}

impl OutOfFoldError {
    /// Stable code for JavaScript and logs.
    pub fn code(&self) -> &'static str {
        match self {
            OutOfFoldError::Folds { .. } => "LABEL_ERRORS_FOLDS",
            OutOfFoldError::Head(e) => e.code(),
            OutOfFoldError::Queue(e) => e.code(),
        }
    }
}

/// Out-of-sample class probabilities `[n, classes]` of `n` items from their `features` (`size`
/// values each, row-major) and given labels: item `i` is in fold `i % folds`, and is predicted
/// by a linear head fitted on the other folds only — and never on an item `left_out` marks
/// (`&[]`: none). Callers shuffle the items first if their order carries meaning.
#[allow(clippy::too_many_arguments)]
pub async fn out_of_fold_probabilities(
    features: &[f32],
    given: &[u32],
    size: usize,
    classes: usize,
    folds: usize,
    left_out: &[bool],
    config: LocalHeadConfig,
    device: &Device,
) -> Result<Vec<f32>, OutOfFoldError> {
    let n = given.len();
    if folds < 2 || n < folds {
        return Err(OutOfFoldError::Folds { folds, items: n });
    }
    if size == 0 || features.len() != n * size {
        return Err(LocalHeadError::Shape {
            got: features.len(),
            items: n,
            size,
        }
        .into());
    }
    let mut probs = vec![0f32; n * classes];
    for fold in 0..folds {
        let (mut train_x, mut train_y, mut held_x, mut held) = (vec![], vec![], vec![], vec![]);
        for (i, (row, &y)) in features.chunks(size).zip(given).enumerate() {
            if i % folds == fold {
                held_x.extend_from_slice(row);
                held.push(i);
            } else if !left_out.get(i).copied().unwrap_or(false) {
                train_x.extend_from_slice(row);
                train_y.push(y);
            }
        }
        let head = fit_linear_head(&train_x, &train_y, size, classes, config, None, device).await?;
        let p = head.probabilities(&held_x, device).await?;
        for (row, &i) in p.chunks(classes).zip(&held) {
            probs[i * classes..(i + 1) * classes].copy_from_slice(row);
        }
    }
    Ok(probs)
}

impl LabelErrorsError {
    /// Stable code for JavaScript and logs.
    pub fn code(&self) -> &'static str {
        match self {
            LabelErrorsError::Shape { .. } => "LABEL_ERRORS_SHAPE",
            LabelErrorsError::LabelOutOfRange { .. } => "LABEL_ERRORS_LABEL",
        }
    }
}

/// One item in the review queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suspect {
    /// The item's index.
    pub item: usize,
    /// The label it was given.
    pub given: u32,
    /// The probability of the given label (lower: more likely wrong).
    pub self_confidence: f32,
    /// For a flagged item, the class the model is confident it is instead.
    pub likely: Option<u32>,
}

/// Per-class thresholds `t_j`: the mean probability of class `j` over the items labeled `j`
/// (`None` for a class no item has).
pub fn class_thresholds(probs: &[f32], classes: usize, given: &[u32]) -> Vec<Option<f32>> {
    let mut sum = vec![0f64; classes];
    let mut count = vec![0usize; classes];
    for (row, &y) in probs.chunks(classes).zip(given) {
        sum[y as usize] += f64::from(row[y as usize]);
        count[y as usize] += 1;
    }
    sum.iter()
        .zip(&count)
        .map(|(&s, &n)| (n > 0).then(|| (s / n as f64) as f32))
        .collect()
}

/// Every item, ordered for review by ascending relative self-confidence `p_y / t_y` (ties by
/// index); flagged items carry the class the model is confident of instead.
pub fn likely_errors(
    probs: &[f32],
    classes: usize,
    given: &[u32],
) -> Result<Vec<Suspect>, LabelErrorsError> {
    if classes == 0 || probs.len() != given.len() * classes {
        return Err(LabelErrorsError::Shape {
            expected: given.len() * classes,
            got: probs.len(),
            items: given.len(),
            classes,
        });
    }
    if let Some((item, &label)) = given
        .iter()
        .enumerate()
        .find(|(_, y)| **y as usize >= classes)
    {
        return Err(LabelErrorsError::LabelOutOfRange {
            item,
            label,
            classes,
        });
    }
    let thresholds = class_thresholds(probs, classes, given);
    let mut suspects: Vec<Suspect> = probs
        .chunks(classes)
        .zip(given)
        .enumerate()
        .map(|(item, (row, &y))| {
            // Of the other classes above their thresholds, the most probable.
            let likely = (0..classes)
                .filter(|&j| j != y as usize)
                .filter(|&j| thresholds[j].is_some_and(|t| row[j] >= t))
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .map(|j| j as u32);
            Suspect {
                item,
                given: y,
                self_confidence: row[y as usize],
                likely,
            }
        })
        .collect();
    let relative = |s: &Suspect| {
        s.self_confidence
            / thresholds[s.given as usize]
                .unwrap_or(1.0)
                .max(f32::MIN_POSITIVE)
    };
    suspects.sort_by(|a, b| {
        relative(a)
            .total_cmp(&relative(b))
            .then(a.item.cmp(&b.item))
    });
    Ok(suspects)
}

/// Which items the second round trains without: the first round's most suspect, as many as
/// 1.5× the items it flags (its estimate of the wrong labels, which also counts the model's own
/// confusions), at least 10% and at most half of them. `first` is a [`likely_errors`] queue.
///
/// Measured (`kindling bench label-errors`, Fashion-MNIST): a fixed 15% or 20% did as well at
/// 10% noise but left too many wrong labels in training at 20–30% noise, and cost precision at 5%.
pub fn second_round_left_out(first: &[Suspect]) -> Vec<bool> {
    let n = first.len();
    let flagged = first.iter().filter(|s| s.likely.is_some()).count();
    let count = (flagged * 3 / 2).clamp(n / 10, n / 2);
    let mut left_out = vec![false; n];
    for s in &first[..count] {
        left_out[s.item] = true;
    }
    left_out
}

/// Neighbours counted by [`review_queue`]'s neighbour agreement.
pub const NEIGHBOURS: usize = 10;

/// `queue` (a [`likely_errors`] queue) ordered by the sum of each item's place in it and its
/// place by ascending `agreement` (one value per item, [`crate::neighbours`]), ties by the
/// queue's order. Measured on TrashNet photos (EfficientNet-Lite0 embeddings, 10% of labels
/// flipped, `kindling bench label-errors --backbone`): the README's "Likely label errors".
pub fn with_neighbours(queue: Vec<Suspect>, agreement: &[f32]) -> Vec<Suspect> {
    let mut place = vec![0usize; queue.len()];
    for (p, &item) in crate::neighbours::by_agreement(agreement)
        .iter()
        .enumerate()
    {
        place[item] = p;
    }
    let mut ranked: Vec<(usize, usize, Suspect)> = queue
        .into_iter()
        .enumerate()
        .map(|(p, s)| (p + place[s.item], p, s))
        .collect();
    ranked.sort_by_key(|&(sum, p, _)| (sum, p));
    ranked.into_iter().map(|(_, _, s)| s).collect()
}

/// The reviewers' queue from features (a backbone's embeddings) and given labels, in two
/// rounds: out-of-fold linear heads order the items ([`likely_errors`]), then heads fitted
/// without the first round's most suspect items ([`second_round_left_out`]) order them again.
/// Where the second round cannot fit a head (too few labels of some class once the suspects
/// are out) the first round's order stands. With `neighbours`, that order is then combined
/// with neighbour agreement ([`with_neighbours`], [`NEIGHBOURS`] nearest items): for
/// embeddings. Class probabilities as features are no space to find neighbours in (Fashion-MNIST
/// `mlp` probabilities, 10% flipped: 85% → 79% uniform and 88% → 74% class-conditional flips
/// found in the first 10% with them).
#[allow(clippy::too_many_arguments)]
pub async fn review_queue(
    features: &[f32],
    given: &[u32],
    size: usize,
    classes: usize,
    folds: usize,
    neighbours: bool,
    config: LocalHeadConfig,
    device: &Device,
) -> Result<Vec<Suspect>, OutOfFoldError> {
    let first =
        out_of_fold_probabilities(features, given, size, classes, folds, &[], config, device)
            .await?;
    let first = likely_errors(&first, classes, given)?;
    let left_out = second_round_left_out(&first);
    let queue = match out_of_fold_probabilities(
        features, given, size, classes, folds, &left_out, config, device,
    )
    .await
    {
        Ok(second) => likely_errors(&second, classes, given)?,
        Err(OutOfFoldError::Head(_)) => first,
        Err(e) => return Err(e),
    };
    if !neighbours {
        return Ok(queue);
    }
    let agreement = crate::neighbours::neighbour_agreement(features, given, size, NEIGHBOURS);
    Ok(with_neighbours(queue, &agreement))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three separable clusters of 20 items in 6-d with 3 labels flipped: out-of-fold heads
    /// never saw a flipped item's own (wrong) label, so those three head the queue, flagged.
    #[test]
    fn out_of_fold_heads_put_flipped_labels_first() {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..60u32 {
            let c = i % 3;
            for d in 0..6u32 {
                let centre = if d % 3 == c { 3.0 } else { 0.0 };
                x.push(centre + ((i * 13 + d * 7) % 11) as f32 * 0.05);
            }
            y.push(c);
        }
        let flipped = [4usize, 20, 42];
        for &i in &flipped {
            y[i] = (y[i] + 1) % 3;
        }
        let device = Device::flex();
        let probs = pollster::block_on(out_of_fold_probabilities(
            &x,
            &y,
            6,
            3,
            5,
            &[],
            LocalHeadConfig::default(),
            &device,
        ))
        .unwrap();
        let queue = likely_errors(&probs, 3, &y).unwrap();
        let mut first: Vec<usize> = queue[..3].iter().map(|s| s.item).collect();
        first.sort_unstable();
        assert_eq!(first, flipped);
        assert!(queue[..3].iter().all(|s| s.likely.is_some()));
        assert!(queue[3..].iter().all(|s| s.likely.is_none()));
    }

    /// Points around three centres in 2-d (plus a constant feature), with a deterministic
    /// spread: class 2 is wide, so some of its correct labels sit near the other two classes.
    fn clusters(n: usize) -> (Vec<f32>, Vec<u32>) {
        let mut state = 12345u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32) / (1u64 << 31) as f32
        };
        let centres = [(0.0f32, 0.0f32, 0.8f32), (3.0, 0.0, 0.8), (1.5, 2.0, 1.6)];
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..n {
            let c = i % 3;
            let (cx, cy, spread) = centres[c];
            let mut g = || (0..4).map(|_| uniform()).sum::<f32>() - 2.0;
            x.extend_from_slice(&[cx + spread * g(), cy + spread * g(), 1.0]);
            y.push(c as u32);
        }
        (x, y)
    }

    /// A systematic confusion: a quarter of class 0 labeled 1. Heads that learn from those
    /// labels give a mislabeled 0 a fair probability of 1, so one round ranks them among class
    /// 2's hard correct labels; heads fitted without the first round's suspects do not.
    #[test]
    fn the_second_round_finds_a_systematic_confusion_the_first_learned() {
        let (x, mut y) = clusters(600);
        let flipped: Vec<usize> = (0..600).filter(|i| i % 3 == 0 && i % 4 == 0).collect();
        for &i in &flipped {
            y[i] = 1;
        }
        let device = Device::flex();
        let config = LocalHeadConfig::default();
        let first = pollster::block_on(out_of_fold_probabilities(
            &x,
            &y,
            3,
            3,
            5,
            &[],
            config,
            &device,
        ))
        .unwrap();
        let first = likely_errors(&first, 3, &y).unwrap();
        let queue =
            pollster::block_on(review_queue(&x, &y, 3, 3, 5, false, config, &device)).unwrap();
        let found = |q: &[Suspect]| {
            q[..flipped.len()]
                .iter()
                .filter(|s| flipped.contains(&s.item))
                .count()
        };
        let (once, twice) = (found(&first), found(&queue));
        eprintln!(
            "flipped {}: first round {once}, two rounds {twice}",
            flipped.len()
        );
        assert!(twice >= once + 4, "first round {once}, two rounds {twice}");
        let mut items: Vec<usize> = queue.iter().map(|s| s.item).collect();
        items.sort_unstable();
        assert_eq!(items, (0..600).collect::<Vec<_>>(), "every item once");
    }

    /// Places in the queue and by agreement add up; ties keep the queue's order.
    #[test]
    fn neighbours_reorder_by_the_sum_of_both_places() {
        let queue: Vec<Suspect> = [4usize, 0, 1, 2, 3]
            .iter()
            .map(|&item| Suspect {
                item,
                given: 0,
                self_confidence: 0.5,
                likely: None,
            })
            .collect();
        // By agreement: 2 (0.1), 3 (0.2), 4 (0.3), 0 (0.8), 1 (0.9) → places 3, 4, 0, 1, 2.
        let agreement = [0.8, 0.9, 0.1, 0.2, 0.3];
        let order: Vec<usize> = with_neighbours(queue, &agreement)
            .iter()
            .map(|s| s.item)
            .collect();
        // Sums: 4 → 0+2, 0 → 1+3, 1 → 2+4, 2 → 3+0, 3 → 4+1.
        assert_eq!(order, vec![4, 2, 0, 3, 1]);
    }

    #[test]
    fn the_second_round_leaves_out_one_and_a_half_times_the_flagged_share() {
        let queue = |flagged: usize, n: usize| -> Vec<Suspect> {
            (0..n)
                .map(|i| Suspect {
                    item: n - 1 - i,
                    given: 0,
                    self_confidence: 0.0,
                    likely: (i < flagged).then_some(1),
                })
                .collect()
        };
        let count = |v: Vec<bool>| v.iter().filter(|&&b| b).count();
        assert_eq!(count(second_round_left_out(&queue(20, 100))), 30);
        // The queue's first items are the ones left out (items in reverse order here).
        assert!(
            second_round_left_out(&queue(20, 100))[99 - 29..]
                .iter()
                .all(|&b| b)
        );
        assert_eq!(
            count(second_round_left_out(&queue(2, 100))),
            10,
            "at least 10%"
        );
        assert_eq!(
            count(second_round_left_out(&queue(90, 100))),
            50,
            "at most half"
        );
        assert_eq!(count(second_round_left_out(&[])), 0);
    }

    #[test]
    fn out_of_fold_needs_two_folds_and_an_item_per_fold() {
        let device = Device::flex();
        let run = |folds, n: usize| {
            pollster::block_on(out_of_fold_probabilities(
                &vec![0.0; n * 2],
                &vec![0; n],
                2,
                2,
                folds,
                &[],
                LocalHeadConfig::default(),
                &device,
            ))
        };
        assert_eq!(run(1, 10).unwrap_err().code(), "LABEL_ERRORS_FOLDS");
        assert_eq!(run(5, 3).unwrap_err().code(), "LABEL_ERRORS_FOLDS");
    }

    #[test]
    fn thresholds_are_the_mean_probability_of_each_class_over_its_labeled_items() {
        let probs = [0.9, 0.1, 0.7, 0.3, 0.2, 0.8];
        let t = class_thresholds(&probs, 2, &[0, 0, 1]);
        assert!((t[0].unwrap() - 0.8).abs() < 1e-6);
        assert!((t[1].unwrap() - 0.8).abs() < 1e-6);
        assert_eq!(class_thresholds(&probs[..4], 2, &[0, 0])[1], None);
    }

    #[test]
    fn a_label_the_model_confidently_contradicts_is_flagged_and_comes_first() {
        // Items 0–2 labeled 0, 3–5 labeled 1; item 2 looks like a 1 as surely as real 1s do.
        let probs = [
            0.9, 0.1, //
            0.8, 0.2, //
            0.1, 0.9, // labeled 0: a likely error
            0.2, 0.8, //
            0.1, 0.9, //
            0.4, 0.6, // labeled 1, unsure but not flagged (0.4 < t_0)
        ];
        let order = likely_errors(&probs, 2, &[0, 0, 0, 1, 1, 1]).unwrap();
        assert_eq!(order[0].item, 2);
        assert_eq!(order[0].likely, Some(1));
        assert!((order[0].self_confidence - 0.1).abs() < 1e-6);
        assert_eq!(order.iter().filter(|s| s.likely.is_some()).count(), 1);
        // Then the least confident of the rest.
        assert_eq!(order[1].item, 5);
        let items: Vec<usize> = order.iter().map(|s| s.item).collect();
        let mut sorted = items.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5], "every item once");
    }

    #[test]
    fn confidence_counts_against_how_sure_the_model_is_of_the_class() {
        // Class 0 is easy (its labels average 0.9), class 1 hard (0.55). Item 1, labeled 0 at
        // 0.6, is further below its class than item 4, labeled 1 at 0.5: it comes first.
        let probs = [
            0.95, 0.05, //
            0.6, 0.4, //
            0.95, 0.05, //
            0.4, 0.6, //
            0.5, 0.5, //
            0.45, 0.55, //
            0.4, 0.6, //
        ];
        let order = likely_errors(&probs, 2, &[0, 0, 0, 1, 1, 1, 1]).unwrap();
        assert_eq!(order[0].item, 1, "{order:?}");
        assert_eq!(order[1].item, 4);
    }

    #[test]
    fn bad_shapes_and_labels_are_refused_with_codes() {
        let e = likely_errors(&[0.5; 5], 2, &[0, 1, 0]).unwrap_err();
        assert_eq!(e.code(), "LABEL_ERRORS_SHAPE");
        assert_eq!(
            e.to_string(),
            "expected 6 probabilities (3 items × 2 classes), got 5"
        );
        let e = likely_errors(&[0.5; 4], 2, &[0, 2]).unwrap_err();
        assert_eq!(e.code(), "LABEL_ERRORS_LABEL");
        assert!(likely_errors(&[], 0, &[]).is_err());
    }
}
