//! Pooling over non-overlapping `p × p` windows of an NHWC map (stride `p`, no padding; a
//! remainder row or column is dropped, as burn's `MaxPool2d`/`AvgPool2d` do), vectorized over
//! channels.

use super::simd::F32x4;
use crate::model::PoolKind;

/// `dst = max(dst, src)` (NaN wins, as in burn's max pooling) or `dst += src`, four lanes at a
/// time.
#[inline(always)]
fn combine(kind: PoolKind, dst: &mut [f32], src: &[f32]) {
    let whole = dst.len() / 4 * 4;
    for (d, s) in dst[..whole]
        .chunks_exact_mut(4)
        .zip(src[..whole].chunks_exact(4))
    {
        let (a, b) = (F32x4::load(d), F32x4::load(s));
        match kind {
            PoolKind::Max => a.max_or_nan(b),
            PoolKind::Avg => a.add(b),
        }
        .store(d);
    }
    for (d, v) in dst[whole..].iter_mut().zip(&src[whole..]) {
        *d = match kind {
            PoolKind::Max if *v > *d || v.is_nan() => *v,
            PoolKind::Max => *d,
            PoolKind::Avg => *d + v,
        };
    }
}

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
                    combine(kind, dst, src);
                }
            }
            if kind == PoolKind::Avg {
                dst.iter_mut().for_each(|d| *d *= scale);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One window's max (a NaN wins) or mean, by a direct loop.
    fn direct(
        kind: PoolKind,
        p: usize,
        x: &[f32],
        (w, c): (usize, usize),
        (oy, ox, ch): (usize, usize, usize),
    ) -> f32 {
        let values = (0..p * p).map(|i| x[((oy * p + i / p) * w + ox * p + i % p) * c + ch]);
        match kind {
            PoolKind::Max => values.fold(f32::NEG_INFINITY, |m, v| {
                if v.is_nan() || m.is_nan() {
                    f32::NAN
                } else {
                    m.max(v)
                }
            }),
            PoolKind::Avg => values.sum::<f32>() / (p * p) as f32,
        }
    }

    #[test]
    fn pooling_matches_a_direct_loop_over_ragged_channels_with_nan_winning() {
        for &(h, w, c, p) in &[(4, 4, 8, 2), (5, 7, 6, 2), (9, 6, 3, 3), (4, 4, 1, 2)] {
            let mut x: Vec<f32> = (0..h * w * c)
                .map(|i| ((i * 37 % 23) as f32 - 11.0) / 3.0)
                .collect();
            x[c + c / 2] = f32::NAN; // inside the first window, in a SIMD lane or the tail
            x[h * w * c - 1] = f32::NAN; // the last channel: a scalar tail when c % 4 != 0
            for kind in [PoolKind::Max, PoolKind::Avg] {
                let (oh, ow) = (h / p, w / p);
                let mut out = vec![0.0f32; oh * ow * c];
                pool(kind, p, &x, (h, w, c), &mut out);
                for oy in 0..oh {
                    for ox in 0..ow {
                        for ch in 0..c {
                            let (got, want) = (
                                out[(oy * ow + ox) * c + ch],
                                direct(kind, p, &x, (w, c), (oy, ox, ch)),
                            );
                            assert!(
                                got == want
                                    || (got.is_nan() && want.is_nan())
                                    || (got - want).abs() < 1e-6,
                                "{kind:?} {h}x{w}x{c}/{p} at ({oy},{ox},{ch}): {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}
