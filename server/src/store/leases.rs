//! `leases`: which items a person holds to label, until when. An item needs one label, or two
//! when it is one of the project's overlap items (`(seq * 37) % 100 < overlap_percent`); a gold
//! item (an owner's known answer) goes to every annotator. A lease ends when its holder labels
//! the item (or when it expires).

use sqlx::Row;

use super::types::{Task, column};
use super::{Db, Tx};

/// Items of `$1` that still need a label `$2` may give: the project's items that need a label
/// (`items.needs_label`, kept by the server: fewer current labels than they need, or gold), not
/// labeled by `$2`, and — unless gold, which every annotator labels — not held at time `$3` by
/// someone else who has not labeled them.
const FREE: &str = "FROM items i WHERE i.project_id = $1 AND i.needs_label = 1
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = i.project_id AND l.item_id = i.id AND l.annotator_id = $2 AND l.deleted = 0)
      AND (i.gold IS NOT NULL OR NOT EXISTS (SELECT 1 FROM leases s WHERE s.project_id = i.project_id AND s.item_id = i.id AND s.user_id <> $2 AND s.expires_at > $3
          AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.annotator_id = s.user_id AND l.deleted = 0)))";

/// How many items of `project` `user_id` could lease at `now` (those [`FREE`] selects),
/// without visiting each: the items that need a label, less those `user_id` labeled, less
/// those someone else holds (a lease ends when its holder labels the item, so the leases
/// read are the outstanding ones). Three index reads instead of a scan of the project.
pub async fn count_free(
    db: &Db,
    project: &str,
    user_id: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT (SELECT COUNT(*) FROM items i WHERE i.project_id = $1 AND i.needs_label = 1)
          - (SELECT COUNT(*) FROM labels l JOIN items i ON i.project_id = l.project_id AND i.id = l.item_id
              WHERE l.project_id = $1 AND l.annotator_id = $2 AND l.deleted = 0 AND i.needs_label = 1)
          - (SELECT COUNT(*) FROM leases s JOIN items i ON i.project_id = s.project_id AND i.id = s.item_id
              WHERE s.project_id = $1 AND s.user_id <> $2 AND s.expires_at > $3 AND i.needs_label = 1 AND i.gold IS NULL
                AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.annotator_id = s.user_id AND l.deleted = 0)
                AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = s.project_id AND l.item_id = s.item_id AND l.annotator_id = $2 AND l.deleted = 0)) AS n",
    )
    .bind(project)
    .bind(user_id)
    .bind(now)
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

/// The first `limit` free items (see [`FREE`]) in upload order.
pub async fn free(
    tx: &mut Tx,
    project: &str,
    user_id: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<FreeItem>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} {FREE} ORDER BY i.seq LIMIT $4"
    ))
    .bind(project)
    .bind(user_id)
    .bind(now)
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

/// `$2, $3, …` for `n` item ids (after the project as `$1`), for an `IN (…)` list.
fn id_list(n: usize) -> String {
    (2..2 + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sql` (whose `$1` is the project and `$2…` the ids of [`id_list`]) with its values bound.
fn with_ids<'q>(
    sql: &'q str,
    project: &'q str,
    items: &[&'q str],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    items
        .iter()
        .fold(sqlx::query(sql).bind(project), |q, id| q.bind(*id))
}

/// The contents of `items` of `project`, by id (items never change, so this needs no lock).
pub async fn contents(
    db: &Db,
    project: &str,
    items: &[&str],
) -> Result<std::collections::HashMap<String, Vec<u8>>, sqlx::Error> {
    let mut out = std::collections::HashMap::with_capacity(items.len());
    if items.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT id, content FROM items WHERE project_id = $1 AND id IN ({})",
        id_list(items.len())
    );
    for row in with_ids(&sql, project, items).fetch_all(&db.pool).await? {
        out.insert(row.try_get("id")?, row.try_get("content")?);
    }
    Ok(out)
}

/// Leases `items` to `user_id` until `expires_at` (replacing any lease on them), in two
/// statements whatever their number.
pub async fn take(
    tx: &mut Tx,
    project: &str,
    items: &[&str],
    user_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let delete = format!(
        "DELETE FROM leases WHERE project_id = $1 AND item_id IN ({})",
        id_list(items.len())
    );
    with_ids(&delete, project, items).execute(&mut **tx).await?;
    // The same numbering: $1 project, $2… ids, then the holder and the expiry.
    let (user, expiry) = (items.len() + 2, items.len() + 3);
    let rows: Vec<String> = (2..2 + items.len())
        .map(|i| format!("($1, ${i}, ${user}, ${expiry})"))
        .collect();
    let insert = format!(
        "INSERT INTO leases (project_id, item_id, user_id, expires_at) VALUES {}",
        rows.join(", ")
    );
    with_ids(&insert, project, items)
        .bind(user_id)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends `user_id`'s lease on `item`, if they hold it (they labeled it).
pub async fn end(tx: &mut Tx, project: &str, item: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE project_id = $1 AND item_id = $2 AND user_id = $3")
        .bind(project)
        .bind(item)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
