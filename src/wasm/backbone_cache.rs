//! The shared backbone in the browser: fetched once per device and kept in the Cache API under
//! its sha256, so every model version of every project that uses it downloads only its head.
//! A cached copy is verified like a download; one that fails its hash is evicted and fetched
//! again.

use super::KindlingError;
use super::digest;
use super::fetch::{FetchOptions, fetch_bytes};
use super::file_cache::{BACKBONE_CACHE, hash_key};
use crate::bundle::{Bundle, BundleError};

/// Where a backbone file of hash `sha256` is kept in the cache (a key, never fetched).
pub(crate) fn backbone_key(sha256: &str) -> String {
    hash_key("backbones", sha256)
}

/// Attaches the backbone file of `options.dtype` to `bundle`: from the cache when a verified
/// copy is there, else downloaded from `base_url` + its file name (and cached when
/// `options.cache`); with no `base_url` (a bundle given as bytes) only the cache can supply it.
pub(crate) async fn attach_backbone(
    bundle: &mut Bundle,
    base_url: Option<&str>,
    options: &FetchOptions,
) -> Result<(), KindlingError> {
    let dtype = options.dtype;
    let file = bundle.backbone_file(dtype)?.clone();
    let key = backbone_key(&file.sha256);
    let cache = options.open_cache(BACKBONE_CACHE).await;
    let verify = async |bytes: Vec<u8>| digest::attach_backbone(bundle, dtype, bytes).await;
    if options
        .cached_copy(cache.as_ref(), &key, &file.path, verify)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(base_url) = base_url else {
        let name = bundle
            .manifest()
            .backbone
            .as_ref()
            .map_or_else(String::new, |b| b.name.clone());
        return Err(BundleError::BackboneMissing {
            name,
            file: file.path,
        }
        .into());
    };
    let url = if base_url.is_empty() {
        file.path.clone()
    } else {
        format!("{}/{}", base_url.trim_end_matches('/'), file.path)
    };
    let bytes = fetch_bytes(&url, options, Some(file.size)).await?;
    // Verified before it is cached: a bad download must not poison the cache.
    digest::attach_backbone(bundle, dtype, bytes).await?;
    if let (Some(cache), Some(b)) = (&cache, bundle.backbone()) {
        cache.put(&key, &b.bytes).await;
    }
    Ok(())
}
