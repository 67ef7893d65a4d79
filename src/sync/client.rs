//! The client side of sync, free of storage and transport: what to push, what a response means,
//! how pulled changes merge. The browser keeps this state in IndexedDB; tests keep it in memory.
//!
//! The visible label of a key is the newest pending op of this client on it, else the last
//! server copy. Ops leave the outbox only when the server acknowledges them, so a person's
//! labels survive lost requests, lost responses, restarts and server restores.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Hlc;
use super::protocol::{
    Change, LabelValue, Op, OpKind, Outcome, PullResponse, PushRequest, PushResponse,
};

/// A label as this client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalLabel {
    /// The label, `None` when deleted.
    pub value: Option<LabelValue>,
    /// Whether it waits in the outbox.
    pub pending: bool,
}

/// Why a push did not go through, as the transport reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushFailure {
    /// HTTP 409: the server expects this `seq` next.
    Gap {
        /// The seq the server expects.
        expected_seq: u64,
        /// The server's epoch.
        epoch: String,
    },
    /// Network error, timeout or 5xx: retry the same request later.
    Transient,
    /// HTTP 401: keep everything, sign in again.
    Unauthorized,
}

/// Everything a client keeps: identity, clock, cursor, server copies and the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientState {
    /// This client (browser profile / device).
    pub client_id: String,
    /// The person labeling.
    pub annotator_id: String,
    /// The server epoch last seen (empty before first contact).
    pub epoch: String,
    /// Pull cursor.
    pub cursor: i64,
    /// The last seq assigned to an op.
    pub last_seq: u64,
    /// The clock.
    pub hlc: Hlc,
    /// Server copies by `(item, annotator)`.
    pub server: BTreeMap<(String, String), Change>,
    /// Unacknowledged ops, in seq order.
    pub outbox: Vec<Op>,
}

impl ClientState {
    /// A fresh client.
    pub fn new(client_id: impl Into<String>, annotator_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            annotator_id: annotator_id.into(),
            epoch: String::new(),
            cursor: 0,
            last_seq: 0,
            hlc: Hlc::default(),
            server: BTreeMap::new(),
            outbox: Vec::new(),
        }
    }

    fn op_id(&self, hlc: Hlc) -> String {
        format!("{}:{}:{}", self.client_id, hlc.wall, hlc.counter)
    }

    /// The annotator whose key `op` writes.
    fn key_owner<'a>(&'a self, op: &'a Op) -> &'a str {
        op.target.as_deref().unwrap_or(&self.annotator_id)
    }

    fn record(
        &mut self,
        item_id: &str,
        target: Option<&str>,
        kind: OpKind,
        value: Option<LabelValue>,
        now_ms: u64,
    ) -> Op {
        self.hlc = self.hlc.tick(now_ms);
        self.last_seq += 1;
        let target = target.filter(|t| *t != self.annotator_id);
        let key = (
            item_id.to_string(),
            target.unwrap_or(&self.annotator_id).to_string(),
        );
        let op = Op {
            seq: self.last_seq,
            op_id: self.op_id(self.hlc),
            item_id: item_id.to_string(),
            target: target.map(str::to_string),
            kind,
            value,
            base_version: self.server.get(&key).map(|c| c.version),
            hlc: self.hlc,
        };
        self.outbox.push(op.clone());
        op
    }

    /// Labels `item_id`; returns the op to store with the label (one transaction).
    pub fn label(&mut self, item_id: &str, value: LabelValue, now_ms: u64) -> Op {
        self.record(item_id, None, OpKind::Upsert, Some(value), now_ms)
    }

    /// Removes this person's label of `item_id`.
    pub fn delete(&mut self, item_id: &str, now_ms: u64) -> Op {
        self.record(item_id, None, OpKind::Delete, None, now_ms)
    }

    /// Reviews `annotator`'s label of `item_id`: `value` carries the class (corrected or as
    /// given) and the [`Review`](super::Review); the server fills in who reviewed and the
    /// original class. Returns the op to store (one transaction, like a label).
    pub fn review(&mut self, item_id: &str, annotator: &str, value: LabelValue, now_ms: u64) -> Op {
        self.record(
            item_id,
            Some(annotator),
            OpKind::Upsert,
            Some(value),
            now_ms,
        )
    }

    /// This person's visible label of `item_id`.
    pub fn visible(&self, item_id: &str) -> Option<LocalLabel> {
        self.visible_of(item_id, &self.annotator_id)
    }

    /// The visible label of `item_id` by `annotator`: this client's newest pending op on that
    /// key (its own label, or a review of someone's), else the server copy.
    pub fn visible_of(&self, item_id: &str, annotator: &str) -> Option<LocalLabel> {
        if let Some(op) = self
            .outbox
            .iter()
            .rev()
            .find(|op| op.item_id == item_id && self.key_owner(op) == annotator)
        {
            return Some(LocalLabel {
                value: op.value.clone(),
                pending: true,
            });
        }
        self.server
            .get(&(item_id.to_string(), annotator.to_string()))
            .map(|c| LocalLabel {
                value: c.value.clone(),
                pending: false,
            })
    }

    /// Every visible label of `item_id`, by annotator (what a reviewer sees; this client's
    /// pending reviews included), removed ones left out.
    pub fn labels_of(&self, item_id: &str) -> BTreeMap<String, LocalLabel> {
        // Copies are keyed `(item, annotator)`: this item's are one range of the map.
        let mut annotators: Vec<&str> = self
            .server
            .range((item_id.to_string(), String::new())..)
            .map(|((item, a), _)| (item, a.as_str()))
            .take_while(|(item, _)| *item == item_id)
            .map(|(_, a)| a)
            .collect();
        annotators.extend(
            self.outbox
                .iter()
                .filter(|op| op.item_id == item_id)
                .map(|op| self.key_owner(op)),
        );
        annotators
            .into_iter()
            .filter_map(|a| {
                let label = self.visible_of(item_id, a)?;
                label.value.is_some().then(|| (a.to_string(), label))
            })
            .collect()
    }

    /// Every key with a visible label of this person (tombstones as `None`).
    pub fn visible_all(&self) -> BTreeMap<String, Option<LabelValue>> {
        let mut out: BTreeMap<String, Option<LabelValue>> = self
            .server
            .iter()
            .filter(|((_, a), _)| *a == self.annotator_id)
            .map(|((item, _), c)| (item.clone(), c.value.clone()))
            .collect();
        for op in self.outbox.iter().filter(|op| op.target.is_none()) {
            out.insert(op.item_id.clone(), op.value.clone());
        }
        out
    }

    /// The next push: up to `max_ops` of the outbox, `None` when it is empty.
    pub fn push_request(&self, max_ops: usize) -> Option<PushRequest> {
        if self.outbox.is_empty() {
            return None;
        }
        Some(PushRequest {
            client_id: self.client_id.clone(),
            epoch: self.epoch.clone(),
            ops: self.outbox.iter().take(max_ops).cloned().collect(),
        })
    }

    /// Applies the response to `sent`: its acknowledged ops leave the outbox (matched by
    /// `op_id`, so a late answer to an older request never drops a different op that reuses a
    /// seq); applied ones become the server copy right away.
    pub fn on_push_response(&mut self, sent: &PushRequest, resp: &PushResponse, now_ms: u64) {
        if self.check_epoch(&resp.epoch) {
            return;
        }
        let mut confused = false;
        for op in sent.ops.iter().filter(|o| o.seq <= resp.acked_seq) {
            let Some(result) = resp.results.iter().find(|r| r.seq == op.seq) else {
                continue;
            };
            if result.op_id != op.op_id {
                // The server holds another op under this seq: never treat ours as delivered.
                confused = true;
                continue;
            }
            if let (Outcome::Applied, Some(version)) = (result.outcome, result.version) {
                let change = Change {
                    version,
                    item_id: op.item_id.clone(),
                    annotator_id: self.key_owner(op).to_string(),
                    deleted: op.kind == OpKind::Delete,
                    value: op.value.clone(),
                    hlc: op.hlc,
                    client_id: self.client_id.clone(),
                };
                self.merge(change, false, now_ms);
            }
            self.outbox.retain(|o| o.op_id != op.op_id);
        }
        if confused {
            // Move past every seq the server may know; its gap answer gives the right start.
            self.renumber(self.last_seq.max(resp.acked_seq) + 1);
        }
    }

    /// Handles a failed push. A gap renumbers the outbox from the seq the server expects (ops
    /// it already has come back as duplicates, matched by `op_id`); other failures keep
    /// everything for a retry.
    pub fn on_push_failure(&mut self, failure: &PushFailure) {
        if let PushFailure::Gap {
            expected_seq,
            epoch,
        } = failure
        {
            self.check_epoch(epoch);
            self.renumber(*expected_seq);
        }
    }

    fn renumber(&mut self, from: u64) {
        for (i, op) in self.outbox.iter_mut().enumerate() {
            op.seq = from + i as u64;
        }
        self.last_seq = from + self.outbox.len() as u64 - 1;
        if self.outbox.is_empty() {
            self.last_seq = from - 1;
        }
    }

    /// On a new server epoch (a restore from backup): re-push every label this client wrote,
    /// with its original clock and op id, and pull everything again. Returns whether the
    /// epoch changed.
    fn check_epoch(&mut self, epoch: &str) -> bool {
        if self.epoch == epoch {
            return false;
        }
        let first_contact = self.epoch.is_empty();
        self.epoch = epoch.to_string();
        if first_contact {
            return false;
        }
        let mine: Vec<Op> = self
            .server
            .values()
            // Everything this client wrote: its person's labels and the reviews it made.
            .filter(|c| c.client_id == self.client_id)
            .filter(|c| {
                !self
                    .outbox
                    .iter()
                    .any(|o| o.item_id == c.item_id && self.key_owner(o) == c.annotator_id)
            })
            .map(|c| Op {
                seq: 0,
                op_id: self.op_id(c.hlc),
                item_id: c.item_id.clone(),
                target: (c.annotator_id != self.annotator_id).then(|| c.annotator_id.clone()),
                kind: if c.deleted {
                    OpKind::Delete
                } else {
                    OpKind::Upsert
                },
                value: c.value.clone(),
                base_version: None,
                hlc: c.hlc,
            })
            .collect();
        let mut outbox = mine;
        outbox.append(&mut self.outbox);
        outbox.sort_by_key(|o| o.hlc);
        self.outbox = outbox;
        // Never reuse a seq the server may hold an outcome for: continue after the last one; the
        // server's gap answer then says where its numbering for this client resumes.
        self.renumber(self.last_seq + 1);
        // Versions restart with the restored database: the old copies cannot be compared with
        // the new timeline, so pull it whole (this person's labels stay visible: re-queued).
        self.server.clear();
        self.cursor = 0;
        true
    }

    /// Merges pulled changes and moves the cursor.
    pub fn on_pull(&mut self, resp: &PullResponse, now_ms: u64) {
        if self.check_epoch(&resp.epoch) {
            return;
        }
        for change in &resp.changes {
            self.merge(change.clone(), true, now_ms);
        }
        self.cursor = resp.next_cursor;
    }

    /// The server does not know the cursor (HTTP 410, with the server's epoch): pull
    /// everything again, keep the outbox (and re-push what this client owns on a new epoch).
    pub fn on_cursor_expired(&mut self, epoch: &str) {
        self.check_epoch(epoch);
        self.cursor = 0;
    }

    /// Keeps `change` as the server copy of its key when it is newer. A pulled change
    /// (`pulled`) also replaces a copy of the same version: that is the same write as the
    /// server stores it, where an acknowledged push only knows what the client sent (the server
    /// fills in a review's provenance).
    fn merge(&mut self, change: Change, pulled: bool, now_ms: u64) {
        self.hlc = self.hlc.receive(change.hlc, now_ms);
        let key = (change.item_id.clone(), change.annotator_id.clone());
        if self
            .server
            .get(&key)
            .is_none_or(|c| c.version < change.version || (pulled && c.version == change.version))
        {
            self.server.insert(key, change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::OpResult;

    fn value(class: &str) -> LabelValue {
        LabelValue::of(class)
    }

    fn ack(state: &ClientState, upto: u64, first_version: i64) -> PushResponse {
        PushResponse {
            acked_seq: upto,
            results: state
                .outbox
                .iter()
                .filter(|o| o.seq <= upto)
                .enumerate()
                .map(|(i, o)| OpResult {
                    seq: o.seq,
                    op_id: o.op_id.clone(),
                    outcome: Outcome::Applied,
                    version: Some(first_version + i as i64),
                    reason: None,
                })
                .collect(),
            epoch: "e1".into(),
        }
    }

    #[test]
    fn labels_stay_pending_until_acknowledged() {
        let mut c = ClientState::new("c1", "ann");
        c.epoch = "e1".into();
        c.label("a", value("cat"), 100);
        c.label("b", value("dog"), 101);
        c.label("a", value("bird"), 102);
        assert_eq!(
            c.visible("a"),
            Some(LocalLabel {
                value: Some(value("bird")),
                pending: true
            })
        );
        let req = c.push_request(2).unwrap();
        assert_eq!(
            req.ops.iter().map(|o| o.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
        // A lost response: nothing changes, the same request goes again.
        c.on_push_failure(&PushFailure::Transient);
        assert_eq!(c.push_request(2).unwrap(), req);
        let resp = ack(&c, 2, 10);
        c.on_push_response(&req, &resp, 103);
        assert_eq!(c.outbox.len(), 1);
        // "a" still shows the pending "bird", not the acknowledged "cat".
        assert_eq!(c.visible("a").unwrap().value, Some(value("bird")));
        assert_eq!(
            c.visible("b"),
            Some(LocalLabel {
                value: Some(value("dog")),
                pending: false
            })
        );
    }

    fn correction(class: &str) -> LabelValue {
        LabelValue {
            review: Some(crate::sync::Review {
                action: crate::sync::ReviewAction::Correct,
                reviewer: String::new(),
                reason: None,
                original: None,
            }),
            ..LabelValue::of(class)
        }
    }

    fn pulled(annotator: &str, class: &str, version: i64) -> Change {
        Change {
            version,
            item_id: "a".into(),
            annotator_id: annotator.into(),
            deleted: false,
            value: Some(value(class)),
            hlc: Hlc {
                wall: 50,
                counter: 0,
            },
            client_id: format!("{annotator}-device"),
        }
    }

    #[test]
    fn a_review_writes_the_annotators_key_not_the_reviewers_own() {
        let mut c = ClientState::new("c1", "rev");
        c.epoch = "e1".into();
        c.on_pull(
            &PullResponse {
                changes: vec![pulled("ann", "cat", 3)],
                next_cursor: 3,
                has_more: false,
                epoch: "e1".into(),
                model_version: None,
            },
            60,
        );
        let op = c.review("a", "ann", correction("dog"), 100);
        assert_eq!(op.target.as_deref(), Some("ann"));
        assert_eq!(op.base_version, Some(3), "the base is the annotator's key");
        // The reviewer has no label of their own; the annotator's label shows the correction.
        assert_eq!(c.visible("a"), None);
        assert!(c.visible_all().is_empty());
        let shown = c.visible_of("a", "ann").unwrap();
        assert!(shown.pending);
        assert_eq!(shown.value.unwrap().class, "dog");
        let all = c.labels_of("a");
        assert_eq!(all.keys().collect::<Vec<_>>(), vec!["ann"]);
        assert!(all["ann"].pending);
        // Only this item's copies: not those of items whose ids sort right after it.
        let mut other = pulled("bob", "cat", 9);
        other.item_id = "aa".into();
        c.on_pull(
            &PullResponse {
                changes: vec![other],
                next_cursor: 9,
                has_more: false,
                epoch: "e1".into(),
                model_version: None,
            },
            99,
        );
        assert_eq!(c.labels_of("a").keys().collect::<Vec<_>>(), vec!["ann"]);
        assert_eq!(c.labels_of("aa").keys().collect::<Vec<_>>(), vec!["bob"]);
        // Acknowledged: the server copy of the annotator's key is the review.
        let req = c.push_request(10).unwrap();
        c.on_push_response(&req, &ack(&c, 1, 4), 101);
        let copy = &c.server[&("a".to_string(), "ann".to_string())];
        assert_eq!((copy.version, copy.client_id.as_str()), (4, "c1"));
        assert!(!c.visible_of("a", "ann").unwrap().pending);
    }

    #[test]
    fn a_reviewers_own_target_is_no_review() {
        let mut c = ClientState::new("c1", "owner");
        let op = c.review("a", "owner", value("cat"), 1);
        assert_eq!(op.target, None, "naming oneself is one's own label");
    }

    #[test]
    fn new_epoch_re_pushes_reviews_with_their_target() {
        let mut c = ClientState::new("c1", "rev");
        c.epoch = "e1".into();
        c.review("a", "ann", correction("dog"), 10);
        let req = c.push_request(10).unwrap();
        c.on_push_response(&req, &ack(&c, 1, 1), 11);
        assert!(c.outbox.is_empty());
        c.on_pull(
            &PullResponse {
                changes: vec![],
                next_cursor: 0,
                has_more: false,
                epoch: "e2".into(),
                model_version: None,
            },
            12,
        );
        assert_eq!(c.outbox.len(), 1);
        assert_eq!(c.outbox[0].target.as_deref(), Some("ann"));
        assert_eq!(c.outbox[0].value.as_ref().unwrap().class, "dog");
    }

    #[test]
    fn a_pending_op_wins_locally_over_pulled_changes() {
        let mut c = ClientState::new("c1", "ann");
        c.label("a", value("cat"), 100);
        let pulled = PullResponse {
            changes: vec![Change {
                version: 5,
                item_id: "a".into(),
                annotator_id: "ann".into(),
                deleted: false,
                value: Some(value("dog")),
                hlc: Hlc {
                    wall: 500,
                    counter: 0,
                },
                client_id: "c2".into(),
            }],
            next_cursor: 5,
            has_more: false,
            epoch: "e1".into(),
            model_version: None,
        };
        c.on_pull(&pulled, 101);
        assert_eq!(c.visible("a").unwrap().value, Some(value("cat")));
        assert_eq!(c.cursor, 5);
        // The clock moved past what it saw: the next write orders after the pulled one.
        let op = c.label("b", value("x"), 102);
        assert!(
            op.hlc
                > Hlc {
                    wall: 500,
                    counter: 0
                }
        );
    }

    #[test]
    fn gap_renumbers_the_outbox_from_the_expected_seq() {
        let mut c = ClientState::new("c1", "ann");
        c.epoch = "e1".into();
        c.label("a", value("cat"), 1);
        c.label("b", value("dog"), 2);
        c.on_push_failure(&PushFailure::Gap {
            expected_seq: 7,
            epoch: "e1".into(),
        });
        assert_eq!(
            c.outbox.iter().map(|o| o.seq).collect::<Vec<_>>(),
            vec![7, 8]
        );
        assert_eq!(c.label("c", value("x"), 3).seq, 9);
    }

    #[test]
    fn new_epoch_re_pushes_own_labels_with_their_original_clock() {
        let mut c = ClientState::new("c1", "ann");
        c.epoch = "e1".into();
        let first = c.label("a", value("cat"), 10);
        let resp = ack(&c, 1, 1);
        let sent = c.push_request(10).unwrap();
        c.on_push_response(&sent, &resp, 11);
        assert!(c.outbox.is_empty());
        c.cursor = 40;
        c.on_push_failure(&PushFailure::Gap {
            expected_seq: 1,
            epoch: "e2".into(),
        });
        assert_eq!(c.epoch, "e2");
        assert_eq!(c.cursor, 0);
        assert!(c.server.is_empty());
        assert_eq!(c.visible("a").unwrap().value, Some(value("cat")));
        assert_eq!(c.outbox.len(), 1);
        assert_eq!(c.outbox[0].op_id, first.op_id);
        assert_eq!(c.outbox[0].hlc, first.hlc);
        // Renumbered from the seq the server expects, not from a seq it may hold.
        assert_eq!(c.outbox[0].seq, 1);
    }
}
