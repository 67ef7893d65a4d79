//! Depthwise convolution over an NHWC feature map (one filter per channel), TensorFlow "SAME"
//! padding (the odd padding pixel goes after, as burn's `PaddingConfig2d::Same` and the
//! ImageNet weights have it), with the bias and activation fused. Vectorized over channels,
//! which are contiguous in NHWC.

use super::gemm::Activation;
use super::parallel;
use super::simd::F32x4;

/// Output side and padding before, for "SAME" padding of `input` pixels.
pub fn same_padding(input: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = input.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(input);
    (out, total / 2)
}

/// Outputs computed together by [`Depthwise::slide`].
const SLIDE: usize = 4;

/// A depthwise `kernel × kernel` convolution with its weights laid out `[ky][kx][channel]`.
#[derive(Debug, Clone)]
pub struct Depthwise {
    kernel: usize,
    stride: usize,
    channels: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Depthwise {
    /// From `weight(channel, ky, kx)` and the bias (`channels` values, or zeros).
    pub fn new(
        channels: usize,
        kernel: usize,
        stride: usize,
        weight: impl Fn(usize, usize, usize) -> f32,
        bias: Option<&[f32]>,
    ) -> Self {
        let mut weights = vec![0.0f32; kernel * kernel * channels];
        for ky in 0..kernel {
            for kx in 0..kernel {
                for c in 0..channels {
                    weights[(ky * kernel + kx) * channels + c] = weight(c, ky, kx);
                }
            }
        }
        Depthwise {
            kernel,
            stride,
            channels,
            weights,
            bias: bias.map_or_else(|| vec![0.0; channels], |b| b[..channels].to_vec()),
        }
    }

    /// Output height and width for an `h × w` input.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        (
            same_padding(h, self.kernel, self.stride).0,
            same_padding(w, self.kernel, self.stride).0,
        )
    }

    /// Convolves `input` (`[h, w, channels]`) into `out` (`[oh, ow, channels]`, see
    /// [`Self::output_size`]).
    pub fn run(&self, input: &[f32], h: usize, w: usize, activation: Activation, out: &mut [f32]) {
        let c = self.channels;
        let (oh, pad_top) = same_padding(h, self.kernel, self.stride);
        let (ow, pad_left) = same_padding(w, self.kernel, self.stride);
        assert!(input.len() >= h * w * c && out.len() >= oh * ow * c);
        let geometry = Geometry {
            h,
            w,
            ow,
            pad_top,
            pad_left,
        };
        let row_len = ow * c;
        let parallel = parallel::threads() > 1 && oh * row_len >= 1 << 14;
        parallel::for_each_chunk(&mut out[..oh * row_len], row_len, parallel, |oy, row| {
            self.output_row(input, &geometry, oy, activation, row)
        });
    }

    fn output_row(
        &self,
        input: &[f32],
        g: &Geometry,
        oy: usize,
        activation: Activation,
        row: &mut [f32],
    ) {
        let (k, c) = (self.kernel, self.channels);
        let finish = |v: F32x4| activation.lanes(v);
        let (ky0, ky1) = taps(oy * self.stride, g.pad_top, k, g.h);
        // Stride 1, all taps inside the row: four outputs at a time share their input loads.
        let (mut run_start, mut run_end) = (0, 0);
        if self.stride == 1 && matches!(k, 3 | 5) && c % 4 == 0 && g.w + g.pad_left >= k {
            run_start = g.pad_left.min(g.ow);
            let last = (g.w + g.pad_left - k).min(g.ow.saturating_sub(1));
            if last + 1 > run_start {
                run_end = run_start + (last + 1 - run_start) / SLIDE * SLIDE;
            }
            let y0 = oy + ky0 - g.pad_top;
            for ox in (run_start..run_end).step_by(SLIDE) {
                let x0 = ox - g.pad_left;
                let out = &mut row[ox * c..];
                let rows = (y0, ky0, ky1);
                if k == 3 {
                    self.slide::<3>(input, g, rows, x0, activation, out);
                } else {
                    self.slide::<5>(input, g, rows, x0, activation, out);
                }
            }
        }
        for ox in (0..g.ow).filter(|ox| !(run_start..run_end).contains(ox)) {
            let (kx0, kx1) = taps(ox * self.stride, g.pad_left, k, g.w);
            let out = &mut row[ox * c..(ox + 1) * c];
            let y0 = oy * self.stride + ky0 - g.pad_top;
            let x0 = ox * self.stride + kx0 - g.pad_left;
            let mut ch = 0;
            // SAFETY (the three blocks): every tap read is inside `input` — `y0 + ky - ky0 < h`
            // and `x0 + kx - kx0 < w` by `taps`, `ch + lanes <= c` by the loop bounds, and the
            // length was asserted in `run` — and every weight read is inside `weights`
            // (`ky, kx < k`); the stores go through bounds-checked slices of `out`.
            while ch + 16 <= c {
                let acc =
                    unsafe { self.taps_at::<4>(input, g, c, ch, (y0, ky0, ky1), (x0, kx0, kx1)) };
                for (i, v) in acc.into_iter().enumerate() {
                    finish(v).store(&mut out[ch + 4 * i..ch + 4 * i + 4]);
                }
                ch += 16;
            }
            while ch + 4 <= c {
                let [v] =
                    unsafe { self.taps_at::<1>(input, g, c, ch, (y0, ky0, ky1), (x0, kx0, kx1)) };
                finish(v).store(&mut out[ch..ch + 4]);
                ch += 4;
            }
            while ch < c {
                let mut acc = self.bias[ch];
                for ky in ky0..ky1 {
                    let iy = y0 + ky - ky0;
                    for kx in kx0..kx1 {
                        let ix = x0 + kx - kx0;
                        acc +=
                            input[(iy * g.w + ix) * c + ch] * self.weights[(ky * k + kx) * c + ch];
                    }
                }
                out[ch] = activation.scalar(acc);
                ch += 1;
            }
        }
    }

    /// [`SLIDE`] neighbouring outputs of a stride-1 row whose taps all lie inside the input,
    /// for every channel: each input pixel is loaded once and used by every output whose
    /// window covers it (a third to a half of the loads of one output at a time).
    #[inline(always)]
    fn slide<const K: usize>(
        &self,
        input: &[f32],
        g: &Geometry,
        (y0, ky0, ky1): (usize, usize, usize),
        x0: usize,
        activation: Activation,
        out: &mut [f32],
    ) {
        let c = self.channels;
        assert!(x0 + SLIDE + K - 1 <= g.w && y0 + (ky1 - ky0) <= g.h);
        assert!(out.len() >= SLIDE * c && self.weights.len() >= K * K * c);
        for ch in (0..c).step_by(4) {
            let bias = F32x4::load(&self.bias[ch..]);
            let mut acc = [bias; SLIDE];
            for ky in ky0..ky1 {
                let row = (y0 + ky - ky0) * g.w + x0;
                // SAFETY: `ky < K`, `kx < K`, `ch + 4 <= c`: inside `weights`; the input
                // pixels `row + j` for `j < SLIDE + K - 1` are inside the asserted bounds.
                let w: [F32x4; K] = std::array::from_fn(|kx| unsafe {
                    F32x4::read(self.weights.as_ptr().add((ky * K + kx) * c + ch))
                });
                for j in 0..SLIDE + K - 1 {
                    let x = unsafe { F32x4::read(input.as_ptr().add((row + j) * c + ch)) };
                    for (p, acc) in acc.iter_mut().enumerate() {
                        if j >= p && j - p < K {
                            *acc = acc.mul_add(x, w[j - p]);
                        }
                    }
                }
            }
            for (p, v) in acc.into_iter().enumerate() {
                activation
                    .lanes(v)
                    .store(&mut out[p * c + ch..p * c + ch + 4]);
            }
        }
    }

    /// Sums of the taps in `ky0..ky1 × kx0..kx1` for `4·V` channels from `ch`, plus the bias.
    ///
    /// # Safety
    /// The taps and channels must lie inside `input` (`[h, w, c]`) and the weights.
    #[inline(always)]
    unsafe fn taps_at<const V: usize>(
        &self,
        input: &[f32],
        g: &Geometry,
        c: usize,
        ch: usize,
        (y0, ky0, ky1): (usize, usize, usize),
        (x0, kx0, kx1): (usize, usize, usize),
    ) -> [F32x4; V] {
        let k = self.kernel;
        let (src, wts) = (input.as_ptr(), self.weights.as_ptr());
        let mut acc: [F32x4; V] = std::array::from_fn(|i| F32x4::load(&self.bias[ch + 4 * i..]));
        for ky in ky0..ky1 {
            let row = (y0 + ky - ky0) * g.w;
            for kx in kx0..kx1 {
                let pixel = (row + x0 + kx - kx0) * c + ch;
                let tap = (ky * k + kx) * c + ch;
                for (i, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: inside `input` and `weights` by the caller's guarantee.
                    unsafe {
                        *acc = acc.mul_add(
                            F32x4::read(src.add(pixel + 4 * i)),
                            F32x4::read(wts.add(tap + 4 * i)),
                        );
                    }
                }
            }
        }
        acc
    }
}

/// Sizes of one image and its output, and the padding before.
struct Geometry {
    h: usize,
    w: usize,
    ow: usize,
    pad_top: usize,
    pad_left: usize,
}

/// The kernel taps `[first, end)` that land inside `0..size` for an output whose window starts
/// at `start - pad`.
fn taps(start: usize, pad: usize, kernel: usize, size: usize) -> (usize, usize) {
    let first = pad.saturating_sub(start);
    let end = (size + pad).saturating_sub(start).min(kernel);
    (first, end.max(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_puts_the_odd_pixel_after() {
        assert_eq!(same_padding(112, 3, 2), (56, 0)); // total 1: none before, one after
        assert_eq!(same_padding(112, 5, 2), (56, 1)); // total 3
        assert_eq!(same_padding(14, 5, 1), (14, 2));
        assert_eq!(same_padding(7, 3, 1), (7, 1));
    }

    #[test]
    fn depthwise_matches_a_direct_loop_with_padding_stride_and_odd_channels() {
        for &(h, w, c, k, s) in &[
            (7, 7, 8, 3, 1),
            (6, 12, 12, 5, 1),
            (5, 10, 20, 3, 1),
            (9, 6, 13, 5, 2),
            (8, 8, 4, 3, 2),
            (1, 1, 3, 5, 1),
        ] {
            let input: Vec<f32> = (0..h * w * c)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
                .collect();
            let weight =
                |ch: usize, ky: usize, kx: usize| ((ch * 7 + ky * 3 + kx) % 11) as f32 / 5.0 - 1.0;
            let bias: Vec<f32> = (0..c).map(|i| i as f32 * 0.1 - 0.3).collect();
            let dw = Depthwise::new(c, k, s, weight, Some(&bias));
            let (oh, ow) = dw.output_size(h, w);
            let (_, pt) = same_padding(h, k, s);
            let (_, pl) = same_padding(w, k, s);
            let mut out = vec![f32::NAN; oh * ow * c];
            dw.run(&input, h, w, Activation::Linear, &mut out);
            for oy in 0..oh {
                for ox in 0..ow {
                    for ch in 0..c {
                        let mut e = bias[ch];
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (oy * s + ky) as isize - pt as isize;
                                let ix = (ox * s + kx) as isize - pl as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    e += input[((iy as usize) * w + ix as usize) * c + ch]
                                        * weight(ch, ky, kx);
                                }
                            }
                        }
                        let got = out[(oy * ow + ox) * c + ch];
                        assert!(
                            (got - e).abs() < 1e-4,
                            "{h}x{w}x{c} k{k} s{s} at {oy},{ox},{ch}: {got} vs {e}"
                        );
                    }
                }
            }
        }
    }
}
