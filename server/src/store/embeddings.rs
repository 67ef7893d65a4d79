//! `embeddings`: backbone outputs per item content (sha256) and representation — the backbone
//! file's sha256 with the input spec it reads ([`representation_key`]; the `backbone_sha256`
//! column holds it).

use std::collections::HashMap;

use sqlx::Row;

use super::{Db, now_ms};

/// What a stored embedding was computed by: the sha256 of the backbone file's sha256 and the
/// input spec's JSON. The same weights embed differently at 128 or 256 tokens, with or without
/// a text's word ids, at 160 or 224 pixels; rows stored under the file's hash alone (before
/// 2026-12-05) are simply not found, and recomputed once.
pub fn representation_key(backbone_sha256: &str, input_spec_json: &str) -> String {
    kindling::bundle::sha256_hex(format!("{backbone_sha256} {input_spec_json}").as_bytes())
}

/// Keys per query (bind parameters stay well under SQLite's and PostgreSQL's limits).
const CHUNK: usize = 500;

/// The stored embeddings of `keys` by the backbone file `backbone`, of `size` values each; a
/// row of another size is ignored.
pub async fn stored(
    db: &Db,
    backbone: &str,
    keys: &[String],
    size: usize,
) -> Result<HashMap<String, Vec<f32>>, sqlx::Error> {
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
        for row in query.fetch_all(&db.pool).await? {
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
    db: &Db,
    backbone: &str,
    fresh: &HashMap<String, Vec<f32>>,
) -> Result<(), sqlx::Error> {
    if fresh.is_empty() {
        return Ok(());
    }
    let mut w = db.write().await?;
    let now = now_ms();
    for (key, vector) in fresh {
        let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
        sqlx::query("INSERT INTO embeddings (backbone_sha256, content_sha256, vector, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (backbone_sha256, content_sha256) DO NOTHING")
            .bind(backbone)
            .bind(key.as_str())
            .bind(bytes)
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
    }
    w.commit().await
}

#[cfg(test)]
mod tests {
    use super::representation_key;

    #[test]
    fn the_same_backbone_file_reading_another_input_spec_is_another_representation() {
        let tokens_128 = r#"{"kind":"text","max_tokens":128}"#;
        let tokens_256 = r#"{"kind":"text","max_tokens":256}"#;
        assert_eq!(
            representation_key("abc", tokens_128),
            representation_key("abc", tokens_128)
        );
        assert_ne!(
            representation_key("abc", tokens_128),
            representation_key("abc", tokens_256)
        );
        assert_ne!(
            representation_key("abc", tokens_128),
            representation_key("abd", tokens_128)
        );
    }
}
