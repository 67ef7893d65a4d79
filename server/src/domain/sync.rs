//! Exactly-once label delivery (see `docs/sync-protocol.md`): a push replays stored outcomes
//! for seqs it has seen and applies new ops in order, last writer wins by `(hlc, client_id)`;
//! a pull pages through changes by version.

use kindling::sync::{
    Op, OpKind, OpResult, Outcome, PullResponse, PushRequest, PushResponse, wins,
};

use super::access::{self, User};
use super::error::{Error, Refusal, Result};
use crate::store::labels::{LabelWrite, NewEvent};
use crate::store::types::Role;
use crate::store::{self, Db, Tx, now_ms};

/// Most ops one push may carry.
pub const MAX_OPS_PER_PUSH: usize = 1000;
/// Most changes one pull returns.
pub const MAX_PULL_LIMIT: i64 = 1000;
/// How far ahead of the server's clock a label's `hlc.wall` may be; later walls are stored as
/// `now + MAX_CLOCK_SKEW_MS` (the label is kept, its clock is not trusted further).
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// Largest `hlc.counter` stored (larger ones are stored as this).
pub const MAX_HLC_COUNTER: u32 = 1 << 20;
/// Longest `op_id`, `model_version` and `suggestion`, in bytes.
pub const MAX_OP_FIELD: usize = 128;

/// Checks a push's shape before anything is read.
fn check_shape(req: &PushRequest) -> Result<()> {
    if req.ops.len() > MAX_OPS_PER_PUSH {
        return Err(Error::refused(
            Refusal::TooLarge,
            "too_many_ops",
            format!(
                "{} ops in one push; send at most {MAX_OPS_PER_PUSH}",
                req.ops.len()
            ),
        ));
    }
    if req.client_id.is_empty() || req.client_id.len() > 128 {
        return Err(Error::invalid(
            "invalid_client_id",
            "client_id must be 1 to 128 characters",
        ));
    }
    if let Some(op) = req
        .ops
        .iter()
        .find(|o| o.op_id.is_empty() || o.op_id.len() > MAX_OP_FIELD)
    {
        return Err(Error::invalid(
            "invalid_op_id",
            format!("op_id of seq {} must be 1 to {MAX_OP_FIELD} bytes", op.seq),
        ));
    }
    if let Some(w) = req.ops.windows(2).find(|w| w[1].seq != w[0].seq + 1) {
        return Err(Error::invalid(
            "non_consecutive_seq",
            format!(
                "seq {} follows {}; a push carries consecutive seqs",
                w[1].seq, w[0].seq
            ),
        ));
    }
    Ok(())
}

/// Longest review `reason`, in bytes.
pub const MAX_REVIEW_REASON: usize = 512;

/// Handles a push by `user` in one transaction: owners and annotators label their own keys;
/// owners and reviewers review anyone's (each op is checked against the pusher's role).
pub async fn push(db: &Db, user: &User, project: &str, req: &PushRequest) -> Result<PushResponse> {
    let role = access::require(
        db,
        project,
        user,
        &[Role::Owner, Role::Annotator, Role::Reviewer],
    )
    .await?;
    check_shape(req)?;
    let labels = super::projects::labels(db, project).await?;
    let mut w = db.write().await?;
    let epoch = db.epoch().await?;
    let client = store::labels::client(&mut w.tx, project, &req.client_id).await?;
    let last_seq = match &client {
        Some((owner, _)) if *owner != user.id => {
            return Err(Error::forbidden("this client_id belongs to another user"));
        }
        Some((_, seq)) => *seq,
        None => 0,
    };
    if !req.epoch.is_empty() && req.epoch != epoch {
        return Err(Error::conflict(
            "epoch_changed",
            "the server was restored from a backup: re-push every label you own",
        )
        .with(serde_json::json!({"epoch": epoch, "expected_seq": last_seq + 1})));
    }
    if let Some(first) = req.ops.first()
        && first.seq > last_seq + 1
    {
        return Err(Error::conflict(
            "seq_gap",
            format!("expected seq {}, got {}", last_seq + 1, first.seq),
        )
        .with(serde_json::json!({"epoch": epoch, "expected_seq": last_seq + 1})));
    }
    let mut results = Vec::with_capacity(req.ops.len());
    let mut acked = last_seq;
    for op in &req.ops {
        if op.seq <= last_seq {
            results.push(stored_outcome(&mut w.tx, project, &req.client_id, op.seq).await?);
            continue;
        }
        let sender = Sender {
            user: &user.id,
            role,
            client: &req.client_id,
        };
        let result = apply(&mut w.tx, project, sender, op, &labels).await?;
        store::labels::record_outcome(&mut w.tx, project, &req.client_id, &result).await?;
        results.push(result);
        acked = op.seq;
    }
    if acked > last_seq {
        store::labels::set_client_seq(
            &mut w.tx,
            project,
            &req.client_id,
            &user.id,
            acked,
            client.is_some(),
        )
        .await?;
    }
    w.commit().await?;
    Ok(PushResponse {
        acked_seq: acked,
        results,
        epoch,
    })
}

async fn stored_outcome(tx: &mut Tx, project: &str, client: &str, seq: u64) -> Result<OpResult> {
    Ok(
        match store::labels::outcome(tx, project, client, seq).await? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::invalid("corrupt_outcome", e.to_string()))?,
            None => OpResult {
                seq,
                op_id: String::new(),
                outcome: Outcome::Duplicate,
                version: None,
                reason: None,
            },
        },
    )
}

/// Who pushed an op.
#[derive(Debug, Clone, Copy)]
struct Sender<'a> {
    /// The pushing user.
    user: &'a str,
    /// Their role in the project.
    role: Role,
    /// The pushing client.
    client: &'a str,
}

/// Why `sender` may not send `op`, if they may not: a review (a value with a `review`, or a
/// `target` naming someone else) is for owners and reviewers and only sets a value; a label of
/// one's own is for owners and annotators.
fn permitted(op: &Op, sender: Sender<'_>) -> Result<(), String> {
    let reviews = op.value.as_ref().is_some_and(|v| v.review.is_some())
        || op.target.as_deref().is_some_and(|t| t != sender.user);
    if reviews {
        if !matches!(sender.role, Role::Owner | Role::Reviewer) {
            return Err(format!(
                "a {} cannot review labels (owners and reviewers can)",
                sender.role.as_str()
            ));
        }
        if op.kind != OpKind::Upsert || op.value.as_ref().is_none_or(|v| v.review.is_none()) {
            return Err("a review sets a value with a `review` (accept, correct or flag)".into());
        }
        if op
            .value
            .as_ref()
            .and_then(|v| v.review.as_ref())
            .is_some_and(|r| {
                r.reason
                    .as_ref()
                    .is_some_and(|reason| reason.len() > MAX_REVIEW_REASON)
            })
        {
            return Err(format!(
                "a review's reason is at most {MAX_REVIEW_REASON} bytes"
            ));
        }
    } else if sender.role == Role::Reviewer {
        return Err(
            "reviewers review labels; they do not label (name the annotator in `target`)".into(),
        );
    }
    Ok(())
}

/// Why an op cannot apply, if it cannot (its shape; the item's existence is checked after).
fn validate(op: &Op, labels: &[String]) -> Result<(), String> {
    let too_long = |field: &Option<String>| field.as_ref().is_some_and(|f| f.len() > MAX_OP_FIELD);
    if too_long(&op.target) {
        return Err(format!("target is at most {MAX_OP_FIELD} bytes"));
    }
    match (op.kind, &op.value) {
        (OpKind::Upsert, None) => Err("an upsert needs a value".into()),
        (OpKind::Upsert, Some(v)) if !labels.contains(&v.class) => {
            Err(format!("`{}` is not a class of this project", v.class))
        }
        (_, Some(v)) if too_long(&v.suggestion) || too_long(&v.model_version) => Err(format!(
            "suggestion and model_version are at most {MAX_OP_FIELD} bytes"
        )),
        _ if op.item_id.is_empty() || op.item_id.len() > 256 => {
            Err("item_id must be 1 to 256 characters".into())
        }
        _ => Ok(()),
    }
}

/// Applies one new op: last writer wins by `(hlc, client_id)` on the key `(item, annotator)`
/// — the sender's own, or the target's for a review; every op lands in the history.
async fn apply(
    tx: &mut Tx,
    project: &str,
    sender: Sender<'_>,
    op: &Op,
    labels: &[String],
) -> Result<OpResult> {
    let client = sender.client;
    let annotator = op.target.as_deref().unwrap_or(sender.user);
    // Op ids are unique per sender: another member cannot make this person's ops look like
    // duplicates by sending their ids first.
    if store::labels::has_event(tx, project, sender.user, &op.op_id).await? {
        let current = store::labels::stored(tx, project, &op.item_id, annotator)
            .await?
            .map(|s| s.version);
        return Ok(OpResult {
            seq: op.seq,
            op_id: op.op_id.clone(),
            outcome: Outcome::Duplicate,
            version: current,
            reason: None,
        });
    }
    let hlc = op
        .hlc
        .bounded(now_ms() as u64, MAX_CLOCK_SKEW_MS, MAX_HLC_COUNTER);
    let mut reason = permitted(op, sender)
        .and_then(|()| validate(op, labels))
        .err();
    if reason.is_none() && !store::labels::item_exists(tx, project, &op.item_id).await? {
        reason = Some(format!("item `{}` is not in this project", op.item_id));
    }
    let stored = match reason {
        Some(_) => None,
        None => store::labels::stored(tx, project, &op.item_id, annotator).await?,
    };
    // A review writes a key that exists, or one of someone who labels here. It applies by the
    // same last-writer-wins rule whether or not the label is there now: after a restore from
    // backup the reviewer's client may re-push before the annotator's does.
    let reviewing = op.value.as_ref().is_some_and(|v| v.review.is_some());
    if reason.is_none()
        && reviewing
        && stored.is_none()
        && !store::projects::labels_in(tx, project, annotator).await?
    {
        reason = Some(format!(
            "`{annotator}` has no label of item `{}` and does not label in this project",
            op.item_id
        ));
    }
    // A review's provenance comes from the server: who sent it, and the class it reviewed.
    // The annotator's suggestion fields stay with their label, so their override figures
    // still count it.
    let value = op.value.clone().map(|mut v| {
        let reviewed = stored.as_ref().and_then(|s| s.value.as_ref());
        if let Some(review) = v.review.as_mut() {
            review.reviewer = sender.user.to_string();
            review.original = reviewed.map(|s| s.annotator_class().to_string());
            v.suggestion = reviewed.and_then(|s| s.suggestion.clone());
            v.model_version = reviewed.and_then(|s| s.model_version.clone());
            v.accepted = reviewed.and_then(|s| s.accepted);
        }
        v
    });
    let (outcome, version) = match reason {
        Some(_) => (Outcome::Rejected, None),
        None => match stored.filter(|s| !wins((hlc, client), (s.hlc, &s.client_id))) {
            Some(winner) => (Outcome::Superseded, Some(winner.version)),
            None => {
                let version = store::projects::next_change(tx, project).await?;
                let value = value
                    .as_ref()
                    .filter(|_| op.kind == OpKind::Upsert)
                    .map(|v| serde_json::to_string(v).expect("serializable"));
                let write = LabelWrite {
                    item_id: &op.item_id,
                    annotator,
                    value: value.as_deref(),
                    deleted: op.kind == OpKind::Delete,
                    hlc,
                    client_id: client,
                    op_id: &op.op_id,
                };
                store::labels::write(tx, project, write, version).await?;
                store::items::refresh_needs_label(tx, project, &op.item_id).await?;
                if op.kind == OpKind::Upsert {
                    store::leases::end(tx, project, &op.item_id, annotator).await?;
                }
                (Outcome::Applied, Some(version))
            }
        },
    };
    let sent = value
        .as_ref()
        .map(|v| serde_json::to_string(v).expect("serializable"));
    let outcome_name = serde_json::to_value(outcome).expect("serializable");
    let event = NewEvent {
        item_id: &op.item_id,
        annotator,
        author: sender.user,
        client_id: client,
        op_id: &op.op_id,
        kind: if op.kind == OpKind::Delete {
            "delete"
        } else {
            "upsert"
        },
        value: sent.as_deref(),
        hlc,
        outcome: outcome_name.as_str().unwrap_or_default(),
        reason: reason.as_deref(),
        version,
        received_at: now_ms(),
    };
    store::labels::append_event(tx, project, event).await?;
    Ok(OpResult {
        seq: op.seq,
        op_id: op.op_id.clone(),
        outcome,
        version,
        reason,
    })
}

/// A pull: the latest change of every key with a version after `cursor`, in version order (an
/// annotator's own keys only). Versions are handed out under the project's row lock inside the
/// writing transaction, so they commit in order and a cursor never skips a change.
pub async fn pull(
    db: &Db,
    user: &User,
    project: &str,
    cursor: i64,
    limit: Option<i64>,
) -> Result<PullResponse> {
    let role = access::role_in(db, project, user).await?;
    // Annotators see only their own labels (no anchoring on colleagues' answers); owners and
    // reviewers see everyone's.
    let only = access::visible_to(role, user);
    let limit = limit.unwrap_or(MAX_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(Error::invalid(
            "invalid_limit",
            format!("limit must be 1 to {MAX_PULL_LIMIT}"),
        ));
    }
    let epoch = db.epoch().await?;
    let head = store::projects::change_seq(db, project).await?;
    if cursor < 0 || cursor > head {
        return Err(Error::refused(
            Refusal::Gone,
            "cursor_expired",
            "this cursor is unknown to the server (restored from a backup?); pull again from 0",
        )
        .with(serde_json::json!({"epoch": epoch})));
    }
    let mut changes = store::labels::changes_after(db, project, cursor, only, limit + 1).await?;
    let has_more = changes.len() as i64 > limit;
    changes.truncate(limit as usize);
    let next_cursor = changes.last().map_or(cursor, |c| c.version);
    let model_version = store::models::current_version(db, project).await?;
    Ok(PullResponse {
        changes,
        next_cursor,
        has_more,
        epoch,
        model_version,
    })
}
