//! Training-time augmentation: random shifts of images by a few pixels (the empty border is
//! filled with the normalized value of a black pixel).

use kindling::bundle::InputSpec;
use rand::RngExt;
use rand::rngs::StdRng;

/// Shifts images of `spec` at random by up to `max_shift` pixels in each direction.
#[derive(Debug, Clone)]
pub struct Shift {
    max_shift: i64,
    shape: (usize, usize, usize),
    fill: Vec<f32>,
}

impl Shift {
    /// `None` for tabular data or a zero shift.
    pub fn new(spec: &InputSpec, max_shift: usize) -> Option<Shift> {
        let InputSpec::Image(i) = spec else {
            return None;
        };
        if max_shift == 0 {
            return None;
        }
        let at = |v: &Vec<f32>, c: usize| v.get(c).or(v.first()).copied().unwrap_or(0.0);
        Some(Shift {
            max_shift: max_shift as i64,
            shape: (i.channels, i.height, i.width),
            fill: (0..i.channels)
                .map(|c| -at(&i.mean, c) / at(&i.std, c))
                .collect(),
        })
    }

    /// Appends a randomly shifted copy of `item` (normalized, CHW) to `out`.
    pub fn apply(&self, item: &[f32], rng: &mut StdRng, out: &mut Vec<f32>) {
        let (c, h, w) = self.shape;
        let dy = rng.random_range(-self.max_shift..=self.max_shift);
        let dx = rng.random_range(-self.max_shift..=self.max_shift);
        for ch in 0..c {
            for y in 0..h as i64 {
                for x in 0..w as i64 {
                    let (sy, sx) = (y - dy, x - dx);
                    out.push(if sy < 0 || sx < 0 || sy >= h as i64 || sx >= w as i64 {
                        self.fill[ch]
                    } else {
                        item[ch * h * w + sy as usize * w + sx as usize]
                    });
                }
            }
        }
    }
}
