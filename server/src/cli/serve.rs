//! `kindling serve`: the HTTP API (and the built front end) over a database.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::server::{DbArg, init_logging, runtime};

/// Arguments of `kindling serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Serve this directory's files (the built front end) at `/`.
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Open connections at most (further ones wait to be accepted).
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers before it is disconnected.
    #[arg(long, default_value_t = 10)]
    header_timeout_secs: u64,
    /// Failed sign-ins (invalid or expired tokens) allowed per client address and minute;
    /// beyond, that address gets 429 until the minute ends.
    #[arg(long, default_value_t = crate::http::auth_failures::MAX_FAILURES)]
    max_failed_auth: u32,
    /// A reverse proxy (IP address; repeat for several) whose `X-Forwarded-For` names the
    /// client for per-address limits: the rightmost address there that is not a trusted proxy.
    /// Without it the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Let any signed-in user create projects through the API (they own what they create).
    /// Without it, projects are created with `kindling admin project-create`.
    #[arg(long)]
    open_project_creation: bool,
    /// Run no training jobs here: `kindling worker` processes on the same database do.
    #[arg(long)]
    no_jobs: bool,
    /// Seconds this process's lease on a running job lasts without renewal (renewed every
    /// third); a job whose runner stays silent this long is taken over by another runner.
    #[arg(long, default_value_t = crate::domain::jobs::DEFAULT_LEASE.as_secs())]
    job_lease_secs: u64,
}

/// Runs `kindling serve` until SIGTERM or Ctrl-C (logs with `tracing`; `RUST_LOG` filters,
/// default `info`).
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging("info");
    let options = crate::http::ServeOptions {
        addr: args.addr,
        static_dir: args.static_dir,
        limits: crate::http::listener::ConnectionLimits {
            max_connections: args.max_connections,
            header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
        },
        max_failed_auth: args.max_failed_auth,
        open_project_creation: args.open_project_creation,
        trusted_proxies: args.trusted_proxies,
        run_jobs: !args.no_jobs,
        job_lease: Duration::from_secs(args.job_lease_secs),
    };
    runtime()?.block_on(crate::http::serve(&args.db.db, options))
}
