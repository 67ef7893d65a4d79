//! `kindling train --project P`: queues a training job in the server's database and follows
//! it until it ends (a `kindling serve` or `kindling worker` on that database runs it).

use std::time::Duration;

use super::server::{DbArg, with_db};
use crate::domain::jobs::{self, JobConfig, JobProgress};
use crate::store::types::{JobStatus, JobTrigger};

/// One line describing a job's state (what changed is printed).
fn status_line(job: &jobs::Job) -> String {
    match (job.status, &job.progress) {
        (
            JobStatus::Running,
            Some(JobProgress::Training {
                epoch,
                epochs,
                train_loss,
                val_accuracy,
            }),
        ) => format!(
            "epoch {epoch}/{epochs}: loss {train_loss:.4}, validation accuracy {:.2}%",
            100.0 * val_accuracy
        ),
        (JobStatus::Running, Some(JobProgress::Loading)) => "loading…".into(),
        (JobStatus::Running, Some(JobProgress::Embedding { .. })) => "embedding…".into(),
        (JobStatus::Running, Some(JobProgress::Evaluating)) => "evaluating…".into(),
        (status, _) => status.to_string(),
    }
}

/// Queues a job with `config` and, with `follow`, prints its progress until it ends.
pub fn train_project(
    db: &DbArg,
    project: &str,
    config: JobConfig,
    follow: bool,
) -> anyhow::Result<()> {
    with_db(db, |db| async move {
        let job = jobs::enqueue(&db, project, JobTrigger::Manual, None, &config).await?;
        println!(
            "queued training job {} for {project} ({} labeled items)",
            job.id, job.label_count
        );
        if !follow {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut last = String::new();
        let mut warned = false;
        loop {
            let j = jobs::get(&db, project, &job.id).await?;
            let line = status_line(&j);
            if line != last {
                println!("{line}");
                last = line;
            }
            match j.status {
                JobStatus::Succeeded => {
                    let r = j.result.unwrap_or_default();
                    println!("version {}: {}", r.version, r.reason);
                    return Ok(());
                }
                JobStatus::Failed => {
                    anyhow::bail!("the job failed: {}", j.error.unwrap_or_default())
                }
                JobStatus::Cancelled => anyhow::bail!("the job was cancelled"),
                JobStatus::Queued if !warned && started.elapsed() > Duration::from_secs(15) => {
                    eprintln!(
                        "still queued after 15 s: is `kindling serve` (or `kindling worker`) running on this database?"
                    );
                    warned = true;
                }
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}
