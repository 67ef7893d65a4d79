//! Pooling over non-overlapping `p × p` windows of an NHWC map (stride `p`, no padding; a
//! remainder row or column is dropped, as burn's `MaxPool2d`/`AvgPool2d` do), vectorized over
//! channels.

use crate::model::PoolKind;

/// Pools `input` (`[h, w, c]`) into `out` (`[h/p, w/p, c]`).
pub fn pool(
    kind: PoolKind,
    p: usize,
    input: &[f32],
    (h, w, c): (usize, usize, usize),
    out: &mut [f32],
) {
    let (oh, ow) = (h / p, w / p);
    let scale = 1.0 / (p * p) as f32;
    for oy in 0..oh {
        for ox in 0..ow {
            let dst = &mut out[(oy * ow + ox) * c..][..c];
            dst.copy_from_slice(&input[(oy * p * w + ox * p) * c..][..c]);
            for dy in 0..p {
                for dx in 0..p {
                    if dy == 0 && dx == 0 {
                        continue;
                    }
                    let src = &input[((oy * p + dy) * w + ox * p + dx) * c..][..c];
                    match kind {
                        // NaN wins, as in burn's max pooling.
                        PoolKind::Max => dst.iter_mut().zip(src).for_each(|(d, v)| {
                            if *v > *d || v.is_nan() {
                                *d = *v
                            }
                        }),
                        PoolKind::Avg => dst.iter_mut().zip(src).for_each(|(d, v)| *d += v),
                    }
                }
            }
            if kind == PoolKind::Avg {
                dst.iter_mut().for_each(|d| *d *= scale);
            }
        }
    }
}
