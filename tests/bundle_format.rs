//! Bundle write/read round trips and every rejection, on real (corrupted) bytes.

mod common;

use burn::tensor::{Bytes, DType, Shape, TensorData};
use kindling::bundle::{BundleError, sha256_hex};
use kindling::{Bundle, DeviceChoice, Session};
use serde_json::Value;

fn predict(bundle: &Bundle, input: &[f32], batch: usize) -> Vec<f32> {
    let session = pollster::block_on(Session::load(bundle, DeviceChoice::Cpu)).unwrap();
    pollster::block_on(session.probabilities(input, batch)).unwrap()
}

fn manifest_json(bundle: &Bundle) -> Value {
    serde_json::from_str(&bundle.manifest().to_json()).unwrap()
}

fn code_of(result: Result<Bundle, BundleError>) -> &'static str {
    result.expect_err("the bundle must be rejected").code()
}

#[test]
fn archive_round_trip_predicts_identically() {
    for arch in [common::mlp_config(8), common::cnn_config()] {
        let bundle = common::bundle(arch.clone(), 7);
        let input = common::inputs(2 * arch.input_len(), 3);
        let back = Bundle::from_archive(&bundle.to_archive()).unwrap();
        assert_eq!(back.manifest(), bundle.manifest());
        assert_eq!(predict(&back, &input, 2), predict(&bundle, &input, 2));
    }
}

#[test]
fn directory_round_trip_and_missing_files() {
    let bundle = common::bundle(common::cnn_config(), 1);
    let dir = std::env::temp_dir().join(format!("kindling-bundle-{}", std::process::id()));
    bundle.write_dir(&dir).unwrap();
    let back = Bundle::read_dir(&dir).unwrap();
    assert_eq!(back.weights(), bundle.weights());
    std::fs::remove_file(dir.join("weights.bpk")).unwrap();
    assert_eq!(code_of(Bundle::read_dir(&dir)), "BUNDLE_MISSING_FILE");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn probabilities_are_distributions() {
    let bundle = common::bundle(common::cnn_config(), 2);
    let probs = predict(&bundle, &common::inputs(3 * 64, 9), 3);
    for row in probs.chunks(5) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "{row:?}");
    }
}

#[test]
fn unknown_format_version() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let mut m = manifest_json(&bundle);
    m["format_version"] = 99.into();
    let err = Bundle::from_parts(m.to_string().as_bytes(), bundle.weights().to_vec()).unwrap_err();
    assert_eq!(err.code(), "BUNDLE_UNSUPPORTED_VERSION");
    assert!(err.to_string().contains("99"));
}

#[test]
fn unknown_architecture() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let mut m = manifest_json(&bundle);
    m["architecture"]["arch"] = "transformer".into();
    let err = Bundle::from_parts(m.to_string().as_bytes(), bundle.weights().to_vec()).unwrap_err();
    assert_eq!(err.code(), "BUNDLE_UNKNOWN_ARCHITECTURE");
    assert!(err.to_string().contains("mlp, cnn"));
}

#[test]
fn hash_mismatch_on_one_flipped_bit() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let mut weights = bundle.weights().to_vec();
    let mid = weights.len() / 2;
    weights[mid] ^= 1;
    let json = bundle.manifest().to_json();
    assert_eq!(
        code_of(Bundle::from_parts(json.as_bytes(), weights)),
        "BUNDLE_HASH_MISMATCH"
    );
}

/// The browser hashes with `crypto.subtle` and passes the digest in: the digest of the bytes
/// loads, any other is refused like a flipped bit (uppercase hex is the same digest).
#[test]
fn a_digest_computed_by_the_caller_is_checked_against_the_manifest() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let json = bundle.manifest().to_json();
    let weights = bundle.weights().to_vec();
    let digest = kindling::bundle::sha256_hex(&weights);
    Bundle::from_parts_hashed(
        json.as_bytes(),
        weights.clone(),
        Some(&digest.to_uppercase()),
    )
    .expect("the bytes' own digest");
    let mut flipped = weights.clone();
    flipped[0] ^= 1;
    let wrong = kindling::bundle::sha256_hex(&flipped);
    assert_eq!(
        code_of(Bundle::from_parts_hashed(
            json.as_bytes(),
            weights,
            Some(&wrong)
        )),
        "BUNDLE_HASH_MISMATCH"
    );
}

#[test]
fn size_mismatch_and_truncation() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let json = bundle.manifest().to_json();
    let mut longer = bundle.weights().to_vec();
    longer.push(0);
    assert_eq!(
        code_of(Bundle::from_parts(json.as_bytes(), longer)),
        "BUNDLE_SIZE_MISMATCH"
    );
    let shorter = bundle.weights()[..bundle.weights().len() - 10].to_vec();
    assert_eq!(
        code_of(Bundle::from_parts(json.as_bytes(), shorter)),
        "BUNDLE_TRUNCATED"
    );
    let archive = bundle.to_archive();
    for cut in [4, 10, 100, archive.len() - 1] {
        assert_eq!(
            code_of(Bundle::from_archive(&archive[..cut])),
            match cut {
                4 => "BUNDLE_NOT_AN_ARCHIVE",
                _ => "BUNDLE_TRUNCATED",
            },
            "cut at {cut}"
        );
    }
    assert_eq!(
        code_of(Bundle::from_archive(b"PK\x03\x04 a zip file")),
        "BUNDLE_NOT_AN_ARCHIVE"
    );
}

#[test]
fn truncated_weights_with_a_matching_manifest_are_corrupt() {
    // The manifest was rewritten to match cut-short weights: size and hash pass, parsing fails.
    let bundle = common::bundle(common::cnn_config(), 1);
    let cut = bundle.weights()[..bundle.weights().len() / 2].to_vec();
    let mut m = manifest_json(&bundle);
    m["weights"]["size"] = cut.len().into();
    m["weights"]["sha256"] = sha256_hex(&cut).into();
    let verified = Bundle::from_parts(m.to_string().as_bytes(), cut).unwrap();
    let err = verified.load_model(&common::device()).unwrap_err();
    assert_eq!(err.code(), "BUNDLE_CORRUPT_WEIGHTS", "{err}");
}

/// `weights` with each tensor `(index, name, dtype, shape, bytes)` replaced by what `edit`
/// makes of it (burnpack in, burnpack out).
fn rewrite_tensors(
    weights: &[u8],
    edit: impl Fn(usize, String, DType, Shape, Bytes) -> burn_pack::Tensor,
) -> Vec<u8> {
    let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(weights.to_vec())).unwrap();
    let tensors = reader
        .into_tensors()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let (name, dtype, shape, _id, bytes) = t.into_parts().unwrap();
            edit(i, name, dtype, shape, bytes)
        })
        .collect();
    burn_pack::Writer::new(tensors)
        .into_bytes()
        .unwrap()
        .to_vec()
}

/// `weights` with every f32 tensor rewritten as f16.
fn as_f16(weights: &[u8]) -> Vec<u8> {
    rewrite_tensors(weights, |_, name, dtype, shape, bytes| {
        assert_eq!(dtype, DType::F32);
        let half = TensorData::from_bytes(bytes, shape.clone(), DType::F32)
            .convert_dtype(DType::F16)
            .into_bytes();
        burn_pack::Tensor::new(name, DType::F16, shape, None, half)
    })
}

/// `weights` with its first tensor's dtype rewritten as `I32` (same bytes: 4 bytes per value),
/// as a buggy exporter or a patched header would leave it.
fn first_tensor_as_i32(weights: &[u8]) -> Vec<u8> {
    rewrite_tensors(weights, |i, name, dtype, shape, bytes| {
        let dtype = if i == 0 { DType::I32 } else { dtype };
        burn_pack::Tensor::new(name, dtype, shape, None, bytes)
    })
}

#[test]
fn an_integer_tensor_in_the_weights_is_corrupt_not_a_panic() {
    // Found by the `bundle_weights` fuzz target: burn panics ("Expected float dtype, got I32")
    // when it loads an integer tensor into a float parameter. Checked before anything loads,
    // whichever dtype the manifest declares.
    let bundle = common::bundle(common::mlp_config(8), 1);
    let patched = first_tensor_as_i32(bundle.weights());
    for declared in ["f32", "f16"] {
        let mut m = manifest_json(&bundle);
        m["weights"]["size"] = patched.len().into();
        m["weights"]["sha256"] = sha256_hex(&patched).into();
        m["weights"]["dtype"] = declared.into();
        let verified = Bundle::from_parts(m.to_string().as_bytes(), patched.clone()).unwrap();
        let err = verified.load_model(&common::device()).unwrap_err();
        assert_eq!(err.code(), "BUNDLE_CORRUPT_WEIGHTS", "{declared}: {err}");
        assert!(err.to_string().contains("I32"), "{declared}: {err}");
    }
}

#[test]
fn f16_weights_under_a_manifest_that_says_f32_are_corrupt() {
    // f32 files load as recorded (no cast), so the dtype the manifest promises is checked.
    let bundle = common::bundle(common::mlp_config(8), 1);
    let half = as_f16(bundle.weights());
    let mut m = manifest_json(&bundle);
    m["weights"]["size"] = half.len().into();
    m["weights"]["sha256"] = sha256_hex(&half).into();
    let verified = Bundle::from_parts(m.to_string().as_bytes(), half.clone()).unwrap();
    let err = verified.load_model(&common::device()).unwrap_err();
    assert_eq!(err.code(), "BUNDLE_CORRUPT_WEIGHTS", "{err}");
    assert!(err.to_string().contains("F16"), "{err}");
    // Declared as f16, the same bytes load (widened to f32) and predict like the f32 model.
    m["weights"]["dtype"] = "f16".into();
    let declared = Bundle::from_parts(m.to_string().as_bytes(), half).unwrap();
    let input = common::inputs(2 * common::mlp_config(8).input_len(), 3);
    let (wide, exact) = (predict(&declared, &input, 2), predict(&bundle, &input, 2));
    let worst = wide
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-2, "f16 weights moved a probability by {worst}");
}

#[test]
fn weights_that_do_not_fit_the_config() {
    // Weights of a 4-16-3 MLP under a manifest that says 4-8-3.
    let small = common::bundle(common::mlp_config(8), 1);
    let big = common::bundle(common::mlp_config(16), 1);
    let mut m = manifest_json(&small);
    m["weights"]["size"] = big.weights().len().into();
    m["weights"]["sha256"] = sha256_hex(big.weights()).into();
    let verified = Bundle::from_parts(m.to_string().as_bytes(), big.weights().to_vec()).unwrap();
    let err = verified.load_model(&common::device()).unwrap_err();
    assert_eq!(err.code(), "BUNDLE_WEIGHTS_MISMATCH", "{err}");
    // And a CNN's weights under an MLP manifest.
    let cnn = common::bundle(common::cnn_config(), 1);
    m["weights"]["size"] = cnn.weights().len().into();
    m["weights"]["sha256"] = sha256_hex(cnn.weights()).into();
    let verified = Bundle::from_parts(m.to_string().as_bytes(), cnn.weights().to_vec()).unwrap();
    assert_eq!(
        verified.load_model(&common::device()).unwrap_err().code(),
        "BUNDLE_WEIGHTS_MISMATCH"
    );
}

#[test]
fn inconsistent_and_invalid_manifests() {
    let bundle = common::bundle(common::mlp_config(4), 1);
    let weights = bundle.weights().to_vec();
    let mut m = manifest_json(&bundle);
    m["labels"] = serde_json::json!(["only", "two"]);
    assert_eq!(
        code_of(Bundle::from_parts(
            m.to_string().as_bytes(),
            weights.clone()
        )),
        "BUNDLE_INCONSISTENT"
    );
    let mut m = manifest_json(&bundle);
    m["architecture"]["classes"] = 0.into();
    assert_eq!(
        code_of(Bundle::from_parts(
            m.to_string().as_bytes(),
            weights.clone()
        )),
        "BUNDLE_INVALID_CONFIG"
    );
    let mut m = manifest_json(&bundle);
    m["weights"]["format"] = "onnx".into();
    assert_eq!(
        code_of(Bundle::from_parts(
            m.to_string().as_bytes(),
            weights.clone()
        )),
        "BUNDLE_UNSUPPORTED_WEIGHTS_FORMAT"
    );
    assert_eq!(
        code_of(Bundle::from_parts(b"{not json", weights)),
        "BUNDLE_INVALID_MANIFEST"
    );
}

#[test]
fn session_reports_input_errors_with_expected_and_got() {
    let bundle = common::bundle(common::cnn_config(), 1);
    let session = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap();
    let err = pollster::block_on(session.predict(&[0.0; 63], 1, 3)).unwrap_err();
    assert_eq!(err.code(), "INPUT_SHAPE");
    let msg = err.to_string();
    assert!(
        msg.contains("63") && msg.contains("64") && msg.contains("1x8x8"),
        "{msg}"
    );
    assert_eq!(
        pollster::block_on(session.predict(&[], 0, 3))
            .unwrap_err()
            .code(),
        "INPUT_EMPTY_BATCH"
    );
    let mut bad = vec![0.0; 64];
    bad[5] = f32::NAN;
    assert_eq!(
        pollster::block_on(session.predict(&bad, 1, 3))
            .unwrap_err()
            .code(),
        "INPUT_NOT_FINITE"
    );
}

#[test]
fn predict_gives_top_k_and_uncertainty_consistent_with_probs() {
    let bundle = common::bundle(common::cnn_config(), 4);
    let session = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap();
    let out = pollster::block_on(session.predict(&common::inputs(2 * 64, 5), 2, 3)).unwrap();
    assert_eq!(out.items.len(), 2);
    for (item, row) in out.items.iter().zip(out.probs.chunks(5)) {
        assert_eq!(item.top_k.len(), 3);
        let max = row.iter().cloned().fold(f32::MIN, f32::max);
        assert_eq!(item.top_k[0].probability, max);
        assert_eq!(
            item.top_k[0].label,
            format!("class {}", item.top_k[0].index)
        );
        assert!(
            item.top_k
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability)
        );
        assert!((item.uncertainty.least_confidence - (1.0 - max)).abs() < 1e-6);
    }
}
