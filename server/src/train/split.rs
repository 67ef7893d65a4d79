//! Seeded train / validation / test splits.

use anyhow::ensure;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::TrainOptions;
use crate::data::{Dataset, LoadedData};

/// The three splits training uses.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Trained on.
    pub train: Dataset,
    /// Early stopping and model selection.
    pub val: Dataset,
    /// Held out: only the final evaluation sees it.
    pub test: Dataset,
}

/// Splits `data`: the source's own test split when it has one (else `test_split` of the pool),
/// then `val_split` of the rest for validation; shuffled with `seed`.
pub fn split(data: &LoadedData, opts: &TrainOptions) -> anyhow::Result<Splits> {
    let mut rng = StdRng::seed_from_u64(opts.seed ^ 0x5151_7e57);
    let mut pool: Vec<usize> = (0..data.train.len()).collect();
    pool.shuffle(&mut rng);
    if let Some(limit) = opts.limit {
        pool.truncate(limit);
    }
    let take = |pool: &mut Vec<usize>, share: f64| -> Vec<usize> {
        let n = ((pool.len() as f64) * share).round() as usize;
        pool.split_off(pool.len() - n.min(pool.len()))
    };
    let test = match &data.test {
        Some(t) => match opts.limit {
            Some(limit) => t.subset(&(0..t.len().min(limit)).collect::<Vec<_>>()),
            None => t.clone(),
        },
        None => data.train.subset(&take(&mut pool, opts.test_split)),
    };
    let val_idx = take(&mut pool, opts.val_split);
    ensure!(
        !pool.is_empty(),
        "no items left to train on after the validation and test splits"
    );
    ensure!(
        !val_idx.is_empty() || opts.val_split == 0.0,
        "the validation split is empty; raise --val-split or add data"
    );
    ensure!(
        !test.is_empty(),
        "the test split is empty; raise --test-split or add data"
    );
    Ok(Splits {
        train: data.train.subset(&pool),
        val: data.train.subset(&val_idx),
        test,
    })
}
