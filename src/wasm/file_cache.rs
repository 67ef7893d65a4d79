//! The Cache API as bundles use it: files kept under their sha256 (weights, backbones) or
//! their URL (manifests, archives), written only after the bundle they belong to verified, and
//! evicted when a kept copy no longer verifies. Where the Cache API is missing (insecure
//! origins, some harnesses) or refuses, everything is simply downloaded.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The cache of backbone files, keyed by sha256 (shared by every model that uses a backbone).
pub const BACKBONE_CACHE: &str = "kindling-backbones-v1";
/// The cache of bundle files: manifests and archives by URL, head weights by sha256.
pub const BUNDLE_CACHE: &str = "kindling-bundles-v1";

/// The cache key of a file with this content hash (a key, never fetched).
pub fn hash_key(kind: &str, sha256: &str) -> String {
    format!("https://kindling.invalid/{kind}/{sha256}")
}

/// Calls `target[method](...args)` and awaits the promise it returns.
pub(crate) async fn call(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    let promise: Promise = f.apply(target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// The global `caches`, if this environment has one.
fn caches() -> Option<JsValue> {
    let caches = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    (!caches.is_undefined() && !caches.is_null()).then_some(caches)
}

/// One opened cache.
pub(crate) struct FileCache(JsValue);

impl FileCache {
    /// Opens the cache `name`, or `None` where the Cache API is missing or refuses.
    pub(crate) async fn open(name: &str) -> Option<FileCache> {
        call(&caches()?, "open", &[name.into()])
            .await
            .ok()
            .map(FileCache)
    }

    /// The bytes kept under `key`, if any.
    pub(crate) async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let response = call(&self.0, "match", &[key.into()]).await.ok()?;
        if response.is_undefined() {
            return None;
        }
        let buffer = call(&response, "arrayBuffer", &[]).await.ok()?;
        Some(Uint8Array::new(&buffer).to_vec())
    }

    /// Keeps `bytes` under `key` (best effort: a full disk only costs the next download).
    pub(crate) async fn put(&self, key: &str, bytes: &[u8]) {
        let Ok(ctor) = Reflect::get(&js_sys::global(), &"Response".into()) else {
            return;
        };
        let Ok(ctor) = ctor.dyn_into::<Function>() else {
            return;
        };
        let args = js_sys::Array::of1(&Uint8Array::from(bytes));
        if let Ok(response) = Reflect::construct(&ctor, &args) {
            let _ = call(&self.0, "put", &[key.into(), response]).await;
        }
    }

    /// Forgets `key` (a copy that no longer verifies).
    pub(crate) async fn delete(&self, key: &str) {
        let _ = call(&self.0, "delete", &[key.into()]).await;
    }
}

/// Deletes every cache this package keeps; resolves to whether any existed.
pub(crate) async fn clear_all() -> bool {
    let Some(caches) = caches() else {
        return false;
    };
    let mut any = false;
    for name in [BACKBONE_CACHE, BUNDLE_CACHE] {
        any |= call(&caches, "delete", &[name.into()])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    }
    any
}
