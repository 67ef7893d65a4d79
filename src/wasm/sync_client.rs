//! The `SyncClient` class JavaScript sees: the protocol's client state machine
//! ([`crate::sync::ClientState`]) compiled to wasm, so the browser runs the same code the native
//! tests check. Storage stays in JavaScript (IndexedDB): every call that changes the state
//! returns the [`Effects`] to persist, in one transaction, before the UI moves on.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::KindlingError;
use crate::sync::{
    Change, ClientState, Hlc, LabelValue, Op, PullResponse, PushFailure, PushRequest, PushResponse,
};

/// The small, fixed-size part of a client's state (everything but the outbox and server copies).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    client_id: String,
    annotator_id: String,
    epoch: String,
    cursor: i64,
    last_seq: u64,
    hlc: Hlc,
}

/// What one call changed, for the caller to write in one IndexedDB transaction.
#[derive(Debug, Serialize)]
struct Effects {
    header: Header,
    /// Ops that are new or were renumbered.
    outbox_put: Vec<Op>,
    /// Ids of ops that left the outbox (acknowledged).
    outbox_delete: Vec<String>,
    /// Server copies that are new or changed.
    server_put: Vec<Change>,
    /// All stored server copies are void (a new server epoch): delete them before `server_put`.
    server_cleared: bool,
}

/// One label to review, as the page names it.
#[derive(Debug, Deserialize)]
struct ReviewOf {
    annotator: String,
    value: LabelValue,
}

/// How a push failed, as the page's transport saw it.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum JsPushFailure {
    Gap { expected_seq: u64, epoch: String },
    Transient,
    Unauthorized,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> JsValue {
    KindlingError::new("SYNC_INVALID_ARGUMENT", format!("{what}: {e}")).into()
}

fn from_js<T: serde::de::DeserializeOwned>(what: &str, v: JsValue) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(v).map_err(|e| invalid(what, e))
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| KindlingError::new("INTERNAL", e.to_string()).into())
}

/// The browser side of label sync for one client (a tab holds one at a time).
#[wasm_bindgen]
pub struct SyncClient {
    state: ClientState,
}

#[wasm_bindgen]
impl SyncClient {
    /// A fresh client with no labels.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = clientId)] client_id: String,
        #[wasm_bindgen(js_name = annotatorId)] annotator_id: String,
    ) -> SyncClient {
        SyncClient {
            state: ClientState::new(client_id, annotator_id),
        }
    }

    /// Rebuilds a client from what earlier effects stored.
    pub fn restore(
        #[wasm_bindgen(unchecked_param_type = "SyncHeader")] header: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SyncOp[]")] outbox: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SyncChange[]")] server: JsValue,
    ) -> Result<SyncClient, JsValue> {
        let h: Header = from_js("header", header)?;
        let mut outbox: Vec<Op> = from_js("outbox", outbox)?;
        outbox.sort_by_key(|o| o.seq);
        let server: Vec<Change> = from_js("server copies", server)?;
        let mut state = ClientState::new(h.client_id, h.annotator_id);
        state.epoch = h.epoch;
        state.cursor = h.cursor;
        state.last_seq = h.last_seq;
        state.hlc = h.hlc;
        state.outbox = outbox;
        state.server = server
            .into_iter()
            .map(|c| ((c.item_id.clone(), c.annotator_id.clone()), c))
            .collect();
        Ok(SyncClient { state })
    }

    /// The fixed-size part of the state.
    #[wasm_bindgen(unchecked_return_type = "SyncHeader")]
    pub fn header(&self) -> Result<JsValue, JsValue> {
        to_js(&self.header_value())
    }

    /// Ops waiting for the server.
    #[wasm_bindgen(getter)]
    pub fn pending(&self) -> usize {
        self.state.outbox.len()
    }

    /// The pull cursor.
    #[wasm_bindgen(getter)]
    pub fn cursor(&self) -> f64 {
        self.state.cursor as f64
    }

    /// Labels `itemId` with `value`.
    #[wasm_bindgen(unchecked_return_type = "SyncEffects")]
    pub fn label(
        &mut self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
        #[wasm_bindgen(unchecked_param_type = "LabelValue")] value: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let value: LabelValue = from_js("label value", value)?;
        self.apply(&[], |s| {
            s.label(item_id, value, now_ms as u64);
        })
    }

    /// Removes this person's label of `itemId` (undo).
    #[wasm_bindgen(unchecked_return_type = "SyncEffects")]
    pub fn remove(
        &mut self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        self.apply(&[], |s| {
            s.delete(item_id, now_ms as u64);
        })
    }

    /// Reviews labels of `itemId`, one op per `{annotator, value}` (a decision on an item
    /// labeled by several people), with one set of effects to store in one transaction: `value`
    /// carries the class (corrected, or as given for an accept) and `review: {action, reason?}`;
    /// the server records who reviewed and the original class. Reviewers and owners only (the
    /// server rejects others' reviews).
    #[wasm_bindgen(unchecked_return_type = "SyncEffects")]
    pub fn review(
        &mut self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
        #[wasm_bindgen(unchecked_param_type = "{ annotator: string; value: LabelValue }[]")]
        reviews: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let reviews: Vec<ReviewOf> = from_js("reviews", reviews)?;
        if reviews.iter().any(|r| r.value.review.is_none()) {
            return Err(invalid("review value", "each needs `review: {action}`"));
        }
        self.apply(&[], |s| {
            for r in reviews {
                s.review(item_id, &r.annotator, r.value, now_ms as u64);
            }
        })
    }

    /// The visible label of `itemId` by `annotatorId` (a pending review of it included).
    #[wasm_bindgen(js_name = visibleOf, unchecked_return_type = "LocalLabel | undefined")]
    pub fn visible_of(
        &self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
        #[wasm_bindgen(js_name = annotatorId)] annotator_id: &str,
    ) -> Result<JsValue, JsValue> {
        match self.state.visible_of(item_id, annotator_id) {
            Some(l) => to_js(&l),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Every visible label of `itemId` by annotator id (reviewers and owners pull everyone's;
    /// pending reviews included).
    #[wasm_bindgen(js_name = labelsOf, unchecked_return_type = "Record<string, LocalLabel>")]
    pub fn labels_of(
        &self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
    ) -> Result<JsValue, JsValue> {
        to_js(&self.state.labels_of(item_id))
    }

    /// This person's visible label of `itemId`, pending or from the server.
    #[wasm_bindgen(unchecked_return_type = "LocalLabel | undefined")]
    pub fn visible(
        &self,
        #[wasm_bindgen(js_name = itemId)] item_id: &str,
    ) -> Result<JsValue, JsValue> {
        match self.state.visible(item_id) {
            Some(l) => to_js(&l),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Every item this person has a visible label on (`null` for removed labels).
    #[wasm_bindgen(js_name = visibleAll, unchecked_return_type = "Record<string, LabelValue | null>")]
    pub fn visible_all(&self) -> Result<JsValue, JsValue> {
        to_js(&self.state.visible_all())
    }

    /// The next push body (at most `maxOps` ops), or `undefined` when nothing waits.
    #[wasm_bindgen(js_name = pushRequest, unchecked_return_type = "PushRequest | undefined")]
    pub fn push_request(
        &self,
        #[wasm_bindgen(js_name = maxOps)] max_ops: usize,
    ) -> Result<JsValue, JsValue> {
        match self.state.push_request(max_ops) {
            Some(r) => to_js(&r),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Applies the server's answer to the push `sent`.
    #[wasm_bindgen(js_name = onPushResponse, unchecked_return_type = "SyncEffects")]
    pub fn on_push_response(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PushRequest")] sent: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PushResponse")] response: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let sent: PushRequest = from_js("push request", sent)?;
        let resp: PushResponse = from_js("push response", response)?;
        let me = self.state.annotator_id.clone();
        let keys: Vec<(String, String)> = sent
            .ops
            .iter()
            .map(|o| (o.item_id.clone(), o.target.clone().unwrap_or(me.clone())))
            .collect();
        self.apply(&keys, |s| s.on_push_response(&sent, &resp, now_ms as u64))
    }

    /// Records a failed push: `{kind: 'gap', expected_seq, epoch}` (HTTP 409),
    /// `{kind: 'transient'}` or `{kind: 'unauthorized'}`.
    #[wasm_bindgen(js_name = onPushFailure, unchecked_return_type = "SyncEffects")]
    pub fn on_push_failure(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PushFailure")] failure: JsValue,
    ) -> Result<JsValue, JsValue> {
        let failure = match from_js::<JsPushFailure>("push failure", failure)? {
            JsPushFailure::Gap {
                expected_seq,
                epoch,
            } => PushFailure::Gap {
                expected_seq,
                epoch,
            },
            JsPushFailure::Transient => PushFailure::Transient,
            JsPushFailure::Unauthorized => PushFailure::Unauthorized,
        };
        self.apply(&[], |s| s.on_push_failure(&failure))
    }

    /// Merges a pull page and moves the cursor.
    #[wasm_bindgen(js_name = onPull, unchecked_return_type = "SyncEffects")]
    pub fn on_pull(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PullResponse")] response: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let resp: PullResponse = from_js("pull response", response)?;
        let keys: Vec<(String, String)> = resp
            .changes
            .iter()
            .map(|c| (c.item_id.clone(), c.annotator_id.clone()))
            .collect();
        self.apply(&keys, |s| s.on_pull(&resp, now_ms as u64))
    }

    /// The server no longer knows the cursor (HTTP 410 with its epoch): pull from the start.
    #[wasm_bindgen(js_name = onCursorExpired, unchecked_return_type = "SyncEffects")]
    pub fn on_cursor_expired(&mut self, epoch: &str) -> Result<JsValue, JsValue> {
        self.apply(&[], |s| s.on_cursor_expired(epoch))
    }
}

impl SyncClient {
    fn header_value(&self) -> Header {
        let s = &self.state;
        Header {
            client_id: s.client_id.clone(),
            annotator_id: s.annotator_id.clone(),
            epoch: s.epoch.clone(),
            cursor: s.cursor,
            last_seq: s.last_seq,
            hlc: s.hlc,
        }
    }

    /// Runs `f` on the state and reports what it changed: the outbox by op id and seq, the
    /// server copies of `keys` (or all of them, on a new epoch).
    fn apply(
        &mut self,
        keys: &[(String, String)],
        f: impl FnOnce(&mut ClientState),
    ) -> Result<JsValue, JsValue> {
        let before_ops: BTreeMap<String, u64> = self
            .state
            .outbox
            .iter()
            .map(|o| (o.op_id.clone(), o.seq))
            .collect();
        let before: Vec<Option<Change>> = keys
            .iter()
            .map(|k| self.state.server.get(k).cloned())
            .collect();
        let epoch = self.state.epoch.clone();
        f(&mut self.state);
        let server_cleared = !epoch.is_empty() && epoch != self.state.epoch;
        let outbox_put = self
            .state
            .outbox
            .iter()
            .filter(|o| before_ops.get(&o.op_id) != Some(&o.seq))
            .cloned()
            .collect();
        let now: HashSet<&str> = self.state.outbox.iter().map(|o| o.op_id.as_str()).collect();
        let outbox_delete = before_ops
            .keys()
            .filter(|id| !now.contains(id.as_str()))
            .cloned()
            .collect();
        let server_put = if server_cleared {
            self.state.server.values().cloned().collect()
        } else {
            let mut seen = HashSet::new();
            keys.iter()
                .zip(before)
                .filter(|(k, _)| seen.insert((*k).clone()))
                .filter_map(|(k, before)| {
                    self.state
                        .server
                        .get(k)
                        .filter(|c| Some(*c) != before.as_ref())
                        .cloned()
                })
                .collect()
        };
        to_js(&Effects {
            header: self.header_value(),
            outbox_put,
            outbox_delete,
            server_put,
            server_cleared,
        })
    }
}
