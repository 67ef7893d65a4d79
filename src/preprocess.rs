//! Input preprocessing, one implementation for native and browser: turning RGBA pixels into the
//! model's CHW layout, and normalizing items per the manifest's input spec.

use thiserror::Error;

use crate::bundle::{ImageInput, InputSpec, ResizeMode};

/// Why pixels could not be turned into model input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PreprocessError {
    /// The RGBA buffer does not hold `width × height × 4` bytes.
    #[error("RGBA buffer has {got} bytes but a {width}x{height} image needs {expected}")]
    BufferSize {
        /// Source width.
        width: usize,
        /// Source height.
        height: usize,
        /// `width × height × 4`.
        expected: usize,
        /// The bytes given.
        got: usize,
    },
    /// The source image has no pixels.
    #[error("the source image is empty ({width}x{height})")]
    EmptyImage {
        /// Source width.
        width: usize,
        /// Source height.
        height: usize,
    },
}

impl PreprocessError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PreprocessError::BufferSize { .. } => "IMAGE_BUFFER_SIZE",
            PreprocessError::EmptyImage { .. } => "IMAGE_EMPTY",
        }
    }
}

/// Converts an RGBA image (as in `ImageData`) into one model input item: fitted to the spec's
/// size per its [`ResizeMode`] (stretched, or the shorter side scaled and the center cut, for
/// photos) by area averaging, alpha composited over black, converted to grayscale (ITU-R BT.601
/// luma) when the spec has one channel, scaled to `[0, 1]`, channel-first. Not normalized:
/// [`normalize`] does that (a session does it in `predict`).
pub fn image_from_rgba(
    spec: &ImageInput,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<Vec<f32>, PreprocessError> {
    if width == 0 || height == 0 {
        return Err(PreprocessError::EmptyImage { width, height });
    }
    let expected = width * height * 4;
    if rgba.len() != expected {
        return Err(PreprocessError::BufferSize {
            width,
            height,
            expected,
            got: rgba.len(),
        });
    }
    let (tw, th) = (spec.width, spec.height);
    let (left, top, cw, ch) = source_rect(spec.resize, width, height, tw, th);
    let plane = tw * th;
    let mut out = vec![0.0f32; plane * spec.channels];
    for ty in 0..th {
        let (y0, y1) = span(ty, th, ch);
        let (y0, y1) = (y0 + top, y1 + top);
        for tx in 0..tw {
            let (x0, x1) = span(tx, tw, cw);
            let (x0, x1) = (x0 + left, x1 + left);
            let mut sum = [0.0f32; 3];
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = &rgba[(y * width + x) * 4..][..4];
                    let a = f32::from(p[3]) / 255.0;
                    for c in 0..3 {
                        sum[c] += f32::from(p[c]) / 255.0 * a;
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as f32;
            let rgb = sum.map(|s| s / n);
            let i = ty * tw + tx;
            if spec.channels == 1 {
                out[i] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
            } else {
                for c in 0..3 {
                    out[c * plane + i] = rgb[c];
                }
            }
        }
    }
    Ok(out)
}

/// The part of a `width × height` source that fills a `tw × th` target: all of it
/// (stretch), or the largest centered rectangle of the target's aspect ratio (center crop).
/// Returns `(left, top, width, height)`.
fn source_rect(
    mode: ResizeMode,
    width: usize,
    height: usize,
    tw: usize,
    th: usize,
) -> (usize, usize, usize, usize) {
    match mode {
        ResizeMode::Stretch => (0, 0, width, height),
        ResizeMode::CenterCrop => {
            // Widest crop of aspect tw:th that fits: compare width/height with tw/th.
            let (cw, ch) = if width * th > height * tw {
                ((height * tw / th).max(1), height)
            } else {
                (width, (width * th / tw).max(1))
            };
            ((width - cw) / 2, (height - ch) / 2, cw, ch)
        }
    }
}

/// The source rows (or columns) `[start, end)` that target index `t` of `target` covers.
fn span(t: usize, target: usize, source: usize) -> (usize, usize) {
    let start = t * source / target;
    let end = ((t + 1) * source).div_ceil(target).max(start + 1);
    (start.min(source - 1), end.min(source))
}

/// Normalizes a batch of items in place: `(x − mean) / std` per channel (images, CHW) or per
/// feature (tabular). `values.len()` must be a multiple of the spec's item length.
pub fn normalize(spec: &InputSpec, values: &mut [f32]) {
    let (mean, std, group) = match spec {
        InputSpec::Image(i) => (&i.mean, &i.std, i.width * i.height),
        InputSpec::Tabular(t) => (&t.mean, &t.std, 1),
        // Token ids are not scaled.
        InputSpec::Text(_) => return,
    };
    let item = spec.len();
    if is_identity(mean, std) {
        return;
    }
    let groups = item / group;
    let (mean, std) = (per_group(mean, groups, 0.0), per_group(std, groups, 1.0));
    for (i, v) in values.iter_mut().enumerate() {
        let channel = (i % item) / group;
        *v = (*v - mean[channel]) / std[channel];
    }
}

/// A normalization statistic (mean or std) for each of `groups` channels or features, read as
/// [`normalize`] reads it: one value per group, or the first value for all (`default` when the
/// list is empty).
pub fn per_group(values: &[f32], groups: usize, default: f32) -> Vec<f32> {
    (0..groups)
        .map(|g| values.get(g).or(values.first()).copied().unwrap_or(default))
        .collect()
}

/// Whether `(x − mean) / std` with these statistics changes nothing (all means 0, all stds 1).
pub fn is_identity(mean: &[f32], std: &[f32]) -> bool {
    mean.iter().all(|m| *m == 0.0) && std.iter().all(|s| *s == 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(w: usize, h: usize, channels: usize) -> ImageInput {
        ImageInput {
            width: w,
            height: h,
            channels,
            mean: vec![0.0],
            std: vec![1.0],
            light_on_dark: true,
            resize: ResizeMode::Stretch,
        }
    }

    #[test]
    fn center_crop_keeps_the_middle_of_a_wide_photo() {
        // 6x2 image: columns 0-1 red, 2-3 green, 4-5 blue → center crop 2x2 → 1x1: green.
        let mut rgba = Vec::new();
        for _y in 0..2 {
            for x in 0..6 {
                let px = match x / 2 {
                    0 => [255, 0, 0, 255],
                    1 => [0, 255, 0, 255],
                    _ => [0, 0, 255, 255],
                };
                rgba.extend_from_slice(&px);
            }
        }
        let mut s = spec(1, 1, 3);
        s.resize = ResizeMode::CenterCrop;
        assert_eq!(
            image_from_rgba(&s, &rgba, 6, 2).unwrap(),
            vec![0.0, 1.0, 0.0]
        );
        s.resize = ResizeMode::Stretch;
        let stretched = image_from_rgba(&s, &rgba, 6, 2).unwrap();
        assert!(
            stretched.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-6),
            "{stretched:?}"
        );
    }

    #[test]
    fn center_crop_of_a_tall_photo_cuts_top_and_bottom() {
        // 1x3 image: white, black, white → crop 1x1 from the middle: black.
        let rgba = [255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255];
        let mut s = spec(1, 1, 1);
        s.resize = ResizeMode::CenterCrop;
        assert_eq!(image_from_rgba(&s, &rgba, 1, 3).unwrap(), vec![0.0]);
    }

    #[test]
    fn downscales_by_area_average_to_grayscale() {
        // 4x2 image: left half white, right half black → 2x1: [1, 0]
        let mut rgba = Vec::new();
        for _y in 0..2 {
            for x in 0..4 {
                let v = if x < 2 { 255 } else { 0 };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let out = image_from_rgba(&spec(2, 1, 1), &rgba, 4, 2).unwrap();
        assert!(
            (out[0] - 1.0).abs() < 1e-6 && out[1].abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn rgb_output_is_channel_first_and_transparent_is_black() {
        let rgba = [255, 0, 0, 255, 0, 0, 255, 0]; // red, then transparent blue
        let out = image_from_rgba(&spec(2, 1, 3), &rgba, 2, 1).unwrap();
        assert_eq!(out, vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn rejects_wrong_buffer_size() {
        let err = image_from_rgba(&spec(2, 2, 1), &[0; 15], 2, 2).unwrap_err();
        assert_eq!(err.code(), "IMAGE_BUFFER_SIZE");
    }

    #[test]
    fn normalizes_per_channel() {
        let mut s = spec(1, 1, 3);
        s.mean = vec![0.5, 0.0, 1.0];
        s.std = vec![0.5, 2.0, 1.0];
        let mut v = vec![1.0, 1.0, 1.0, 0.5, 4.0, 0.0];
        normalize(&InputSpec::Image(s), &mut v);
        assert_eq!(v, vec![1.0, 0.5, 0.0, 0.0, 2.0, -1.0]);
    }
}
