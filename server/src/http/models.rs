//! Model versions over HTTP: upload a bundle archive, list, mark one current, serve files
//! immutably.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, UploadBody};
use super::items::immutable;
use crate::domain::models::{self, VersionInfo};
use crate::store::types::Role;

/// One model version, by name (an upload's answer, `models/current`).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct VersionRef {
    /// The version.
    pub version: String,
}

/// The answer to `GET /projects/{p}/models`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<VersionInfo>,
}

/// `POST /projects/{p}/models` with a `.kbundle` archive body (owners). Verified before it is
/// stored. A format-2 archive may carry its backbone file (stored once, by hash) or not, when
/// the server already holds that backbone.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: UploadBody,
) -> Result<(StatusCode, Json<VersionRef>), ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let body = body.read(super::MAX_BUNDLE_BODY).await?;
    let version = models::upload(&state.db, &project, &body).await?;
    Ok((StatusCode::CREATED, Json(VersionRef { version })))
}

/// `GET /projects/{p}/models`: versions with their metrics, newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<VersionList>, ApiError> {
    caller.role_in(&state, &project).await?;
    let versions = models::list(&state.db, &project).await?;
    Ok(Json(VersionList { versions }))
}

/// `PUT /projects/{p}/models/{v}/current` (owners).
pub async fn set_current(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    models::set_current(&state.db, &project, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{p}/models/current`: `{version}` of the current model (404 when none).
pub async fn current(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<VersionRef>, ApiError> {
    caller.role_in(&state, &project).await?;
    let version = models::current_version(&state.db, &project).await?;
    Ok(Json(VersionRef { version }))
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
    let f = models::file(&state.db, &project, &version, &file).await?;
    Ok(immutable(
        &headers,
        &format!("\"{}\"", f.sha256),
        f.content_type.into(),
        f.bytes,
    ))
}
