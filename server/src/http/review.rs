//! `POST /projects/{p}/review/items`: labeled items with their content, for offline review.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use crate::domain::leases::LeaseRequest;
use crate::domain::review::{self, ReviewBatch};

/// Hands an owner or reviewer up to `limit` labeled items they do not hold yet.
pub async fn items(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<LeaseRequest>,
) -> Result<Json<ReviewBatch>, ApiError> {
    Ok(Json(review::items(&state.db, &user, &project, &req).await?))
}
