//! Embeddings stored per item content and backbone file: a training job on a backbone reads the
//! embeddings it computed before and embeds only the labeled items that are new (or whose
//! content was replaced), so a job costs what the new labels cost, not all of them.

use std::collections::HashMap;

use sqlx::Row;

use crate::serve::AppState;
use crate::serve::db::now_ms;

/// Keys per query (bind parameters stay well under SQLite's and PostgreSQL's limits).
const CHUNK: usize = 500;

/// The stored embeddings of `keys` (content sha256) by the backbone file `backbone`, of
/// `size` values each; a row of another size is ignored (and recomputed).
pub async fn stored(
    state: &AppState,
    backbone: &str,
    keys: &[String],
    size: usize,
) -> anyhow::Result<HashMap<String, Vec<f32>>> {
    let mut found = HashMap::new();
    let mut unique: Vec<&String> = keys.iter().collect();
    unique.sort();
    unique.dedup();
    for chunk in unique.chunks(CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT content_sha256, vector FROM embeddings WHERE backbone_sha256 = $1 AND content_sha256 IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(backbone);
        for key in chunk {
            query = query.bind(key.as_str());
        }
        for row in query.fetch_all(&state.db.pool).await? {
            let bytes: Vec<u8> = row.try_get("vector")?;
            if bytes.len() != size * 4 {
                continue;
            }
            let vector = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            found.insert(row.try_get("content_sha256")?, vector);
        }
    }
    Ok(found)
}

/// Stores embeddings by the backbone file `backbone` (kept if already there).
pub async fn store(
    state: &AppState,
    backbone: &str,
    fresh: &HashMap<String, Vec<f32>>,
) -> anyhow::Result<()> {
    if fresh.is_empty() {
        return Ok(());
    }
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    let now = now_ms();
    for (key, vector) in fresh {
        let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
        sqlx::query("INSERT INTO embeddings (backbone_sha256, content_sha256, vector, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (backbone_sha256, content_sha256) DO NOTHING")
            .bind(backbone)
            .bind(key.as_str())
            .bind(bytes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

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
