//! sha256 through the browser's native `crypto.subtle.digest`: in a cold page this crate's
//! portable sha256, still running as V8's baseline code, took ~80 ms of a ~310 ms start for
//! the 1.7 MB MNIST weights (`scripts/profile-browser.mjs --cold`); the native digest takes a
//! few. Where `crypto.subtle` is missing (a page that is not a secure context, e.g. plain HTTP
//! on a LAN address) the caller hashes in Rust instead.

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::bundle::{Bundle, BundleError, WeightsDtype};

/// Lowercase hex sha256 of `bytes` from `crypto.subtle`, or `None` where it is unavailable or
/// fails (then hash with [`crate::bundle::sha256_hex`]).
pub(crate) async fn native_sha256(bytes: &[u8]) -> Option<String> {
    let subtle = Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|crypto| Reflect::get(&crypto, &"subtle".into()))
        .ok()
        .filter(|s| s.is_object())?;
    let digest: Function = Reflect::get(&subtle, &"digest".into())
        .ok()?
        .dyn_into()
        .ok()?;
    // A copy in JS memory, so nothing depends on when the digest reads its input.
    let data = Uint8Array::from(bytes);
    let promise = digest
        .call2(&subtle, &JsValue::from_str("SHA-256"), &data)
        .ok()?;
    let buffer = JsFuture::from(js_sys::Promise::from(promise)).await.ok()?;
    Some(hex::encode(Uint8Array::new(&buffer).to_vec()))
}

/// [`Bundle::from_archive`] with the archive's files hashed by `crypto.subtle` where it exists.
pub(crate) async fn archive_bundle(bytes: &[u8]) -> Result<Bundle, BundleError> {
    let parts = Bundle::archive_parts(bytes)?;
    let head = native_sha256(parts.head).await;
    let backbone = match parts.backbone {
        Some((_, file)) => native_sha256(file).await,
        None => None,
    };
    Bundle::from_archive_parts(parts, head.as_deref(), backbone.as_deref())
}

/// [`Bundle::from_parts`] with the weights hashed by `crypto.subtle` where it exists.
pub(crate) async fn parts_bundle(
    manifest_json: &[u8],
    weights: Vec<u8>,
) -> Result<Bundle, BundleError> {
    let sha256 = native_sha256(&weights).await;
    Bundle::from_parts_hashed(manifest_json, weights, sha256.as_deref())
}

/// [`Bundle::attach_backbone`] with the file hashed by `crypto.subtle` where it exists.
pub(crate) async fn attach_backbone(
    bundle: &mut Bundle,
    dtype: WeightsDtype,
    bytes: Vec<u8>,
) -> Result<(), BundleError> {
    let sha256 = native_sha256(&bytes).await;
    bundle.attach_backbone_hashed(dtype, bytes, sha256.as_deref())
}
