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
// EfficientNet-Lite0 (ImageNet weights, f32 backbone + 1000-class head) and five real photos,
// written by `kindling fixture --photos` from the scikit-image sample photos.
const IMAGENET_BUNDLE: &[u8] = include_bytes!("fixtures/generated/imagenet/bundle.kbundle");
const IMAGENET_INPUTS: &[u8] = include_bytes!("fixtures/generated/imagenet/inputs.f32");
const IMAGENET_EXPECTED: &[u8] = include_bytes!("fixtures/generated/imagenet/expected.f32");
const IMAGENET_META: &str = include_str!("fixtures/generated/imagenet/meta.json");

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

fn options_with(device: &str, extra: &[(&str, JsValue)]) -> Option<Object> {
    let o = options(device).unwrap();
    for (k, v) in extra {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    Some(o)
}

/// The photos through the backbone and the ImageNet head on `device`: probabilities within
/// 1e-4 of native, the same top-1 class names, and embeddings the head alone maps to the same
/// probabilities.
async fn assert_imagenet(device: &str, expected_backend: &str) {
    let session = Session::load(Uint8Array::from(IMAGENET_BUNDLE).into(), options(device))
        .await
        .expect("the EfficientNet bundle loads");
    assert_eq!(session.device(), expected_backend);
    assert_eq!(session.embedding_size().unwrap(), Some(1280));
    let meta: serde_json::Value = serde_json::from_str(IMAGENET_META).unwrap();
    let count = meta["count"].as_u64().unwrap() as usize;
    let inputs = f32s(IMAGENET_INPUTS);
    let expected = f32s(IMAGENET_EXPECTED);
    let out = JsFuture::from(session.predict(Float32Array::from(&inputs[..]), count, None))
        .await
        .expect("predict resolves");
    let probs = Reflect::get(&out, &"probs".into())
        .unwrap()
        .unchecked_into::<Float32Array>()
        .to_vec();
    let max_diff = probs
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    web_sys::console::log_1(
        &format!("imagenet {device}: {count} photos, max |p_wasm - p_native| = {max_diff:e}")
            .into(),
    );
    assert!(max_diff <= TOLERANCE, "{device}: max abs diff {max_diff}");
    let items = Reflect::get(&out, &"items".into()).unwrap();
    for i in 0..count {
        let item = Reflect::get_u32(&items, i as u32).unwrap();
        let top = Reflect::get_u32(&Reflect::get(&item, &"topK".into()).unwrap(), 0).unwrap();
        let label = Reflect::get(&top, &"label".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert_eq!(
            label,
            meta["top1"][i].as_str().unwrap(),
            "{device}: photo {i}"
        );
    }
    let embeddings = JsFuture::from(session.embed(Float32Array::from(&inputs[..]), count))
        .await
        .expect("embed resolves")
        .unchecked_into::<Float32Array>();
    assert_eq!(embeddings.length() as usize, count * 1280);
    let via_head = JsFuture::from(session.predict_embeddings(embeddings, count, None))
        .await
        .expect("predictEmbeddings resolves");
    let via_head = Reflect::get(&via_head, &"probs".into())
        .unwrap()
        .unchecked_into::<Float32Array>()
        .to_vec();
    let head_diff = via_head
        .iter()
        .zip(&probs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        head_diff <= 1e-5,
        "{device}: embeddings → head differs by {head_diff}"
    );
    session.dispose();
}

/// The local head learns labels given in the browser from the photos' embeddings: after
/// fitting, each photo's suggestion is the class it was labeled with (classes picked so that
/// they differ from ImageNet's answer), and forgetting it brings the published head back.
#[wasm_bindgen_test]
async fn a_local_head_learns_labels_given_in_the_browser() {
    let session = Session::load(Uint8Array::from(IMAGENET_BUNDLE).into(), options("cpu"))
        .await
        .unwrap();
    let meta: serde_json::Value = serde_json::from_str(IMAGENET_META).unwrap();
    let count = meta["count"].as_u64().unwrap() as usize;
    let inputs = f32s(IMAGENET_INPUTS);
    let embeddings = JsFuture::from(session.embed(Float32Array::from(&inputs[..]), count))
        .await
        .unwrap()
        .unchecked_into::<Float32Array>();
    let promise = session.predict_local(embeddings.clone(), count, None);
    assert_eq!(
        code(&JsFuture::from(promise).await.err().unwrap()),
        "NO_LOCAL_HEAD"
    );
    // Labels 0 ("tench") and 1 ("goldfish") in turn: nothing ImageNet would say of these photos.
    let labels: Vec<u32> = (0..count as u32).map(|i| i % 2).collect();
    let fitted = JsFuture::from(session.train_local_head(
        embeddings.clone(),
        js_sys::Uint32Array::from(&labels[..]),
        None,
    ))
    .await
    .expect("the local head trains");
    assert_eq!(
        Reflect::get(&fitted, &"trainedOn".into()).unwrap().as_f64(),
        Some(count as f64)
    );
    assert_eq!(session.local_head_trained_on(), count);
    let out = JsFuture::from(session.predict_local(embeddings.clone(), count, None))
        .await
        .unwrap();
    let probs = Reflect::get(&out, &"probs".into())
        .unwrap()
        .unchecked_into::<Float32Array>()
        .to_vec();
    for (i, row) in probs.chunks(1000).enumerate() {
        assert_eq!(argmax(row), labels[i] as usize, "photo {i}");
    }
    session.clear_local_head();
    assert_eq!(session.local_head_trained_on(), 0);
}

#[wasm_bindgen_test]
async fn imagenet_photos_on_cpu_simd_match_native() {
    assert_imagenet("cpu", "cpu-simd").await;
}

#[wasm_bindgen_test]
async fn imagenet_photos_on_webgpu_match_native() {
    assert_imagenet("webgpu", "webgpu").await;
}

/// A head-only archive loads only with its backbone; a flipped byte in the backbone or in the
/// head is refused with its own code; a new head replaces the old one on a loaded backbone.
#[wasm_bindgen_test]
async fn backbone_bundles_refuse_missing_or_tampered_parts() {
    let whole = kindling::Bundle::from_archive(IMAGENET_BUNDLE).unwrap();
    let head_only = whole.to_head_archive();
    let no_cache = [("cache", JsValue::FALSE)];
    let err = Session::load(
        Uint8Array::from(&head_only[..]).into(),
        options_with("cpu", &no_cache),
    )
    .await
    .err()
    .expect("a head without its backbone is refused");
    assert_eq!(code(&err), "BACKBONE_MISSING");

    let mut tampered = IMAGENET_BUNDLE.to_vec();
    let last = tampered.len() - 10;
    tampered[last] ^= 0x01; // inside the backbone file, the archive's last part
    let err = load(&tampered, "cpu").await.err().unwrap();
    assert_eq!(code(&err), "BACKBONE_HASH_MISMATCH");
    let mut tampered = IMAGENET_BUNDLE.to_vec();
    tampered[head_only.len() - 10] ^= 0x01; // inside the head's weights
    let err = load(&tampered, "cpu").await.err().unwrap();
    assert_eq!(code(&err), "BUNDLE_HASH_MISMATCH");

    let session = load(IMAGENET_BUNDLE, "cpu").await.unwrap();
    session
        .replace_head(Uint8Array::from(&head_only[..]).into(), None)
        .await
        .expect("a head of the same backbone replaces the old one");
    let err = session
        .replace_head(Uint8Array::from(BUNDLE).into(), None)
        .await
        .expect_err("a head of no backbone is refused");
    assert_eq!(code(&err), "BUNDLE_INCONSISTENT");
    let err = Session::load(
        Uint8Array::from(IMAGENET_BUNDLE).into(),
        options_with("cpu", &[("dtype", "f64".into())]),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(code(&err), "INVALID_ARGUMENT");
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

fn js(v: serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn from_js(v: &JsValue) -> serde_json::Value {
    serde_json::from_str(&String::from(js_sys::JSON::stringify(v).unwrap())).unwrap()
}

fn seqs(ops: &serde_json::Value) -> Vec<u64> {
    ops.as_array()
        .unwrap()
        .iter()
        .map(|o| o["seq"].as_u64().unwrap())
        .collect()
}

/// The protocol client the app runs (`SyncClient`) reports exactly what to store, and a client
/// restored from those pieces carries on where the old one stopped.
#[wasm_bindgen_test]
fn sync_client_reports_what_to_store_and_restores() {
    use kindling::wasm::SyncClient;
    use serde_json::json;
    let mut c = SyncClient::new("c1".into(), "ann".into());
    let e = from_js(&c.label("a", js(json!({"class": "cat"})), 100.0).unwrap());
    assert_eq!(seqs(&e["outbox_put"]), vec![1]);
    assert_eq!(e["header"]["last_seq"], 1);
    c.label(
        "b",
        js(json!({"class": "dog", "suggestion": "cat", "model_version": "v1", "accepted": false})),
        101.0,
    )
    .unwrap();
    let req = c.push_request(10).unwrap();
    let sent = from_js(&req);
    assert_eq!(seqs(&sent["ops"]), vec![1, 2]);
    // The server has recorded only the first op so far.
    let resp = json!({"acked_seq": 1, "epoch": "e1", "results": [
        {"seq": 1, "op_id": sent["ops"][0]["op_id"], "outcome": "applied", "version": 7}]});
    let e = from_js(&c.on_push_response(req, js(resp), 102.0).unwrap());
    assert_eq!(e["outbox_delete"], json!([sent["ops"][0]["op_id"]]));
    assert_eq!(e["outbox_put"], json!([]));
    assert_eq!(e["server_put"][0]["version"], 7);
    assert_eq!(e["server_cleared"], false);
    assert_eq!(c.pending(), 1);

    let mut r = SyncClient::restore(
        c.header().unwrap(),
        js(json!([sent["ops"][1]])),
        js(e["server_put"].clone()),
    )
    .unwrap();
    assert_eq!(r.pending(), 1);
    assert_eq!(
        from_js(&r.visible_all().unwrap()),
        json!({"a": {"class": "cat"}, "b": {"class": "dog", "suggestion": "cat", "model_version": "v1", "accepted": false}})
    );
    let e = from_js(&r.label("c", js(json!({"class": "bird"})), 103.0).unwrap());
    assert_eq!(seqs(&e["outbox_put"]), vec![3]);
    // A gap renumbers what waits: both ops are stored again under their new seqs.
    let e = from_js(
        &r.on_push_failure(js(
            json!({"kind": "gap", "expected_seq": 10, "epoch": "e1"}),
        ))
        .unwrap(),
    );
    assert_eq!(seqs(&e["outbox_put"]), vec![10, 11]);
    // A new server epoch voids the stored copies and queues this client's own label again.
    let e = from_js(
        &r.on_pull(
            js(json!({"changes": [], "next_cursor": 0, "has_more": false, "epoch": "e2"})),
            104.0,
        )
        .unwrap(),
    );
    assert_eq!(e["server_cleared"], true);
    let items: Vec<&str> = e["outbox_put"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["item_id"].as_str().unwrap())
        .collect();
    assert!(items.contains(&"a"), "{items:?}");
    assert_eq!(r.pending(), 3);
    // Malformed input is an Error with a code, and changes nothing.
    let err = r.label("x", js(json!({"nope": 1})), 105.0).unwrap_err();
    assert_eq!(code(&err), "SYNC_INVALID_ARGUMENT");
    assert_eq!(r.pending(), 3);
}

/// Calls `target[method](...args)` from JavaScript.
fn js_call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = Reflect::get(target, &method.into())?.dyn_into()?;
    f.apply(target, &args.iter().collect::<js_sys::Array>())
}

#[wasm_bindgen_test]
async fn a_text_ngram_trains_in_the_browser_and_hostile_strings_encode_without_panics() {
    let texts: Vec<String> = [
        "free money click now win a prize",
        "cheap pills limited offer click",
        "meeting agenda for monday attached",
        "minutes of the project meeting",
    ]
    .map(String::from)
    .to_vec();
    let classes = vec!["spam".to_string(), "ham".to_string()];
    let one_class = Session::train_text_ngram(
        texts[..2].to_vec(),
        js_sys::Uint32Array::from(&[0u32, 0][..]),
        classes.clone(),
        None,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(code(&one_class), "LOCAL_HEAD_TOO_FEW");
    let session = Session::train_text_ngram(
        texts,
        js_sys::Uint32Array::from(&[0u32, 0, 1, 1][..]),
        classes,
        None,
    )
    .await
    .unwrap();
    assert_eq!(session.device(), "cpu-simd");
    let js = JsValue::from(session);
    // From JavaScript: a lone surrogate (wasm-bindgen hands Rust U+FFFD), RTL and zero-width
    // characters, markup, 1 MB of text, an empty string.
    let lone = js_sys::JsString::from_char_code1(0xD800).concat(&"free prize".into());
    let huge = "offer ".repeat(180_000);
    let hostile = js_sys::Array::of5(
        &lone,
        &"\u{202e}gnp.exe\u{202c} \u{200b}\u{200d} <script>alert(1)</script>".into(),
        &huge.into(),
        &"".into(),
        &"agenda for the meeting".into(),
    );
    let ids: Float32Array = js_call(&js, "encodeTexts", &[hostile.into()])
        .unwrap()
        .dyn_into()
        .unwrap();
    let per_item = ids.length() as usize / 5;
    let values = ids.to_vec();
    assert!(
        values[2 * per_item..3 * per_item].iter().all(|v| *v > 0.0),
        "1 MB fills every id"
    );
    assert!(
        values[3 * per_item..4 * per_item].iter().all(|v| *v == 0.0),
        "empty text: no ids"
    );
    let promise: js_sys::Promise = js_call(&js, "predict", &[ids.into(), 5.into()])
        .unwrap()
        .dyn_into()
        .unwrap();
    let out = JsFuture::from(promise).await.unwrap();
    let probs: Float32Array = Reflect::get(&out, &"probs".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let probs = probs.to_vec();
    assert!(probs.iter().all(|p| p.is_finite()));
    assert!(
        probs[0] > 0.5,
        "the lone-surrogate text about a free prize reads as spam: {probs:?}"
    );
    assert!(probs[9] > 0.5, "the agenda reads as ham: {probs:?}");
}
