//! `likelyErrors`: the reviewers' likely-errors queue ([`crate::label_errors`]) for JavaScript:
//! out-of-fold linear heads on the items' features, in two rounds, then confident learning's order.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::KindlingError;
use crate::device::cpu_device;
use crate::label_errors::review_queue;
use crate::local_head::LocalHeadConfig;

#[wasm_bindgen(typescript_custom_section)]
const TS_LIKELY_ERRORS: &'static str = r#"
/** One labeled item in the likely-errors queue (most likely wrong first). */
export interface LikelyError {
  /** The item's index in the arrays given to `likelyErrors`. */
  index: number;
  /** Its given class index. */
  given: number;
  /** Out-of-fold probability of the given class (lower: more likely wrong). */
  selfConfidence: number;
  /** When flagged: the class the heads are as sure of as they usually are of real ones. */
  likely?: number;
}
"#;

/// One queue entry as JavaScript receives it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    index: usize,
    given: u32,
    self_confidence: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    likely: Option<u32>,
}

/// Orders labeled items for review, most likely wrong first: `features` holds `size` values
/// per item (a backbone's embeddings, or the model's class probabilities), `given` each item's
/// class index among `classes`. `folds` (default 5) linear heads, each fitted without one fold
/// on the CPU, give every item probabilities from a head that never saw its label; an item is
/// flagged when another class reaches that class's mean confidence (confident learning). Two
/// rounds: the second fits the heads again without the first round's most suspect items, so
/// a confusion repeated across many labels is not learned. With `neighbours` (default `true`:
/// for embeddings; pass `false` for class probabilities, where it was measured to hurt) the
/// order is the sum of each item's rank there and its rank by neighbour agreement (how many of
/// its 10 nearest items carry its label; see `label_errors::review_queue`).
/// Rejects with `LABEL_ERRORS_FOLDS` when there are fewer items than folds, and with the local
/// head's codes (`LOCAL_HEAD_TOO_FEW`, …) when the labels cannot train a head.
#[wasm_bindgen(js_name = likelyErrors, unchecked_return_type = "LikelyError[]")]
pub async fn likely_errors_js(
    features: Vec<f32>,
    size: usize,
    given: Vec<u32>,
    classes: usize,
    folds: Option<usize>,
    neighbours: Option<bool>,
) -> Result<JsValue, KindlingError> {
    let device = cpu_device(None).map_err(KindlingError::from)?.device;
    let folds = folds.unwrap_or(5);
    let queue = review_queue(
        &features,
        &given,
        size,
        classes,
        folds,
        neighbours.unwrap_or(true),
        LocalHeadConfig::default(),
        &device,
    )
    .await
    .map_err(|e| KindlingError::new(e.code(), e.to_string()))?;
    let entries: Vec<Entry> = queue
        .into_iter()
        .map(|s| Entry {
            index: s.item,
            given: s.given,
            self_confidence: s.self_confidence,
            likely: s.likely,
        })
        .collect();
    serde_wasm_bindgen::to_value(&entries)
        .map_err(|e| KindlingError::new("INTERNAL", e.to_string()))
}
