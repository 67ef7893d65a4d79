//! Fetching bundles over HTTP in a page or a worker: byte progress from the response stream,
//! extra request headers (a bearer token), and the Cache API — manifests and archives under
//! their URL, head weights and backbones under their sha256 — so a second load of the same
//! bundle makes no request and works offline. Files are cached only once the bundle verified
//! (sizes, sha256); a cached copy that no longer verifies is evicted and downloaded again.

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::KindlingError;
use super::backbone_cache::attach_backbone;
use super::backbone_cache::backbone_key;
use super::digest::{archive_bundle, parts_bundle};
use super::file_cache::{BACKBONE_CACHE, BUNDLE_CACHE, FileCache, call, hash_key};
use crate::bundle::{Bundle, BundleError, MANIFEST_FILE, Manifest, WeightsDtype};

/// Reports `{status, file, loaded, total}` progress events to an optional callback.
pub(crate) struct Progress(pub Option<Function>);

impl Progress {
    pub(crate) fn emit(&self, status: &str, file: Option<&str>, loaded: f64, total: f64) {
        let Some(f) = &self.0 else { return };
        let event = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&event, &k.into(), &v);
        };
        set("status", status.into());
        if let Some(file) = file {
            set("file", file.into());
        }
        set("loaded", loaded.into());
        set("total", total.into());
        // A throwing callback must not break loading.
        let _ = f.call1(&JsValue::NULL, &event);
    }
}

/// How a bundle is fetched (`Session.load`'s options).
pub(crate) struct FetchOptions {
    /// The element type of the backbone file to use.
    pub dtype: WeightsDtype,
    /// Whether to read files from the Cache API and keep them there.
    pub cache: bool,
    /// Extra request headers (`options.headers`), e.g. `Authorization`; `undefined` for none.
    pub headers: JsValue,
    /// Where progress events go.
    pub progress: Progress,
}

impl FetchOptions {
    /// The cache `name`, when caching is on and the Cache API is there.
    pub(crate) async fn open_cache(&self, name: &str) -> Option<FileCache> {
        if self.cache {
            FileCache::open(name).await
        } else {
            None
        }
    }

    /// The copy of `key` in `cache` that `verify` accepts, reported as `cached` under
    /// `shown_as`. A copy that fails as a stale one (`stale_copy`) is deleted and `None` says:
    /// download it; any other failure is the bundle's own.
    pub(crate) async fn cached_copy<T>(
        &self,
        cache: Option<&FileCache>,
        key: &str,
        shown_as: &str,
        verify: impl AsyncFnOnce(Vec<u8>) -> Result<T, BundleError>,
    ) -> Result<Option<T>, KindlingError> {
        let Some(cache) = cache else { return Ok(None) };
        let Some(bytes) = cache.get(key).await else {
            return Ok(None);
        };
        let n = bytes.len() as f64;
        match verify(bytes).await {
            Ok(value) => {
                self.progress.emit("cached", Some(shown_as), n, n);
                Ok(Some(value))
            }
            Err(e) if stale_copy(&e) => {
                cache.delete(key).await;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A verified file to keep once the whole bundle has loaded.
pub(crate) struct ToCache {
    cache: &'static str,
    key: String,
    bytes: Vec<u8>,
}

impl ToCache {
    fn bundle_file(key: String, bytes: Vec<u8>) -> ToCache {
        ToCache {
            cache: BUNDLE_CACHE,
            key,
            bytes,
        }
    }
}

/// Keeps the files of a bundle that loaded (best effort: a full disk costs a re-download).
pub(crate) async fn keep(files: Vec<ToCache>) {
    for f in files {
        if let Some(cache) = FileCache::open(f.cache).await {
            cache.put(&f.key, &f.bytes).await;
        }
    }
}

/// The response's `Content-Length`, when it counts the bytes the body stream yields (not a
/// compressed transfer).
fn identity_length(response: &web_sys::Response) -> Option<f64> {
    let headers = response.headers();
    if headers
        .get("content-encoding")
        .ok()
        .flatten()
        .is_some_and(|e| e != "identity")
    {
        return None;
    }
    headers.get("content-length").ok().flatten()?.parse().ok()
}

/// Fetches `url` as bytes (`expected`: its size when the manifest says), emitting `initiate`,
/// `progress` as chunks arrive (`loaded` never goes backwards, `total` is the expected size or
/// `Content-Length`, 0 when unknown) and `done` with `loaded == total`.
pub(crate) async fn fetch_bytes(
    url: &str,
    options: &FetchOptions,
    expected: Option<u64>,
) -> Result<Vec<u8>, KindlingError> {
    let failed = |why: String| {
        KindlingError::new("FETCH_FAILED", format!("could not download {url}: {why}"))
    };
    let progress = &options.progress;
    let mut total = expected.map_or(0.0, |n| n as f64);
    progress.emit("initiate", Some(url), 0.0, total);
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| failed("this environment has no fetch()".into()))?;
    let init = js_sys::Object::new();
    if !options.headers.is_undefined() && !options.headers.is_null() {
        Reflect::set(&init, &"headers".into(), &options.headers)
            .map_err(|e| failed(format!("bad headers: {e:?}")))?;
    }
    let promise = fetch
        .call2(&JsValue::NULL, &url.into(), &init)
        .map_err(|e| failed(format!("{e:?}")))?;
    let response: web_sys::Response = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| failed(format!("network error {e:?}")))?
        .dyn_into()
        .map_err(|_| failed("fetch() did not return a Response".into()))?;
    if !response.ok() {
        let hint = if matches!(response.status(), 401 | 403) {
            " (pass the credentials it needs in `options.headers`)"
        } else {
            ""
        };
        return Err(failed(format!(
            "HTTP {} {}{hint}",
            response.status(),
            response.status_text()
        )));
    }
    if total == 0.0 {
        total = identity_length(&response).unwrap_or(0.0);
    }
    let body = Reflect::get(&response, &"body".into()).unwrap_or(JsValue::NULL);
    let bytes = if body.is_null() || body.is_undefined() {
        let buffer = call(&response, "arrayBuffer", &[])
            .await
            .map_err(|e| failed(format!("reading the body failed: {e:?}")))?;
        Uint8Array::new(&buffer).to_vec()
    } else {
        let reader: JsValue = Reflect::get(&body, &"getReader".into())
            .and_then(|f| f.dyn_into::<Function>())
            .and_then(|f| f.call0(&body))
            .map_err(|e| failed(format!("reading the body failed: {e:?}")))?;
        let mut bytes = Vec::with_capacity(total as usize);
        loop {
            let chunk = call(&reader, "read", &[])
                .await
                .map_err(|e| failed(format!("the download broke off: {e:?}")))?;
            if Reflect::get(&chunk, &"done".into()).is_ok_and(|d| d.is_truthy()) {
                break;
            }
            let value: Uint8Array = Reflect::get(&chunk, &"value".into())
                .and_then(|v| v.dyn_into())
                .map_err(|_| failed("the body stream gave a non-byte chunk".into()))?;
            let at = bytes.len();
            bytes.resize(at + value.length() as usize, 0);
            value.copy_to(&mut bytes[at..]);
            let loaded = bytes.len() as f64;
            progress.emit("progress", Some(url), loaded, total.max(loaded));
        }
        bytes
    };
    let n = bytes.len() as f64;
    progress.emit("done", Some(url), n, n);
    Ok(bytes)
}

/// Whether a cached copy failed verification (evict it and download again) rather than the
/// bundle being wrong.
fn stale_copy(e: &BundleError) -> bool {
    matches!(
        e,
        BundleError::HashMismatch { .. }
            | BundleError::BackboneHashMismatch { .. }
            | BundleError::Truncated { .. }
            | BundleError::SizeMismatch { .. }
            | BundleError::CorruptWeights { .. }
            | BundleError::NotAnArchive
            | BundleError::InvalidManifest(_)
    )
}

/// Loads a bundle from a URL: a single archive (`*.kbundle`) or a directory holding
/// `manifest.json` (the URL may name the directory or the manifest itself). A bundle with a
/// backbone gets it from the archive, else from the Cache API or the bundle's directory. Also
/// returns the files to cache once the bundle has loaded (`keep`).
pub(crate) async fn fetch_bundle(
    url: &str,
    options: &FetchOptions,
) -> Result<(Bundle, Vec<ToCache>), KindlingError> {
    let base = if url.ends_with(".kbundle") {
        url.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
    } else {
        directory(url).to_string()
    };
    let (mut bundle, to_cache) = fetch_head(url, options).await?;
    complete_backbone(&mut bundle, Some(&base), options).await?;
    Ok((bundle, to_cache))
}

/// The directory of a bundle URL that names the directory or its manifest.
fn directory(url: &str) -> &str {
    url.strip_suffix(MANIFEST_FILE)
        .unwrap_or(url)
        .trim_end_matches('/')
}

/// Fetches a bundle's manifest and head weights, from the cache when there (the caller holds
/// or completes the backbone); a `.kbundle` URL is fetched whole (serve head-only archives for
/// `replaceHead`). Returns the files to cache once the bundle has loaded.
pub(crate) async fn fetch_head(
    url: &str,
    options: &FetchOptions,
) -> Result<(Bundle, Vec<ToCache>), KindlingError> {
    let cache = options.open_cache(BUNDLE_CACHE).await;
    if url.ends_with(".kbundle") {
        return fetch_archive(url, options, cache.as_ref()).await;
    }
    let base = directory(url);
    let mut to_cache = Vec::new();
    let (manifest_json, manifest, fetched) = manifest_of(base, options, cache.as_ref()).await?;
    if fetched {
        let manifest_url = format!("{base}/{MANIFEST_FILE}");
        to_cache.push(ToCache::bundle_file(manifest_url, manifest_json.clone()));
    }
    let weights_url = format!("{base}/{}", manifest.weights.path);
    let key = hash_key("weights", &manifest.weights.sha256);
    let verify = async |bytes: Vec<u8>| parts_bundle(&manifest_json, bytes).await;
    if let Some(bundle) = options
        .cached_copy(cache.as_ref(), &key, &weights_url, verify)
        .await?
    {
        return Ok((bundle, to_cache));
    }
    let weights = fetch_bytes(&weights_url, options, Some(manifest.weights.size)).await?;
    let bundle = parts_bundle(&manifest_json, weights).await?;
    to_cache.push(ToCache::bundle_file(key, bundle.weights().to_vec()));
    Ok((bundle, to_cache))
}

/// The manifest of the bundle directory `base`, from the cache or downloaded (then `true`).
async fn manifest_of(
    base: &str,
    options: &FetchOptions,
    cache: Option<&FileCache>,
) -> Result<(Vec<u8>, Manifest, bool), KindlingError> {
    let manifest_url = format!("{base}/{MANIFEST_FILE}");
    // Any manifest that no longer reads is a stale copy: the download says what is wrong.
    let verify = async |bytes: Vec<u8>| match Manifest::from_json(&bytes) {
        Ok(m) => Ok((bytes, m)),
        Err(e) => Err(BundleError::InvalidManifest(e.to_string())),
    };
    if let Some((bytes, m)) = options
        .cached_copy(cache, &manifest_url, &manifest_url, verify)
        .await?
    {
        return Ok((bytes, m, false));
    }
    let bytes = fetch_bytes(&manifest_url, options, None).await?;
    let m = Manifest::from_json(&bytes)?;
    Ok((bytes, m, true))
}

/// The manifest a bundle URL names (a directory or its `manifest.json`; for a `.kbundle`, the
/// archive is read), through the same cache as loading: lets a page choose a module or device
/// before loading. Nothing is cached here (only a bundle that loaded is).
pub(crate) async fn fetch_manifest(
    url: &str,
    options: &FetchOptions,
) -> Result<Manifest, KindlingError> {
    let cache = options.open_cache(BUNDLE_CACHE).await;
    if url.ends_with(".kbundle") {
        let (bundle, _) = fetch_archive(url, options, cache.as_ref()).await?;
        return Ok(bundle.manifest().clone());
    }
    Ok(manifest_of(directory(url), options, cache.as_ref())
        .await?
        .1)
}

/// A `.kbundle` archive, from the cache (under its URL) or downloaded. A backbone inside is
/// cached by `attach_backbone` under its hash, so the URL keeps only the head archive.
async fn fetch_archive(
    url: &str,
    options: &FetchOptions,
    cache: Option<&FileCache>,
) -> Result<(Bundle, Vec<ToCache>), KindlingError> {
    let verify = async |bytes: Vec<u8>| archive_bundle(&bytes).await;
    if let Some(bundle) = options.cached_copy(cache, url, url, verify).await? {
        return Ok((bundle, Vec::new()));
    }
    let bytes = fetch_bytes(url, options, None).await?;
    let bundle = archive_bundle(&bytes).await?;
    let Some(backbone) = bundle.backbone() else {
        return Ok((bundle, vec![ToCache::bundle_file(url.to_string(), bytes)]));
    };
    // The backbone goes where every bundle that uses it looks; the URL keeps the head.
    let to_cache = vec![
        ToCache {
            cache: BACKBONE_CACHE,
            key: backbone_key(&backbone.file.sha256),
            bytes: backbone.bytes.clone(),
        },
        ToCache::bundle_file(url.to_string(), bundle.to_head_archive()),
    ];
    Ok((bundle, to_cache))
}

/// Attaches the backbone to a bundle that has one but arrived without it (a directory, or a
/// head-only archive), from the cache or from `base`. Bytes given with the bundle are kept.
pub(crate) async fn complete_backbone(
    bundle: &mut Bundle,
    base: Option<&str>,
    options: &FetchOptions,
) -> Result<(), KindlingError> {
    if bundle.manifest().backbone.is_none() || bundle.backbone().is_some() {
        return Ok(());
    }
    attach_backbone(bundle, base, options).await
}
