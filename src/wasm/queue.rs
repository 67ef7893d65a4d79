//! `rankQueue`: the labeling queue's order ([`crate::queue::queue_order`]) for JavaScript, so
//! the app ranks with the same code `kindling bench active-learning` measures.

use wasm_bindgen::prelude::*;

use super::KindlingError;
use crate::queue::queue_order;
use crate::uncertainty::{Strategy, Uncertainty};

/// Orders items for labeling. `uncertainties` holds three values per item —
/// `leastConfidence, margin, entropy` — or `NaN`s for an item without a prediction yet;
/// returns the item indices, most urgent first (every `exploreEvery`-th slot a random pick,
/// 0: none; unpredicted items last, in their order). The same `seed` gives the same order.
#[wasm_bindgen(js_name = rankQueue)]
pub fn rank_queue(
    uncertainties: &[f32],
    #[wasm_bindgen(unchecked_param_type = "Strategy")] strategy: &str,
    seed: u32,
    #[wasm_bindgen(js_name = exploreEvery)] explore_every: usize,
) -> Result<Vec<u32>, KindlingError> {
    let strategy = match strategy {
        "least-confidence" => Strategy::LeastConfidence,
        "margin" => Strategy::Margin,
        "entropy" => Strategy::Entropy,
        "random" => Strategy::Random,
        other => {
            return Err(KindlingError::new(
                "QUEUE_UNKNOWN_STRATEGY",
                format!(
                    "unknown strategy `{other}`: use least-confidence, margin, entropy or random"
                ),
            ));
        }
    };
    if !uncertainties.len().is_multiple_of(3) {
        return Err(KindlingError::new(
            "QUEUE_BAD_INPUT",
            format!(
                "uncertainties holds 3 values per item; got {} values",
                uncertainties.len()
            ),
        ));
    }
    let items: Vec<Option<Uncertainty>> = uncertainties
        .chunks_exact(3)
        .map(|u| {
            (!u[0].is_nan()).then_some(Uncertainty {
                least_confidence: u[0],
                margin: u[1],
                entropy: u[2],
            })
        })
        .collect();
    Ok(
        queue_order(&items, strategy, u64::from(seed), explore_every)
            .into_iter()
            .map(|i| i as u32)
            .collect(),
    )
}
