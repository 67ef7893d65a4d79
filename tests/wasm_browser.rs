//! Browser tests (wasm-bindgen-test in headless Chromium): the JS API on the CPU-SIMD and
//! WebGPU (SwiftShader) paths must give the native build's probabilities for the same bundle
//! and inputs, and bad bundles must reject with their error code.
//!
//! The fixture under `tests/fixtures/generated/parity/` is written by `kindling fixture`
//! (scripts/test.sh does it before this test is built).

#![cfg(target_arch = "wasm32")]

use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use kindling::wasm::Session;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BUNDLE: &[u8] = include_bytes!("fixtures/generated/parity/bundle.kbundle");
const INPUTS: &[u8] = include_bytes!("fixtures/generated/parity/inputs.f32");
const EXPECTED: &[u8] = include_bytes!("fixtures/generated/parity/expected.f32");
const TOLERANCE: f32 = 1e-4;

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn options(device: &str) -> Option<Object> {
    let o = Object::new();
    Reflect::set(&o, &"device".into(), &device.into()).unwrap();
    Some(o)
}

async fn load(bytes: &[u8], device: &str) -> Result<Session, JsValue> {
    Session::load(Uint8Array::from(bytes).into(), options(device)).await
}

fn code(err: &JsValue) -> String {
    Reflect::get(err, &"code".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn message(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .unwrap()
}

/// Predicts the fixture's inputs on `device` and compares with the native probabilities.
async fn assert_parity(device: &str, expected_backend: &str, batch: usize) {
    let session = load(BUNDLE, device).await.expect("bundle loads");
    assert_eq!(session.device(), expected_backend);
    let inputs = f32s(INPUTS);
    let expected = f32s(EXPECTED);
    let per_item = session.input_length().unwrap();
    let count = inputs.len() / per_item;
    let classes = expected.len() / count;
    let mut got = Vec::with_capacity(expected.len());
    for chunk in inputs.chunks(batch * per_item) {
        let n = chunk.len() / per_item;
        let promise = session.predict(Float32Array::from(chunk), n, None);
        let out = JsFuture::from(promise).await.expect("predict resolves");
        let probs = Reflect::get(&out, &"probs".into()).unwrap();
        got.extend(probs.unchecked_into::<Float32Array>().to_vec());
    }
    assert_eq!(got.len(), expected.len());
    let max_diff = got
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    web_sys::console::log_1(
        &format!("{device}: {count} items, max |p_wasm - p_native| = {max_diff:e}").into(),
    );
    assert!(
        max_diff <= TOLERANCE,
        "{device}: max abs diff {max_diff} > {TOLERANCE}"
    );
    for (i, (g, e)) in got
        .chunks(classes)
        .zip(expected.chunks(classes))
        .enumerate()
    {
        assert_eq!(
            argmax(g),
            argmax(e),
            "{device}: item {i} has another top class"
        );
    }
    session.dispose();
}

#[wasm_bindgen_test]
async fn cpu_simd_matches_native() {
    assert_parity("cpu", "cpu-simd", 25).await;
}

#[wasm_bindgen_test]
async fn webgpu_on_swiftshader_matches_native() {
    assert_parity("webgpu", "webgpu", 50).await;
}

#[wasm_bindgen_test]
async fn auto_reports_what_runs() {
    let session = load(BUNDLE, "auto").await.unwrap();
    // Chromium here has a WebGPU adapter (SwiftShader), so auto must pick it.
    assert_eq!(session.device(), "webgpu");
    assert!(session.fallback_reason().is_none());
}

#[wasm_bindgen_test]
async fn bad_bundles_reject_with_codes() {
    let mut flipped = BUNDLE.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let err = load(&flipped, "cpu").await.err().expect("rejected");
    assert_eq!(code(&err), "BUNDLE_HASH_MISMATCH");
    assert!(message(&err).contains("integrity"), "{}", message(&err));
    let err = load(&BUNDLE[..BUNDLE.len() - 100], "cpu")
        .await
        .err()
        .unwrap();
    assert_eq!(code(&err), "BUNDLE_TRUNCATED");
    let err = load(b"not a bundle at all", "cpu").await.err().unwrap();
    assert_eq!(code(&err), "BUNDLE_NOT_AN_ARCHIVE");
    let err = load(BUNDLE, "tpu").await.err().unwrap();
    assert_eq!(code(&err), "DEVICE_UNKNOWN");
    assert!(message(&err).contains("'auto', 'webgpu', 'cpu'"));
}

#[wasm_bindgen_test]
async fn wrong_input_length_says_expected_and_got() {
    let session = load(BUNDLE, "cpu").await.unwrap();
    let per_item = session.input_length().unwrap();
    let promise = session.predict(Float32Array::new_with_length(10), 2, None);
    let err = JsFuture::from(promise).await.err().unwrap();
    assert_eq!(code(&err), "INPUT_SHAPE");
    let msg = message(&err);
    assert!(
        msg.contains(&format!("{}", 2 * per_item)) && msg.contains("10"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
async fn disposed_sessions_reject() {
    let session = load(BUNDLE, "cpu").await.unwrap();
    session.dispose();
    let promise = session.predict(Float32Array::new_with_length(1), 1, None);
    let err = JsFuture::from(promise).await.err().unwrap();
    assert_eq!(code(&err), "SESSION_DISPOSED");
}
