//! The single-file bundle archive: `KINDLING` magic, a little-endian `u32` manifest length,
//! the manifest JSON, the weights bytes, then (format 2, optional) the bytes of one backbone
//! file. For passing a bundle as one `Uint8Array`. An archive without the backbone bytes is a
//! head-only bundle: kilobytes, for a device that already holds the backbone.

use super::WeightsDtype;

use super::{Bundle, BundleError, Manifest};

const MAGIC: &[u8; 8] = b"KINDLING";
const HEADER: usize = MAGIC.len() + 4;

impl Bundle {
    /// Serializes the bundle as one archive, with the attached backbone file if any.
    pub fn to_archive(&self) -> Vec<u8> {
        let mut out = self.to_head_archive();
        if let Some(b) = &self.backbone {
            out.extend_from_slice(&b.bytes);
        }
        out
    }

    /// Serializes the bundle as one archive without the backbone bytes (head only).
    pub fn to_head_archive(&self) -> Vec<u8> {
        let manifest = self.manifest.to_json();
        let mut out = Vec::with_capacity(HEADER + manifest.len() + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(manifest.len() as u32).to_le_bytes());
        out.extend_from_slice(manifest.as_bytes());
        out.extend_from_slice(&self.weights);
        out
    }

    /// Parses and verifies an archive made by [`Bundle::to_archive`].
    pub fn from_archive(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(BundleError::NotAnArchive);
        }
        let truncated = |expected: usize| BundleError::Truncated {
            file: "archive".into(),
            expected: expected as u64,
            actual: bytes.len() as u64,
        };
        if bytes.len() < HEADER {
            return Err(truncated(HEADER));
        }
        let len = u32::from_le_bytes(bytes[MAGIC.len()..HEADER].try_into().expect("4 bytes"));
        let manifest_end = HEADER + len as usize;
        if bytes.len() < manifest_end {
            return Err(truncated(manifest_end));
        }
        let manifest_json = &bytes[HEADER..manifest_end];
        // Parse first so a short archive reports the weights file as truncated.
        let manifest = Manifest::from_json(manifest_json)?;
        let rest = &bytes[manifest_end..];
        let head_size = manifest.weights.size as usize;
        let Some(backbone) = manifest
            .backbone
            .as_ref()
            .filter(|_| rest.len() > head_size)
        else {
            return Bundle::from_parts(manifest_json, rest.to_vec());
        };
        let mut bundle = Bundle::from_parts(manifest_json, rest[..head_size].to_vec())?;
        let tail = &rest[head_size..];
        // The backbone file is the one whose declared size the tail has; otherwise the first
        // one, whose check then reports the size (a cut download).
        let dtype = backbone
            .files
            .iter()
            .find(|f| f.size as usize == tail.len())
            .or_else(|| backbone.files.first())
            .map(|f| f.dtype)
            .unwrap_or(WeightsDtype::F32);
        bundle.attach_backbone(dtype, tail.to_vec())?;
        Ok(bundle)
    }
}
