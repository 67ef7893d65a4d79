//! `POST …/sync/push` and `GET …/sync/pull`: exactly-once label delivery (see
//! `docs/sync-protocol.md`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kindling::sync::{
    Change, Hlc, LabelValue, Op, OpKind, OpResult, Outcome, PullResponse, PushRequest,
    PushResponse, wins,
};
use sqlx::{Any, Row, Transaction};

use super::AppState;
use super::auth::{Caller, Role};
use super::db::now_ms;
use super::error::{ApiError, ApiJson, ApiQuery};

/// Most ops one push may carry.
pub const MAX_OPS_PER_PUSH: usize = 1000;
/// Most changes one pull returns.
pub const MAX_PULL_LIMIT: i64 = 1000;
/// How far ahead of the server's clock a label's `hlc.wall` may be; later walls are stored as
/// `now + MAX_CLOCK_SKEW_MS` (the label is kept, its clock is not trusted further).
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// Largest `hlc.counter` stored (larger ones are stored as this).
pub const MAX_HLC_COUNTER: u32 = 1 << 20;
/// Longest `op_id`, `model_version` and `suggestion`, in bytes.
pub const MAX_OP_FIELD: usize = 128;

/// Handles a push: in one transaction, replays stored outcomes for seqs it has seen, applies
/// the new ops in order, and records every outcome.
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    caller
        .require(&state, &project, &[Role::Owner, Role::Annotator])
        .await?;
    if req.ops.len() > MAX_OPS_PER_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_ops",
            format!(
                "{} ops in one push; send at most {MAX_OPS_PER_PUSH}",
                req.ops.len()
            ),
        ));
    }
    if req.client_id.is_empty() || req.client_id.len() > 128 {
        return Err(ApiError::bad_request(
            "invalid_client_id",
            "client_id must be 1 to 128 characters",
        ));
    }
    if let Some(op) = req
        .ops
        .iter()
        .find(|o| o.op_id.is_empty() || o.op_id.len() > MAX_OP_FIELD)
    {
        return Err(ApiError::bad_request(
            "invalid_op_id",
            format!("op_id of seq {} must be 1 to {MAX_OP_FIELD} bytes", op.seq),
        ));
    }
    if let Some(w) = req.ops.windows(2).find(|w| w[1].seq != w[0].seq + 1) {
        return Err(ApiError::bad_request(
            "non_consecutive_seq",
            format!(
                "seq {} follows {}; a push carries consecutive seqs",
                w[1].seq, w[0].seq
            ),
        ));
    }
    let labels = project_labels(&state, &project).await?;
    let _guard = state.db.write_guard().await;
    let epoch = state.db.epoch().await?;
    let mut tx = state.db.pool.begin().await?;
    let client = sqlx::query(
        "SELECT annotator_id, last_seq FROM sync_clients WHERE project_id = $1 AND client_id = $2",
    )
    .bind(&project)
    .bind(&req.client_id)
    .fetch_optional(&mut *tx)
    .await?;
    let last_seq = match &client {
        Some(row) => {
            let owner: String = row.try_get("annotator_id")?;
            if owner != caller.user_id {
                return Err(ApiError::forbidden(
                    "this client_id belongs to another user",
                ));
            }
            row.try_get::<i64, _>("last_seq")? as u64
        }
        None => 0,
    };
    if !req.epoch.is_empty() && req.epoch != epoch {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "epoch_changed",
            "the server was restored from a backup: re-push every label you own",
        )
        .with(serde_json::json!({"epoch": epoch, "expected_seq": last_seq + 1})));
    }
    if let Some(first) = req.ops.first()
        && first.seq > last_seq + 1
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "seq_gap",
            format!("expected seq {}, got {}", last_seq + 1, first.seq),
        )
        .with(serde_json::json!({"epoch": epoch, "expected_seq": last_seq + 1})));
    }
    let mut results = Vec::with_capacity(req.ops.len());
    let mut acked = last_seq;
    for op in &req.ops {
        if op.seq <= last_seq {
            results.push(stored_outcome(&mut tx, &project, &req.client_id, op.seq).await?);
            continue;
        }
        let result = apply(
            &mut tx,
            &project,
            &caller.user_id,
            &req.client_id,
            op,
            &labels,
        )
        .await?;
        sqlx::query("INSERT INTO push_outcomes (project_id, client_id, seq, result) VALUES ($1, $2, $3, $4)")
            .bind(&project).bind(&req.client_id).bind(op.seq as i64)
            .bind(serde_json::to_string(&result).expect("serializable")).execute(&mut *tx).await?;
        results.push(result);
        acked = op.seq;
    }
    if acked > last_seq {
        if client.is_some() {
            sqlx::query(
                "UPDATE sync_clients SET last_seq = $1 WHERE project_id = $2 AND client_id = $3",
            )
            .bind(acked as i64)
            .bind(&project)
            .bind(&req.client_id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("INSERT INTO sync_clients (project_id, client_id, annotator_id, last_seq) VALUES ($1, $2, $3, $4)")
                .bind(&project).bind(&req.client_id).bind(&caller.user_id).bind(acked as i64).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(Json(PushResponse {
        acked_seq: acked,
        results,
        epoch,
    }))
}

async fn stored_outcome(
    tx: &mut Transaction<'_, Any>,
    project: &str,
    client: &str,
    seq: u64,
) -> Result<OpResult, ApiError> {
    let row = sqlx::query(
        "SELECT result FROM push_outcomes WHERE project_id = $1 AND client_id = $2 AND seq = $3",
    )
    .bind(project)
    .bind(client)
    .bind(seq as i64)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("result")?)
            .map_err(|e| ApiError::bad_request("corrupt_outcome", e.to_string()))?,
        None => OpResult {
            seq,
            op_id: String::new(),
            outcome: Outcome::Duplicate,
            version: None,
            reason: None,
        },
    })
}

/// The class labels of a project.
pub async fn project_labels(state: &AppState, project: &str) -> Result<Vec<String>, ApiError> {
    let row = sqlx::query("SELECT labels FROM projects WHERE id = $1")
        .bind(project)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("project `{project}` not found")))?;
    Ok(serde_json::from_str(&row.try_get::<String, _>("labels")?).unwrap_or_default())
}

fn validate(op: &Op, labels: &[String]) -> Result<(), String> {
    let too_long = |field: &Option<String>| field.as_ref().is_some_and(|f| f.len() > MAX_OP_FIELD);
    match (op.kind, &op.value) {
        (OpKind::Upsert, None) => Err("an upsert needs a value".into()),
        (OpKind::Upsert, Some(v)) if !labels.contains(&v.class) => {
            Err(format!("`{}` is not a class of this project", v.class))
        }
        (_, Some(v)) if too_long(&v.suggestion) || too_long(&v.model_version) => Err(format!(
            "suggestion and model_version are at most {MAX_OP_FIELD} bytes"
        )),
        _ if op.item_id.is_empty() || op.item_id.len() > 256 => {
            Err("item_id must be 1 to 256 characters".into())
        }
        _ => Ok(()),
    }
}

/// Applies one new op: last writer wins by `(hlc, client_id)`; every op lands in `label_events`.
async fn apply(
    tx: &mut Transaction<'_, Any>,
    project: &str,
    annotator: &str,
    client: &str,
    op: &Op,
    labels: &[String],
) -> Result<OpResult, ApiError> {
    // Op ids are unique per annotator: another member cannot make this person's ops look like
    // duplicates by sending their ids first.
    let dup = sqlx::query("SELECT 1 AS one FROM label_events WHERE project_id = $1 AND annotator_id = $2 AND op_id = $3")
        .bind(project)
        .bind(annotator)
        .bind(&op.op_id)
        .fetch_optional(&mut **tx)
        .await?;
    if dup.is_some() {
        let current = current_version(tx, project, &op.item_id, annotator).await?;
        return Ok(OpResult {
            seq: op.seq,
            op_id: op.op_id.clone(),
            outcome: Outcome::Duplicate,
            version: current,
            reason: None,
        });
    }
    let hlc = op
        .hlc
        .bounded(now_ms() as u64, MAX_CLOCK_SKEW_MS, MAX_HLC_COUNTER);
    let mut reason = validate(op, labels).err();
    if reason.is_none() {
        let item = sqlx::query("SELECT 1 AS one FROM items WHERE project_id = $1 AND id = $2")
            .bind(project)
            .bind(&op.item_id)
            .fetch_optional(&mut **tx)
            .await?;
        if item.is_none() {
            reason = Some(format!("item `{}` is not in this project", op.item_id));
        }
    }
    let (outcome, version) = match reason {
        Some(_) => (Outcome::Rejected, None),
        None => {
            let current = sqlx::query("SELECT hlc_wall, hlc_counter, client_id, version FROM labels WHERE project_id = $1 AND item_id = $2 AND annotator_id = $3")
                .bind(project).bind(&op.item_id).bind(annotator).fetch_optional(&mut **tx).await?;
            let beaten = match &current {
                Some(row) => {
                    let stored = hlc_from_row(row)?;
                    let holder: String = row.try_get("client_id")?;
                    (!wins((hlc, client), (stored, &holder)))
                        .then_some(row.try_get::<i64, _>("version")?)
                }
                None => None,
            };
            match beaten {
                Some(winner) => (Outcome::Superseded, Some(winner)),
                None => {
                    let version: i64 = sqlx::query("UPDATE projects SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq")
                        .bind(project).fetch_one(&mut **tx).await?.try_get("change_seq")?;
                    let value = op
                        .value
                        .as_ref()
                        .filter(|_| op.kind == OpKind::Upsert)
                        .map(|v| serde_json::to_string(v).expect("serializable"));
                    sqlx::query("DELETE FROM labels WHERE project_id = $1 AND item_id = $2 AND annotator_id = $3")
                        .bind(project).bind(&op.item_id).bind(annotator).execute(&mut **tx).await?;
                    sqlx::query("INSERT INTO labels (project_id, item_id, annotator_id, value, deleted, hlc_wall, hlc_counter, client_id, op_id, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                        .bind(project).bind(&op.item_id).bind(annotator).bind(value)
                        .bind(i64::from(op.kind == OpKind::Delete)).bind(hlc.wall as i64).bind(i64::from(hlc.counter))
                        .bind(client).bind(&op.op_id).bind(version).execute(&mut **tx).await?;
                    (Outcome::Applied, Some(version))
                }
            }
        }
    };
    sqlx::query("INSERT INTO label_events (project_id, item_id, annotator_id, client_id, op_id, kind, value, hlc_wall, hlc_counter, outcome, reason, version, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(project).bind(&op.item_id).bind(annotator).bind(client).bind(&op.op_id)
        .bind(if op.kind == OpKind::Delete { "delete" } else { "upsert" })
        .bind(op.value.as_ref().map(|v| serde_json::to_string(v).expect("serializable")))
        .bind(hlc.wall as i64).bind(i64::from(hlc.counter))
        .bind(serde_json::to_value(outcome).expect("serializable").as_str().unwrap_or_default().to_string())
        .bind(reason.clone()).bind(version).bind(now_ms()).execute(&mut **tx).await?;
    Ok(OpResult {
        seq: op.seq,
        op_id: op.op_id.clone(),
        outcome,
        version,
        reason,
    })
}

async fn current_version(
    tx: &mut Transaction<'_, Any>,
    project: &str,
    item: &str,
    annotator: &str,
) -> Result<Option<i64>, ApiError> {
    let row = sqlx::query(
        "SELECT version FROM labels WHERE project_id = $1 AND item_id = $2 AND annotator_id = $3",
    )
    .bind(project)
    .bind(item)
    .bind(annotator)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.try_get::<i64, _>("version")).transpose()?)
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

/// Decodes a `labels` row as a change.
pub fn change_from_row(row: &sqlx::any::AnyRow) -> Result<Change, sqlx::Error> {
    let value: Option<String> = row.try_get("value")?;
    Ok(Change {
        version: row.try_get("version")?,
        item_id: row.try_get("item_id")?,
        annotator_id: row.try_get("annotator_id")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        value: value.and_then(|v| serde_json::from_str::<LabelValue>(&v).ok()),
        hlc: hlc_from_row(row)?,
        client_id: row.try_get("client_id")?,
    })
}

/// Reads the `hlc_wall` and `hlc_counter` columns of a `labels` row.
fn hlc_from_row(row: &sqlx::any::AnyRow) -> Result<Hlc, sqlx::Error> {
    Ok(Hlc {
        wall: row.try_get::<i64, _>("hlc_wall")? as u64,
        counter: row.try_get::<i64, _>("hlc_counter")? as u32,
    })
}

/// Handles a pull: the latest change of every key with a version after the cursor, in
/// version order (an annotator's own keys only). Versions are handed out under the project's row lock inside the writing
/// transaction, so they commit in order and a cursor never skips a change.
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let role = caller.role_in(&state, &project).await?;
    // Annotators see only their own labels (no anchoring on colleagues' answers); owners and
    // reviewers see everyone's.
    let only = (role == Role::Annotator).then_some(caller.user_id.as_str());
    let limit = q.limit.unwrap_or(MAX_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PULL_LIMIT}"),
        ));
    }
    let epoch = state.db.epoch().await?;
    let head: i64 = sqlx::query("SELECT change_seq FROM projects WHERE id = $1")
        .bind(&project)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("change_seq")?;
    if q.cursor < 0 || q.cursor > head {
        return Err(ApiError::new(
            StatusCode::GONE,
            "cursor_expired",
            "this cursor is unknown to the server (restored from a backup?); pull again from 0",
        )
        .with(serde_json::json!({"epoch": epoch})));
    }
    let rows = sqlx::query("SELECT item_id, annotator_id, value, deleted, hlc_wall, hlc_counter, client_id, version FROM labels WHERE project_id = $1 AND version > $2 AND ($3 IS NULL OR annotator_id = $3) ORDER BY version LIMIT $4")
        .bind(&project).bind(q.cursor).bind(only).bind(limit + 1).fetch_all(&state.db.pool).await?;
    let has_more = rows.len() as i64 > limit;
    let changes = rows
        .iter()
        .take(limit as usize)
        .map(change_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = changes.last().map_or(q.cursor, |c| c.version);
    let model_version = super::models::current_version(&state, &project).await?;
    Ok(Json(PullResponse {
        changes,
        next_cursor,
        has_more,
        epoch,
        model_version,
    }))
}
