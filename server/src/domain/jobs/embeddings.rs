//! Embeddings per item content and backbone file: a training job on a backbone reads the
//! embeddings it computed before (`store::embeddings`) and embeds only the labeled items that
//! are new (or whose content was replaced), so a job costs what the new labels cost, not all
//! of them.

use std::collections::HashMap;

/// The embeddings of `data`'s items (keyed by `keys`, in order): `known` ones copied, the rest
/// computed with `session` and also returned as new (key → embedding).
pub fn embed_missing(
    session: &kindling::Session,
    data: &crate::data::Dataset,
    keys: &[String],
    known: &HashMap<String, Vec<f32>>,
) -> anyhow::Result<(crate::data::Dataset, HashMap<String, Vec<f32>>)> {
    let size = session
        .embedding_size()
        .ok_or_else(|| anyhow::anyhow!("the model has no backbone to embed with"))?;
    anyhow::ensure!(keys.len() == data.len(), "one content key per item");
    let missing: Vec<usize> = (0..data.len())
        .filter(|&i| !known.contains_key(&keys[i]))
        .collect();
    let computed = crate::backbone::embed::embed_dataset(session, &data.subset(&missing))?;
    let mut fresh = HashMap::new();
    for (row, &i) in missing.iter().enumerate() {
        fresh.insert(keys[i].clone(), computed.item(row).to_vec());
    }
    let mut items = Vec::with_capacity(data.len() * size);
    for key in keys {
        let vector = known
            .get(key)
            .or_else(|| fresh.get(key))
            .expect("every key is known or computed");
        items.extend_from_slice(vector);
    }
    Ok((
        crate::data::Dataset {
            items,
            labels: data.labels.clone(),
            item_len: size,
            classes: data.classes.clone(),
            input: crate::backbone::embed::embedding_spec(size),
        },
        fresh,
    ))
}
