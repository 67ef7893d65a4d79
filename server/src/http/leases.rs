//! `POST /projects/{p}/leases`: unlabeled items with their content, for offline labeling.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use crate::domain::leases::{self, Lease, LeaseRequest};

/// Hands the caller up to `limit` unlabeled items nobody else holds, and (re)leases them.
pub async fn lease(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<LeaseRequest>,
) -> Result<Json<Lease>, ApiError> {
    Ok(Json(leases::lease(&state.db, &user, &project, &req).await?))
}
