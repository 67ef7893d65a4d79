//! Matrix product with the layer's bias, activation and residual fused into the store:
//! `C[m, n] = act(A[m, :] · B[:, n] + bias[n]) (+ R[m, n])`. `A` is row-major activations
//! (an NHWC feature map is `[pixels, channels]`, so a 1×1 convolution is one call); `B` is a
//! weight matrix packed once, when the model loads, into panels of [`NR`] columns so the
//! inner loop reads it contiguously.

use super::parallel;
use super::simd::F32x4;

/// SIMD registers per row of a tile.
const NV: usize = 2;
/// Columns per packed panel.
pub const NR: usize = 4 * NV;
/// Rows per micro-kernel call.
const MR: usize = 4;
/// Below this many rows per thread, threads split the columns instead of the rows.
const COLUMN_SPLIT_ROWS: usize = 32;
/// Bytes of `A` one block of rows may take, so it stays in cache while every panel of `B`
/// passes over it.
const A_BLOCK_BYTES: usize = 48 * 1024;

/// What happens to a sum before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Stored as is.
    Linear,
    /// Negative values become 0.
    Relu,
    /// Limited to `[0, 6]`.
    Relu6,
}

impl Activation {
    /// Applies the activation to four lanes (NaN stays NaN, as in burn's ops).
    #[inline(always)]
    pub(super) fn lanes(self, v: F32x4) -> F32x4 {
        match self {
            Activation::Linear => v,
            Activation::Relu => v.max(F32x4::splat(0.0)),
            Activation::Relu6 => v.clamp(F32x4::splat(0.0), F32x4::splat(6.0)),
        }
    }

    /// Applies the activation to one value.
    #[inline(always)]
    pub(super) fn scalar(self, v: f32) -> f32 {
        match self {
            Activation::Linear => v,
            Activation::Relu if v < 0.0 => 0.0,
            Activation::Relu6 if v < 0.0 => 0.0,
            Activation::Relu6 if v > 6.0 => 6.0,
            _ => v,
        }
    }
}

/// A weight matrix `[k, n]` packed in panels of [`NR`] columns (the last one zero-padded), with
/// its bias.
#[derive(Debug, Clone)]
pub struct PackedMatrix {
    k: usize,
    n: usize,
    panels: Vec<f32>,
    bias: Vec<f32>,
}

impl PackedMatrix {
    /// Packs `b(row, col)` for `row < k`, `col < n`, and the bias (`n` values, or zeros).
    pub fn pack(k: usize, n: usize, b: impl Fn(usize, usize) -> f32, bias: Option<&[f32]>) -> Self {
        let panel_count = n.div_ceil(NR);
        let mut panels = vec![0.0f32; panel_count * k * NR];
        for p in 0..panel_count {
            for row in 0..k {
                for j in 0..NR {
                    let col = p * NR + j;
                    if col < n {
                        panels[(p * k + row) * NR + j] = b(row, col);
                    }
                }
            }
        }
        let mut padded_bias = vec![0.0f32; panel_count * NR];
        if let Some(bias) = bias {
            padded_bias[..n].copy_from_slice(&bias[..n]);
        }
        PackedMatrix {
            k,
            n,
            panels,
            bias: padded_bias,
        }
    }

    /// Rows of the matrix (the product's inner dimension).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns of the matrix (the product's output width).
    pub fn n(&self) -> usize {
        self.n
    }

    /// `out[..m·n] = act(a[..m·k] · self + bias) (+ residual[..m·n])`, all row-major.
    pub fn multiply(
        &self,
        a: &[f32],
        m: usize,
        activation: Activation,
        residual: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let (k, n) = (self.k, self.n);
        assert!(a.len() >= m * k && out.len() >= m * n);
        if let Some(r) = residual {
            assert!(r.len() >= m * n);
        }
        let mut block_rows = (A_BLOCK_BYTES / (4 * k.max(1))).clamp(MR, 512) / MR * MR;
        let threads = parallel::threads();
        let parallel = threads > 1 && m * k * n >= 1 << 18;
        let panels = n.div_ceil(NR);
        if parallel && m < threads * COLUMN_SPLIT_ROWS && panels > 1 {
            return self.multiply_by_columns(a, m, activation, residual, out, threads);
        }
        if parallel {
            // At least one block per thread.
            block_rows = block_rows.min(m.div_ceil(threads).div_ceil(MR) * MR);
        }
        parallel::for_each_chunk(
            &mut out[..m * n],
            block_rows * n,
            parallel,
            |i, out_block| {
                let first = i * block_rows;
                let rows = out_block.len() / n;
                let a_block = &a[first * k..(first + rows) * k];
                let r_block = residual.map(|r| &r[first * n..(first + rows) * n]);
                self.block(a_block, rows, 0..panels, activation, r_block, out_block);
            },
        );
    }

    /// The product for few rows: each thread takes a share of the panels (splitting the rows
    /// would make every thread read all of `B`, the larger operand here).
    fn multiply_by_columns(
        &self,
        a: &[f32],
        m: usize,
        activation: Activation,
        residual: Option<&[f32]>,
        out: &mut [f32],
        threads: usize,
    ) {
        let (k, n) = (self.k, self.n);
        let panels = n.div_ceil(NR);
        let per_group = panels.div_ceil(threads.min(panels));
        let groups = panels.div_ceil(per_group);
        let parts = parallel::map_indices(groups, |g| {
            let range = g * per_group..((g + 1) * per_group).min(panels);
            let width = (range.end * NR).min(n) - range.start * NR;
            let mut part = vec![0.0f32; m * width];
            self.block(&a[..m * k], m, range, activation, None, &mut part);
            part
        });
        for (g, part) in parts.iter().enumerate() {
            let first = g * per_group * NR;
            let width = part.len() / m;
            for (row, values) in part.chunks_exact(width).enumerate() {
                let dst = &mut out[row * n + first..][..width];
                dst.copy_from_slice(values);
                if let Some(r) = residual {
                    for (d, x) in dst.iter_mut().zip(&r[row * n + first..][..width]) {
                        *d += x;
                    }
                }
            }
        }
    }

    /// One block of rows against the panels in `panels`, into `out` (row-major, as wide as
    /// those panels' columns; `residual` is `[rows, n]` and only given for all panels).
    fn block(
        &self,
        a: &[f32],
        rows: usize,
        panels: std::ops::Range<usize>,
        activation: Activation,
        residual: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let (k, n) = (self.k, self.n);
        let first_col = panels.start * NR;
        let width = (panels.end * NR).min(n) - first_col;
        for p in panels {
            let panel = &self.panels[p * k * NR..(p + 1) * k * NR];
            let bias = &self.bias[p * NR..(p + 1) * NR];
            let cols = NR.min(n - p * NR);
            let mut row = 0;
            while row < rows {
                let tile = Tile {
                    a: &a[row * k..],
                    k,
                    panel,
                    bias,
                    activation,
                    col: p * NR - first_col,
                    cols,
                    n: width,
                };
                let r = residual.map(|r| &r[row * n..]);
                let o = &mut out[row * width..];
                match (rows - row).min(MR) {
                    1 => tile.run::<1>(r, o),
                    2 => tile.run::<2>(r, o),
                    3 => tile.run::<3>(r, o),
                    4 => tile.run::<4>(r, o),
                    5 => tile.run::<5>(r, o),
                    _ => tile.run::<6>(r, o),
                }
                row += MR;
            }
        }
    }
}

/// `R` rows of `A` against one panel of `B`.
struct Tile<'a> {
    a: &'a [f32],
    k: usize,
    panel: &'a [f32],
    bias: &'a [f32],
    activation: Activation,
    col: usize,
    cols: usize,
    n: usize,
}

impl Tile<'_> {
    /// `A[r, :] · B[:, panel]` for the tile's `R` rows, over `U` interleaved sets of sums.
    #[inline(always)]
    fn accumulate<const R: usize, const U: usize>(&self) -> [[F32x4; NV]; R] {
        let k = self.k;
        assert!(self.a.len() >= R * k && self.panel.len() >= k * NR);
        let (a, b) = (self.a.as_ptr(), self.panel.as_ptr());
        let mut acc = [[[F32x4::splat(0.0); NV]; R]; U];
        let step = |acc: &mut [[F32x4; NV]; R], kk: usize| {
            // SAFETY: `kk < k`, `r < R`: inside the lengths asserted above.
            unsafe {
                let b: [F32x4; NV] = std::array::from_fn(|v| F32x4::read(b.add(kk * NR + 4 * v)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = F32x4::splat(*a.add(r * k + kk));
                    for v in 0..NV {
                        acc[v] = acc[v].mul_add(x, b[v]);
                    }
                }
            }
        };
        let whole = k / U * U;
        for kk in (0..whole).step_by(U) {
            for (u, acc) in acc.iter_mut().enumerate() {
                step(acc, kk + u);
            }
        }
        for kk in whole..k {
            step(&mut acc[0], kk);
        }
        let mut sum = acc[0];
        for part in &acc[1..] {
            for (s, p) in sum.iter_mut().zip(part) {
                for v in 0..NV {
                    s[v] = s[v].add(p[v]);
                }
            }
        }
        sum
    }

    #[inline(always)]
    fn run<const R: usize>(&self, residual: Option<&[f32]>, out: &mut [f32]) {
        // Few rows leave few independent sums: split `k` over more of them, so the adds of
        // one step do not wait for the previous step's (a matrix-vector product is bound by
        // that latency otherwise).
        let acc = match R {
            1 => self.accumulate::<R, 4>(),
            2 => self.accumulate::<R, 2>(),
            _ => self.accumulate::<R, 1>(),
        };
        let bias: [F32x4; NV] = std::array::from_fn(|v| F32x4::load(&self.bias[4 * v..]));
        for (r, acc) in acc.iter().enumerate() {
            let sums: [F32x4; NV] =
                std::array::from_fn(|h| self.activation.lanes(acc[h].add(bias[h])));
            let start = r * self.n + self.col;
            if self.cols == NR {
                let dst = &mut out[start..start + NR];
                for (h, mut s) in sums.into_iter().enumerate() {
                    if let Some(res) = residual {
                        s = s.add(F32x4::load(&res[start + 4 * h..]));
                    }
                    s.store(&mut dst[4 * h..4 * h + 4]);
                }
                continue;
            }
            // The last, partial panel.
            let mut v = [0.0f32; NR];
            for (h, s) in sums.into_iter().enumerate() {
                s.store(&mut v[h * 4..h * 4 + 4]);
            }
            let dst = &mut out[start..start + self.cols];
            match residual {
                Some(res) => {
                    let res = &res[start..start + self.cols];
                    for ((d, v), x) in dst.iter_mut().zip(&v).zip(res) {
                        *d = v + x;
                    }
                }
                None => dst.copy_from_slice(&v[..self.cols]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], bias: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = bias[j] as f64;
                for t in 0..k {
                    s += a[i * k + t] as f64 * b[t * n + j] as f64;
                }
                c[i * n + j] = s as f32;
            }
        }
        c
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 250.0 - 2.0)
            .collect()
    }

    #[test]
    fn product_matches_naive_for_ragged_shapes_with_bias_relu6_and_residual() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 3, 7),
            (4, 16, 8),
            (13, 27, 32),
            (49, 320, 17),
            (300, 9, 24),
            (40, 512, 100),
            (300, 64, 40),
        ] {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let bias = values(n, 3);
            let packed = PackedMatrix::pack(k, n, |r, c| b[r * n + c], Some(&bias));
            let expected = naive(&a, &b, &bias, m, k, n);
            let mut out = vec![f32::NAN; m * n];
            packed.multiply(&a, m, Activation::Linear, None, &mut out);
            for (x, y) in out.iter().zip(&expected) {
                assert!(
                    (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                    "{m}x{k}x{n}: {x} vs {y}"
                );
            }
            packed.multiply(&a, m, Activation::Relu6, None, &mut out);
            for (x, y) in out.iter().zip(&expected) {
                assert!((x - y.clamp(0.0, 6.0)).abs() <= 1e-4 * (1.0 + y.abs()));
            }
            packed.multiply(&a, m, Activation::Relu, None, &mut out);
            for (x, y) in out.iter().zip(&expected) {
                assert!((x - y.max(0.0)).abs() <= 1e-4 * (1.0 + y.abs()));
            }
            let residual = values(m * n, 4);
            packed.multiply(&a, m, Activation::Linear, Some(&residual), &mut out);
            for ((x, y), r) in out.iter().zip(&expected).zip(&residual) {
                assert!((x - (y + r)).abs() <= 1e-4 * (1.0 + y.abs()));
            }
        }
    }
}
