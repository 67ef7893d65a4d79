//! `items`: immutable contents, in upload order (`seq`).

use sqlx::Row;

use super::types::{Task, column};
use super::{Db, Tx, now_ms};

/// An item as listed (no content).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ItemRow {
    /// Id.
    pub id: String,
    /// What it is.
    pub kind: Task,
    /// MIME type of the content.
    pub content_type: String,
    /// sha256 of the content.
    pub sha256: String,
    /// Position in upload order.
    #[serde(skip)]
    pub seq: i64,
}

/// A new item.
#[derive(Debug, Clone, Copy)]
pub struct NewItem<'a> {
    /// Id.
    pub id: &'a str,
    /// What it is.
    pub kind: Task,
    /// MIME type.
    pub content_type: &'a str,
    /// The bytes.
    pub content: &'a [u8],
    /// sha256 of the bytes.
    pub sha256: &'a str,
    /// The true class, when an import knows it (benchmarks and simulations).
    pub true_label: Option<&'a str>,
}

/// What inserting an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new item.
    Created,
    /// The same content was there under this id already.
    Same,
    /// Other content is there under this id (nothing written).
    Conflict,
}

/// Inserts an item unless its id is taken.
pub async fn insert(db: &Db, project: &str, item: NewItem<'_>) -> Result<Inserted, sqlx::Error> {
    let _turn = db.write_guard().await;
    let existing = sqlx::query("SELECT sha256 FROM items WHERE project_id = $1 AND id = $2")
        .bind(project)
        .bind(item.id)
        .fetch_optional(&db.pool)
        .await?;
    if let Some(row) = existing {
        let old: String = row.try_get("sha256")?;
        return Ok(if old == item.sha256 {
            Inserted::Same
        } else {
            Inserted::Conflict
        });
    }
    sqlx::query("INSERT INTO items (project_id, id, kind, content, content_type, sha256, true_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(project).bind(item.id).bind(item.kind.as_str()).bind(item.content.to_vec()).bind(item.content_type)
        .bind(item.sha256).bind(item.true_label).bind(now_ms())
        .execute(&db.pool).await?;
    Ok(Inserted::Created)
}

/// Up to `limit` items after position `cursor`, in upload order.
pub async fn page(
    db: &Db,
    project: &str,
    cursor: i64,
    limit: i64,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query("SELECT id, kind, content_type, sha256, seq FROM items WHERE project_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(project)
        .bind(cursor)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ItemRow {
                id: r.try_get("id")?,
                kind: column(r, "kind", Task::parse)?,
                content_type: r.try_get("content_type")?,
                sha256: r.try_get("sha256")?,
                seq: r.try_get("seq")?,
            })
        })
        .collect()
}

/// An item's content with its type and hash.
#[derive(Debug, Clone)]
pub struct Content {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub content_type: String,
    /// sha256 of the bytes.
    pub sha256: String,
}

/// One item's content.
pub async fn content(db: &Db, project: &str, id: &str) -> Result<Option<Content>, sqlx::Error> {
    sqlx::query("SELECT content, content_type, sha256 FROM items WHERE project_id = $1 AND id = $2")
        .bind(project)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| {
            Ok(Content {
                bytes: r.try_get("content")?,
                content_type: r.try_get("content_type")?,
                sha256: r.try_get("sha256")?,
            })
        })
        .transpose()
}

/// How many items the project has.
pub async fn count(db: &Db, project: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM items WHERE project_id = $1")
        .bind(project)
        .fetch_one(&db.pool)
        .await?
        .try_get("n")
}

/// The contents of the project's first `limit` image items, in upload order.
pub async fn first_images(db: &Db, project: &str, limit: i64) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query(
        "SELECT content FROM items WHERE project_id = $1 AND kind = 'image' ORDER BY seq LIMIT $2",
    )
    .bind(project)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| r.try_get("content"))
    .collect()
}

/// Items of `project` with at least one current label, in upload order (no content), up to
/// `limit`.
pub async fn labeled(
    db: &Db,
    project: &str,
    limit: i64,
) -> Result<Vec<super::leases::FreeItem>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {} FROM items i
          WHERE i.project_id = $1
            AND EXISTS (SELECT 1 FROM labels l WHERE l.project_id = i.project_id AND l.item_id = i.id AND l.deleted = 0)
          ORDER BY i.seq LIMIT $2",
        super::leases::ITEM_COLUMNS
    ))
    .bind(project)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(super::leases::FreeItem::from_row)
    .collect()
}

/// Whether an item of `items` needs a label (1) or not (0): fewer current labels than it needs
/// (2 for one of the project's overlap items, `(seq * 37) % 100 < overlap_percent`, else 1), or
/// a gold item, which every annotator labels. Migration 0011 fills the column with the same rule.
const NEEDS_LABEL: &str = "CASE WHEN gold IS NOT NULL
    OR (SELECT COUNT(*) FROM labels l WHERE l.project_id = items.project_id AND l.item_id = items.id AND l.deleted = 0)
       < CASE WHEN (seq * 37) % 100 < (SELECT p.overlap_percent FROM projects p WHERE p.id = items.project_id) THEN 2 ELSE 1 END
  THEN 1 ELSE 0 END";

/// Recomputes `items.needs_label` of one item (after its labels or gold answer changed).
pub async fn refresh_needs_label(tx: &mut Tx, project: &str, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE items SET needs_label = {NEEDS_LABEL} WHERE project_id = $1 AND id = $2"
    ))
    .bind(project)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recomputes `items.needs_label` of every item of `project` (after its overlap percent changed).
pub async fn refresh_project_needs_label(tx: &mut Tx, project: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE items SET needs_label = {NEEDS_LABEL} WHERE project_id = $1"
    ))
    .bind(project)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets (or, with `None`, clears) an item's gold answer; `false` when there is no such item.
pub async fn set_gold(
    db: &Db,
    project: &str,
    id: &str,
    gold: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut w = db.write().await?;
    let found = sqlx::query("UPDATE items SET gold = $1 WHERE project_id = $2 AND id = $3")
        .bind(gold)
        .bind(project)
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected()
        > 0;
    refresh_needs_label(&mut w.tx, project, id).await?;
    w.commit().await?;
    Ok(found)
}
