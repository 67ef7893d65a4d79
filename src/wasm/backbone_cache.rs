//! The shared backbone in the browser: fetched once per device and kept in the Cache API under
//! its sha256, so every model version of every project that uses it downloads only its head.
//! A cached copy is verified like a download; one that fails its hash is evicted and fetched
//! again.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::KindlingError;
use super::fetch::{Progress, fetch_bytes};
use crate::bundle::{Bundle, BundleError, WeightsDtype};

/// The Cache API cache that holds backbone files.
pub const CACHE_NAME: &str = "kindling-backbones-v1";

/// Where a backbone file of hash `sha256` is kept in the cache (a key, never fetched).
fn cache_key(sha256: &str) -> String {
    format!("https://kindling.invalid/backbones/{sha256}")
}

/// Calls `target[method](...args)` and awaits the promise it returns.
async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    let promise: Promise = f.apply(target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// The opened backbone cache, or `None` where the Cache API is missing (insecure origin, some
/// test harnesses) or refuses (storage disabled): then backbones are simply downloaded.
async fn open_cache() -> Option<JsValue> {
    let caches = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    if caches.is_undefined() || caches.is_null() {
        return None;
    }
    call(&caches, "open", &[CACHE_NAME.into()]).await.ok()
}

async fn cached_bytes(cache: &JsValue, key: &str) -> Option<Vec<u8>> {
    let response = call(cache, "match", &[key.into()]).await.ok()?;
    if response.is_undefined() {
        return None;
    }
    let buffer = call(&response, "arrayBuffer", &[]).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

async fn store(cache: &JsValue, key: &str, bytes: &[u8]) {
    let Ok(ctor) = Reflect::get(&js_sys::global(), &"Response".into()) else {
        return;
    };
    let Ok(ctor) = ctor.dyn_into::<Function>() else {
        return;
    };
    let body = Uint8Array::from(bytes);
    let args = js_sys::Array::of1(&body);
    if let Ok(response) = Reflect::construct(&ctor, &args) {
        // A full disk only costs the next download: nothing to report.
        let _ = call(cache, "put", &[key.into(), response]).await;
    }
}

/// Attaches the backbone file of `dtype` to `bundle`: from the cache when a verified copy is
/// there, else downloaded from `base_url` + its file name (and cached when `use_cache`); with
/// no `base_url` (a bundle given as bytes) only the cache can supply it.
pub(crate) async fn attach_backbone(
    bundle: &mut Bundle,
    base_url: Option<&str>,
    dtype: WeightsDtype,
    use_cache: bool,
    progress: &Progress,
) -> Result<(), KindlingError> {
    let file = bundle.backbone_file(dtype)?.clone();
    let key = cache_key(&file.sha256);
    let cache = if use_cache { open_cache().await } else { None };
    if let Some(cache) = &cache
        && let Some(bytes) = cached_bytes(cache, &key).await
    {
        match bundle.attach_backbone(dtype, bytes) {
            Ok(()) => {
                progress.emit(
                    "cached",
                    Some(&file.path),
                    file.size as f64,
                    file.size as f64,
                );
                return Ok(());
            }
            Err(
                BundleError::BackboneHashMismatch { .. }
                | BundleError::Truncated { .. }
                | BundleError::SizeMismatch { .. },
            ) => {
                let _ = call(cache, "delete", &[key.clone().into()]).await;
            }
            Err(e) => return Err(e.into()),
        }
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
    let bytes = fetch_bytes(&url, progress).await?;
    // Verified before it is cached: a bad download must not poison the cache.
    bundle.attach_backbone(dtype, bytes)?;
    if let (Some(cache), Some(b)) = (&cache, bundle.backbone()) {
        store(cache, &key, &b.bytes).await;
    }
    Ok(())
}
