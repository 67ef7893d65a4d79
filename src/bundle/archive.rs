//! The single-file bundle archive: `KINDLING` magic, a little-endian `u32` manifest length,
//! the manifest JSON, then the weights bytes. For passing a bundle as one `Uint8Array`.

use super::{Bundle, BundleError, Manifest};

const MAGIC: &[u8; 8] = b"KINDLING";
const HEADER: usize = MAGIC.len() + 4;

impl Bundle {
    /// Serializes the bundle as one archive.
    pub fn to_archive(&self) -> Vec<u8> {
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
        Manifest::from_json(manifest_json)?;
        Bundle::from_parts(manifest_json, bytes[manifest_end..].to_vec())
    }
}
