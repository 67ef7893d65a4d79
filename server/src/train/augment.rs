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

#[cfg(test)]
mod tests {
    use super::*;
    use kindling::bundle::ImageInput;
    use rand::SeedableRng;

    fn spec() -> InputSpec {
        InputSpec::Image(ImageInput {
            width: 5,
            height: 5,
            channels: 1,
            mean: vec![0.5],
            std: vec![0.25],
            light_on_dark: true,
            resize: Default::default(),
        })
    }

    #[test]
    fn shifts_keep_the_content_and_fill_with_normalized_black() {
        let shift = Shift::new(&spec(), 1).unwrap();
        let mut item = vec![0.0f32; 25];
        item[12] = 7.0; // the centre pixel
        let mut rng = StdRng::seed_from_u64(3);
        let mut moved = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let mut out = Vec::new();
            shift.apply(&item, &mut rng, &mut out);
            assert_eq!(out.len(), 25);
            let at: Vec<usize> = (0..25).filter(|&i| out[i] == 7.0).collect();
            assert_eq!(at.len(), 1, "the centre pixel survives a 1-pixel shift");
            let (y, x) = (at[0] / 5, at[0] % 5);
            assert!((1..=3).contains(&y) && (1..=3).contains(&x));
            moved.insert(at[0]);
            // Pixels shifted in from outside are black after normalization: (0 - 0.5) / 0.25.
            let filled = out.iter().filter(|v| **v == -2.0).count();
            let (dy, dx) = (y as i64 - 2, x as i64 - 2);
            let expected = 25 - (5 - dy.unsigned_abs() as usize) * (5 - dx.unsigned_abs() as usize);
            assert_eq!(filled, expected);
        }
        assert!(moved.len() > 3, "shifts vary: {moved:?}");
        assert!(Shift::new(&spec(), 0).is_none());
    }
}
