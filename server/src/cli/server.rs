//! What the commands that work on a server's database share: the `--db` option, the async
//! runtime, logging, and publishing a bundle.

use std::sync::Arc;

use clap::Args;

use crate::store::Db;

/// The database URL option shared by the server commands.
#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "KINDLING_DB",
        default_value = "sqlite://kindling-data/kindling.db"
    )]
    pub db: String,
}

/// A multi-threaded tokio runtime.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Logs to stderr (`RUST_LOG` filters; default `default`, and sqlx at warn).
pub fn init_logging(default: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| format!("{default},sqlx=warn").into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// Connects to the database (running its migrations).
pub async fn connect(db: &DbArg) -> anyhow::Result<Arc<Db>> {
    Ok(Arc::new(Db::connect(&db.db).await?))
}

/// Runs `f` on the database in a fresh runtime (logging warnings to stderr).
pub fn with_db<T, F>(db: &DbArg, f: impl FnOnce(Arc<Db>) -> F) -> anyhow::Result<T>
where
    F: std::future::Future<Output = anyhow::Result<T>>,
{
    init_logging("warn");
    runtime()?.block_on(async { f(connect(db).await?).await })
}

/// Stores `bundle` as a model version of `project` (current when `current`); returns the
/// version.
pub fn publish(
    db: &DbArg,
    project: &str,
    bundle: &kindling::Bundle,
    current: bool,
) -> anyhow::Result<String> {
    with_db(db, |db| async move {
        Ok(crate::domain::models::store_bundle(&db, project, bundle, current).await?)
    })
}

/// The id of the user named `name`, or an error saying how to add them.
pub async fn user_id(db: &Db, name: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    crate::store::users::id_by_name(db, name)
        .await?
        .with_context(|| format!("no user `{name}`; add it with `kindling user add {name}`"))
}
