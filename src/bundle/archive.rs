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
        Bundle::from_archive_parts(Bundle::archive_parts(bytes)?, None, None)
    }

    /// Splits an archive into its manifest and files without hashing anything, so a caller can
    /// hash the files its own way before [`Bundle::from_archive_parts`].
    pub fn archive_parts(bytes: &[u8]) -> Result<ArchiveParts<'_>, BundleError> {
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
            return Ok(ArchiveParts {
                manifest_json,
                head: rest,
                backbone: None,
            });
        };
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
        Ok(ArchiveParts {
            manifest_json,
            head: &rest[..head_size],
            backbone: Some((dtype, tail)),
        })
    }

    /// Verifies the parts of an archive and returns the bundle; `head_sha256` and
    /// `backbone_sha256` are the files' digests when the caller computed them (`None`: hashed
    /// here), as in [`Bundle::from_parts_hashed`].
    pub fn from_archive_parts(
        parts: ArchiveParts<'_>,
        head_sha256: Option<&str>,
        backbone_sha256: Option<&str>,
    ) -> Result<Bundle, BundleError> {
        let mut bundle =
            Bundle::from_parts_hashed(parts.manifest_json, parts.head.to_vec(), head_sha256)?;
        if let Some((dtype, bytes)) = parts.backbone {
            bundle.attach_backbone_hashed(dtype, bytes.to_vec(), backbone_sha256)?;
        }
        Ok(bundle)
    }
}

/// An archive split into its parts ([`Bundle::archive_parts`]); nothing is verified yet.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveParts<'a> {
    /// The manifest's JSON.
    pub manifest_json: &'a [u8],
    /// The head's weights file (a model without a backbone: its only file).
    pub head: &'a [u8],
    /// The backbone file and its element type, when the archive carries one.
    pub backbone: Option<(WeightsDtype, &'a [u8])>,
}
