// Generated from the server's Rust types by server/tests/ts_contracts.rs (ts-rs): do not edit.
// Regenerate: KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts

/** Any JSON value. */
export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type Role = "owner" | "annotator" | "reviewer";

export type Task = "image" | "text";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export type JobTrigger = "manual" | "auto";

export type User = { 
/**
 * The user's id (the `annotator_id` of their labels).
 */
id: string, 
/**
 * The user's name.
 */
name: string, };

export type NewProject = { 
/**
 * Display name.
 */
name: string, 
/**
 * `image` or `text` classification.
 */
task: string, 
/**
 * Class labels.
 */
labels: Array<string>, 
/**
 * Optional id (default: random).
 */
id?: string | null, };

export type CreatedProject = { 
/**
 * The new project's id.
 */
id: string, };

export type ProjectInfo = { 
/**
 * Id.
 */
id: string, 
/**
 * Display name.
 */
name: string, 
/**
 * What it classifies.
 */
task: Task, 
/**
 * Class labels.
 */
labels: Array<string>, 
/**
 * The caller's role.
 */
role: Role, };

export type Progress = { 
/**
 * Items in the project.
 */
items: number, 
/**
 * Items with at least one label (everyone's).
 */
labeled: number, 
/**
 * Labels per class.
 */
per_class: { [key in string]: number }, 
/**
 * Labels per annotator name.
 */
per_annotator: { [key in string]: number }, };

export type ProjectDetail = { 
/**
 * Id.
 */
id: string, 
/**
 * Display name.
 */
name: string, 
/**
 * What it classifies.
 */
task: Task, 
/**
 * Class labels.
 */
labels: Array<string>, 
/**
 * The caller's role.
 */
role: Role, 
/**
 * Automatic training after every this many new labeled items (0: off).
 */
auto_train_every: number, 
/**
 * Percent of items leased to a second annotator once labeled (0: none).
 */
overlap_percent: number, 
/**
 * Progress.
 */
progress: Progress, };

export type Membership = { 
/**
 * `owner`, `annotator` or `reviewer`.
 */
role: string, };

export type MembershipOffer = { 
/**
 * `role_changed` (a member's role was set) or `invited` (an invitation waits for the
 * named user to accept; said whether or not such a user exists).
 */
status: string, 
/**
 * The name.
 */
name: string, 
/**
 * The role.
 */
role: Role, };

export type Invitation = { 
/**
 * The project.
 */
project: string, 
/**
 * Its display name.
 */
project_name: string, 
/**
 * The role offered.
 */
role: Role, 
/**
 * The name of the owner who invited.
 */
invited_by: string, 
/**
 * Unix ms.
 */
created_at: number, };

export type Invited = { 
/**
 * The name invited.
 */
name: string, 
/**
 * The role offered.
 */
role: Role, 
/**
 * The name of the owner who invited.
 */
invited_by: string, 
/**
 * Unix ms.
 */
created_at: number, };

export type AutoTrain = { 
/**
 * Train after every this many new labeled items; 0 turns it off.
 */
every: number, };

export type Overlap = { 
/**
 * Percent of items a second annotator labels too (without seeing the first label); 0: none.
 */
percent: number, };

export type ItemRow = { 
/**
 * Id.
 */
id: string, 
/**
 * What it is.
 */
kind: Task, 
/**
 * MIME type of the content.
 */
content_type: string, 
/**
 * sha256 of the content.
 */
sha256: string, };

export type ItemsPage = { 
/**
 * Ids, kinds, types and hashes, in upload order.
 */
items: Array<ItemRow>, 
/**
 * Pass as `cursor` for the next page.
 */
next_cursor: number, 
/**
 * Whether another page follows.
 */
has_more: boolean, };

export type Gold = { 
/**
 * The item's known class; `null` unmarks it.
 */
class: string | null, };

export type LeaseRequest = { 
/**
 * How many items (default 500, at most 1000).
 */
limit?: number | null, 
/**
 * Items the browser holds already (they are not sent again).
 */
exclude: Array<string>, };

export type LeasedItem = { 
/**
 * Item id.
 */
id: string, 
/**
 * What it is.
 */
kind: Task, 
/**
 * MIME type of the content.
 */
content_type: string, 
/**
 * sha256 of the content.
 */
sha256: string, 
/**
 * The content, base64.
 */
content_b64: string, };

export type Lease = { 
/**
 * Items that need the caller's label, in upload order.
 */
items: Array<LeasedItem>, 
/**
 * Milliseconds since the Unix epoch.
 */
expires_at: number, 
/**
 * Items that still need the caller's label and nobody else holds (this lease included).
 */
available: number, };

export type ReviewBatch = { 
/**
 * Labeled items the caller does not hold yet, in upload order, content included.
 */
items: Array<LeasedItem>, 
/**
 * Items of the project with at least one label (the whole review pool).
 */
labeled: number, };

export type Event = { 
/**
 * Whose label.
 */
annotator_id: string, 
/**
 * Who sent the op: the annotator, or the reviewer of a review.
 */
author_id: string, 
/**
 * The client that sent it.
 */
client_id: string, 
/**
 * The op's id.
 */
op_id: string, 
/**
 * `upsert` or `delete`.
 */
kind: string, 
/**
 * The label (upserts).
 */
value: JsonValue | null, 
/**
 * The writer's clock.
 */
hlc: { wall: number, counter: number }, 
/**
 * `applied`, `superseded` or `rejected`.
 */
outcome: string, 
/**
 * Why it was rejected.
 */
reason: string | null, 
/**
 * Milliseconds since the Unix epoch.
 */
received_at: number, };

export type History = { 
/**
 * The item.
 */
item_id: string, 
/**
 * Its ops in arrival order.
 */
events: Array<Event>, };

export type VersionInfo = { 
/**
 * Version name.
 */
version: string, 
/**
 * Whether it is current.
 */
current: boolean, 
/**
 * Unix ms.
 */
created_at: number, 
/**
 * The manifest's metrics.
 */
metrics: JsonValue | null, };

export type VersionRef = { 
/**
 * The version.
 */
version: string, };

export type VersionList = { 
/**
 * Newest first.
 */
versions: Array<VersionInfo>, };

export type JobConfig = { 
/**
 * Maximum epochs (early stopping may end sooner).
 */
epochs: number, 
/**
 * Seed of splits, initialization and shuffling.
 */
seed: number, 
/**
 * Architecture preset (`cnn` or `mlp`).
 */
arch: string, 
/**
 * Epochs without a better validation accuracy before stopping early.
 */
patience: number, };

export type JobProgress = { "phase": "loading" } | { "phase": "embedding", 
/**
 * Items to embed in this job.
 */
items: number, 
/**
 * Items whose stored embeddings are reused.
 */
stored: number, } | { "phase": "training", 
/**
 * 1-based epoch just finished.
 */
epoch: number, 
/**
 * Maximum epochs.
 */
epochs: number, 
/**
 * Mean training loss of that epoch.
 */
train_loss: number, 
/**
 * Validation accuracy after it.
 */
val_accuracy: number, } | { "phase": "evaluating" };

export type JobResult = { 
/**
 * The new version.
 */
version: string, 
/**
 * Whether it became current.
 */
published: boolean, 
/**
 * Why (or why not).
 */
reason: string, 
/**
 * The new version's accuracy on the evaluation set.
 */
eval_accuracy: number, 
/**
 * The current version's accuracy on the same items (none: there was none).
 */
current_eval_accuracy: number | null, 
/**
 * Labeled training items.
 */
label_count: number, 
/**
 * Labeled evaluation items.
 */
eval_count: number, 
/**
 * sha256 of the labels trained on.
 */
label_hash: string, 
/**
 * How long the job took.
 */
training_ms: number, 
/**
 * Items embedded by the backbone in this job.
 */
items_embedded: number, };

export type Job = { 
/**
 * Id.
 */
id: string, 
/**
 * Project.
 */
project_id: string, 
/**
 * Where it is in its life.
 */
status: JobStatus, 
/**
 * Who queued it.
 */
trigger: JobTrigger, 
/**
 * Who asked (user id), for manual jobs.
 */
requested_by: string | null, 
/**
 * Training settings.
 */
config: JobConfig, 
/**
 * Labels in the project when it was queued.
 */
label_count: number, 
/**
 * Where it is while it runs.
 */
progress: JobProgress | null, 
/**
 * Why it failed.
 */
error: string | null, 
/**
 * What it produced, when it succeeded.
 */
result: JobResult | null, 
/**
 * A cancel was asked for.
 */
cancel_requested: boolean, 
/**
 * Runs started (a job whose runner died is queued again).
 */
attempts: number, 
/**
 * The runner that holds (or last held) it.
 */
runner: string | null, 
/**
 * Milliseconds since the Unix epoch.
 */
created_at: number, 
/**
 * When it started running.
 */
started_at: number | null, 
/**
 * When it ended.
 */
finished_at: number | null, };

export type JobList = { 
/**
 * The latest 50, newest first.
 */
jobs: Array<Job>, };

export type VersionLine = { 
/**
 * Version name.
 */
version: string, 
/**
 * Whether it is current.
 */
current: boolean, 
/**
 * Unix ms.
 */
created_at: number, 
/**
 * Trained by a job here (else uploaded).
 */
trained_here: boolean, 
/**
 * Training items it learned from.
 */
label_count: number | null, 
/**
 * Evaluation items it was measured on.
 */
eval_count: number | null, 
/**
 * Accuracy on them.
 */
eval_accuracy: number | null, 
/**
 * Whether the job made it current.
 */
published: boolean | null, 
/**
 * Why (or why not).
 */
reason: string | null, 
/**
 * How long its job took.
 */
training_ms: number | null, };

export type Confusion = { 
/**
 * Version name.
 */
version: string, 
/**
 * Counts.
 */
matrix: number[][], };

export type AnnotatorLine = { 
/**
 * Name.
 */
name: string, 
/**
 * Current labels.
 */
labels: number, 
/**
 * Labels made with a suggestion on screen.
 */
with_suggestion: number, 
/**
 * Of those, how many chose another class.
 */
overrides: number, 
/**
 * `overrides / with_suggestion` (none without suggestions).
 */
override_rate: number | null, 
/**
 * Labels a reviewer has reviewed (and the annotator has not relabeled since).
 */
reviewed: number, 
/**
 * Of those, how many the reviewer corrected to another class.
 */
corrected: number, 
/**
 * Of those, how many the reviewer flagged.
 */
flagged: number, 
/**
 * Gold items this annotator labeled (owners only; `null` for others).
 */
gold_items: number | null, 
/**
 * Of those, how many they gave the gold class.
 */
gold_correct: number | null, 
/**
 * `gold_correct / gold_items` (none before any gold item).
 */
gold_accuracy: number | null, };

export type PairAgreement = { 
/**
 * One annotator's name (the pair in name order).
 */
a: string, 
/**
 * The other's.
 */
b: string, 
/**
 * Cohen's kappa (none when undefined: every label the same class).
 */
kappa: number | null, 
/**
 * Items both labeled: what the figure rests on.
 */
items: number, };

export type ClassAgreement = { 
/**
 * The class.
 */
class: string, 
/**
 * Its labels on items labeled by two or more annotators.
 */
labels: number, 
/**
 * Of those, labels another annotator gave another class.
 */
disputed: number, };

export type AgreementFigures = { 
/**
 * Cohen's kappa per pair of annotators with items in common, by names.
 */
pairs: Array<PairAgreement>, 
/**
 * Krippendorff's alpha (nominal) over every item labeled by two or more annotators.
 */
alpha: number | null, 
/**
 * Items alpha rests on.
 */
alpha_items: number, 
/**
 * Per class, in the project's class order.
 */
per_class: Array<ClassAgreement>, };

export type Dashboard = { 
/**
 * The project's classes.
 */
labels: Array<string>, 
/**
 * Versions, oldest first.
 */
versions: Array<VersionLine>, 
/**
 * The current version's confusion matrix, if a job trained it.
 */
confusion: Confusion | null, 
/**
 * Annotators by name (an annotator sees their own line only).
 */
annotators: Array<AnnotatorLine>, 
/**
 * Agreement on items labeled more than once; none for annotators (it is about others'
 * labels).
 */
agreement: AgreementFigures | null, };
