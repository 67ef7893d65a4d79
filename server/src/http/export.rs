//! `GET /projects/{p}/labels/export?format=jsonl|csv` (owners and reviewers).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiQuery};
use crate::store::types::Role;

/// Query of an export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

/// The labels, one row per item and annotator.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    caller
        .require(&state, &project, &[Role::Owner, Role::Reviewer])
        .await?;
    let (ct, body) =
        crate::domain::export::export(&state.db, &project, q.format.as_deref()).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}
