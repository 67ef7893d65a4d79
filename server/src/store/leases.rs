//! `leases`: which items a person holds to label, until when. An item needs one label, or two
//! when it is one of the project's overlap items (`(seq * 37) % 100 < overlap_percent`); a gold
//! item (an owner's known answer) goes to every annotator.

use sqlx::Row;

use super::types::{Task, column};
use super::{Db, Tx};

/// Items of `$1` that still need a label `$2` may give: not labeled by `$2`, with fewer current
/// labels than they need (every annotator labels a gold item; 2 for an overlap item under `$4`
/// percent, else 1), and not held at time `$3` by someone else who has not labeled them.
const FREE: &str = "FROM items i WHERE i.project_id = $1
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = i.project_id AND l.item_id = i.id AND l.deleted = 0 AND l.annotator_id = $2)
      AND (i.gold IS NOT NULL OR (SELECT COUNT(*) FROM labels l WHERE l.project_id = i.project_id AND l.item_id = i.id AND l.deleted = 0)
          < CASE WHEN (i.seq * 37) % 100 < $4 THEN 2 ELSE 1 END)
      AND (i.gold IS NOT NULL OR NOT EXISTS (SELECT 1 FROM leases s WHERE s.project_id = i.project_id AND s.item_id = i.id AND s.user_id <> $2 AND s.expires_at > $3
          AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.annotator_id = s.user_id AND l.deleted = 0)))";

/// How many items of `project` `user_id` could lease at `now` (see [`FREE`]).
pub async fn count_free(
    db: &Db,
    project: &str,
    user_id: &str,
    now: i64,
    overlap_percent: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(&format!("SELECT COUNT(*) AS n {FREE}"))
        .bind(project)
        .bind(user_id)
        .bind(now)
        .bind(overlap_percent)
        .fetch_one(&db.pool)
        .await?
        .try_get("n")
}

/// An item without its content (free for a lease, or labeled for a review).
#[derive(Debug, Clone)]
pub struct FreeItem {
    /// Id.
    pub id: String,
    /// What it is.
    pub kind: Task,
    /// MIME type.
    pub content_type: String,
    /// sha256 of the content.
    pub sha256: String,
    /// Content bytes.
    pub size: usize,
}

/// The columns of a [`FreeItem`] over `items i`.
pub(super) const ITEM_COLUMNS: &str =
    "i.id, i.kind, i.content_type, i.sha256, CAST(LENGTH(i.content) AS BIGINT) AS size";

impl FreeItem {
    /// Decodes a row of [`ITEM_COLUMNS`].
    pub(super) fn from_row(r: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(FreeItem {
            id: r.try_get("id")?,
            kind: column(r, "kind", Task::parse)?,
            content_type: r.try_get("content_type")?,
            sha256: r.try_get("sha256")?,
            size: r.try_get::<i64, _>("size")? as usize,
        })
    }
}

/// The first `limit` free items (as [`count_free`]) in upload order.
pub async fn free(
    tx: &mut Tx,
    project: &str,
    user_id: &str,
    now: i64,
    overlap_percent: i64,
    limit: i64,
) -> Result<Vec<FreeItem>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} {FREE} ORDER BY i.seq LIMIT $5"
    ))
    .bind(project)
    .bind(user_id)
    .bind(now)
    .bind(overlap_percent)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(FreeItem::from_row)
    .collect()
}

/// How many items `user_id` holds in `project` at `now` and has not labeled yet.
pub async fn held(tx: &mut Tx, project: &str, user_id: &str, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM leases s WHERE s.project_id = $1 AND s.user_id = $2 AND s.expires_at > $3
           AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.annotator_id = s.user_id AND l.deleted = 0)",
    )
    .bind(project)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")
}

/// One item's content (inside the leasing transaction).
pub async fn content(tx: &mut Tx, project: &str, item: &str) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query("SELECT content FROM items WHERE project_id = $1 AND id = $2")
        .bind(project)
        .bind(item)
        .fetch_one(&mut **tx)
        .await?
        .try_get("content")
}

/// Leases `item` to `user_id` until `expires_at` (replacing any lease on it).
pub async fn take(
    tx: &mut Tx,
    project: &str,
    item: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE project_id = $1 AND item_id = $2")
        .bind(project)
        .bind(item)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO leases (project_id, item_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(project)
    .bind(item)
    .bind(user_id)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
