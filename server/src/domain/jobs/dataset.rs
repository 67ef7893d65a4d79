//! A project's labels as training data: one class per item (the majority of its annotators'
//! labels, ties to the latest), split into the training pool and the held-out evaluation set.

use kindling::bundle::{ImageInput, InputSpec, TextInput};
use kindling::preprocess::image_from_rgba;
use kindling::session::TextEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::data::{Dataset, LoadedData};
use crate::store::{self, Db};

/// Share of items (≈10%) that form the evaluation set, by a hash of the item id.
const EVAL_BUCKETS: u8 = 26;

/// Whether `item` belongs to `project`'s evaluation set: a fixed function of the ids, so an
/// item never moves between sets, and labels made on it are never trained on.
pub fn is_eval(project: &str, item: &str) -> bool {
    let digest = Sha256::new()
        .chain_update(project.as_bytes())
        .chain_update([0])
        .chain_update(item.as_bytes())
        .finalize();
    digest[0] < EVAL_BUCKETS
}

/// What a version was trained and evaluated on (stored with the version).
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Labeled items trained on (training + validation split).
    pub label_count: usize,
    /// sha256 of the sorted `item\tclass` lines of those labels.
    pub label_hash: String,
    /// Labeled items of the evaluation set.
    pub eval_count: usize,
    /// The ids trained on.
    pub train_items: Vec<String>,
    /// The ids evaluated on.
    pub eval_items: Vec<String>,
    /// Labeled items left out because their content is not a usable image, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedItem>,
}

/// A labeled item a job could not use.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SkippedItem {
    /// The item.
    pub item_id: String,
    /// Why (`PHOTO_CORRUPT: …`, `not an image item`, …).
    pub reason: String,
}

/// How a labeled item's stored content becomes model input.
pub enum ItemEncoder {
    /// Image items, decoded (size and EXIF limits) and fitted to the spec, values in [0, 1].
    Image(ImageInput),
    /// Text items (UTF-8), tokenized into ids.
    Text {
        /// The text input spec of the model.
        spec: TextInput,
        /// The tokenizer (WordPiece with the backbone's vocabulary, or hashed n-grams).
        tokenizer: TextEncoder,
    },
}

impl ItemEncoder {
    /// The item kind this encoder reads (`image` or `text`).
    pub fn kind(&self) -> &'static str {
        match self {
            ItemEncoder::Image(_) => "image",
            ItemEncoder::Text { .. } => "text",
        }
    }

    /// Values per encoded item.
    fn item_len(&self) -> usize {
        match self {
            ItemEncoder::Image(spec) => spec.channels * spec.width * spec.height,
            ItemEncoder::Text { spec, .. } => spec.row_len(),
        }
    }

    /// The input spec of the datasets made (images: not normalized; training fits its own).
    fn input(&self) -> InputSpec {
        match self {
            ItemEncoder::Image(spec) => InputSpec::Image(ImageInput {
                mean: vec![0.0; spec.channels],
                std: vec![1.0; spec.channels],
                ..spec.clone()
            }),
            ItemEncoder::Text { spec, .. } => InputSpec::Text(spec.clone()),
        }
    }

    /// One item's values, or why the content is unusable.
    fn encode(&self, content: &[u8]) -> Result<Vec<f32>, String> {
        match self {
            ItemEncoder::Image(spec) => crate::data::photo::decode_photo(content)
                .map_err(|e| format!("{}: {e}", e.code()))
                .and_then(|image| {
                    image_from_rgba(
                        spec,
                        image.as_raw(),
                        image.width() as usize,
                        image.height() as usize,
                    )
                    .map_err(|e| format!("{}: {e}", e.code()))
                }),
            ItemEncoder::Text { spec, tokenizer } => {
                let mut values = vec![0.0f32; spec.row_len()];
                tokenizer
                    .encode_row(spec, &String::from_utf8_lossy(content), &mut values)
                    .map_err(|e| format!("{}: {e}", e.code()))?;
                Ok(values)
            }
        }
    }
}

/// Training data of a project, and what it was made of.
pub struct ProjectData {
    /// Training pool (`train`) and evaluation set (`test`).
    pub data: LoadedData,
    /// Ids and hash.
    pub snapshot: Snapshot,
    /// sha256 of each item's content, in the order of `data.train` and of `data.test`: what
    /// stored embeddings are keyed by.
    pub content_keys: (Vec<String>, Vec<String>),
}

/// Reads the project's current labels and item contents into datasets made by `encoder`
/// (images: values in [0, 1], not normalized: training fits its own normalization; texts: ids).
pub async fn load(
    db: &Db,
    project: &str,
    classes: &[String],
    encoder: &ItemEncoder,
) -> anyhow::Result<ProjectData> {
    let rows = store::labels::for_training(db, project).await?;
    let mut skipped_kinds: std::collections::BTreeMap<String, String> = Default::default();
    let mut flagged: std::collections::BTreeSet<String> = Default::default();
    let mut items: std::collections::BTreeMap<String, (Votes, Vec<u8>)> = Default::default();
    for r in rows {
        let Some(value) = r.value else { continue };
        if value.is_flagged() {
            flagged.insert(r.item_id);
            continue;
        }
        let Some(class) = classes.iter().position(|c| *c == value.class) else {
            continue;
        };
        let (id, kind) = (r.item_id, r.kind);
        if kind != encoder.kind() {
            skipped_kinds.insert(id, kind);
            continue;
        }
        let entry = items.entry(id).or_insert_with(|| {
            let gold = r
                .gold
                .as_ref()
                .and_then(|g| classes.iter().position(|c| c == g));
            (Votes::new(classes.len(), gold), Vec::new())
        });
        // Rows come in version order: each one is the latest so far.
        entry.0.add(class, value.review.is_some());
        if entry.1.is_empty() {
            entry.1 = r.content;
        }
    }
    let mut train = empty(classes, encoder);
    let mut eval = empty(classes, encoder);
    let (mut train_items, mut eval_items, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    let (mut train_keys, mut eval_keys) = (Vec::new(), Vec::new());
    let mut skipped: Vec<SkippedItem> = skipped_kinds
        .into_iter()
        .map(|(item_id, kind)| SkippedItem {
            item_id,
            reason: format!("a {kind} item, not {}", encoder.kind()),
        })
        .collect();
    // An item whose every label a reviewer flagged is left out, and says so.
    skipped.extend(
        flagged
            .into_iter()
            .filter(|id| !items.contains_key(id))
            .map(|item_id| SkippedItem {
                item_id,
                reason: "flagged by a reviewer".into(),
            }),
    );
    for (id, (votes, content)) in items {
        let class = votes.class();
        // One unreadable item must not stop training on the others.
        let values = match encoder.encode(&content) {
            Ok(values) => values,
            Err(reason) => {
                skipped.push(SkippedItem {
                    item_id: id,
                    reason,
                });
                continue;
            }
        };
        let key = hex::encode(Sha256::digest(&content));
        let target = if is_eval(project, &id) {
            eval_items.push(id);
            eval_keys.push(key);
            &mut eval
        } else {
            lines.push(format!("{id}\t{}", classes[class]));
            train_items.push(id);
            train_keys.push(key);
            &mut train
        };
        target.items.extend_from_slice(&values);
        target.labels.push(class as u32);
    }
    lines.sort();
    let label_hash = hex::encode(Sha256::digest(lines.join("\n").as_bytes()));
    Ok(ProjectData {
        content_keys: (train_keys, eval_keys),
        snapshot: Snapshot {
            label_count: train_items.len(),
            label_hash,
            eval_count: eval_items.len(),
            train_items,
            eval_items,
            skipped,
        },
        data: LoadedData {
            train,
            test: Some(eval),
            description: format!("project {project}"),
        },
    })
}

/// The labels of one item, folded into the class training uses.
#[derive(Debug, Clone)]
struct Votes {
    /// Labels per class.
    counts: Vec<u32>,
    /// The latest label's class.
    latest: usize,
    /// The latest reviewed label's class: a reviewer's word settles the item.
    reviewed: Option<usize>,
    /// The item's gold answer: an owner's known class settles it above all.
    gold: Option<usize>,
}

impl Votes {
    /// No labels yet, of `classes` classes; `gold`: the item's known class, if any.
    fn new(classes: usize, gold: Option<usize>) -> Self {
        Self {
            counts: vec![0; classes],
            latest: 0,
            reviewed: None,
            gold,
        }
    }

    /// Adds the next label in version order.
    fn add(&mut self, class: usize, reviewed: bool) {
        self.counts[class] += 1;
        self.latest = class;
        if reviewed {
            self.reviewed = Some(class);
        }
    }

    /// The gold class where there is one, else the reviewed class, else the majority (ties:
    /// the latest label's, else the first class among the tied).
    fn class(&self) -> usize {
        if let Some(class) = self.gold.or(self.reviewed) {
            return class;
        }
        let best = *self.counts.iter().max().unwrap_or(&0);
        if self.counts[self.latest] == best {
            self.latest
        } else {
            self.counts
                .iter()
                .position(|&v| v == best)
                .unwrap_or(self.latest)
        }
    }
}

fn empty(classes: &[String], encoder: &ItemEncoder) -> Dataset {
    Dataset {
        items: Vec::new(),
        labels: Vec::new(),
        item_len: encoder.item_len(),
        classes: classes.to_vec(),
        input: encoder.input(),
    }
}

#[cfg(test)]
mod tests {
    use super::Votes;

    #[test]
    fn the_majority_wins_and_a_tie_goes_to_the_latest_label() {
        let mut v = Votes::new(3, None);
        v.add(1, false);
        v.add(1, false);
        v.add(2, false);
        assert_eq!(v.class(), 1);
        v.add(2, false);
        assert_eq!(v.class(), 2, "tied: the latest");
    }

    #[test]
    fn a_reviewed_label_settles_the_item_against_the_majority() {
        let mut v = Votes::new(3, None);
        v.add(0, true);
        v.add(2, false);
        v.add(2, false);
        assert_eq!(v.class(), 0);
        let mut g = Votes::new(3, Some(1));
        g.add(0, true);
        g.add(0, false);
        assert_eq!(g.class(), 1, "a gold answer settles it above the review");
    }
}
