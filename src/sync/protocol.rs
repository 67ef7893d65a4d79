//! Wire types of the sync endpoints (`POST …/sync/push`, `GET …/sync/pull`), as JSON.

use serde::{Deserialize, Serialize};

use super::Hlc;

/// What a person said about one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LabelValue {
    /// The class label chosen.
    pub class: String,
    /// The model's suggestion shown at the time, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub suggestion: Option<String>,
    /// The model version that made the suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub model_version: Option<String>,
    /// Whether the person accepted the suggestion (`false`: corrected it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub accepted: Option<bool>,
    /// A reviewer's verdict, when this value was written by a review (absent on an
    /// annotator's own label; a later label of the annotator replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub review: Option<Review>,
}

/// What a reviewer decided about a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ReviewAction"))]
pub enum ReviewAction {
    /// The label is right as given.
    Accept,
    /// The label was wrong: `class` is the right one.
    Correct,
    /// The item cannot be labeled as it is (ambiguous, broken, out of scope): training skips it.
    Flag,
}

/// A review's provenance, carried in the value it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Review {
    /// Accept, correct or flag.
    pub action: ReviewAction,
    /// Who reviewed (set by the server to the pushing user; whatever a client sends is replaced).
    #[serde(default)]
    pub reviewer: String,
    /// Why (flags; optional on corrections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<String>,
    /// The class the annotator had given (set by the server from the label reviewed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub original: Option<String>,
}

impl LabelValue {
    /// A plain label of `class`.
    pub fn of(class: impl Into<String>) -> Self {
        Self {
            class: class.into(),
            suggestion: None,
            model_version: None,
            accepted: None,
            review: None,
        }
    }

    /// Whether a reviewer flagged it (training skips flagged labels).
    pub fn is_flagged(&self) -> bool {
        self.review
            .as_ref()
            .is_some_and(|r| r.action == ReviewAction::Flag)
    }

    /// The class the annotator gave: the reviewed label's original where a review changed it.
    pub fn annotator_class(&self) -> &str {
        self.review
            .as_ref()
            .and_then(|r| r.original.as_deref())
            .unwrap_or(&self.class)
    }
}

/// Whether an op sets or removes a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OpKind {
    /// Set the label.
    Upsert,
    /// Remove the label (a tombstone).
    Delete,
}

/// One change a client makes to its own label of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SyncOp"))]
pub struct Op {
    /// Per-client sequence number: 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Globally unique id of this op.
    pub op_id: String,
    /// The item labeled.
    pub item_id: String,
    /// Whose label the op writes: absent for the sender's own; a review names the annotator
    /// whose label it reviews (the key is `(item_id, target)`, last writer wins across both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub target: Option<String>,
    /// Upsert or delete.
    pub kind: OpKind,
    /// The label (upserts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub value: Option<LabelValue>,
    /// The server version of this key the client had seen, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub base_version: Option<i64>,
    /// When the client made the change.
    pub hlc: Hlc,
}

/// `POST /api/v1/projects/{p}/sync/push`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PushRequest {
    /// The pushing client (one browser profile / device).
    pub client_id: String,
    /// The server epoch the client last saw (empty on first contact).
    pub epoch: String,
    /// Ops with consecutive `seq`s.
    pub ops: Vec<Op>,
}

/// What happened to one pushed op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Outcome {
    /// It is now the current value of its key.
    Applied,
    /// It had been received before (same `op_id`); nothing changed.
    Duplicate,
    /// A write with a greater `(hlc, client_id)` holds the key; the op is kept in the history.
    Superseded,
    /// Invalid or forbidden (unknown item, unknown class, a review by an annotator, a label
    /// by a reviewer); recorded, nothing changed.
    Rejected,
}

/// The outcome of one op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpResult {
    /// The op's `seq`.
    pub seq: u64,
    /// The op's id: a client acknowledges only the op it sent under this seq.
    pub op_id: String,
    /// What happened.
    pub outcome: Outcome,
    /// The key's version after the op (applied) or the winner's (superseded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub version: Option<i64>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<String>,
}

/// The answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PushResponse {
    /// The highest `seq` the server has recorded for this client.
    pub acked_seq: u64,
    /// One result per pushed op, stored ones included on a replay.
    pub results: Vec<OpResult>,
    /// The server's epoch.
    pub epoch: String,
}

/// One committed change of a label, as pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SyncChange"))]
pub struct Change {
    /// Commit-ordered version (the pull cursor).
    pub version: i64,
    /// The item.
    pub item_id: String,
    /// Whose label it is.
    pub annotator_id: String,
    /// A tombstone: the label was removed.
    pub deleted: bool,
    /// The label (absent for tombstones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub value: Option<LabelValue>,
    /// The winning write's clock.
    pub hlc: Hlc,
    /// The winning write's client.
    pub client_id: String,
}

/// `GET /api/v1/projects/{p}/sync/pull?cursor=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PullResponse {
    /// Changes after the cursor, in version order (the latest per key).
    pub changes: Vec<Change>,
    /// The cursor for the next pull.
    pub next_cursor: i64,
    /// Whether more changes wait.
    pub has_more: bool,
    /// The server's epoch.
    pub epoch: String,
    /// The project's current model version, so clients notice a new model with their pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub model_version: Option<String>,
}
