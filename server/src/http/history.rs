//! `GET /projects/{p}/items/{id}/history`: the audit history of one item's labels.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::domain::history::{self, History};

/// Owners and reviewers see everyone's ops, annotators their own.
pub async fn history(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((project, item)): Path<(String, String)>,
) -> Result<Json<History>, ApiError> {
    Ok(Json(
        history::item(&state.db, &user, &project, &item).await?,
    ))
}
