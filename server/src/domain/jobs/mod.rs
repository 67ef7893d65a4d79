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
pub mod publish;
mod run;

use std::sync::Arc;
use std::time::Duration;

use super::error::{Error, Result};
use crate::store::jobs::NewJob;
pub use crate::store::jobs::{Job, JobConfig, JobProgress, JobResult};
use crate::store::types::{JobStatus, JobTrigger};
use crate::store::{self, Db, now_ms, random_id};

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

/// Checks the bounds a request may ask for.
pub fn check_config(config: &JobConfig) -> Result<()> {
    if !(1..=200).contains(&config.epochs) {
        return Err(Error::invalid("invalid_epochs", "epochs must be 1 to 200"));
    }
    if config.patience == 0 {
        return Err(Error::invalid(
            "invalid_patience",
            "patience must be at least 1",
        ));
    }
    if config.arch != "cnn" && config.arch != "mlp" {
        return Err(Error::invalid(
            "invalid_arch",
            "arch must be `cnn` or `mlp`",
        ));
    }
    Ok(())
}

/// Queues a job; 409 `job_active` when the project has one queued or running.
pub async fn enqueue(
    db: &Db,
    project: &str,
    trigger: JobTrigger,
    requested_by: Option<&str>,
    config: &JobConfig,
) -> Result<Job> {
    check_config(config)?;
    let label_count = store::labels::labeled_items(db, project).await?;
    let id = random_id("j");
    let job = NewJob {
        id: &id,
        project,
        trigger,
        requested_by,
        config,
        label_count,
    };
    if !store::jobs::insert(db, job).await? {
        return Err(Error::conflict(
            "job_active",
            format!("project `{project}` already has a queued or running training job"),
        ));
    }
    get(db, project, &id).await
}

/// One job of `project`.
pub async fn get(db: &Db, project: &str, id: &str) -> Result<Job> {
    store::jobs::get(db, project, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("job `{id}` not found")))
}

/// The latest jobs of `project`, newest first.
pub async fn list(db: &Db, project: &str, limit: i64) -> Result<Vec<Job>> {
    Ok(store::jobs::list(db, project, limit).await?)
}

/// Cancels a job: a queued one at once, a running one after its current epoch.
pub async fn cancel(db: &Db, project: &str, id: &str) -> Result<Job> {
    let job = get(db, project, id).await?;
    match job.status {
        JobStatus::Queued => store::jobs::cancel_queued(db, id).await?,
        JobStatus::Running => store::jobs::request_cancel(db, id).await?,
        ended => {
            return Err(Error::conflict(
                "job_finished",
                format!("job `{id}` has already ended ({ended})"),
            ));
        }
    }
    get(db, project, id).await
}

/// Jobs left `running` by a runner whose lease ran out (it died, or hung) are queued again, or
/// failed after `MAX_ATTEMPTS`; jobs of live runners are left alone.
pub async fn recover(db: &Db) -> anyhow::Result<()> {
    let requeued = store::jobs::requeue_expired(db, now_ms(), MAX_ATTEMPTS).await?;
    if requeued > 0 {
        tracing::warn!("re-queued {requeued} training job(s) whose runner stopped");
    }
    Ok(())
}

/// Queues automatic jobs: projects with `auto_train_every = N > 0` whose labeled items grew by
/// at least N since their last job (or reached N, without one).
pub async fn auto_trigger(db: &Db) -> anyhow::Result<()> {
    for (project, every) in store::projects::auto_training(db).await? {
        let last = store::jobs::last_label_count(db, &project).await?;
        let now = store::labels::labeled_items(db, &project).await?;
        if now - last >= every {
            match enqueue(db, &project, JobTrigger::Auto, None, &JobConfig::default()).await {
                Ok(job) => tracing::info!("auto-training {project}: job {} ({now} labels)", job.id),
                Err(e) if e.code() == "job_active" => {}
                Err(e) => tracing::warn!("auto-training {project}: {e}"),
            }
        }
    }
    Ok(())
}

/// Records how a job ended (only while `runner` still holds it: a job taken over after a lost
/// lease is the new runner's to finish).
async fn finish(
    db: &Db,
    runner: &Runner,
    id: &str,
    status: JobStatus,
    error: Option<&str>,
    result: Option<&JobResult>,
) -> anyhow::Result<()> {
    if !store::jobs::finish(db, &runner.id, id, status, error, result).await? {
        tracing::warn!(
            "job {id} ended here but another runner holds it now; its outcome is theirs"
        );
    }
    Ok(())
}

/// Renews `runner`'s lease on job `id` every third of the lease, until dropped.
fn keep_leased(db: &Arc<Db>, runner: &Runner, id: &str) -> tokio::task::JoinHandle<()> {
    let (db, runner, id) = (db.clone(), runner.clone(), id.to_string());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(runner.lease / 3).await;
            let renewed = store::jobs::renew(&db, &runner.id, &id, runner.lease_until()).await;
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
pub async fn run_forever(db: Arc<Db>, runner: Runner) {
    tracing::info!(runner = %runner.id, lease_s = runner.lease.as_secs(), "job runner started");
    let mut last_recover: Option<std::time::Instant> = None;
    loop {
        if last_recover.is_none_or(|t| t.elapsed() >= runner.lease / 3) {
            if let Err(e) = recover(&db).await {
                tracing::warn!("re-queueing jobs of stopped runners: {e:#}");
            }
            last_recover = Some(std::time::Instant::now());
        }
        if let Err(e) = auto_trigger(&db).await {
            tracing::warn!("auto-training check: {e:#}");
        }
        match store::jobs::claim(&db, &runner.id, runner.lease_until()).await {
            Ok(Some(job)) => {
                tracing::info!("training job {} for {} started", job.id, job.project_id);
                let id = job.id.clone();
                let lease = keep_leased(&db, &runner, &id);
                // In its own task: a panic while training fails this job (with the panic's
                // message) instead of ending the runner for every project.
                let outcome = {
                    let (db, job) = (db.clone(), job.clone());
                    match tokio::spawn(async move { execute(&db, &job).await }).await {
                        Ok(outcome) => outcome,
                        Err(e) => Err(anyhow::anyhow!("the job crashed: {}", panic_message(e))),
                    }
                };
                let recorded = match outcome {
                    Ok(result) => {
                        finish(&db, &runner, &id, JobStatus::Succeeded, None, Some(&result)).await
                    }
                    Err(e) if e.is::<crate::train::Cancelled>() => {
                        finish(&db, &runner, &id, JobStatus::Cancelled, None, None).await
                    }
                    Err(e) => {
                        let error = format!("{e:#}");
                        finish(&db, &runner, &id, JobStatus::Failed, Some(&error), None).await
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
