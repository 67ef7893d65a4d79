//! The audit history of one item's labels: every op received, in arrival order, with its
//! outcome (applied, superseded, rejected) — where the losers of conflicts are kept.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::error::ApiError;

/// One received op.
#[derive(Debug, Serialize)]
pub struct Event {
    /// Whose label.
    pub annotator_id: String,
    /// The client that sent it.
    pub client_id: String,
    /// The op's id.
    pub op_id: String,
    /// `upsert` or `delete`.
    pub kind: String,
    /// The label (upserts).
    pub value: Option<serde_json::Value>,
    /// The writer's clock.
    pub hlc: kindling::sync::Hlc,
    /// `applied`, `superseded` or `rejected`.
    pub outcome: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub received_at: i64,
}

/// `GET /projects/{p}/items/{id}/history`: owners and reviewers see everyone's ops, annotators
/// their own.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, item)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let role = caller.role_in(&state, &project).await?;
    let only = (role == Role::Annotator).then(|| caller.user_id.clone());
    let rows = sqlx::query("SELECT annotator_id, client_id, op_id, kind, value, hlc_wall, hlc_counter, outcome, reason, received_at FROM label_events WHERE project_id = $1 AND item_id = $2 AND ($3 IS NULL OR annotator_id = $3) ORDER BY id")
        .bind(&project).bind(&item).bind(only).fetch_all(&state.db.pool).await?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        let value: Option<String> = r.try_get("value")?;
        events.push(Event {
            annotator_id: r.try_get("annotator_id")?,
            client_id: r.try_get("client_id")?,
            op_id: r.try_get("op_id")?,
            kind: r.try_get("kind")?,
            value: value.and_then(|v| serde_json::from_str(&v).ok()),
            hlc: kindling::sync::Hlc {
                wall: r.try_get::<i64, _>("hlc_wall")? as u64,
                counter: r.try_get::<i64, _>("hlc_counter")? as u32,
            },
            outcome: r.try_get("outcome")?,
            reason: r.try_get("reason")?,
            received_at: r.try_get("received_at")?,
        });
    }
    Ok(Json(
        serde_json::json!({ "item_id": item, "events": events }),
    ))
}
