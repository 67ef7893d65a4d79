//! IDX files (the MNIST / Fashion-MNIST format), gzipped or not.

use std::io::Read;
use std::path::Path;

use super::DataError;
use super::error::io;

const LABELS_MAGIC: u32 = 0x0000_0801;
const IMAGES_MAGIC: u32 = 0x0000_0803;

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| io(path, e))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|e| DataError::CorruptGzip {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(out)
}

/// Parses an IDX header with `dims` dimensions and checks the magic and the payload length.
fn parse(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    dims: usize,
    what: &'static str,
) -> Result<Vec<usize>, DataError> {
    let name = path.display().to_string();
    let header = 4 + 4 * dims;
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: name,
            expected: header,
            actual: bytes.len(),
        });
    }
    let found = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
    if found != magic {
        return Err(DataError::BadMagic {
            path: name,
            found,
            expected: magic,
            what,
        });
    }
    if bytes.len() < header {
        return Err(DataError::Truncated {
            path: name,
            expected: header,
            actual: bytes.len(),
        });
    }
    let shape: Vec<usize> = (0..dims)
        .map(|d| {
            u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let expected = header + shape.iter().product::<usize>();
    if bytes.len() < expected {
        return Err(DataError::Truncated {
            path: name,
            expected,
            actual: bytes.len(),
        });
    }
    Ok(shape)
}

/// Reads an IDX image file (`0x00000803`, u8 pixels): returns `(pixels in [0,1], rows, cols)`.
pub fn read_idx_images(path: &Path) -> Result<(Vec<f32>, usize, usize), DataError> {
    let bytes = read_maybe_gz(path)?;
    let shape = parse(path, &bytes, IMAGES_MAGIC, 3, "IDX images of u8")?;
    let (n, rows, cols) = (shape[0], shape[1], shape[2]);
    let pixels = bytes[16..16 + n * rows * cols]
        .iter()
        .map(|&b| f32::from(b) / 255.0)
        .collect();
    Ok((pixels, rows, cols))
}

/// Reads an IDX label file (`0x00000801`, u8 labels).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u32>, DataError> {
    let bytes = read_maybe_gz(path)?;
    let shape = parse(path, &bytes, LABELS_MAGIC, 1, "IDX labels of u8")?;
    Ok(bytes[8..8 + shape[0]]
        .iter()
        .map(|&b| u32::from(b))
        .collect())
}
