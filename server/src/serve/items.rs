//! Items: upload, paged listing, and content served with strong caching.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::db::now_ms;
use super::error::{ApiBytes, ApiError, ApiQuery};

/// Most items one page lists.
pub const MAX_PAGE: i64 = 500;

/// Inserts an item (content is immutable: re-uploading different bytes under one id is a
/// conflict). Returns whether it was new.
pub async fn insert_item(
    state: &AppState,
    project: &str,
    id: &str,
    content_type: &str,
    content: &[u8],
    true_label: Option<&str>,
) -> Result<bool, ApiError> {
    if id.is_empty() || id.len() > 256 || id.contains('/') {
        return Err(ApiError::bad_request(
            "invalid_item_id",
            "item ids are 1 to 256 characters without `/`",
        ));
    }
    let kind = if content_type.starts_with("image/") {
        "image"
    } else if content_type.starts_with("text/") {
        "text"
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "items are image/* or text/plain",
        ));
    };
    if kind == "text" && std::str::from_utf8(content).is_err() {
        return Err(ApiError::bad_request(
            "invalid_text",
            "text items must be UTF-8",
        ));
    }
    let sha = kindling::bundle::sha256_hex(content);
    let _guard = state.db.write_guard().await;
    let existing = sqlx::query("SELECT sha256 FROM items WHERE project_id = $1 AND id = $2")
        .bind(project)
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    if let Some(row) = existing {
        let old: String = row.try_get("sha256")?;
        return if old == sha {
            Ok(false)
        } else {
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "item_exists",
                format!("item `{id}` exists with other content; items are immutable"),
            ))
        };
    }
    sqlx::query("INSERT INTO items (project_id, id, kind, content, content_type, sha256, true_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(project).bind(id).bind(kind).bind(content.to_vec()).bind(content_type).bind(&sha).bind(true_label).bind(now_ms())
        .execute(&state.db.pool).await?;
    Ok(true)
}

/// `PUT /projects/{p}/items/{id}` with an `image/*` or `text/plain` body (owners).
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let created = insert_item(
        &state,
        &project,
        &id,
        ct.split(';').next().unwrap_or("").trim(),
        &body,
        None,
    )
    .await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

/// Query of the item listing.
#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    /// Items after this position (from the previous page's `next_cursor`).
    #[serde(default)]
    pub cursor: i64,
    /// Page size (default 100, at most 500).
    pub limit: Option<i64>,
}

/// `GET /projects/{p}/items?cursor=&limit=`: ids, kinds and hashes, in upload order.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.role_in(&state, &project).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let rows = sqlx::query("SELECT id, kind, content_type, sha256, seq FROM items WHERE project_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(&project).bind(q.cursor).bind(limit + 1).fetch_all(&state.db.pool).await?;
    let has_more = rows.len() as i64 > limit;
    let mut next = q.cursor;
    let mut items = Vec::new();
    for r in rows.iter().take(limit as usize) {
        next = r.try_get("seq")?;
        items.push(serde_json::json!({"id": r.try_get::<String, _>("id")?, "kind": r.try_get::<String, _>("kind")?,
            "content_type": r.try_get::<String, _>("content_type")?, "sha256": r.try_get::<String, _>("sha256")?}));
    }
    Ok(Json(
        serde_json::json!({"items": items, "next_cursor": next, "has_more": has_more}),
    ))
}

/// `GET /projects/{p}/items/{id}/content`: the bytes, immutable, with an ETag.
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.role_in(&state, &project).await?;
    let row = sqlx::query(
        "SELECT content, content_type, sha256 FROM items WHERE project_id = $1 AND id = $2",
    )
    .bind(&project)
    .bind(&id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("item `{id}` not found")))?;
    let etag = format!("\"{}\"", row.try_get::<String, _>("sha256")?);
    immutable(
        &headers,
        &etag,
        row.try_get("content_type")?,
        row.try_get("content")?,
    )
}

/// An immutable response with an ETag (304 when the client has it). Private: the content
/// belongs to a project, so shared caches must not keep it.
pub fn immutable(
    headers: &HeaderMap,
    etag: &str,
    content_type: String,
    body: Vec<u8>,
) -> Result<Response, ApiError> {
    let cache = HeaderValue::from_static("private, max-age=31536000, immutable");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag)
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag.to_string())],
            [(header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let ct = if content_type.starts_with("text/") && !content_type.contains("charset") {
        format!("{content_type}; charset=utf-8")
    } else {
        content_type
    };
    Ok((
        StatusCode::OK,
        [(header::ETAG, etag.to_string()), (header::CONTENT_TYPE, ct)],
        [(header::CACHE_CONTROL, cache)],
        body,
    )
        .into_response())
}
