//! Fetching bundles over HTTP in a page or a worker, with progress events.

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::KindlingError;
use super::backbone_cache::attach_backbone;
use crate::bundle::{Bundle, MANIFEST_FILE, Manifest, WeightsDtype};

/// How a bundle's backbone is fetched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackboneOptions {
    /// The element type of the backbone file to use.
    pub dtype: WeightsDtype,
    /// Whether to keep the backbone in (and read it from) the Cache API.
    pub cache: bool,
}

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

/// Fetches `url` as bytes, emitting `initiate` and `done` for it.
pub(crate) async fn fetch_bytes(url: &str, progress: &Progress) -> Result<Vec<u8>, KindlingError> {
    let failed = |why: String| {
        KindlingError::new("FETCH_FAILED", format!("could not download {url}: {why}"))
    };
    progress.emit("initiate", Some(url), 0.0, 0.0);
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| failed("this environment has no fetch()".into()))?;
    let promise = fetch
        .call1(&JsValue::NULL, &url.into())
        .map_err(|e| failed(format!("{e:?}")))?;
    let response: web_sys::Response = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| failed(format!("network error {e:?}")))?
        .dyn_into()
        .map_err(|_| failed("fetch() did not return a Response".into()))?;
    if !response.ok() {
        return Err(failed(format!(
            "HTTP {} {}",
            response.status(),
            response.status_text()
        )));
    }
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| failed(format!("{e:?}")))?,
    )
    .await
    .map_err(|e| failed(format!("reading the body failed: {e:?}")))?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    let n = bytes.len() as f64;
    progress.emit("done", Some(url), n, n);
    Ok(bytes)
}

/// Loads a bundle from a URL: a single archive (`*.kbundle`) or a directory holding
/// `manifest.json` (the URL may name the directory or the manifest itself). A bundle with a
/// backbone gets it from the archive, else from the Cache API or the bundle's directory.
pub(crate) async fn fetch_bundle(
    url: &str,
    progress: &Progress,
    backbone: BackboneOptions,
) -> Result<Bundle, KindlingError> {
    let (mut bundle, base) = if url.ends_with(".kbundle") {
        let bytes = fetch_bytes(url, progress).await?;
        let base = url.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
        (Bundle::from_archive(&bytes)?, base)
    } else {
        let base = url
            .strip_suffix(MANIFEST_FILE)
            .unwrap_or(url)
            .trim_end_matches('/')
            .to_string();
        (fetch_head(url, progress).await?, base)
    };
    complete_backbone(&mut bundle, Some(&base), backbone, progress).await?;
    Ok(bundle)
}

/// Fetches a bundle's manifest and head weights only (the caller already holds the backbone):
/// a `.kbundle` URL is fetched whole (serve head-only archives for this).
pub(crate) async fn fetch_head(url: &str, progress: &Progress) -> Result<Bundle, KindlingError> {
    if url.ends_with(".kbundle") {
        return Ok(Bundle::from_archive(&fetch_bytes(url, progress).await?)?);
    }
    let base = url
        .strip_suffix(MANIFEST_FILE)
        .unwrap_or(url)
        .trim_end_matches('/');
    let manifest_json = fetch_bytes(&format!("{base}/{MANIFEST_FILE}"), progress).await?;
    let manifest = Manifest::from_json(&manifest_json)?;
    let weights = fetch_bytes(&format!("{base}/{}", manifest.weights.path), progress).await?;
    Ok(Bundle::from_parts(&manifest_json, weights)?)
}

/// Attaches the backbone to a bundle that has one but arrived without it (a directory, or a
/// head-only archive), from the cache or from `base`. Bytes given with the bundle are kept.
pub(crate) async fn complete_backbone(
    bundle: &mut Bundle,
    base: Option<&str>,
    options: BackboneOptions,
    progress: &Progress,
) -> Result<(), KindlingError> {
    if bundle.manifest().backbone.is_none() || bundle.backbone().is_some() {
        return Ok(());
    }
    attach_backbone(bundle, base, options.dtype, options.cache, progress).await
}
