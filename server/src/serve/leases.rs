//! Leases: batches of unlabeled items, content included, handed to one person's browser so it
//! can keep labeling offline. A lease is soft: it keeps the items out of colleagues' next
//! batches until it expires, and never blocks a label.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::db::now_ms;
use super::error::{ApiError, ApiJson};

/// Most items one lease hands out.
pub const MAX_LEASE: usize = 1000;
/// How long a lease holds (a working day offline, and then some).
pub const LEASE_MS: i64 = 24 * 3600 * 1000;
/// Most unlabeled items one person may hold in a project at once (no one hoards a project).
pub const MAX_HELD: i64 = 2 * MAX_LEASE as i64;
/// Most content bytes one lease answer carries (before base64); at least one item is sent.
pub const MAX_LEASE_BYTES: usize = 32 * 1024 * 1024;

/// `POST /projects/{p}/leases`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    /// How many items (default 500, at most 1000).
    pub limit: Option<usize>,
    /// Items the browser holds already (they are not sent again).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// One leased item with its content.
#[derive(Debug, Serialize)]
pub struct LeasedItem {
    /// Item id.
    pub id: String,
    /// `image` or `text`.
    pub kind: String,
    /// MIME type of the content.
    pub content_type: String,
    /// sha256 of the content.
    pub sha256: String,
    /// The content, base64.
    pub content_b64: String,
}

/// The answer: the items and when their lease ends.
#[derive(Debug, Serialize)]
pub struct Lease {
    /// Unlabeled items, in upload order.
    pub items: Vec<LeasedItem>,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    /// Unlabeled items in the project that nobody else holds (this lease included).
    pub available: i64,
}

/// Hands the caller up to `limit` unlabeled items nobody else holds, and (re)leases them.
pub async fn lease(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<LeaseRequest>,
) -> Result<Json<Lease>, ApiError> {
    caller
        .require(&state, &project, &[Role::Owner, Role::Annotator])
        .await?;
    let limit = req.limit.unwrap_or(500);
    if !(1..=MAX_LEASE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_LEASE}"),
        ));
    }
    if req.exclude.len() > 10 * MAX_LEASE {
        return Err(ApiError::bad_request(
            "too_many_excluded",
            format!("exclude at most {} ids", 10 * MAX_LEASE),
        ));
    }
    let exclude: HashSet<&str> = req.exclude.iter().map(String::as_str).collect();
    let now = now_ms();
    const FREE: &str = "FROM items i WHERE i.project_id = $1
          AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = i.project_id AND l.item_id = i.id AND l.deleted = 0)
          AND NOT EXISTS (SELECT 1 FROM leases s WHERE s.project_id = i.project_id AND s.item_id = i.id AND s.user_id <> $2 AND s.expires_at > $3)";
    // How many are free is for display: counted before the write lock (on SQLite the count over
    // a large project took most of a lease's time under the lock, and every push waited).
    let available: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {FREE}"))
        .bind(&project)
        .bind(&caller.user_id)
        .bind(now)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("n")?;
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    // One lease of a project at a time, across processes: on PostgreSQL this takes the
    // project's row lock (on SQLite the write guard already serializes). Concurrent leases
    // otherwise picked the same free items and failed on the leases' primary key.
    sqlx::query("UPDATE projects SET change_seq = change_seq WHERE id = $1")
        .bind(&project)
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT i.id, i.kind, i.content_type, i.sha256, CAST(LENGTH(i.content) AS BIGINT) AS size {FREE} ORDER BY i.seq LIMIT $4"
    ))
    .bind(&project)
    .bind(&caller.user_id)
    .bind(now)
    .bind((limit + exclude.len()) as i64)
    .fetch_all(&mut *tx)
    .await?;
    let held: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM leases s WHERE s.project_id = $1 AND s.user_id = $2 AND s.expires_at > $3
           AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.deleted = 0)",
    )
    .bind(&project)
    .bind(&caller.user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    // Items in `exclude` are held already; new ones count against what the caller may hold.
    let limit = limit.min((MAX_HELD - held).max(0) as usize);
    let expires_at = now + LEASE_MS;
    let mut items = Vec::new();
    let mut bytes = 0usize;
    for r in rows {
        let id: String = r.try_get("id")?;
        if exclude.contains(id.as_str()) {
            continue;
        }
        if items.len() == limit {
            break;
        }
        let size = r.try_get::<i64, _>("size")? as usize;
        if !items.is_empty() && bytes + size > MAX_LEASE_BYTES {
            break;
        }
        bytes += size;
        let content: Vec<u8> =
            sqlx::query("SELECT content FROM items WHERE project_id = $1 AND id = $2")
                .bind(&project)
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("content")?;
        sqlx::query("DELETE FROM leases WHERE project_id = $1 AND item_id = $2")
            .bind(&project)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO leases (project_id, item_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&project)
        .bind(&id)
        .bind(&caller.user_id)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        items.push(LeasedItem {
            id,
            kind: r.try_get("kind")?,
            content_type: r.try_get("content_type")?,
            sha256: r.try_get("sha256")?,
            content_b64: base64::engine::general_purpose::STANDARD.encode(content),
        });
    }
    tx.commit().await?;
    Ok(Json(Lease {
        items,
        expires_at,
        available,
    }))
}
