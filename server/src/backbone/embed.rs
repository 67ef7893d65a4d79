//! Embeddings as data: a folder of photos (one subfolder per class) through a backbone, in
//! batches, streaming (only the embeddings are kept). A photo that cannot be decoded is
//! reported with its reason and left out; the rest go on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use kindling::Session;
use kindling::bundle::{InputSpec, TabularInput};
use kindling::preprocess::image_from_rgba;

use crate::data::image_folder::sorted_entries;
use crate::data::photo::decode_photo;
use crate::data::{DataError, Dataset};

/// Photo file extensions read from a folder.
pub const PHOTO_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp"];

/// Photo files with their class index.
pub type LabeledPhotos = Vec<(PathBuf, u32)>;

/// A photo left out, and why.
#[derive(Debug, Clone)]
pub struct PhotoFailure {
    /// The file.
    pub path: PathBuf,
    /// The error code (`PHOTO_CORRUPT`, ...).
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

/// The embeddings of a folder of photos.
#[derive(Debug, Clone)]
pub struct EmbeddedFolder {
    /// One embedding per readable photo, labeled by its subfolder.
    pub data: Dataset,
    /// The photo files, in the order of `data`.
    pub files: Vec<PathBuf>,
    /// Photos left out.
    pub failures: Vec<PhotoFailure>,
    /// Seconds spent decoding, preprocessing and embedding.
    pub seconds: f64,
}

impl EmbeddedFolder {
    /// Prints each photo left out, with its reason, to stderr.
    pub fn report_failures(&self) {
        for f in &self.failures {
            eprintln!("skipped {}: {} ({})", f.path.display(), f.reason, f.code);
        }
    }
}

/// The input spec of an embedding dataset: `size` raw features (no normalization).
pub fn embedding_spec(size: usize) -> InputSpec {
    InputSpec::Tabular(TabularInput {
        features: (0..size).map(|i| format!("e{i}")).collect(),
        mean: vec![0.0],
        std: vec![1.0],
    })
}

/// The photos under `root/<class>/` as `(path, class index)`, with the class names; classes
/// in name order. With `classes` given, those names (and their order) are used and other
/// subfolders are an error.
pub fn list_photo_folder(
    root: &Path,
    classes: Option<&[String]>,
) -> Result<(LabeledPhotos, Vec<String>), DataError> {
    let dirs: Vec<PathBuf> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| {
            d.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let classes: Vec<String> = classes.map_or_else(|| names.clone(), <[String]>::to_vec);
    if classes.len() < 2 {
        return Err(DataError::Empty(format!(
            "{}: a photo folder needs at least two class subfolders, found {}",
            root.display(),
            classes.len()
        )));
    }
    let mut photos = Vec::new();
    for (dir, name) in dirs.iter().zip(&names) {
        let Some(label) = classes.iter().position(|c| c == name) else {
            return Err(DataError::Empty(format!(
                "{}: class folder `{name}` is not one of {classes:?}",
                root.display()
            )));
        };
        for file in sorted_entries(dir)? {
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if ext.is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.as_str())) {
                photos.push((file, label as u32));
            }
        }
    }
    Ok((photos, classes))
}

/// Embeds `photos` with `session`'s backbone, `batch` photos at a time (each mirrored
/// left-right first when `mirror`: test-time and training augmentation).
pub fn embed_photos(
    session: &Session,
    photos: &[(PathBuf, u32)],
    classes: Vec<String>,
    batch: usize,
    quiet: bool,
    mirror: bool,
) -> anyhow::Result<EmbeddedFolder> {
    let size = session
        .embedding_size()
        .ok_or_else(|| anyhow::anyhow!("the bundle has no backbone to embed with"))?;
    let spec = session
        .manifest()
        .input
        .image()
        .ok_or_else(|| anyhow::anyhow!("the backbone does not take images"))?
        .clone();
    let started = Instant::now();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(photos.len() as u64).with_style(
            ProgressStyle::with_template(
                "embedding [{bar:30}] {pos}/{len} photos, {per_sec}, eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        )
    };
    let mut out = EmbeddedFolder {
        data: Dataset {
            items: Vec::with_capacity(photos.len() * size),
            labels: Vec::with_capacity(photos.len()),
            item_len: size,
            classes,
            input: embedding_spec(size),
        },
        files: Vec::with_capacity(photos.len()),
        failures: Vec::new(),
        seconds: 0.0,
    };
    for chunk in photos.chunks(batch.max(1)) {
        let mut inputs = Vec::with_capacity(chunk.len() * spec.width * spec.height * 3);
        let mut kept = Vec::with_capacity(chunk.len());
        for (path, label) in chunk {
            let decoded = std::fs::read(path)
                .map_err(|e| ("PHOTO_UNREADABLE", e.to_string()))
                .and_then(|bytes| decode_photo(&bytes).map_err(|e| (e.code(), e.to_string())))
                .map(|mut rgba| {
                    if mirror {
                        image::imageops::flip_horizontal_in_place(&mut rgba);
                    }
                    rgba
                })
                .and_then(|rgba| {
                    let (w, h) = rgba.dimensions();
                    image_from_rgba(&spec, rgba.as_raw(), w as usize, h as usize)
                        .map_err(|e| (e.code(), e.to_string()))
                });
            match decoded {
                Ok(values) => {
                    inputs.extend(values);
                    kept.push((path.clone(), *label));
                }
                Err((code, reason)) => out.failures.push(PhotoFailure {
                    path: path.clone(),
                    code,
                    reason,
                }),
            }
        }
        if !kept.is_empty() {
            let embeddings = pollster::block_on(session.embed(&inputs, kept.len()))?;
            out.data.items.extend(embeddings);
            for (path, label) in kept {
                out.data.labels.push(label);
                out.files.push(path);
            }
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}

/// The embeddings of an image dataset whose items are already preprocessed for `session`'s
/// backbone (as the training jobs load them), in batches of 16.
pub fn embed_dataset(session: &Session, data: &Dataset) -> anyhow::Result<Dataset> {
    let size = session
        .embedding_size()
        .ok_or_else(|| anyhow::anyhow!("the model has no backbone to embed with"))?;
    let mut items = Vec::with_capacity(data.len() * size);
    for chunk in data.items.chunks(16 * data.item_len.max(1)) {
        let n = chunk.len() / data.item_len.max(1);
        items.extend(pollster::block_on(session.embed(chunk, n))?);
    }
    Ok(Dataset {
        items,
        labels: data.labels.clone(),
        item_len: size,
        classes: data.classes.clone(),
        input: embedding_spec(size),
    })
}

/// Texts with their class index.
pub type LabeledTexts = Vec<(String, u32)>;

/// Labeled texts from a JSON-lines file (`{"text": …, "label": …}` per line) or a CSV file
/// (with a header row), reading the fields/columns `text_field` and `label_field`, with the
/// class names: sorted label names, or `classes` when given (another label is then an error).
pub fn read_labeled_texts(
    path: &Path,
    text_field: &str,
    label_field: &str,
    classes: Option<&[String]>,
) -> anyhow::Result<(LabeledTexts, Vec<String>)> {
    use crate::data::text_rows::{TextFormat, read_rows, required};
    use anyhow::Context;
    let format = if path.extension().is_some_and(|e| e == "csv") {
        TextFormat::Csv
    } else {
        TextFormat::JsonLines
    };
    let rows: Vec<(String, String)> =
        read_rows(path, format, &[required(text_field), required(label_field)])?
            .into_iter()
            .map(|row| {
                let [text, label] = <[Option<String>; 2]>::try_from(row).expect("two fields");
                (text.unwrap_or_default(), label.unwrap_or_default())
            })
            .collect();
    let classes: Vec<String> = match classes {
        Some(c) => c.to_vec(),
        None => rows
            .iter()
            .map(|(_, l)| l.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let labeled = rows
        .into_iter()
        .map(|(t, l)| {
            let class = classes.iter().position(|c| *c == l).with_context(|| {
                format!("{}: label `{l}` is not one of {classes:?}", path.display())
            })?;
            Ok((t, class as u32))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((labeled, classes))
}

/// The embeddings of labeled texts through a text backbone, in batches of 16.
pub fn embed_texts(
    session: &Session,
    rows: &[(String, u32)],
    classes: &[String],
) -> anyhow::Result<Dataset> {
    let size = session
        .embedding_size()
        .ok_or_else(|| anyhow::anyhow!("the model has no backbone to embed with"))?;
    let progress = ProgressBar::new(rows.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("embedding {pos}/{len} texts {bar:30} {eta}")
            .expect("a valid template"),
    );
    let mut items = Vec::with_capacity(rows.len() * size);
    for chunk in rows.chunks(16) {
        let texts: Vec<&str> = chunk.iter().map(|(t, _)| t.as_str()).collect();
        let ids = session.encode_texts(&texts)?;
        items.extend(pollster::block_on(session.embed(&ids, texts.len()))?);
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(Dataset {
        items,
        labels: rows.iter().map(|(_, l)| *l).collect(),
        item_len: size,
        classes: classes.to_vec(),
        input: embedding_spec(size),
    })
}
