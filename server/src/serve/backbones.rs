//! Shared backbone files of format-2 bundles, stored once by content (sha256): an uploaded
//! bundle's backbone is kept if new; its other element types listed in the manifest are derived
//! from the f32 file when the derivation reproduces their hash; a project's versions are heads.

use kindling::Bundle;
use kindling::bundle::{WeightsDtype, WeightsFile};
use sqlx::Row;

use super::AppState;
use super::db::now_ms;
use super::error::ApiError;
use crate::backbone::canonical_burnpack;

/// The files to store for `bundle`'s backbone: its attached file, and (from an attached f32
/// file) every other listed element type whose derived bytes match the manifest's hash.
fn files_to_store(bundle: &Bundle) -> Vec<(WeightsFile, Vec<u8>)> {
    let (Some(backbone), Some(attached)) = (&bundle.manifest().backbone, bundle.backbone()) else {
        return Vec::new();
    };
    let mut out = vec![(attached.file.clone(), attached.bytes.clone())];
    if attached.file.dtype == WeightsDtype::F32 {
        for f in backbone
            .files
            .iter()
            .filter(|f| f.dtype != WeightsDtype::F32)
        {
            if let Ok(bytes) = canonical_burnpack(&attached.bytes, f.dtype)
                && kindling::bundle::sha256_hex(&bytes) == f.sha256
            {
                out.push((f.clone(), bytes));
            }
        }
    }
    out
}

/// Stores the backbone files of `bundle` that are not stored yet (inside the caller's
/// transaction) and checks that the bundle's backbone is available at all: a head-only bundle
/// is accepted only for a backbone the server already holds.
pub async fn store_for(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    bundle: &Bundle,
) -> Result<(), ApiError> {
    let Some(backbone) = &bundle.manifest().backbone else {
        return Ok(());
    };
    for (file, bytes) in files_to_store(bundle) {
        sqlx::query("INSERT INTO backbone_files (sha256, dtype, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING")
            .bind(&file.sha256)
            .bind(file.dtype.name())
            .bind(file.size as i64)
            .bind(bytes)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
    }
    for f in &backbone.files {
        let found = sqlx::query("SELECT 1 AS one FROM backbone_files WHERE sha256 = $1")
            .bind(&f.sha256)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_some() {
            return Ok(());
        }
    }
    Err(ApiError::bad_request(
        "backbone_missing",
        format!(
            "the server does not hold the backbone `{}`: upload the bundle with its backbone file",
            backbone.name
        ),
    ))
}

/// The bytes of the stored backbone file with hash `sha256`.
pub async fn bytes(state: &AppState, sha256: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let row = sqlx::query("SELECT bytes FROM backbone_files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("bytes")).transpose()?)
}

/// Attaches the stored backbone (f32 if held, else any listed type) to a bundle read from the
/// database, so that it can run natively.
pub async fn attach(state: &AppState, bundle: &mut Bundle) -> anyhow::Result<()> {
    let Some(backbone) = bundle.manifest().backbone.clone() else {
        return Ok(());
    };
    for dtype in [WeightsDtype::F32, WeightsDtype::F16] {
        if let Some(f) = backbone.file(dtype)
            && let Some(b) = bytes(state, &f.sha256)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?
        {
            bundle.attach_backbone(dtype, b)?;
            return Ok(());
        }
    }
    anyhow::bail!("the server does not hold the backbone `{}`", backbone.name)
}
