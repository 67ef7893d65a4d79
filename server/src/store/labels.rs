//! `labels` (the latest value of each item × annotator), `label_events` (every op received,
//! append-only), `sync_clients` and `push_outcomes` (exactly-once push bookkeeping).

use kindling::sync::{Change, Hlc, LabelValue, OpResult};
use sqlx::Row;

use super::{Db, Tx};

/// Reads the `hlc_wall` and `hlc_counter` columns.
fn hlc_from_row(row: &sqlx::any::AnyRow) -> Result<Hlc, sqlx::Error> {
    Ok(Hlc {
        wall: row.try_get::<i64, _>("hlc_wall")? as u64,
        counter: row.try_get::<i64, _>("hlc_counter")? as u32,
    })
}

fn label_value(text: Option<String>) -> Option<LabelValue> {
    text.and_then(|v| serde_json::from_str::<LabelValue>(&v).ok())
}

/// Decodes a `labels` row as a change.
fn change_from_row(row: &sqlx::any::AnyRow) -> Result<Change, sqlx::Error> {
    Ok(Change {
        version: row.try_get("version")?,
        item_id: row.try_get("item_id")?,
        annotator_id: row.try_get("annotator_id")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        value: label_value(row.try_get("value")?),
        hlc: hlc_from_row(row)?,
        client_id: row.try_get("client_id")?,
    })
}

/// A sync client's owner and the last seq it had acknowledged.
pub async fn client(
    tx: &mut Tx,
    project: &str,
    client_id: &str,
) -> Result<Option<(String, u64)>, sqlx::Error> {
    sqlx::query(
        "SELECT annotator_id, last_seq FROM sync_clients WHERE project_id = $1 AND client_id = $2",
    )
    .bind(project)
    .bind(client_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| {
        Ok((
            r.try_get("annotator_id")?,
            r.try_get::<i64, _>("last_seq")? as u64,
        ))
    })
    .transpose()
}

/// Records a client's new acknowledged seq (`known`: it has a row already).
pub async fn set_client_seq(
    tx: &mut Tx,
    project: &str,
    client_id: &str,
    annotator: &str,
    seq: u64,
    known: bool,
) -> Result<(), sqlx::Error> {
    if known {
        sqlx::query(
            "UPDATE sync_clients SET last_seq = $1 WHERE project_id = $2 AND client_id = $3",
        )
        .bind(seq as i64)
        .bind(project)
        .bind(client_id)
        .execute(&mut **tx)
        .await?;
    } else {
        sqlx::query("INSERT INTO sync_clients (project_id, client_id, annotator_id, last_seq) VALUES ($1, $2, $3, $4)")
            .bind(project).bind(client_id).bind(annotator).bind(seq as i64).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The outcome stored for a client's op `seq` (its JSON; none when it was never stored).
pub async fn outcome(
    tx: &mut Tx,
    project: &str,
    client_id: &str,
    seq: u64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "SELECT result FROM push_outcomes WHERE project_id = $1 AND client_id = $2 AND seq = $3",
    )
    .bind(project)
    .bind(client_id)
    .bind(seq as i64)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get("result"))
    .transpose()
}

/// Stores the outcome of a client's op (replayed to a retried push).
pub async fn record_outcome(
    tx: &mut Tx,
    project: &str,
    client_id: &str,
    result: &OpResult,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO push_outcomes (project_id, client_id, seq, result) VALUES ($1, $2, $3, $4)",
    )
    .bind(project)
    .bind(client_id)
    .bind(result.seq as i64)
    .bind(serde_json::to_string(result).expect("serializable"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether `author` has sent an op with this id before.
pub async fn has_event(
    tx: &mut Tx,
    project: &str,
    author: &str,
    op_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM label_events WHERE project_id = $1 AND author_id = $2 AND op_id = $3",
    )
    .bind(project)
    .bind(author)
    .bind(op_id)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Whether the project has this item.
pub async fn item_exists(tx: &mut Tx, project: &str, item: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM items WHERE project_id = $1 AND id = $2")
            .bind(project)
            .bind(item)
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}

/// The stored label of one item × annotator: its clock, writer and version.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The writer's clock.
    pub hlc: Hlc,
    /// The client that wrote it.
    pub client_id: String,
    /// Its change version.
    pub version: i64,
    /// The value (none for a tombstone, or when it does not parse).
    pub value: Option<LabelValue>,
    /// A tombstone.
    pub deleted: bool,
}

/// The stored label of `item` by `annotator`.
pub async fn stored(
    tx: &mut Tx,
    project: &str,
    item: &str,
    annotator: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query("SELECT hlc_wall, hlc_counter, client_id, version, value, deleted FROM labels WHERE project_id = $1 AND item_id = $2 AND annotator_id = $3")
        .bind(project)
        .bind(item)
        .bind(annotator)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| {
            Ok(Stored {
                hlc: hlc_from_row(&r)?,
                client_id: r.try_get("client_id")?,
                version: r.try_get("version")?,
                value: label_value(r.try_get("value")?),
                deleted: r.try_get::<i64, _>("deleted")? != 0,
            })
        })
        .transpose()
}

/// A label write: the key, the value (none for a delete) and its provenance.
#[derive(Debug, Clone, Copy)]
pub struct LabelWrite<'a> {
    /// Item.
    pub item_id: &'a str,
    /// Whose label.
    pub annotator: &'a str,
    /// The value (JSON of a `LabelValue`); none for a delete.
    pub value: Option<&'a str>,
    /// A delete.
    pub deleted: bool,
    /// The writer's clock (bounded).
    pub hlc: Hlc,
    /// The writing client.
    pub client_id: &'a str,
    /// The op's id.
    pub op_id: &'a str,
}

/// Replaces the label of `w.item_id` × `w.annotator` with `w` at `version`.
pub async fn write(
    tx: &mut Tx,
    project: &str,
    w: LabelWrite<'_>,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM labels WHERE project_id = $1 AND item_id = $2 AND annotator_id = $3")
        .bind(project)
        .bind(w.item_id)
        .bind(w.annotator)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO labels (project_id, item_id, annotator_id, value, deleted, hlc_wall, hlc_counter, client_id, op_id, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(project).bind(w.item_id).bind(w.annotator).bind(w.value)
        .bind(i64::from(w.deleted)).bind(w.hlc.wall as i64).bind(i64::from(w.hlc.counter))
        .bind(w.client_id).bind(w.op_id).bind(version).execute(&mut **tx).await?;
    Ok(())
}

/// One received op, as the history keeps it.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// Item.
    pub item_id: &'a str,
    /// Whose label.
    pub annotator: &'a str,
    /// Who sent it (the annotator, or the reviewer of a review).
    pub author: &'a str,
    /// The sending client.
    pub client_id: &'a str,
    /// The op's id.
    pub op_id: &'a str,
    /// `upsert` or `delete`.
    pub kind: &'a str,
    /// The value sent (JSON), if any.
    pub value: Option<&'a str>,
    /// The writer's clock (bounded).
    pub hlc: Hlc,
    /// `applied`, `superseded`, `rejected`.
    pub outcome: &'a str,
    /// Why it was rejected.
    pub reason: Option<&'a str>,
    /// The version it created or lost to.
    pub version: Option<i64>,
    /// Unix ms.
    pub received_at: i64,
}

/// Appends an op to the history.
pub async fn append_event(tx: &mut Tx, project: &str, e: NewEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO label_events (project_id, item_id, annotator_id, author_id, client_id, op_id, kind, value, hlc_wall, hlc_counter, outcome, reason, version, received_at) VALUES ($1, $2, $3, $14, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(project).bind(e.item_id).bind(e.annotator).bind(e.client_id).bind(e.op_id)
        .bind(e.kind).bind(e.value).bind(e.hlc.wall as i64).bind(i64::from(e.hlc.counter))
        .bind(e.outcome).bind(e.reason).bind(e.version).bind(e.received_at).bind(e.author)
        .execute(&mut **tx).await?;
    Ok(())
}

/// Up to `limit` changes with a version after `cursor`, in version order (only `only`'s when
/// given).
pub async fn changes_after(
    db: &Db,
    project: &str,
    cursor: i64,
    only: Option<&str>,
    limit: i64,
) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query("SELECT item_id, annotator_id, value, deleted, hlc_wall, hlc_counter, client_id, version FROM labels WHERE project_id = $1 AND version > $2 AND ($3 IS NULL OR annotator_id = $3) ORDER BY version LIMIT $4")
        .bind(project).bind(cursor).bind(only).bind(limit)
        .fetch_all(&db.pool).await?
        .iter()
        .map(change_from_row)
        .collect()
}

/// Items of `project` with at least one label.
pub async fn labeled_items(db: &Db, project: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(DISTINCT item_id) AS n FROM labels WHERE project_id = $1 AND deleted = 0",
    )
    .bind(project)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")
}

/// A current label with its annotator's name.
#[derive(Debug, Clone)]
pub struct NamedLabel {
    /// Item.
    pub item_id: String,
    /// The annotator's name.
    pub annotator: String,
    /// The value (none when it does not parse).
    pub value: Option<LabelValue>,
    /// Its change version.
    pub version: i64,
    /// The item's gold answer, when an owner marked it.
    pub gold: Option<String>,
}

/// Every current (not deleted) label of the project with its annotator's name, by item and
/// name (only `only`'s when given).
pub async fn named(
    db: &Db,
    project: &str,
    only: Option<&str>,
) -> Result<Vec<NamedLabel>, sqlx::Error> {
    sqlx::query("SELECT l.item_id, u.name AS annotator, l.value, l.version, i.gold FROM labels l JOIN users u ON u.id = l.annotator_id JOIN items i ON i.project_id = l.project_id AND i.id = l.item_id WHERE l.project_id = $1 AND l.deleted = 0 AND ($2 IS NULL OR l.annotator_id = $2) ORDER BY l.item_id, u.name")
        .bind(project)
        .bind(only)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(NamedLabel {
                item_id: r.try_get("item_id")?,
                annotator: r.try_get("annotator")?,
                value: label_value(r.try_get("value")?),
                version: r.try_get("version")?,
                gold: r.try_get("gold")?,
            })
        })
        .collect()
}

/// A current label joined with its item, for training.
#[derive(Debug, Clone)]
pub struct Training {
    /// Item.
    pub item_id: String,
    /// The value (none when it does not parse).
    pub value: Option<LabelValue>,
    /// The item's kind (`image`, `text`).
    pub kind: String,
    /// The item's content.
    pub content: Vec<u8>,
    /// The item's gold answer, when an owner marked it.
    pub gold: Option<String>,
}

/// Every current label of the project with its item's kind and content, by item and version.
pub async fn for_training(db: &Db, project: &str) -> Result<Vec<Training>, sqlx::Error> {
    sqlx::query("SELECT l.item_id, l.value, l.version, i.kind, i.content, i.gold FROM labels l JOIN items i ON i.project_id = l.project_id AND i.id = l.item_id WHERE l.project_id = $1 AND l.deleted = 0 ORDER BY l.item_id, l.version")
        .bind(project)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Training {
                item_id: r.try_get("item_id")?,
                value: label_value(r.try_get("value")?),
                kind: r.try_get("kind")?,
                content: r.try_get("content")?,
                gold: r.try_get("gold")?,
            })
        })
        .collect()
}

/// One received op as the history shows it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Event {
    /// Whose label.
    pub annotator_id: String,
    /// Who sent the op: the annotator, or the reviewer of a review.
    pub author_id: String,
    /// The client that sent it.
    pub client_id: String,
    /// The op's id.
    pub op_id: String,
    /// `upsert` or `delete`.
    pub kind: String,
    /// The label (upserts).
    pub value: Option<serde_json::Value>,
    /// The writer's clock.
    #[ts(type = "{ wall: number, counter: number }")]
    pub hlc: Hlc,
    /// `applied`, `superseded` or `rejected`.
    pub outcome: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub received_at: i64,
    /// The version it created (applied ops).
    #[serde(skip)]
    pub version: Option<i64>,
}

/// The ops received for one item, in arrival order (only `only`'s when given).
pub async fn item_events(
    db: &Db,
    project: &str,
    item: &str,
    only: Option<&str>,
) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query("SELECT annotator_id, author_id, client_id, op_id, kind, value, hlc_wall, hlc_counter, outcome, reason, version, received_at FROM label_events WHERE project_id = $1 AND item_id = $2 AND ($3 IS NULL OR annotator_id = $3) ORDER BY id")
        .bind(project).bind(item).bind(only)
        .fetch_all(&db.pool).await?
        .iter()
        .map(event_from_row)
        .collect()
}

fn event_from_row(r: &sqlx::any::AnyRow) -> Result<Event, sqlx::Error> {
    Ok(Event {
        annotator_id: r.try_get("annotator_id")?,
        author_id: r.try_get("author_id")?,
        client_id: r.try_get("client_id")?,
        op_id: r.try_get("op_id")?,
        kind: r.try_get("kind")?,
        value: super::json_column(r, "value")?,
        hlc: hlc_from_row(r)?,
        outcome: r.try_get("outcome")?,
        reason: r.try_get("reason")?,
        received_at: r.try_get("received_at")?,
        version: r.try_get("version")?,
    })
}

/// A replayable op: key, value as sent, version.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Item.
    pub item_id: String,
    /// Whose label.
    pub annotator_id: String,
    /// The op's id.
    pub op_id: String,
    /// `upsert` or `delete`.
    pub kind: String,
    /// The value as stored (JSON text).
    pub value: Option<String>,
    /// The version it created.
    pub version: i64,
}

/// Every applied op of the project, in version order.
pub async fn applied_events(db: &Db, project: &str) -> Result<Vec<Applied>, sqlx::Error> {
    sqlx::query("SELECT item_id, annotator_id, op_id, kind, value, version FROM label_events WHERE project_id = $1 AND outcome = 'applied' ORDER BY version")
        .bind(project)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|e| {
            Ok(Applied {
                item_id: e.try_get("item_id")?,
                annotator_id: e.try_get("annotator_id")?,
                op_id: e.try_get("op_id")?,
                kind: e.try_get("kind")?,
                value: e.try_get("value")?,
                version: e.try_get("version")?,
            })
        })
        .collect()
}

/// A `labels` row as stored (value as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    /// Item.
    pub item_id: String,
    /// Whose label.
    pub annotator_id: String,
    /// The op that wrote it.
    pub op_id: String,
    /// The value (JSON text).
    pub value: Option<String>,
    /// A delete.
    pub deleted: bool,
    /// Its change version.
    pub version: i64,
}

/// Every `labels` row of the project, deletes included.
pub async fn raw(db: &Db, project: &str) -> Result<Vec<Raw>, sqlx::Error> {
    sqlx::query("SELECT item_id, annotator_id, op_id, value, deleted, version FROM labels WHERE project_id = $1")
        .bind(project)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Raw {
                item_id: r.try_get("item_id")?,
                annotator_id: r.try_get("annotator_id")?,
                op_id: r.try_get("op_id")?,
                value: r.try_get("value")?,
                deleted: r.try_get::<i64, _>("deleted")? != 0,
                version: r.try_get("version")?,
            })
        })
        .collect()
}
