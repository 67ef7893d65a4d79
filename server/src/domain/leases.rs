//! Leases: batches of items that need a label, content included, handed to one person's browser
//! so it can keep labeling offline. With an overlap percent set, that share of the items is
//! handed to a second annotator after the first labeled it (annotators pull only their own
//! labels, so the second never sees the first's). A lease is soft: it keeps the items out of colleagues' next
//! batches until it expires, and never blocks a label.

use std::collections::HashSet;

use base64::Engine;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::access::{self, User};
use super::error::{Error, Result};
use crate::store::leases::FreeItem;
use crate::store::types::{Role, Task};
use crate::store::{self, Db, now_ms};

/// Most items one lease hands out.
pub const MAX_LEASE: usize = 1000;
/// How long a lease holds (a working day offline, and then some).
pub const LEASE_MS: i64 = 24 * 3600 * 1000;
/// Most unlabeled items one person may hold in a project at once (no one hoards a project).
pub const MAX_HELD: i64 = 2 * MAX_LEASE as i64;
/// Most content bytes one lease answer carries (before base64); at least one item is sent.
pub const MAX_LEASE_BYTES: usize = 32 * 1024 * 1024;

/// `POST /projects/{p}/leases`.
#[derive(Debug, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    /// How many items (default 500, at most 1000).
    #[ts(optional = nullable)]
    pub limit: Option<usize>,
    /// Items the browser holds already (they are not sent again).
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl LeaseRequest {
    /// The number of items asked for (default 500) and the ids to leave out, or why the
    /// request is refused.
    pub fn checked(&self) -> Result<(usize, HashSet<&str>)> {
        let limit = self.limit.unwrap_or(500);
        if !(1..=MAX_LEASE).contains(&limit) {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_LEASE}"),
            ));
        }
        if self.exclude.len() > 10 * MAX_LEASE {
            return Err(Error::invalid(
                "too_many_excluded",
                format!("exclude at most {} ids", 10 * MAX_LEASE),
            ));
        }
        Ok((limit, self.exclude.iter().map(String::as_str).collect()))
    }
}

/// One leased item with its content.
#[derive(Debug, Serialize, TS)]
pub struct LeasedItem {
    /// Item id.
    pub id: String,
    /// What it is.
    pub kind: Task,
    /// MIME type of the content.
    pub content_type: String,
    /// sha256 of the content.
    pub sha256: String,
    /// The content, base64.
    pub content_b64: String,
}

impl LeasedItem {
    /// `item` with its `content`, base64.
    pub fn with_content(item: FreeItem, content: &[u8]) -> Self {
        LeasedItem {
            id: item.id,
            kind: item.kind,
            content_type: item.content_type,
            sha256: item.sha256,
            content_b64: base64::engine::general_purpose::STANDARD.encode(content),
        }
    }
}

/// Of `candidates` (in order), those not in `exclude`, at most `limit` and at most
/// [`MAX_LEASE_BYTES`] of content — at least one item, however large.
pub fn batch(candidates: Vec<FreeItem>, exclude: &HashSet<&str>, limit: usize) -> Vec<FreeItem> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for item in candidates {
        if exclude.contains(item.id.as_str()) {
            continue;
        }
        if out.len() == limit || (!out.is_empty() && bytes + item.size > MAX_LEASE_BYTES) {
            break;
        }
        bytes += item.size;
        out.push(item);
    }
    out
}

/// The answer: the items and when their lease ends.
#[derive(Debug, Serialize, TS)]
pub struct Lease {
    /// Items that need the caller's label, in upload order.
    pub items: Vec<LeasedItem>,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    /// Items that still need the caller's label and nobody else holds (this lease included).
    pub available: i64,
}

/// Hands `user` up to `limit` unlabeled items nobody else holds, and (re)leases them.
pub async fn lease(db: &Db, user: &User, project: &str, req: &LeaseRequest) -> Result<Lease> {
    access::require(db, project, user, &[Role::Owner, Role::Annotator]).await?;
    let (limit, exclude) = req.checked()?;
    // One lease at a time per process (see `Db::lease_turn`), the count included: 200 counts
    // at once after a restart held every pool connection for seconds. The clock is read after
    // the wait, so a lease that expired meanwhile no longer counts as held.
    let turn = db.lease_turn().await;
    let now = now_ms();
    // How many are free is for display: counted before the write lock, from the items that
    // need a label and the outstanding leases (not a scan of the project).
    let available = store::leases::count_free(db, project, &user.id, now).await?;
    let mut w = db.write().await?;
    // One lease of a project at a time, across processes: on PostgreSQL this takes the
    // project's row lock (on SQLite the writer turn already serializes). Concurrent leases
    // otherwise picked the same free items and failed on the leases' primary key.
    store::projects::lock(&mut w.tx, project).await?;
    let free = store::leases::free(
        &mut w.tx,
        project,
        &user.id,
        now,
        (limit + exclude.len()) as i64,
    )
    .await?;
    let held = store::leases::held(&mut w.tx, project, &user.id, now).await?;
    // Items in `exclude` are held already; new ones count against what the caller may hold.
    let limit = limit.min((MAX_HELD - held).max(0) as usize);
    let expires_at = now + LEASE_MS;
    let batch = batch(free, &exclude, limit);
    let ids: Vec<&str> = batch.iter().map(|i| i.id.as_str()).collect();
    store::leases::take(&mut w.tx, project, &ids, &user.id, expires_at).await?;
    w.commit().await?;
    drop(turn);
    // The contents are read after the writer turn is given back: items never change.
    let mut contents = store::leases::contents(db, project, &ids).await?;
    let mut items = Vec::with_capacity(batch.len());
    for item in batch {
        let content = contents
            .remove(&item.id)
            .ok_or(Error::Storage(sqlx::Error::RowNotFound))?;
        items.push(LeasedItem::with_content(item, &content));
    }
    Ok(Lease {
        items,
        expires_at,
        available,
    })
}
