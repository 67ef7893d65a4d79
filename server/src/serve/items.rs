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
use super::error::{ApiError, ApiQuery, UploadBody};

/// Most items one page lists.
pub const MAX_PAGE: i64 = 500;

/// Content types an item may have: images the trainer decodes, and plain text. Anything a
/// browser would run (SVG, HTML) is refused, so stored content can never be active.
pub const ITEM_CONTENT_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "text/plain"];

/// The kind (`image` or `text`) of an item with this content type and content: the type must
/// be one of [`ITEM_CONTENT_TYPES`], an image must decode (within the photo size limits) and a
/// text must be UTF-8. One undecodable item would otherwise fail every later training job.
pub fn item_kind(content_type: &str, content: &[u8]) -> Result<&'static str, ApiError> {
    if !ITEM_CONTENT_TYPES.contains(&content_type) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "items are {}; got `{content_type}`",
                ITEM_CONTENT_TYPES.join(", ")
            ),
        ));
    }
    if content_type == "text/plain" {
        return match std::str::from_utf8(content) {
            Ok(t) if !t.trim().is_empty() => Ok("text"),
            Ok(_) => Err(ApiError::bad_request("invalid_text", "the text is empty")),
            Err(_) => Err(ApiError::bad_request(
                "invalid_text",
                "text items must be UTF-8",
            )),
        };
    }
    crate::data::photo::decode_photo(content).map_err(|e| {
        ApiError::bad_request(
            "invalid_image",
            format!("this image cannot be used ({}): {e}", e.code()),
        )
    })?;
    Ok("image")
}

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
    let kind = item_kind(content_type, content)?;
    let task: String = sqlx::query("SELECT task FROM projects WHERE id = $1")
        .bind(project)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("project `{project}` not found")))?
        .try_get("task")?;
    if task != kind {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "wrong_item_kind",
            format!("`{project}` is a {task} project; this item is a {kind}"),
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
    body: UploadBody,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let body = body.read(super::MAX_ITEM_BODY).await?;
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
