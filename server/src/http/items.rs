//! Items over HTTP: upload, paged listing, and content served with strong caching.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery, UploadBody};
use crate::domain::items::{self, ItemsPage};
use crate::store::types::Role;

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
    let content_type = ct.split(';').next().unwrap_or("").trim();
    let created = items::insert(&state.db, &project, &id, content_type, &body, None).await?;
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
) -> Result<Json<ItemsPage>, ApiError> {
    caller.role_in(&state, &project).await?;
    Ok(Json(
        items::page(&state.db, &project, q.cursor, q.limit).await?,
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
    let c = items::content(&state.db, &project, &id).await?;
    Ok(immutable(
        &headers,
        &format!("\"{}\"", c.sha256),
        c.content_type,
        c.bytes,
    ))
}

/// An immutable response with an ETag (304 when the client has it). Private: the content
/// belongs to a project, so shared caches must not keep it.
pub fn immutable(headers: &HeaderMap, etag: &str, content_type: String, body: Vec<u8>) -> Response {
    let cache = HeaderValue::from_static("private, max-age=31536000, immutable");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag)
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag.to_string())],
            [(header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let ct = if content_type.starts_with("text/") && !content_type.contains("charset") {
        format!("{content_type}; charset=utf-8")
    } else {
        content_type
    };
    (
        StatusCode::OK,
        [(header::ETAG, etag.to_string()), (header::CONTENT_TYPE, ct)],
        [(header::CACHE_CONTROL, cache)],
        body,
    )
        .into_response()
}

/// `PUT /projects/{p}/items/{id}/gold` with `{class}` (owners): marks or unmarks a gold item.
pub async fn set_gold(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<items::Gold>,
) -> Result<Json<items::Gold>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    items::set_gold(&state.db, &project, &id, &body).await?;
    Ok(Json(body))
}
