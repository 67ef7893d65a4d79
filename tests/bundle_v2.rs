//! Bundle format 2 (a shared backbone + a head) next to format 1: both load; the backbone file
//! travels in an archive or beside a directory, or not at all (head only); every missing or
//! altered part is refused with its own code. A small, randomly initialized EfficientNet-Lite0
//! (32×32 input) stands in for the pretrained one, which `server/tests/backbone_golden.rs` checks.

mod common;

use kindling::bundle::{BundleInfo, ResizeMode, WeightsDtype, model_to_burnpack};
use kindling::model::{ArchConfig, EfficientNetLiteConfig, MlpConfig};
use kindling::{Bundle, DeviceChoice, Session};
use serde_json::Value;

const SIZE: usize = 32;

fn backbone_arch() -> ArchConfig {
    ArchConfig::EfficientNetLite0(EfficientNetLiteConfig { image_size: SIZE })
}

fn head_arch(input: usize) -> ArchConfig {
    ArchConfig::Mlp(MlpConfig {
        input_size: input,
        hidden_sizes: vec![16],
        classes: 3,
        dropout: 0.0,
        lexical: None,
    })
}

/// A v2 bundle: backbone (f32 attached) + head; also returns the backbone bytes.
fn v2_bundle() -> (Bundle, Vec<u8>) {
    let device = burn::tensor::Device::flex();
    device.seed(3);
    let backbone = backbone_arch().init(&device).unwrap();
    let bytes = model_to_burnpack(backbone).unwrap();
    let head = head_arch(1280).init(&device).unwrap();
    let mut info: BundleInfo = common::info_for(&backbone_arch());
    info.labels = vec!["a".into(), "b".into(), "c".into()];
    if let kindling::bundle::InputSpec::Image(i) = &mut info.input {
        i.resize = ResizeMode::CenterCrop;
    }
    let bundle = Bundle::with_backbone(
        info,
        head_arch(1280),
        head,
        "tiny".into(),
        backbone_arch(),
        vec![(WeightsDtype::F32, bytes.clone())],
    )
    .unwrap();
    (bundle, bytes)
}

fn probs(bundle: &Bundle, input: &[f32]) -> Vec<f32> {
    let session = pollster::block_on(Session::load(bundle, DeviceChoice::Cpu)).unwrap();
    pollster::block_on(session.probabilities(input, input.len() / (3 * SIZE * SIZE))).unwrap()
}

fn reparse(bundle: &Bundle, edit: impl FnOnce(&mut Value)) -> Result<Bundle, &'static str> {
    let mut m: Value = serde_json::from_str(&bundle.manifest().to_json()).unwrap();
    edit(&mut m);
    Bundle::from_parts(m.to_string().as_bytes(), bundle.weights().to_vec()).map_err(|e| e.code())
}

#[test]
fn format_one_bundles_still_load() {
    let bundle = common::bundle(common::mlp_config(4), 5);
    let v1 = reparse(&bundle, |m| m["format_version"] = 1.into()).unwrap();
    assert_eq!(v1.manifest().format_version, 1);
    let input = common::inputs(2 * 4, 1);
    let session = pollster::block_on(Session::load(&v1, DeviceChoice::Cpu)).unwrap();
    let session2 = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap();
    assert_eq!(
        pollster::block_on(session.probabilities(&input, 2)).unwrap(),
        pollster::block_on(session2.probabilities(&input, 2)).unwrap()
    );
}

#[test]
fn backbone_bundles_round_trip_as_archive_directory_and_head_only() {
    let (bundle, backbone) = v2_bundle();
    let input = common::inputs(2 * 3 * SIZE * SIZE, 4);
    let expected = probs(&bundle, &input);

    let whole = Bundle::from_archive(&bundle.to_archive()).unwrap();
    assert_eq!(probs(&whole, &input), expected);

    let dir = std::env::temp_dir().join(format!("kindling-v2-{}", std::process::id()));
    bundle.write_dir(&dir).unwrap();
    assert_eq!(probs(&Bundle::read_dir(&dir).unwrap(), &input), expected);
    let file = &bundle.manifest().backbone.as_ref().unwrap().files[0].path;
    assert!(
        file.starts_with("backbone-") && file.contains(&kindling::bundle::sha256_hex(&backbone))
    );
    std::fs::remove_file(dir.join(file)).unwrap();
    assert_eq!(
        Bundle::read_dir(&dir).unwrap_err().code(),
        "BACKBONE_MISSING"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let mut head = Bundle::from_archive(&bundle.to_head_archive()).unwrap();
    assert!(head.backbone().is_none());
    let err = pollster::block_on(Session::load(&head, DeviceChoice::Cpu)).unwrap_err();
    assert_eq!(err.code(), "BACKBONE_MISSING");
    assert_eq!(
        head.attach_backbone(WeightsDtype::F16, backbone.clone())
            .unwrap_err()
            .code(),
        "BACKBONE_DTYPE_UNAVAILABLE"
    );
    head.attach_backbone(WeightsDtype::F32, backbone).unwrap();
    assert_eq!(probs(&head, &input), expected);
}

#[test]
fn altered_backbones_and_heads_are_refused_with_their_own_codes() {
    let (bundle, backbone) = v2_bundle();
    let mut flipped = backbone.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    let mut head = Bundle::from_archive(&bundle.to_head_archive()).unwrap();
    assert_eq!(
        head.attach_backbone(WeightsDtype::F32, flipped)
            .unwrap_err()
            .code(),
        "BACKBONE_HASH_MISMATCH"
    );
    assert_eq!(
        head.attach_backbone(WeightsDtype::F32, backbone[..100].to_vec())
            .unwrap_err()
            .code(),
        "BUNDLE_TRUNCATED"
    );
    let mut archive = bundle.to_archive();
    let head_end = bundle.to_head_archive().len();
    archive[head_end - 5] ^= 1;
    assert_eq!(
        Bundle::from_archive(&archive).unwrap_err().code(),
        "BUNDLE_HASH_MISMATCH"
    );
}

/// An archive split into its files (for the browser to hash them natively) holds exactly the
/// head and backbone bytes; their own digests load, a wrong backbone digest is refused.
#[test]
fn archive_parts_are_verified_with_the_callers_digests() {
    let (bundle, backbone) = v2_bundle();
    let archive = bundle.to_archive();
    let parts = Bundle::archive_parts(&archive).unwrap();
    assert_eq!(parts.head, bundle.weights());
    assert_eq!(parts.backbone, Some((WeightsDtype::F32, &backbone[..])));
    let head = kindling::bundle::sha256_hex(parts.head);
    let whole = Bundle::from_archive_parts(
        parts,
        Some(&head),
        Some(&kindling::bundle::sha256_hex(&backbone)),
    )
    .unwrap();
    assert_eq!(whole.backbone().unwrap().bytes, backbone);
    let err = Bundle::from_archive_parts(parts, Some(&head), Some(&head)).unwrap_err();
    assert_eq!(err.code(), "BACKBONE_HASH_MISMATCH");
    let head_only = bundle.to_head_archive();
    assert!(
        Bundle::archive_parts(&head_only)
            .unwrap()
            .backbone
            .is_none()
    );
}

/// A change made to a manifest's JSON.
type ManifestEdit = Box<dyn FnOnce(&mut Value)>;

#[test]
fn inconsistent_backbone_manifests_are_refused() {
    let (bundle, _) = v2_bundle();
    let cases: [(&str, ManifestEdit, &str); 5] = [
        (
            "a backbone in a format-1 manifest",
            Box::new(|m| m["format_version"] = 1.into()),
            "BUNDLE_INCONSISTENT",
        ),
        (
            "a head that does not take the embedding",
            Box::new(|m| m["architecture"]["input_size"] = 100.into()),
            "BUNDLE_INCONSISTENT",
        ),
        (
            "a classifier as the backbone",
            Box::new(|m| {
                m["backbone"]["architecture"] =
                    serde_json::json!({"arch": "mlp", "input_size": 3072, "classes": 1280})
            }),
            "BUNDLE_INCONSISTENT",
        ),
        (
            "an unknown backbone",
            Box::new(|m| m["backbone"]["architecture"]["arch"] = "vit_h14".into()),
            "BUNDLE_UNKNOWN_ARCHITECTURE",
        ),
        (
            "a backbone as the classifier",
            Box::new(|m| {
                m["architecture"] = m["backbone"]["architecture"].clone();
            }),
            "BUNDLE_INCONSISTENT",
        ),
    ];
    for (what, edit, code) in cases {
        assert_eq!(reparse(&bundle, edit).err(), Some(code), "{what}");
    }
}
