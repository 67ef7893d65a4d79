//! `kindling worker`: runs training jobs from the database, no HTTP (beside `kindling serve
//! --no-jobs`, any number of them).

use clap::Args;

use super::server::{DbArg, connect, init_logging, runtime};
use crate::domain::jobs::{DEFAULT_LEASE, Runner, run_forever};

/// Arguments of `kindling worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    db: DbArg,
    /// Seconds this worker's lease on a running job lasts without renewal.
    #[arg(long, default_value_t = DEFAULT_LEASE.as_secs())]
    job_lease_secs: u64,
}

/// Runs until SIGTERM or Ctrl-C (a job it was running is taken over by another runner once
/// its lease runs out).
pub fn run(args: WorkerArgs) -> anyhow::Result<()> {
    init_logging("info");
    runtime()?.block_on(async {
        let db = connect(&args.db).await?;
        let runner = Runner::new(std::time::Duration::from_secs(args.job_lease_secs));
        println!("kindling worker: runner {} on {}", runner.id, args.db.db);
        tokio::select! {
            _ = run_forever(db, runner) => {},
            _ = crate::http::listener::shutdown_signal() => {},
        }
        Ok(())
    })
}
