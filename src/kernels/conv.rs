//! A dense (ungrouped) `k × k` convolution over NHWC maps with "SAME" padding: the patches of
//! the input (im2col, columns ordered `(ky, kx, channel)`) times the packed filters, with the
//! bias and activation fused into the product's store. A 1×1, stride-1 convolution skips the
//! patches: the map already is the matrix.

use super::depthwise::same_padding;
use super::gemm::{Activation, PackedMatrix};

/// A packed convolution.
#[derive(Debug, Clone)]
pub struct Conv {
    kernel: usize,
    stride: usize,
    channels_in: usize,
    matrix: PackedMatrix,
}

impl Conv {
    /// From weights `[out, in, k, k]` (burn's layout, row-major) and the bias.
    pub fn new(shape: [usize; 4], weight: &[f32], bias: Option<&[f32]>, stride: usize) -> Self {
        let [out, cin, k, _] = shape;
        let matrix = PackedMatrix::pack(
            k * k * cin,
            out,
            |col, o| {
                let (tap, c) = (col / cin, col % cin);
                let (ky, kx) = (tap / k, tap % k);
                weight[((o * cin + c) * k + ky) * k + kx]
            },
            bias,
        );
        Conv {
            kernel: k,
            stride,
            channels_in: cin,
            matrix,
        }
    }

    /// Output channels.
    pub fn channels_out(&self) -> usize {
        self.matrix.n()
    }

    /// Output height and width for an `h × w` input.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        (
            same_padding(h, self.kernel, self.stride).0,
            same_padding(w, self.kernel, self.stride).0,
        )
    }

    /// Convolves `input` (`[h, w, channels_in]`) into `out` (`[oh, ow, channels_out]`);
    /// `patches` is scratch space.
    pub fn run(
        &self,
        input: &[f32],
        (h, w): (usize, usize),
        activation: Activation,
        patches: &mut Vec<f32>,
        out: &mut [f32],
    ) {
        let (oh, ow) = self.output_size(h, w);
        if self.kernel == 1 && self.stride == 1 {
            self.matrix.multiply(input, h * w, activation, None, out);
            return;
        }
        let (k, s, c) = (self.kernel, self.stride, self.channels_in);
        let pad_top = same_padding(h, k, s).1;
        let pad_left = same_padding(w, k, s).1;
        let row_len = k * k * c;
        patches.clear();
        patches.resize(oh * ow * row_len, 0.0);
        for oy in 0..oh {
            for ox in 0..ow {
                let row = &mut patches[(oy * ow + ox) * row_len..][..row_len];
                for ky in 0..k {
                    let iy = (oy * s + ky).wrapping_sub(pad_top);
                    if iy >= h {
                        continue;
                    }
                    for kx in 0..k {
                        let ix = (ox * s + kx).wrapping_sub(pad_left);
                        if ix < w {
                            row[(ky * k + kx) * c..][..c]
                                .copy_from_slice(&input[(iy * w + ix) * c..][..c]);
                        }
                    }
                }
            }
        }
        self.matrix
            .multiply(patches, oh * ow, activation, None, out);
    }
}

/// CHW planes → NHWC (`[h, w, c]`) for one image.
pub fn chw_to_hwc(image: &[f32], c: usize, plane: usize, out: &mut [f32]) {
    for (ch, src) in image.chunks_exact(plane).take(c).enumerate() {
        for (p, v) in src.iter().enumerate() {
            out[p * c + ch] = *v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convolution_matches_a_direct_loop_with_same_padding_and_strides() {
        for &(h, w, cin, cout, k, s) in &[
            (5, 5, 1, 3, 3, 1),
            (9, 7, 3, 8, 3, 2),
            (6, 6, 2, 5, 4, 1),
            (4, 4, 3, 4, 1, 1),
        ] {
            let input: Vec<f32> = (0..h * w * cin)
                .map(|i| ((i * 31 % 17) as f32 - 8.0) / 4.0)
                .collect();
            let weight: Vec<f32> = (0..cout * cin * k * k)
                .map(|i| ((i * 13 % 7) as f32 - 3.0) / 3.0)
                .collect();
            let bias: Vec<f32> = (0..cout).map(|i| i as f32 / 4.0).collect();
            let conv = Conv::new([cout, cin, k, k], &weight, Some(&bias), s);
            let (oh, ow) = conv.output_size(h, w);
            let (_, pt) = same_padding(h, k, s);
            let (_, pl) = same_padding(w, k, s);
            let mut out = vec![f32::NAN; oh * ow * cout];
            conv.run(
                &input,
                (h, w),
                Activation::Linear,
                &mut Vec::new(),
                &mut out,
            );
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..cout {
                        let mut e = bias[o];
                        for c in 0..cin {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let iy = (oy * s + ky) as isize - pt as isize;
                                    let ix = (ox * s + kx) as isize - pl as isize;
                                    if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w
                                    {
                                        e += input[((iy as usize) * w + ix as usize) * cin + c]
                                            * weight[((o * cin + c) * k + ky) * k + kx];
                                    }
                                }
                            }
                        }
                        let got = out[(oy * ow + ox) * cout + o];
                        assert!(
                            (got - e).abs() < 1e-4,
                            "{h}x{w}x{cin}→{cout} k{k} s{s}: {got} vs {e}"
                        );
                    }
                }
            }
        }
    }
}
