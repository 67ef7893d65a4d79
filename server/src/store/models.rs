//! `model_versions` (a project's bundles: manifest, weights, evaluation info) and
//! `backbone_files` (shared backbone weights, stored once by sha256).

use sqlx::Row;

use super::{Db, Tx, now_ms};

/// A new model version.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// Version name.
    pub version: &'a str,
    /// The manifest's JSON.
    pub manifest: &'a str,
    /// The weights file.
    pub weights: &'a [u8],
    /// sha256 of the weights.
    pub sha256: &'a str,
    /// Make it the current version.
    pub current: bool,
}

/// Whether `project` has `version`.
pub async fn exists(tx: &mut Tx, project: &str, version: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM model_versions WHERE project_id = $1 AND version = $2")
            .bind(project)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}

/// Inserts a version (making it the only current one when `v.current`).
pub async fn insert(tx: &mut Tx, project: &str, v: NewVersion<'_>) -> Result<(), sqlx::Error> {
    if v.current {
        clear_current(tx, project).await?;
    }
    sqlx::query("INSERT INTO model_versions (project_id, version, manifest, weights, sha256, size, is_current, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(project).bind(v.version).bind(v.manifest).bind(v.weights.to_vec()).bind(v.sha256)
        .bind(v.weights.len() as i64).bind(i64::from(v.current)).bind(now_ms()).execute(&mut **tx).await?;
    Ok(())
}

async fn clear_current(tx: &mut Tx, project: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE model_versions SET is_current = 0 WHERE project_id = $1")
        .bind(project)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes `version` the project's only current version; `false` when it does not exist.
pub async fn set_current(db: &Db, project: &str, version: &str) -> Result<bool, sqlx::Error> {
    let mut w = db.write().await?;
    if !exists(&mut w.tx, project, version).await? {
        return Ok(false);
    }
    clear_current(&mut w.tx, project).await?;
    sqlx::query("UPDATE model_versions SET is_current = 1 WHERE project_id = $1 AND version = $2")
        .bind(project)
        .bind(version)
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    Ok(true)
}

/// A version as listed.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Version name.
    pub version: String,
    /// The manifest (JSON).
    pub manifest: serde_json::Value,
    /// Whether it is current.
    pub current: bool,
    /// Unix ms.
    pub created_at: i64,
    /// What the job that trained it recorded (none for uploads).
    pub info: Option<serde_json::Value>,
}

/// The project's versions, oldest first.
pub async fn list(db: &Db, project: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query("SELECT version, manifest, is_current, info, created_at FROM model_versions WHERE project_id = $1 ORDER BY created_at, version")
        .bind(project)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(VersionRow {
                version: r.try_get("version")?,
                manifest: super::json_column(r, "manifest")?.unwrap_or_default(),
                current: r.try_get::<i64, _>("is_current")? != 0,
                created_at: r.try_get("created_at")?,
                info: super::json_column(r, "info")?,
            })
        })
        .collect()
}

/// The project's current version name.
pub async fn current_version(db: &Db, project: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT version FROM model_versions WHERE project_id = $1 AND is_current = 1")
        .bind(project)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get("version"))
        .transpose()
}

/// A version's stored files.
#[derive(Debug, Clone)]
pub struct Files {
    /// Version name.
    pub version: String,
    /// The manifest's JSON text, as uploaded.
    pub manifest: String,
    /// The weights file.
    pub weights: Vec<u8>,
    /// sha256 of the weights.
    pub sha256: String,
}

fn files_from_row(r: &sqlx::any::AnyRow) -> Result<Files, sqlx::Error> {
    Ok(Files {
        version: r.try_get("version")?,
        manifest: r.try_get("manifest")?,
        weights: r.try_get("weights")?,
        sha256: r.try_get("sha256")?,
    })
}

/// The files of `version`.
pub async fn files(db: &Db, project: &str, version: &str) -> Result<Option<Files>, sqlx::Error> {
    sqlx::query("SELECT version, manifest, weights, sha256 FROM model_versions WHERE project_id = $1 AND version = $2")
        .bind(project).bind(version).fetch_optional(&db.pool).await?
        .as_ref().map(files_from_row).transpose()
}

/// The files of the current version.
pub async fn current_files(db: &Db, project: &str) -> Result<Option<Files>, sqlx::Error> {
    sqlx::query("SELECT version, manifest, weights, sha256 FROM model_versions WHERE project_id = $1 AND is_current = 1")
        .bind(project).fetch_optional(&db.pool).await?
        .as_ref().map(files_from_row).transpose()
}

/// Every version name of the project.
pub async fn version_names(db: &Db, project: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT version FROM model_versions WHERE project_id = $1")
        .bind(project)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get("version"))
        .collect()
}

/// Records what the job that trained `version` found.
pub async fn set_info(
    db: &Db,
    project: &str,
    version: &str,
    info: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE model_versions SET info = $1 WHERE project_id = $2 AND version = $3")
        .bind(info.to_string())
        .bind(project)
        .bind(version)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Stores a backbone file unless one with its hash is there.
pub async fn insert_backbone_file(
    tx: &mut Tx,
    sha256: &str,
    dtype: &str,
    bytes: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO backbone_files (sha256, dtype, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha256)
        .bind(dtype)
        .bind(bytes.len() as i64)
        .bind(bytes.to_vec())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether a backbone file with this hash is stored (inside a transaction).
pub async fn has_backbone_file(tx: &mut Tx, sha256: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM backbone_files WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}

/// The bytes of the backbone file with this hash.
pub async fn backbone_file(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query("SELECT bytes FROM backbone_files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get("bytes"))
        .transpose()
}
