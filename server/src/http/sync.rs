//! `POST …/sync/push` and `GET …/sync/pull`: exactly-once label delivery (see
//! `docs/sync-protocol.md`).

use axum::Json;
use axum::extract::{Path, State};
use kindling::sync::{PullResponse, PushRequest, PushResponse};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use crate::domain::sync;

/// A push (owners and annotators).
pub async fn push(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    Ok(Json(sync::push(&state.db, &user, &project, &req).await?))
}

/// Query of a pull.
#[derive(Debug, serde::Deserialize)]
pub struct PullQuery {
    /// Changes after this version (0: from the start).
    #[serde(default)]
    pub cursor: i64,
    /// Page size (default and maximum 1000).
    pub limit: Option<i64>,
}

/// A pull (any member; annotators get their own labels).
pub async fn pull(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    Ok(Json(
        sync::pull(&state.db, &user, &project, q.cursor, q.limit).await?,
    ))
}
