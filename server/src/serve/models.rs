//! Model versions: upload a bundle archive, list, mark one current, serve files immutably.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::db::now_ms;
use super::error::{ApiError, UploadBody};
use super::items::immutable;

/// Stores a verified bundle as a model version of `project`; returns its version.
pub async fn store_bundle(
    state: &AppState,
    project: &str,
    bundle: &kindling::Bundle,
    make_current: bool,
) -> Result<String, ApiError> {
    let m = bundle.manifest();
    let labels = super::sync::project_labels(state, project).await?;
    if m.labels != labels {
        return Err(ApiError::bad_request(
            "labels_mismatch",
            format!(
                "the model's labels {:?} differ from the project's {:?}",
                m.labels, labels
            ),
        ));
    }
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    let exists =
        sqlx::query("SELECT 1 AS one FROM model_versions WHERE project_id = $1 AND version = $2")
            .bind(project)
            .bind(&m.version)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "version_exists",
            format!(
                "model version `{}` exists; versions are immutable",
                m.version
            ),
        ));
    }
    if make_current {
        sqlx::query("UPDATE model_versions SET is_current = 0 WHERE project_id = $1")
            .bind(project)
            .execute(&mut *tx)
            .await?;
    }
    super::backbones::store_for(&mut tx, bundle).await?;
    sqlx::query("INSERT INTO model_versions (project_id, version, manifest, weights, sha256, size, is_current, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(project).bind(&m.version).bind(m.to_json()).bind(bundle.weights().to_vec()).bind(&m.weights.sha256)
        .bind(m.weights.size as i64).bind(i64::from(make_current)).bind(now_ms()).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(m.version.clone())
}

/// `POST /projects/{p}/models` with a `.kbundle` archive body (owners). Verified before it is
/// stored. A format-2 archive may carry its backbone file (stored once, by hash) or not, when
/// the server already holds that backbone.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: UploadBody,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let body = body.read(super::MAX_BUNDLE_BODY).await?;
    let bundle = kindling::Bundle::from_archive(&body)
        .map_err(|e| ApiError::bad_request("invalid_bundle", format!("{}: {e}", e.code())))?;
    bundle
        .load_model(&burn::tensor::Device::flex())
        .map_err(|e| ApiError::bad_request("invalid_bundle", format!("{}: {e}", e.code())))?;
    let version = store_bundle(&state, &project, &bundle, false).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"version": version})),
    ))
}

/// `GET /projects/{p}/models`: versions with their metrics, newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.role_in(&state, &project).await?;
    let rows = sqlx::query("SELECT version, manifest, is_current, created_at FROM model_versions WHERE project_id = $1 ORDER BY created_at DESC")
        .bind(&project).fetch_all(&state.db.pool).await?;
    let out = rows.iter().map(|r| {
        let manifest: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("manifest")?).unwrap_or_default();
        Ok(serde_json::json!({"version": r.try_get::<String, _>("version")?, "current": r.try_get::<i64, _>("is_current")? != 0,
            "created_at": r.try_get::<i64, _>("created_at")?, "metrics": manifest.get("metrics")}))
    }).collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(serde_json::json!({"versions": out})))
}

/// `PUT /projects/{p}/models/{v}/current` (owners).
pub async fn set_current(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    let found =
        sqlx::query("SELECT 1 AS one FROM model_versions WHERE project_id = $1 AND version = $2")
            .bind(&project)
            .bind(&version)
            .fetch_optional(&mut *tx)
            .await?;
    if found.is_none() {
        return Err(ApiError::not_found(format!(
            "model version `{version}` not found"
        )));
    }
    sqlx::query("UPDATE model_versions SET is_current = 0 WHERE project_id = $1")
        .bind(&project)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE model_versions SET is_current = 1 WHERE project_id = $1 AND version = $2")
        .bind(&project)
        .bind(&version)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{p}/models/current`: `{version}` of the current model (404 when none).
pub async fn current(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.role_in(&state, &project).await?;
    let version = current_version(&state, &project)
        .await?
        .ok_or_else(|| ApiError::not_found("no current model version"))?;
    Ok(Json(serde_json::json!({"version": version})))
}

/// The project's current model version, if it has one.
pub async fn current_version(state: &AppState, project: &str) -> Result<Option<String>, ApiError> {
    Ok(
        sqlx::query("SELECT version FROM model_versions WHERE project_id = $1 AND is_current = 1")
            .bind(project)
            .fetch_optional(&state.db.pool)
            .await?
            .map(|r| r.try_get::<String, _>("version"))
            .transpose()?,
    )
}

/// `GET /projects/{p}/models/{v}/{file}`: `manifest.json`, the weights file, or one of the
/// version's backbone files (`backbone-<sha256>.bpk`), immutable.
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.role_in(&state, &project).await?;
    let row = sqlx::query("SELECT manifest, weights, sha256 FROM model_versions WHERE project_id = $1 AND version = $2")
        .bind(&project).bind(&version).fetch_optional(&state.db.pool).await?
        .ok_or_else(|| ApiError::not_found(format!("model version `{version}` not found")))?;
    let manifest: String = row.try_get("manifest")?;
    let parsed = serde_json::from_str::<kindling::Manifest>(&manifest).ok();
    let weights_path = parsed
        .as_ref()
        .map(|m| m.weights.path.clone())
        .unwrap_or_default();
    let backbone_file = parsed
        .as_ref()
        .and_then(|m| m.backbone.as_ref())
        .and_then(|b| b.files.iter().find(|f| f.path == file).cloned());
    if file == kindling::bundle::MANIFEST_FILE {
        let etag = format!("\"{}\"", kindling::bundle::sha256_hex(manifest.as_bytes()));
        immutable(
            &headers,
            &etag,
            "application/json".into(),
            manifest.into_bytes(),
        )
    } else if file == weights_path {
        let etag = format!("\"{}\"", row.try_get::<String, _>("sha256")?);
        immutable(
            &headers,
            &etag,
            "application/octet-stream".into(),
            row.try_get("weights")?,
        )
    } else if let Some(f) = backbone_file {
        let bytes = super::backbones::bytes(&state, &f.sha256)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("backbone file `{file}` is not held here"))
            })?;
        immutable(
            &headers,
            &format!("\"{}\"", f.sha256),
            "application/octet-stream".into(),
            bytes,
        )
    } else {
        Err(ApiError::not_found(format!(
            "bundle file `{file}` not found"
        )))
    }
}
