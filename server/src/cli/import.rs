//! `kindling import` (also `kindling admin import`): items into a project.

use clap::Args;

use super::server::{DbArg, with_db};

/// Arguments of `kindling import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// `fashion-mnist` / `mnist` / an IDX directory (test split images as PNG, ids `000000`…),
    /// an image folder (one subfolder per class; files kept as they are; ids `class-file`), or
    /// a JSONL / CSV file of texts (ids from an `id` field, else `t000000`…).
    #[arg(long)]
    data: String,
    /// Import at most this many items.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    db: DbArg,
}

/// Imports; prints how many items were new.
pub fn run(a: ImportArgs) -> anyhow::Result<()> {
    let (project, data, limit) = (&a.project, &a.data, a.limit);
    let n = with_db(&a.db, |db| async move {
        crate::domain::import::import(&db, project, data, limit).await
    })?;
    println!("imported {n} items into {}", a.project);
    Ok(())
}
