//! Training jobs and the project dashboard over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiBytes, ApiError};
use crate::domain::dashboard::{self, Dashboard};
use crate::domain::jobs::{self, Job, JobConfig};
use crate::store::types::{JobTrigger, Role};

/// `POST /projects/{p}/jobs` (owners): queue a training job; 409 `job_active` if one waits or
/// runs.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    // The body is optional: none means the defaults.
    let config: JobConfig = if body.iter().all(u8::is_ascii_whitespace) {
        JobConfig::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("malformed_request", format!("job settings: {e}")))?
    };
    let by = Some(caller.0.id.as_str());
    let job = jobs::enqueue(&state.db, &project, JobTrigger::Manual, by, &config).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// The answer to `GET /projects/{p}/jobs`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct JobList {
    /// The latest 50, newest first.
    pub jobs: Vec<Job>,
}

/// `GET /projects/{p}/jobs` (members): the latest 50, newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<JobList>, ApiError> {
    caller.role_in(&state, &project).await?;
    let jobs = jobs::list(&state.db, &project, 50).await?;
    Ok(Json(JobList { jobs }))
}

/// `GET /projects/{p}/jobs/{id}` (members).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<Job>, ApiError> {
    caller.role_in(&state, &project).await?;
    Ok(Json(jobs::get(&state.db, &project, &id).await?))
}

/// `POST /projects/{p}/jobs/{id}/cancel` (owners).
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<Job>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    Ok(Json(jobs::cancel(&state.db, &project, &id).await?))
}

/// `GET /projects/{p}/dashboard` (members): every version's evaluation accuracy against the
/// labels it was trained on, the current version's confusion matrix on the evaluation set,
/// and per annotator how often they override the model's suggestion.
pub async fn dashboard(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(
        dashboard::dashboard(&state.db, &user, &project).await?,
    ))
}
