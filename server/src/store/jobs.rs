//! `jobs`: training jobs, at most one queued or running per project (a unique index), with
//! the runner that holds each running one and until when.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use super::types::{JobStatus, JobTrigger, column};
use super::{Db, json_column, now_ms};

/// What a job trains with (stored as JSON; the API's `POST …/jobs` body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Maximum epochs (early stopping may end sooner).
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Seed of splits, initialization and shuffling.
    #[serde(default = "default_seed")]
    #[ts(type = "number")]
    pub seed: u64,
    /// Architecture preset (`cnn` or `mlp`).
    #[serde(default = "default_arch")]
    pub arch: String,
    /// Epochs without a better validation accuracy before stopping early.
    #[serde(default = "default_patience")]
    pub patience: usize,
}

fn default_patience() -> usize {
    3
}
fn default_epochs() -> usize {
    10
}
fn default_seed() -> u64 {
    42
}
fn default_arch() -> String {
    "cnn".into()
}

impl Default for JobConfig {
    fn default() -> Self {
        Self {
            epochs: default_epochs(),
            seed: default_seed(),
            arch: default_arch(),
            patience: default_patience(),
        }
    }
}

/// Where a running job is (stored as JSON, by phase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "phase", rename_all = "lowercase")]
pub enum JobProgress {
    /// Reading labels and items.
    Loading,
    /// Embedding items with the backbone (a head job).
    Embedding {
        /// Items to embed in this job.
        items: usize,
        /// Items whose stored embeddings are reused.
        stored: usize,
    },
    /// Training a model from scratch, epoch by epoch.
    Training {
        /// 1-based epoch just finished.
        epoch: usize,
        /// Maximum epochs.
        epochs: usize,
        /// Mean training loss of that epoch.
        train_loss: f64,
        /// Validation accuracy after it.
        val_accuracy: f64,
    },
    /// Evaluating the new and the current model.
    Evaluating,
}

/// What a finished job produced (stored as JSON).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct JobResult {
    /// The new version.
    pub version: String,
    /// Whether it became current.
    pub published: bool,
    /// Why (or why not).
    pub reason: String,
    /// The new version's accuracy on the evaluation set.
    pub eval_accuracy: f64,
    /// The current version's accuracy on the same items (none: there was none).
    pub current_eval_accuracy: Option<f64>,
    /// Labeled training items.
    pub label_count: usize,
    /// Labeled evaluation items.
    pub eval_count: usize,
    /// sha256 of the labels trained on.
    pub label_hash: String,
    /// How long the job took.
    #[ts(type = "number")]
    pub training_ms: i64,
    /// Items embedded by the backbone in this job.
    pub items_embedded: usize,
}

/// A job as stored (and as the API shows it).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Job {
    /// Id.
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Where it is in its life.
    pub status: JobStatus,
    /// Who queued it.
    pub trigger: JobTrigger,
    /// Who asked (user id), for manual jobs.
    pub requested_by: Option<String>,
    /// Training settings.
    pub config: JobConfig,
    /// Labels in the project when it was queued.
    #[ts(type = "number")]
    pub label_count: i64,
    /// Where it is while it runs.
    pub progress: Option<JobProgress>,
    /// Why it failed.
    pub error: Option<String>,
    /// What it produced, when it succeeded.
    pub result: Option<JobResult>,
    /// A cancel was asked for.
    pub cancel_requested: bool,
    /// Runs started (a job whose runner died is queued again).
    #[ts(type = "number")]
    pub attempts: i64,
    /// The runner that holds (or last held) it.
    pub runner: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it started running.
    #[ts(type = "number | null")]
    pub started_at: Option<i64>,
    /// When it ended.
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
}

/// Reads a JSON column as `T` (a value of another shape reads as none).
fn typed_json<T: serde::de::DeserializeOwned>(
    r: &sqlx::any::AnyRow,
    name: &str,
) -> Result<Option<T>, sqlx::Error> {
    Ok(json_column(r, name)?.and_then(|v| serde_json::from_value(v).ok()))
}

const COLUMNS: &str = "id, project_id, status, trigger, requested_by, config, label_count, progress, error, result, cancel_requested, attempts, runner, created_at, started_at, finished_at";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        status: column(r, "status", JobStatus::parse)?,
        trigger: column(r, "trigger", JobTrigger::parse)?,
        requested_by: r.try_get("requested_by")?,
        config: typed_json(r, "config")?.unwrap_or_default(),
        label_count: r.try_get("label_count")?,
        progress: typed_json(r, "progress")?,
        error: r.try_get("error")?,
        result: typed_json(r, "result")?,
        cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
        attempts: r.try_get("attempts")?,
        runner: r.try_get("runner")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// A job to queue.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// Id.
    pub id: &'a str,
    /// Project.
    pub project: &'a str,
    /// Who queued it.
    pub trigger: JobTrigger,
    /// Who asked.
    pub requested_by: Option<&'a str>,
    /// Settings.
    pub config: &'a JobConfig,
    /// Labeled items now.
    pub label_count: i64,
}

/// Queues a job; `false` (nothing written) when the project has one queued or running.
pub async fn insert(db: &Db, job: NewJob<'_>) -> Result<bool, sqlx::Error> {
    let _turn = db.write_guard().await;
    let inserted = sqlx::query("INSERT INTO jobs (id, project_id, status, trigger, requested_by, config, label_count, created_at) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7)")
        .bind(job.id).bind(job.project).bind(job.trigger.as_str()).bind(job.requested_by)
        .bind(serde_json::to_string(job.config).expect("serializable")).bind(job.label_count).bind(now_ms())
        .execute(&db.pool).await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// One job of `project`.
pub async fn get(db: &Db, project: &str, id: &str) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE project_id = $1 AND id = $2"
    ))
    .bind(project)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(job_from_row)
    .transpose()
}

/// The latest `limit` jobs of `project`, newest first.
pub async fn list(db: &Db, project: &str, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(project)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(job_from_row)
    .collect()
}

/// Cancels a queued job at once.
pub async fn cancel_queued(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = $1 WHERE id = $2 AND status = 'queued'")
        .bind(now_ms()).bind(id).execute(&db.pool).await?;
    Ok(())
}

/// Asks a running job to stop after its epoch.
pub async fn request_cancel(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether a cancel was asked for (a read that fails reads as no).
pub async fn cancel_requested(db: &Db, id: &str) -> bool {
    sqlx::query("SELECT cancel_requested FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get::<i64, _>("cancel_requested"))
        .map(|c| c != 0)
        .unwrap_or(false)
}

/// Jobs `running` under a lease that ran out at `now`: those with `max_attempts` runs fail,
/// the others are queued again. Returns how many were queued again.
pub async fn requeue_expired(db: &Db, now: i64, max_attempts: i64) -> Result<u64, sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE jobs SET status = 'failed', finished_at = $1, error = 'the process running this job stopped, too many times' WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $1) AND attempts >= $2")
        .bind(now).bind(max_attempts).execute(&db.pool).await?;
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'queued', progress = NULL WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $1)",
    )
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// The label count of the project's latest job that was not cancelled (0 without one).
pub async fn last_label_count(db: &Db, project: &str) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query("SELECT label_count FROM jobs WHERE project_id = $1 AND status <> 'cancelled' ORDER BY created_at DESC LIMIT 1")
        .bind(project)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get::<i64, _>("label_count"))
        .transpose()?
        .unwrap_or(0))
}

/// Takes the oldest queued job for `runner` until `lease_until` (atomically: one runner gets
/// it); returns it.
pub async fn claim(db: &Db, runner: &str, lease_until: i64) -> Result<Option<Job>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT id, project_id FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let project: String = row.try_get("project_id")?;
    let claimed = {
        let _turn = db.write_guard().await;
        sqlx::query("UPDATE jobs SET status = 'running', started_at = $1, attempts = attempts + 1, runner = $2, lease_until = $3 WHERE id = $4 AND status = 'queued'")
            .bind(now_ms()).bind(runner).bind(lease_until).bind(&id).execute(&db.pool).await?.rows_affected()
    };
    if claimed == 0 {
        return Ok(None);
    }
    get(db, &project, &id).await
}

/// Records how a job ended, only while `runner` holds it; `false` when another runner does.
pub async fn finish(
    db: &Db,
    runner: &str,
    id: &str,
    status: JobStatus,
    error: Option<&str>,
    result: Option<&JobResult>,
) -> Result<bool, sqlx::Error> {
    let _turn = db.write_guard().await;
    Ok(sqlx::query(
        "UPDATE jobs SET status = $1, error = $2, result = $3, finished_at = $4 WHERE id = $5 AND runner = $6 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(result.map(|r| serde_json::to_string(r).expect("serializable")))
    .bind(now_ms())
    .bind(id)
    .bind(runner)
    .execute(&db.pool)
    .await?
    .rows_affected()
        > 0)
}

/// Extends `runner`'s lease on running job `id` to `lease_until`.
pub async fn renew(db: &Db, runner: &str, id: &str, lease_until: i64) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND runner = $3 AND status = 'running'",
    )
    .bind(lease_until)
    .bind(id)
    .bind(runner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records a running job's progress.
pub async fn set_progress(db: &Db, id: &str, progress: &JobProgress) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE jobs SET progress = $1 WHERE id = $2")
        .bind(serde_json::to_string(progress).expect("serializable"))
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
