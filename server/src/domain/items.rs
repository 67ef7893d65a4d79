//! Items: what content an item may have, uploads (immutable), and paged listing.

use serde::Serialize;
use ts_rs::TS;

use super::error::{Error, Refusal, Result};
use crate::store::items::{Content, Inserted, ItemRow, NewItem};
use crate::store::types::Task;
use crate::store::{self, Db};

/// Most items one page lists.
pub const MAX_PAGE: i64 = 500;

/// Content types an item may have: images the trainer decodes, and plain text. Anything a
/// browser would run (SVG, HTML) is refused, so stored content can never be active.
pub const ITEM_CONTENT_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "text/plain"];

/// The kind (`image` or `text`) of an item with this content type and content: the type must
/// be one of [`ITEM_CONTENT_TYPES`], an image must decode (within the photo size limits) and a
/// text must be UTF-8. One undecodable item would otherwise fail every later training job.
pub fn item_kind(content_type: &str, content: &[u8]) -> Result<Task> {
    if !ITEM_CONTENT_TYPES.contains(&content_type) {
        return Err(Error::refused(
            Refusal::Unsupported,
            "unsupported_media_type",
            format!(
                "items are {}; got `{content_type}`",
                ITEM_CONTENT_TYPES.join(", ")
            ),
        ));
    }
    if content_type == "text/plain" {
        return match std::str::from_utf8(content) {
            Ok(t) if !t.trim().is_empty() => Ok(Task::Text),
            Ok(_) => Err(Error::invalid("invalid_text", "the text is empty")),
            Err(_) => Err(Error::invalid("invalid_text", "text items must be UTF-8")),
        };
    }
    crate::data::photo::decode_photo(content).map_err(|e| {
        Error::invalid(
            "invalid_image",
            format!("this image cannot be used ({}): {e}", e.code()),
        )
    })?;
    Ok(Task::Image)
}

/// Inserts an item (content is immutable: re-uploading different bytes under one id is a
/// conflict). Returns whether it was new.
pub async fn insert(
    db: &Db,
    project: &str,
    id: &str,
    content_type: &str,
    content: &[u8],
    true_label: Option<&str>,
) -> Result<bool> {
    if id.is_empty() || id.len() > 256 || id.contains('/') {
        return Err(Error::invalid(
            "invalid_item_id",
            "item ids are 1 to 256 characters without `/`",
        ));
    }
    let kind = item_kind(content_type, content)?;
    let task = store::projects::get(db, project)
        .await?
        .ok_or_else(|| Error::not_found(format!("project `{project}` not found")))?
        .task;
    if task != kind {
        return Err(Error::refused(
            Refusal::Unsupported,
            "wrong_item_kind",
            format!("`{project}` is a {task} project; this item is a {kind}"),
        ));
    }
    let sha = kindling::bundle::sha256_hex(content);
    let item = NewItem {
        id,
        kind,
        content_type,
        content,
        sha256: &sha,
        true_label,
    };
    match store::items::insert(db, project, item).await? {
        Inserted::Created => Ok(true),
        Inserted::Same => Ok(false),
        Inserted::Conflict => Err(Error::conflict(
            "item_exists",
            format!("item `{id}` exists with other content; items are immutable"),
        )),
    }
}

/// A page of items.
#[derive(Debug, Serialize, TS)]
pub struct ItemsPage {
    /// Ids, kinds, types and hashes, in upload order.
    pub items: Vec<ItemRow>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: i64,
    /// Whether another page follows.
    pub has_more: bool,
}

/// Up to `limit` (1 to [`MAX_PAGE`], default 100) items after `cursor`.
pub async fn page(db: &Db, project: &str, cursor: i64, limit: Option<i64>) -> Result<ItemsPage> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let mut items = store::items::page(db, project, cursor, limit + 1).await?;
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(ItemsPage {
        next_cursor: items.last().map_or(cursor, |i| i.seq),
        items,
        has_more,
    })
}

/// One item's content.
pub async fn content(db: &Db, project: &str, id: &str) -> Result<Content> {
    store::items::content(db, project, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("item `{id}` not found")))
}

/// Body of `PUT /projects/{p}/items/{id}/gold`, and its answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Gold {
    /// The item's known class; `null` unmarks it.
    pub class: Option<String>,
}

/// Marks `id` as a gold item with its known class (or unmarks it): every annotator is handed
/// it, their labels of it measure their accuracy (owners see it), and training uses the class.
pub async fn set_gold(db: &Db, project: &str, id: &str, gold: &Gold) -> Result<()> {
    if let Some(class) = &gold.class {
        let labels = super::projects::labels(db, project).await?;
        if !labels.contains(class) {
            return Err(Error::invalid(
                "invalid_class",
                format!("`{class}` is not a class of this project"),
            ));
        }
    }
    if store::items::set_gold(db, project, id, gold.class.as_deref()).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("item `{id}` not found")))
    }
}
