//! Training jobs: queued in the database (one queued or running job per project), run one at a
//! time per runner (`kindling serve`, or `kindling worker` processes beside `serve --no-jobs`)
//! with burn on the CPU, with progress and cancellation. A runner holds a lease on the job it
//! runs and renews it while alive; a job whose lease ran out (its runner died) is queued again
//! by any runner (at most three attempts, then it fails with the reason), and a live runner's
//! job is never taken from it.
//! A finished job stores a new model version and makes it current only if it beats the current
//! one on the project's evaluation set.

pub mod dataset;
pub mod embeddings;
mod run;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::serve::AppState;
use crate::serve::db::{now_ms, random_id};
use crate::serve::error::ApiError;
use crate::serve::projects::labeled_items;

pub use run::execute;

/// Attempts before a job that keeps dying with its server fails for good.
const MAX_ATTEMPTS: i64 = 3;

/// One process that runs jobs: its id (recorded on the jobs it claims) and how long its lease
/// on a job lasts without a renewal (renewed every third of it).
#[derive(Debug, Clone)]
pub struct Runner {
    /// Random id, `r_…`.
    pub id: String,
    /// Lease length: a job of a runner silent for this long is taken over.
    pub lease: Duration,
}

impl Runner {
    /// A runner with a fresh id and `lease`.
    pub fn new(lease: Duration) -> Self {
        Self {
            id: random_id("r"),
            lease: lease.max(Duration::from_secs(1)),
        }
    }

    fn lease_until(&self) -> i64 {
        now_ms() + self.lease.as_millis() as i64
    }
}

/// Default lease of a runner on its job (`--job-lease-secs`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// What a job trains with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Maximum epochs (early stopping may end sooner).
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Seed of splits, initialization and shuffling.
    #[serde(default = "default_seed")]
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

impl JobConfig {
    /// Checks the bounds a request may ask for.
    pub fn check(&self) -> Result<(), ApiError> {
        if !(1..=200).contains(&self.epochs) {
            return Err(ApiError::bad_request(
                "invalid_epochs",
                "epochs must be 1 to 200",
            ));
        }
        if self.patience == 0 {
            return Err(ApiError::bad_request(
                "invalid_patience",
                "patience must be at least 1",
            ));
        }
        if self.arch != "cnn" && self.arch != "mlp" {
            return Err(ApiError::bad_request(
                "invalid_arch",
                "arch must be `cnn` or `mlp`",
            ));
        }
        Ok(())
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Id.
    pub id: String,
    /// Project.
    pub project_id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// `manual` or `auto`.
    pub trigger: String,
    /// Who asked (user id), for manual jobs.
    pub requested_by: Option<String>,
    /// Training settings.
    pub config: serde_json::Value,
    /// Labels in the project when it was queued.
    pub label_count: i64,
    /// `{phase, epoch, epochs, train_loss, val_accuracy}` while it runs.
    pub progress: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// `{version, published, reason, eval_accuracy, current_eval_accuracy, …}` when done.
    pub result: Option<serde_json::Value>,
    /// A cancel was asked for.
    pub cancel_requested: bool,
    /// Runs started (a job whose runner died is queued again).
    pub attempts: i64,
    /// The runner that holds (or last held) it.
    pub runner: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// When it started running.
    pub started_at: Option<i64>,
    /// When it ended.
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, project_id, status, trigger, requested_by, config, label_count, progress, error, result, cancel_requested, attempts, runner, created_at, started_at, finished_at";

fn json_column(
    r: &sqlx::any::AnyRow,
    name: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    Ok(r.try_get::<Option<String>, _>(name)?
        .and_then(|s| serde_json::from_str(&s).ok()))
}

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        status: r.try_get("status")?,
        trigger: r.try_get("trigger")?,
        requested_by: r.try_get("requested_by")?,
        config: json_column(r, "config")?.unwrap_or_default(),
        label_count: r.try_get("label_count")?,
        progress: json_column(r, "progress")?,
        error: r.try_get("error")?,
        result: json_column(r, "result")?,
        cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
        attempts: r.try_get("attempts")?,
        runner: r.try_get("runner")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// Queues a job; 409 `job_active` when the project has one queued or running.
pub async fn enqueue(
    state: &AppState,
    project: &str,
    trigger: &str,
    requested_by: Option<&str>,
    config: &JobConfig,
) -> Result<Job, ApiError> {
    config.check()?;
    let labels = labeled_items(state, project).await?;
    let id = random_id("j");
    let _guard = state.db.write_guard().await;
    let inserted = sqlx::query("INSERT INTO jobs (id, project_id, status, trigger, requested_by, config, label_count, created_at) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7)")
        .bind(&id).bind(project).bind(trigger).bind(requested_by)
        .bind(serde_json::to_string(config).expect("serializable")).bind(labels).bind(now_ms())
        .execute(&state.db.pool).await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "job_active",
                format!("project `{project}` already has a queued or running training job"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    drop(_guard);
    get(state, project, &id).await
}

/// One job of `project`.
pub async fn get(state: &AppState, project: &str, id: &str) -> Result<Job, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE project_id = $1 AND id = $2"
    ))
    .bind(project)
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("job `{id}` not found")))?;
    Ok(job_from_row(&row)?)
}

/// The latest jobs of `project`, newest first.
pub async fn list(state: &AppState, project: &str, limit: i64) -> Result<Vec<Job>, ApiError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(project)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows.iter().map(job_from_row).collect::<Result<_, _>>()?)
}

/// Cancels a job: a queued one at once, a running one after its current epoch.
pub async fn cancel(state: &AppState, project: &str, id: &str) -> Result<Job, ApiError> {
    let job = get(state, project, id).await?;
    let _guard = state.db.write_guard().await;
    match job.status.as_str() {
        "queued" => {
            sqlx::query("UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = $1 WHERE id = $2 AND status = 'queued'")
                .bind(now_ms()).bind(id).execute(&state.db.pool).await?;
        }
        "running" => {
            sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1")
                .bind(id)
                .execute(&state.db.pool)
                .await?;
        }
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "job_finished",
                format!("job `{id}` has already ended ({})", job.status),
            ));
        }
    }
    drop(_guard);
    get(state, project, id).await
}

/// Jobs left `running` by a runner whose lease ran out (it died, or hung) are queued again, or
/// failed after `MAX_ATTEMPTS`; jobs of live runners are left alone.
pub async fn recover(state: &AppState) -> anyhow::Result<()> {
    let now = now_ms();
    let _guard = state.db.write_guard().await;
    sqlx::query("UPDATE jobs SET status = 'failed', finished_at = $1, error = 'the process running this job stopped, too many times' WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $1) AND attempts >= $2")
        .bind(now).bind(MAX_ATTEMPTS).execute(&state.db.pool).await?;
    let requeued = sqlx::query(
        "UPDATE jobs SET status = 'queued', progress = NULL WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $1)",
    )
    .bind(now)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if requeued > 0 {
        tracing::warn!("re-queued {requeued} training job(s) whose runner stopped");
    }
    Ok(())
}

/// Queues automatic jobs: projects with `auto_train_every = N > 0` whose labeled items grew by
/// at least N since their last job (or reached N, without one).
pub async fn auto_trigger(state: &AppState) -> anyhow::Result<()> {
    let rows = sqlx::query("SELECT id, auto_train_every FROM projects WHERE auto_train_every > 0")
        .fetch_all(&state.db.pool)
        .await?;
    for r in rows {
        let project: String = r.try_get("id")?;
        let every: i64 = r.try_get("auto_train_every")?;
        let last = sqlx::query("SELECT label_count FROM jobs WHERE project_id = $1 AND status <> 'cancelled' ORDER BY created_at DESC LIMIT 1")
            .bind(&project)
            .fetch_optional(&state.db.pool)
            .await?
            .map(|r| r.try_get::<i64, _>("label_count"))
            .transpose()?
            .unwrap_or(0);
        let now = labeled_items(state, &project)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if now - last >= every {
            match enqueue(state, &project, "auto", None, &JobConfig::default()).await {
                Ok(job) => tracing::info!("auto-training {project}: job {} ({now} labels)", job.id),
                Err(e) if e.code == "job_active" => {}
                Err(e) => tracing::warn!("auto-training {project}: {}", e.message),
            }
        }
    }
    Ok(())
}

/// Takes the oldest queued job, if any (atomically: one runner gets it), leased to `runner`.
async fn claim(state: &AppState, runner: &Runner) -> anyhow::Result<Option<Job>> {
    let Some(row) = sqlx::query(
        "SELECT id, project_id FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1",
    )
    .fetch_optional(&state.db.pool)
    .await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let project: String = row.try_get("project_id")?;
    let _guard = state.db.write_guard().await;
    let claimed = sqlx::query("UPDATE jobs SET status = 'running', started_at = $1, attempts = attempts + 1, runner = $2, lease_until = $3 WHERE id = $4 AND status = 'queued'")
        .bind(now_ms()).bind(&runner.id).bind(runner.lease_until()).bind(&id).execute(&state.db.pool).await?.rows_affected();
    drop(_guard);
    if claimed == 0 {
        return Ok(None);
    }
    Ok(Some(
        get(state, &project, &id)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?,
    ))
}

/// Records how a job ended (only while `runner` still holds it: a job taken over after a lost
/// lease is the new runner's to finish).
async fn finish(
    state: &AppState,
    runner: &Runner,
    id: &str,
    status: &str,
    error: Option<&str>,
    result: Option<&serde_json::Value>,
) -> anyhow::Result<()> {
    let _guard = state.db.write_guard().await;
    let updated = sqlx::query(
        "UPDATE jobs SET status = $1, error = $2, result = $3, finished_at = $4 WHERE id = $5 AND runner = $6 AND status = 'running'",
    )
    .bind(status)
    .bind(error)
    .bind(result.map(|r| r.to_string()))
    .bind(now_ms())
    .bind(id)
    .bind(&runner.id)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if updated == 0 {
        tracing::warn!(
            "job {id} ended here but another runner holds it now; its outcome is theirs"
        );
    }
    Ok(())
}

/// Renews `runner`'s lease on job `id` every third of the lease, until dropped.
fn keep_leased(state: &AppState, runner: &Runner, id: &str) -> tokio::task::JoinHandle<()> {
    let (state, runner, id) = (state.clone(), runner.clone(), id.to_string());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(runner.lease / 3).await;
            let renewed = {
                let _guard = state.db.write_guard().await;
                sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND runner = $3 AND status = 'running'")
                    .bind(runner.lease_until())
                    .bind(&id)
                    .bind(&runner.id)
                    .execute(&state.db.pool)
                    .await
            };
            if let Err(e) = renewed {
                tracing::warn!("renewing the lease on job {id}: {e}");
            }
        }
    })
}

/// What a crashed job task said.
fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into()),
        Err(e) => e.to_string(),
    }
}

/// A runner's loop (`kindling serve`, or `kindling worker`): takes over jobs whose runner
/// died, runs queued jobs one at a time under a renewed lease, and queues automatic ones.
pub async fn run_forever(state: AppState, runner: Runner) {
    tracing::info!(runner = %runner.id, lease_s = runner.lease.as_secs(), "job runner started");
    let mut last_recover: Option<std::time::Instant> = None;
    loop {
        if last_recover.is_none_or(|t| t.elapsed() >= runner.lease / 3) {
            if let Err(e) = recover(&state).await {
                tracing::warn!("re-queueing jobs of stopped runners: {e:#}");
            }
            last_recover = Some(std::time::Instant::now());
        }
        if let Err(e) = auto_trigger(&state).await {
            tracing::warn!("auto-training check: {e:#}");
        }
        match claim(&state, &runner).await {
            Ok(Some(job)) => {
                tracing::info!("training job {} for {} started", job.id, job.project_id);
                let id = job.id.clone();
                let lease = keep_leased(&state, &runner, &id);
                // In its own task: a panic while training fails this job (with the panic's
                // message) instead of ending the runner for every project.
                let outcome = {
                    let (state, job) = (state.clone(), job.clone());
                    match tokio::spawn(async move { execute(&state, &job).await }).await {
                        Ok(outcome) => outcome,
                        Err(e) => Err(anyhow::anyhow!("the job crashed: {}", panic_message(e))),
                    }
                };
                let recorded = match outcome {
                    Ok(result) => {
                        finish(&state, &runner, &id, "succeeded", None, Some(&result)).await
                    }
                    Err(e) if e.is::<crate::train::Cancelled>() => {
                        finish(&state, &runner, &id, "cancelled", None, None).await
                    }
                    Err(e) => {
                        let error = format!("{e:#}");
                        finish(&state, &runner, &id, "failed", Some(&error), None).await
                    }
                };
                lease.abort();
                if let Err(e) = recorded {
                    tracing::error!("recording the end of job {id}: {e:#}");
                }
            }
            Ok(None) => tokio::time::sleep(Duration::from_millis(500)).await,
            Err(e) => {
                tracing::warn!("claiming a training job: {e:#}");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
