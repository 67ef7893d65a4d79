//! Training jobs and the project dashboard over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::error::{ApiBytes, ApiError, ApiJson};
use crate::jobs::{self, Job, JobConfig};

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
    let job = jobs::enqueue(&state, &project, "manual", Some(&caller.user_id), &config).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// `GET /projects/{p}/jobs` (members): the latest 50, newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.role_in(&state, &project).await?;
    Ok(Json(
        serde_json::json!({"jobs": jobs::list(&state, &project, 50).await?}),
    ))
}

/// `GET /projects/{p}/jobs/{id}` (members).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<Job>, ApiError> {
    caller.role_in(&state, &project).await?;
    Ok(Json(jobs::get(&state, &project, &id).await?))
}

/// `POST /projects/{p}/jobs/{id}/cancel` (owners).
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<Job>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    Ok(Json(jobs::cancel(&state, &project, &id).await?))
}

/// Body of `PUT /projects/{p}/auto-train`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoTrain {
    /// Train after every this many new labeled items; 0 turns it off.
    pub every: i64,
}

/// `PUT /projects/{p}/auto-train` (owners).
pub async fn set_auto_train(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<AutoTrain>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    if !(0..=1_000_000).contains(&body.every) {
        return Err(ApiError::bad_request(
            "invalid_every",
            "every must be 0 (off) to 1,000,000",
        ));
    }
    let _guard = state.db.write_guard().await;
    sqlx::query("UPDATE projects SET auto_train_every = $1 WHERE id = $2")
        .bind(body.every)
        .bind(&project)
        .execute(&state.db.pool)
        .await?;
    Ok(Json(serde_json::json!({"every": body.every})))
}

/// `GET /projects/{p}/dashboard` (members): every version's evaluation accuracy against the
/// labels it was trained on, the current version's confusion matrix on the evaluation set,
/// and per annotator how often they override the model's suggestion.
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let role = caller.role_in(&state, &project).await?;
    // Annotators see their own figures only (pulls show them only their own labels).
    let only = (role == Role::Annotator).then_some(caller.user_id.clone());
    let labels = super::sync::project_labels(&state, &project).await?;
    let rows = sqlx::query("SELECT version, is_current, info, created_at, manifest FROM model_versions WHERE project_id = $1 ORDER BY created_at, version")
        .bind(&project)
        .fetch_all(&state.db.pool)
        .await?;
    let mut versions = Vec::new();
    let mut confusion = serde_json::Value::Null;
    for r in rows {
        let info: Option<serde_json::Value> = r
            .try_get::<Option<String>, _>("info")?
            .and_then(|s| serde_json::from_str(&s).ok());
        let current = r.try_get::<i64, _>("is_current")? != 0;
        let version: String = r.try_get("version")?;
        let i = info.unwrap_or_default();
        if current && !i["eval_confusion"].is_null() {
            confusion = serde_json::json!({"version": version, "matrix": i["eval_confusion"]});
        }
        versions.push(serde_json::json!({
            "version": version,
            "current": current,
            "created_at": r.try_get::<i64, _>("created_at")?,
            "trained_here": !i.is_null(),
            "label_count": i["snapshot"]["label_count"],
            "eval_count": i["snapshot"]["eval_count"],
            "eval_accuracy": i["eval_accuracy"],
            "published": i["published"],
            "reason": i["reason"],
            "training_ms": i["training_ms"],
        }));
    }
    let rows = sqlx::query("SELECT u.name AS name, l.value AS value FROM labels l JOIN users u ON u.id = l.annotator_id WHERE l.project_id = $1 AND l.deleted = 0 AND ($2 IS NULL OR l.annotator_id = $2)")
        .bind(&project)
        .bind(only)
        .fetch_all(&state.db.pool)
        .await?;
    let mut per: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
    for r in rows {
        let name: String = r.try_get("name")?;
        let Some(v) = r
            .try_get::<Option<String>, _>("value")?
            .and_then(|s| serde_json::from_str::<kindling::sync::LabelValue>(&s).ok())
        else {
            continue;
        };
        let e = per.entry(name).or_default();
        e.0 += 1;
        if let Some(accepted) = v.accepted {
            e.1 += 1;
            if !accepted {
                e.2 += 1;
            }
        }
    }
    let annotators: Vec<serde_json::Value> = per
        .into_iter()
        .map(|(name, (labels, suggested, overrides))| serde_json::json!({
            "name": name, "labels": labels, "with_suggestion": suggested, "overrides": overrides,
            "override_rate": if suggested > 0 { Some(overrides as f64 / suggested as f64) } else { None },
        }))
        .collect();
    Ok(Json(serde_json::json!({
        "labels": labels, "versions": versions, "confusion": confusion, "annotators": annotators,
    })))
}
