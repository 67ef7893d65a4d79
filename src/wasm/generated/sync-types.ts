// Generated from the kindling crate's sync types by server/tests/ts_contracts.rs (ts-rs): do not edit.
// Regenerate: KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts

export type Hlc = { 
/**
 * Milliseconds since the Unix epoch (the largest seen).
 */
wall: number, 
/**
 * Tie-breaker for events within one millisecond.
 */
counter: number, };

export type ReviewAction = "accept" | "correct" | "flag";

export type Review = { 
/**
 * Accept, correct or flag.
 */
action: ReviewAction, 
/**
 * Who reviewed (set by the server to the pushing user; whatever a client sends is replaced).
 */
reviewer: string, 
/**
 * Why (flags; optional on corrections).
 */
reason?: string, 
/**
 * The class the annotator had given (set by the server from the label reviewed).
 */
original?: string, };

export type LabelValue = { 
/**
 * The class label chosen.
 */
class: string, 
/**
 * The model's suggestion shown at the time, if any.
 */
suggestion?: string, 
/**
 * The model version that made the suggestion.
 */
model_version?: string, 
/**
 * Whether the person accepted the suggestion (`false`: corrected it).
 */
accepted?: boolean, 
/**
 * A reviewer's verdict, when this value was written by a review (absent on an
 * annotator's own label; a later label of the annotator replaces it).
 */
review?: Review, };

export type OpKind = "upsert" | "delete";

export type SyncOp = { 
/**
 * Per-client sequence number: 1, 2, 3, … without gaps.
 */
seq: number, 
/**
 * Globally unique id of this op.
 */
op_id: string, 
/**
 * The item labeled.
 */
item_id: string, 
/**
 * Whose label the op writes: absent for the sender's own; a review names the annotator
 * whose label it reviews (the key is `(item_id, target)`, last writer wins across both).
 */
target?: string, 
/**
 * Upsert or delete.
 */
kind: OpKind, 
/**
 * The label (upserts only).
 */
value?: LabelValue, 
/**
 * The server version of this key the client had seen, if any.
 */
base_version?: number, 
/**
 * When the client made the change.
 */
hlc: Hlc, };

export type PushRequest = { 
/**
 * The pushing client (one browser profile / device).
 */
client_id: string, 
/**
 * The server epoch the client last saw (empty on first contact).
 */
epoch: string, 
/**
 * Ops with consecutive `seq`s.
 */
ops: Array<SyncOp>, };

export type Outcome = "applied" | "duplicate" | "superseded" | "rejected";

export type OpResult = { 
/**
 * The op's `seq`.
 */
seq: number, 
/**
 * The op's id: a client acknowledges only the op it sent under this seq.
 */
op_id: string, 
/**
 * What happened.
 */
outcome: Outcome, 
/**
 * The key's version after the op (applied) or the winner's (superseded).
 */
version?: number, 
/**
 * Why it was rejected.
 */
reason?: string, };

export type PushResponse = { 
/**
 * The highest `seq` the server has recorded for this client.
 */
acked_seq: number, 
/**
 * One result per pushed op, stored ones included on a replay.
 */
results: Array<OpResult>, 
/**
 * The server's epoch.
 */
epoch: string, };

export type SyncChange = { 
/**
 * Commit-ordered version (the pull cursor).
 */
version: number, 
/**
 * The item.
 */
item_id: string, 
/**
 * Whose label it is.
 */
annotator_id: string, 
/**
 * A tombstone: the label was removed.
 */
deleted: boolean, 
/**
 * The label (absent for tombstones).
 */
value?: LabelValue, 
/**
 * The winning write's clock.
 */
hlc: Hlc, 
/**
 * The winning write's client.
 */
client_id: string, };

export type PullResponse = { 
/**
 * Changes after the cursor, in version order (the latest per key).
 */
changes: Array<SyncChange>, 
/**
 * The cursor for the next pull.
 */
next_cursor: number, 
/**
 * Whether more changes wait.
 */
has_more: boolean, 
/**
 * The server's epoch.
 */
epoch: string, 
/**
 * The project's current model version, so clients notice a new model with their pulls.
 */
model_version?: string, };

export type LocalLabel = { 
/**
 * The label, `None` when deleted.
 */
value: LabelValue | null, 
/**
 * Whether it waits in the outbox.
 */
pending: boolean, };
