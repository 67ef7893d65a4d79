//! The audit history: every op received for an item, in arrival order, with its outcome
//! (applied, superseded, rejected) — where the losers of conflicts are kept; and a check that
//! the current labels equal a replay of that history.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::access::{self, User};
use super::error::Result;
use crate::store::labels::Event;
use crate::store::{self, Db};

/// An item's history.
#[derive(Debug, Serialize, TS)]
pub struct History {
    /// The item.
    pub item_id: String,
    /// Its ops in arrival order.
    pub events: Vec<Event>,
}

/// The history of `item`: owners and reviewers see everyone's ops, annotators their own.
pub async fn item(db: &Db, user: &User, project: &str, item: &str) -> Result<History> {
    let role = access::role_in(db, project, user).await?;
    let events =
        store::labels::item_events(db, project, item, access::visible_to(role, user)).await?;
    Ok(History {
        item_id: item.to_string(),
        events,
    })
}

/// Replays the applied events of `project` in version order and compares them with the
/// current labels; returns how many labels matched.
pub async fn verify(db: &Db, project: &str) -> anyhow::Result<usize> {
    // (item, annotator) → (value, deleted, version, op id)
    type Replayed = (Option<String>, bool, i64, String);
    let mut replay: BTreeMap<(String, String), Replayed> = BTreeMap::new();
    let mut last = 0i64;
    for e in store::labels::applied_events(db, project).await? {
        anyhow::ensure!(
            e.version > last,
            "history versions are not strictly increasing at {}",
            e.version
        );
        last = e.version;
        let deleted = e.kind == "delete";
        replay.insert(
            (e.item_id, e.annotator_id),
            (
                if deleted { None } else { e.value },
                deleted,
                e.version,
                e.op_id,
            ),
        );
    }
    let current: BTreeMap<(String, String), Replayed> = store::labels::raw(db, project)
        .await?
        .into_iter()
        .map(|r| {
            (
                (r.item_id, r.annotator_id),
                (r.value, r.deleted, r.version, r.op_id),
            )
        })
        .collect();
    if current != replay {
        let diff: Vec<_> = current
            .iter()
            .filter(|(k, v)| replay.get(*k) != Some(v))
            .map(|(k, _)| k)
            .take(5)
            .collect();
        anyhow::bail!(
            "labels differ from the replay of label_events ({} vs {} keys; first differences: {diff:?})",
            current.len(),
            replay.len()
        );
    }
    Ok(current.len())
}
