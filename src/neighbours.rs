//! Neighbour agreement: how many of an item's nearest neighbours in feature space (a backbone's
//! embeddings) carry its label. A wrong label sits among items that mostly carry the right one,
//! also where a confusion is systematic (10% of class `c` labeled `c+1` leaves 90% of the real
//! `c`s labeled `c`), so this score complements out-of-fold heads, which learn a systematic
//! confusion from the other wrong labels. Cosine similarity, the `k` most similar items
//! (the item itself excluded), each weighted by its similarity (negative ones by 0).
//!
//! The similarities are one matrix product with the runtime's packed SIMD kernels
//! ([`crate::kernels::PackedMatrix`]), in blocks of rows, so memory stays `O(n·size)`.

use crate::kernels::{Activation, PackedMatrix};

/// Rows of similarities computed at a time.
const BLOCK_ROWS: usize = 256;

/// For each item, the similarity-weighted share of its `k` nearest neighbours (cosine) whose
/// label equals its own, in `[0, 1]` (1 for an item without neighbours). `features` holds one
/// `size`-long row per item of `given`.
pub fn neighbour_agreement(features: &[f32], given: &[u32], size: usize, k: usize) -> Vec<f32> {
    let n = given.len();
    assert_eq!(
        features.len(),
        n * size,
        "features: one row of `size` per item"
    );
    let k = k.min(n.saturating_sub(1));
    if k == 0 || size == 0 {
        return vec![1.0; n];
    }
    // Unit rows: a dot product is then the cosine.
    let mut unit = features.to_vec();
    for row in unit.chunks_mut(size) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let transposed = PackedMatrix::pack(size, n, |d, item| unit[item * size + d], None);
    let mut agreement = Vec::with_capacity(n);
    let mut similarities = vec![0f32; BLOCK_ROWS.min(n) * n];
    let mut nearest: Vec<(f32, usize)> = Vec::with_capacity(n);
    for first in (0..n).step_by(BLOCK_ROWS) {
        let rows = BLOCK_ROWS.min(n - first);
        let block = &mut similarities[..rows * n];
        transposed.multiply(
            &unit[first * size..(first + rows) * size],
            rows,
            Activation::Linear,
            None,
            block,
        );
        for (r, row) in block.chunks(n).enumerate() {
            let item = first + r;
            nearest.clear();
            nearest.extend(
                row.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != item)
                    .map(|(j, &s)| (s, j)),
            );
            nearest.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let (mut same, mut total) = (0f32, 0f32);
            for &(s, j) in &nearest[..k] {
                let w = s.max(0.0);
                total += w;
                if given[j] == given[item] {
                    same += w;
                }
            }
            agreement.push(if total > 0.0 { same / total } else { 1.0 });
        }
    }
    agreement
}

/// Item indices by ascending agreement (least agreed-with label first), ties by index: the
/// review order neighbour agreement gives on its own.
pub fn by_agreement(agreement: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..agreement.len()).collect();
    order.sort_by(|&a, &b| agreement[a].total_cmp(&agreement[b]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tight groups far apart, one item of the first labeled as the second: it agrees with
    /// none of its neighbours, everyone else with all of theirs (or all but the wrong one).
    #[test]
    fn a_label_unlike_its_neighbours_scores_lowest() {
        let mut features = Vec::new();
        let mut given = Vec::new();
        for i in 0..40u32 {
            let group = i / 20;
            let jitter = (i % 7) as f32 * 0.01;
            features.extend_from_slice(&if group == 0 {
                [1.0, jitter, 0.0]
            } else {
                [0.0, jitter, 1.0]
            });
            given.push(group);
        }
        given[3] = 1;
        let agreement = neighbour_agreement(&features, &given, 3, 5);
        assert_eq!(agreement[3], 0.0);
        let lowest_other = agreement
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 3)
            .map(|(_, &a)| a)
            .fold(1.0, f32::min);
        assert!(
            lowest_other >= 0.79,
            "others agree with at least 4 of 5: {lowest_other}"
        );
        assert!(
            agreement[20..].iter().all(|&a| a == 1.0),
            "the second group is untouched"
        );
    }

    /// The product in blocks gives what a direct computation gives, past one block of rows.
    #[test]
    fn blocks_of_rows_agree_with_a_direct_computation() {
        let n = BLOCK_ROWS + 37;
        let size = 5;
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32) / (1u64 << 31) as f32 - 0.5
        };
        let features: Vec<f32> = (0..n * size).map(|_| next()).collect();
        let given: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
        let got = neighbour_agreement(&features, &given, size, 7);
        let unit: Vec<Vec<f32>> = features
            .chunks(size)
            .map(|r| {
                let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt();
                r.iter().map(|v| v / norm).collect()
            })
            .collect();
        for i in [0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, n - 1] {
            let mut sims: Vec<(f32, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (unit[i].iter().zip(&unit[j]).map(|(a, b)| a * b).sum(), j))
                .collect();
            sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let (same, total) = sims[..7].iter().fold((0f32, 0f32), |(s, t), &(sim, j)| {
                let w = sim.max(0.0);
                (s + if given[j] == given[i] { w } else { 0.0 }, t + w)
            });
            let want = if total > 0.0 { same / total } else { 1.0 };
            assert!(
                (got[i] - want).abs() < 1e-4,
                "item {i}: {} vs {want}",
                got[i]
            );
        }
    }
}
