//! Server administration from the command line: `serve`, users and tokens, projects and
//! members, importing items, publishing bundles, starting a new epoch after a restore.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use sqlx::Row;

use crate::serve::db::{Db, now_ms, random_id, token_hash};
use crate::serve::items::insert_item;
use crate::serve::projects::{NewProject, create_project};
use crate::serve::{AppState, serve};

/// The database URL option shared by the admin commands.
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

/// `kindling serve`.
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
    #[arg(long, default_value_t = crate::serve::auth_failures::MAX_FAILURES)]
    max_failed_auth: u32,
    /// Let any signed-in user create projects through the API (they own what they create).
    /// Without it, projects are created with `kindling admin project-create`.
    #[arg(long)]
    open_project_creation: bool,
    /// Run no training jobs here: `kindling worker` processes on the same database do.
    #[arg(long)]
    no_jobs: bool,
    /// Seconds this process's lease on a running job lasts without renewal (renewed every
    /// third); a job whose runner stays silent this long is taken over by another runner.
    #[arg(long, default_value_t = crate::jobs::DEFAULT_LEASE.as_secs())]
    job_lease_secs: u64,
}

/// `kindling worker`: runs training jobs from the database, no HTTP.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    db: DbArg,
    /// Seconds this worker's lease on a running job lasts without renewal.
    #[arg(long, default_value_t = crate::jobs::DEFAULT_LEASE.as_secs())]
    job_lease_secs: u64,
}

/// Runs `kindling worker` until SIGTERM or Ctrl-C (a job it was running is taken over by
/// another runner once its lease runs out).
pub fn run_worker(args: WorkerArgs) -> anyhow::Result<()> {
    init_logging();
    runtime()?.block_on(async {
        let state = state(&args.db).await?;
        let runner = crate::jobs::Runner::new(std::time::Duration::from_secs(args.job_lease_secs));
        println!("kindling worker: runner {} on {}", runner.id, args.db.db);
        tokio::select! {
            _ = crate::jobs::run_forever(state, runner) => {},
            _ = crate::serve::listener::shutdown_signal() => {},
        }
        Ok(())
    })
}

/// Administration subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a user.
    UserAdd {
        /// User name.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Create an API token for a user (printed once; only its hash is stored).
    TokenCreate {
        /// User name.
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long)]
        expires_days: Option<u64>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke every API token of a user (a lost laptop): their browsers must sign in again;
    /// labels waiting in those browsers are kept and sent after the new sign-in.
    TokenRevoke {
        /// User name.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Create a project owned by a user.
    ProjectCreate {
        /// Project id (letters, digits, - and _).
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `image` or `text`.
        #[arg(long, default_value = "image")]
        task: String,
        /// Comma-separated class labels.
        #[arg(long, value_delimiter = ',')]
        labels: Vec<String>,
        /// Owner's user name.
        #[arg(long)]
        owner: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Give a user a role in a project.
    MemberSet {
        /// Project id.
        #[arg(long)]
        project: String,
        /// User name.
        #[arg(long)]
        user: String,
        /// `owner`, `annotator` or `reviewer`.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Import items into a project (same as `kindling import`).
    Import(ImportArgs),
    /// Store a bundle as a model version of a project.
    Publish {
        /// Project id.
        #[arg(long)]
        project: String,
        /// Bundle directory or archive.
        #[arg(long)]
        bundle: PathBuf,
        /// Make it the current version.
        #[arg(long)]
        current: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Give a photo project a pretrained backbone (a bundle from `kindling backbone import`):
    /// stores the backbone once and makes version 0, an untrained head, current; training jobs
    /// then train heads on the backbone's embeddings.
    SetBackbone {
        /// Project id.
        #[arg(long)]
        project: String,
        /// Backbone bundle directory or archive.
        #[arg(long)]
        bundle: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// List users as `id name` lines.
    ListUsers {
        #[command(flatten)]
        db: DbArg,
    },
    /// Check that a project's labels equal a replay of its append-only history
    /// (`label_events`): every applied op once, in version order.
    VerifyHistory {
        /// Project id.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Start a new server epoch (after restoring a backup): clients re-push their labels.
    NewEpoch {
        #[command(flatten)]
        db: DbArg,
    },
}

/// `kindling user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (prints its id).
    Add {
        /// User name.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

/// `kindling import`: items into a project.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// `fashion-mnist` / `mnist` / an IDX directory (test split images as PNG), an image folder
    /// (one subfolder per class; files kept as they are), or a JSONL / CSV file of texts.
    #[arg(long)]
    data: String,
    /// Import at most this many items.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    db: DbArg,
}

/// `kindling token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user (printed once; only its hash is stored).
    Create {
        /// User name.
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long)]
        expires_days: Option<u64>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke every API token of a user.
    Revoke {
        /// User name.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

impl From<UserCommand> for AdminCommand {
    fn from(c: UserCommand) -> Self {
        match c {
            UserCommand::Add { name, db } => AdminCommand::UserAdd { name, db },
        }
    }
}

impl From<TokenCommand> for AdminCommand {
    fn from(c: TokenCommand) -> Self {
        match c {
            TokenCommand::Create {
                name,
                expires_days,
                db,
            } => AdminCommand::TokenCreate {
                name,
                expires_days,
                db,
            },
            TokenCommand::Revoke { name, db } => AdminCommand::TokenRevoke { name, db },
        }
    }
}

/// Stores a trained bundle as the current model version of `project` (`kindling train
/// --publish`).
pub fn publish(db: &DbArg, project: &str, bundle: &kindling::Bundle) -> anyhow::Result<String> {
    runtime()?.block_on(async {
        let s = state(db).await?;
        crate::serve::models::store_bundle(&s, project, bundle, true)
            .await
            .map_err(api)
    })
}

/// `kindling train --project P`: queues a job in the database and, with `follow`, prints its
/// progress until it ends (a running `kindling serve` on that database runs it).
pub fn train_project(
    db: &DbArg,
    project: &str,
    epochs: usize,
    seed: u64,
    arch: &str,
    patience: usize,
    follow: bool,
) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let s = state(db).await?;
        let config = crate::jobs::JobConfig {
            epochs,
            seed,
            arch: arch.to_string(),
            patience,
        };
        let job = crate::jobs::enqueue(&s, project, "manual", None, &config)
            .await
            .map_err(api)?;
        println!(
            "queued training job {} for {project} ({} labeled items)",
            job.id, job.label_count
        );
        if !follow {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut last = String::new();
        loop {
            let j = crate::jobs::get(&s, project, &job.id).await.map_err(api)?;
            let line = match (&j.status[..], &j.progress) {
                ("running", Some(p)) if p["phase"] == "training" => format!(
                    "epoch {}/{}: loss {:.4}, validation accuracy {:.2}%",
                    p["epoch"],
                    p["epochs"],
                    p["train_loss"].as_f64().unwrap_or(0.0),
                    100.0 * p["val_accuracy"].as_f64().unwrap_or(0.0)
                ),
                ("running", Some(p)) => format!("{}…", p["phase"].as_str().unwrap_or("running")),
                (status, _) => status.to_string(),
            };
            if line != last {
                println!("{line}");
                last = line;
            }
            match &j.status[..] {
                "succeeded" => {
                    let r = j.result.unwrap_or_default();
                    println!(
                        "version {}: {}",
                        r["version"].as_str().unwrap_or("?"),
                        r["reason"].as_str().unwrap_or("")
                    );
                    return Ok(());
                }
                "failed" => anyhow::bail!("the job failed: {}", j.error.unwrap_or_default()),
                "cancelled" => anyhow::bail!("the job was cancelled"),
                "queued"
                    if started.elapsed() > std::time::Duration::from_secs(15)
                        && last == "queued" =>
                {
                    eprintln!(
                        "still queued after 15 s: is `kindling serve` running on this database?"
                    );
                    last = "queued (warned)".into();
                }
                _ => {}
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    })
}

/// Runs `kindling serve` (logs with `tracing`; `RUST_LOG` filters, default `info`).
pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    let options = crate::serve::ServeOptions {
        addr: args.addr,
        static_dir: args.static_dir,
        limits: crate::serve::listener::ConnectionLimits {
            max_connections: args.max_connections,
            header_timeout: std::time::Duration::from_secs(args.header_timeout_secs.max(1)),
        },
        max_failed_auth: args.max_failed_auth,
        open_project_creation: args.open_project_creation,
        run_jobs: !args.no_jobs,
        job_lease: std::time::Duration::from_secs(args.job_lease_secs),
    };
    runtime()?.block_on(serve(&args.db.db, options))
}

/// Logs to stderr (`RUST_LOG` filters; default `info,sqlx=warn`).
fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn state(db: &DbArg) -> anyhow::Result<AppState> {
    Ok(AppState::new(Db::connect(&db.db).await?))
}

async fn user_id(state: &AppState, name: &str) -> anyhow::Result<String> {
    let row = sqlx::query("SELECT id FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(&state.db.pool)
        .await?
        .with_context(|| {
            format!("no user `{name}`; add it with `kindling admin user-add {name}`")
        })?;
    Ok(row.try_get("id")?)
}

fn api(e: crate::serve::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

/// Runs an administration subcommand.
pub fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    runtime()?.block_on(async move {
        match cmd {
            AdminCommand::UserAdd { name, db } => {
                let s = state(&db).await?;
                let id = random_id("u");
                sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)").bind(&id).bind(&name).bind(now_ms())
                    .execute(&s.db.pool).await.with_context(|| format!("adding user `{name}` (does it exist?)"))?;
                println!("{id}");
            }
            AdminCommand::TokenCreate { name, expires_days, db } => {
                let s = state(&db).await?;
                let uid = user_id(&s, &name).await?;
                let token = random_id("kt");
                let expires = expires_days.map(|d| now_ms() + (d as i64) * 86_400_000);
                sqlx::query("INSERT INTO tokens (hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash(&token)).bind(&uid).bind(expires).bind(now_ms()).execute(&s.db.pool).await?;
                println!("{token}");
            }
            AdminCommand::TokenRevoke { name, db } => {
                let s = state(&db).await?;
                let uid = user_id(&s, &name).await?;
                let revoked = sqlx::query("DELETE FROM tokens WHERE user_id = $1")
                    .bind(&uid)
                    .execute(&s.db.pool)
                    .await?
                    .rows_affected();
                println!("revoked {revoked} token(s) of {name}");
            }
            AdminCommand::ProjectCreate { id, name, task, labels, owner, db } => {
                let s = state(&db).await?;
                let uid = user_id(&s, &owner).await?;
                let id = create_project(&s, &uid, NewProject { name, task, labels, id: Some(id) }).await.map_err(api)?;
                println!("{id}");
            }
            AdminCommand::MemberSet { project, user, role, db } => {
                let s = state(&db).await?;
                let uid = user_id(&s, &user).await?;
                if crate::serve::auth::Role::parse(&role).is_none() {
                    bail!("role must be owner, annotator or reviewer");
                }
                sqlx::query("DELETE FROM members WHERE project_id = $1 AND user_id = $2").bind(&project).bind(&uid).execute(&s.db.pool).await?;
                sqlx::query("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3)").bind(&project).bind(&uid).bind(&role).execute(&s.db.pool).await?;
            }
            AdminCommand::Import(ImportArgs { project, data, limit, db }) => {
                let s = state(&db).await?;
                let n = import(&s, &project, &data, limit).await?;
                println!("imported {n} items into {project}");
            }
            AdminCommand::Publish { project, bundle, current, db } => {
                let s = state(&db).await?;
                let b = super::bundle::read_bundle(&bundle)?;
                let v = crate::serve::models::store_bundle(&s, &project, &b, current).await.map_err(api)?;
                println!("published {project} model version {v}{}", if current { " (current)" } else { "" });
            }
            AdminCommand::SetBackbone { project, bundle, db } => {
                let s = state(&db).await?;
                let base = super::bundle::read_bundle(&bundle)?;
                let labels = crate::serve::sync::project_labels(&s, &project).await.map_err(api)?;
                let head = crate::backbone::untrained_head_bundle(&base, labels, "0".into(), super::now_rfc3339())?;
                let v = crate::serve::models::store_bundle(&s, &project, &head, true).await.map_err(api)?;
                println!("project {project}: backbone {} stored; version {v} (untrained head) is current", head.manifest().backbone.as_ref().map_or("", |b| b.name.as_str()));
            }
            AdminCommand::ListUsers { db } => {
                let s = state(&db).await?;
                for r in sqlx::query("SELECT id, name FROM users ORDER BY name").fetch_all(&s.db.pool).await? {
                    println!("{} {}", r.try_get::<String, _>("id")?, r.try_get::<String, _>("name")?);
                }
            }
            AdminCommand::VerifyHistory { project, db } => {
                let s = state(&db).await?;
                let n = verify_history(&s, &project).await?;
                println!("ok: {n} labels equal the replay of the history");
            }
            AdminCommand::NewEpoch { db } => {
                let s = state(&db).await?;
                println!("{}", s.db.new_epoch().await?);
            }
        }
        Ok(())
    })
}

fn png_gray(pixels: &[f32], width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let bytes: Vec<u8> = pixels
        .iter()
        .map(|p| (p * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let img = image::GrayImage::from_raw(width, height, bytes).context("pixel count")?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// Imports items; returns how many were new.
async fn import(
    s: &AppState,
    project: &str,
    data: &str,
    limit: Option<usize>,
) -> anyhow::Result<usize> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut added = 0;
    let path = std::path::Path::new(data);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "jsonl" || ext == "csv" {
        let texts = read_texts(path, &ext)?;
        for (i, (id, text, label)) in texts.into_iter().take(limit).enumerate() {
            let id = id.unwrap_or_else(|| format!("t{i:06}"));
            match insert_item(
                s,
                project,
                &id,
                "text/plain",
                text.as_bytes(),
                label.as_deref(),
            )
            .await
            {
                Ok(created) => added += usize::from(created),
                Err(e) if e.code == "invalid_text" => {
                    eprintln!("skipped text {id}: {} ({})", e.code, e.message);
                }
                Err(e) => return Err(api(e)),
            }
        }
        return Ok(added);
    }
    let source = crate::data::DataSource::parse(data, "label")?;
    if let crate::data::DataSource::ImageFolder(root) = &source {
        return import_image_folder(s, project, root, limit).await;
    }
    let loaded = crate::data::load(&source, 28)?;
    let set = loaded.test.unwrap_or(loaded.train);
    let kindling::bundle::InputSpec::Image(spec) = &set.input else {
        bail!("only image data sets import as images")
    };
    anyhow::ensure!(
        spec.channels == 1,
        "RGB image folders: import the image files themselves (not yet supported)"
    );
    for i in 0..set.len().min(limit) {
        let png = png_gray(set.item(i), spec.width as u32, spec.height as u32)?;
        let label = set.classes.get(set.labels[i] as usize).cloned();
        added += usize::from(
            insert_item(
                s,
                project,
                &format!("{i:06}"),
                "image/png",
                &png,
                label.as_deref(),
            )
            .await
            .map_err(api)?,
        );
    }
    Ok(added)
}

/// One text item to import: id (if given), text, label (if given).
pub type TextRow = (Option<String>, String, Option<String>);

/// Reads `(id, text, label)` rows from JSONL (`{"id", "text", "label"}`) or CSV (`id`, `text`,
/// `label` columns; only `text` is required).
pub fn read_texts(path: &std::path::Path, ext: &str) -> anyhow::Result<Vec<TextRow>> {
    let mut out = Vec::new();
    if ext == "jsonl" {
        let text = std::fs::read_to_string(path)?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not JSON", path.display(), n + 1))?;
            let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let text = get("text")
                .with_context(|| format!("{}:{}: no `text` field", path.display(), n + 1))?;
            out.push((get("id"), text, get("label")));
        }
    } else {
        let mut r = csv::Reader::from_path(path)?;
        let headers = r.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let text_col =
            col("text").with_context(|| format!("{}: no `text` column", path.display()))?;
        for rec in r.records() {
            let rec = rec?;
            out.push((
                col("id").and_then(|c| rec.get(c)).map(str::to_string),
                rec.get(text_col).unwrap_or("").to_string(),
                col("label").and_then(|c| rec.get(c)).map(str::to_string),
            ));
        }
    }
    Ok(out)
}

/// Replays the applied events of `project` in version order and compares with `labels`.
async fn verify_history(s: &AppState, project: &str) -> anyhow::Result<usize> {
    use std::collections::BTreeMap;
    let events = sqlx::query("SELECT item_id, annotator_id, op_id, kind, value, version FROM label_events WHERE project_id = $1 AND outcome = 'applied' ORDER BY version")
        .bind(project).fetch_all(&s.db.pool).await?;
    // (item, annotator) → (value, deleted, version, op id)
    type Replayed = (Option<String>, bool, i64, String);
    let mut replay: BTreeMap<(String, String), Replayed> = BTreeMap::new();
    let mut last = 0i64;
    for e in &events {
        let version: i64 = e.try_get("version")?;
        anyhow::ensure!(
            version > last,
            "history versions are not strictly increasing at {version}"
        );
        last = version;
        let kind: String = e.try_get("kind")?;
        let value: Option<String> = e.try_get("value")?;
        replay.insert(
            (e.try_get("item_id")?, e.try_get("annotator_id")?),
            (
                if kind == "delete" { None } else { value },
                kind == "delete",
                version,
                e.try_get("op_id")?,
            ),
        );
    }
    let rows = sqlx::query("SELECT item_id, annotator_id, op_id, value, deleted, version FROM labels WHERE project_id = $1")
        .bind(project).fetch_all(&s.db.pool).await?;
    let mut current = BTreeMap::new();
    for r in &rows {
        current.insert(
            (
                r.try_get::<String, _>("item_id")?,
                r.try_get::<String, _>("annotator_id")?,
            ),
            (
                r.try_get::<Option<String>, _>("value")?,
                r.try_get::<i64, _>("deleted")? != 0,
                r.try_get::<i64, _>("version")?,
                r.try_get::<String, _>("op_id")?,
            ),
        );
    }
    if current != replay {
        let diff: Vec<_> = current
            .iter()
            .filter(|(k, v)| replay.get(*k) != Some(v))
            .map(|(k, _)| k)
            .take(5)
            .collect();
        bail!(
            "labels differ from the replay of label_events ({} vs {} keys; first differences: {diff:?})",
            current.len(),
            replay.len()
        );
    }
    Ok(current.len())
}

/// Imports the image files (PNG, JPEG, WebP, any size) of a folder with one subfolder per class,
/// bytes as they are; the subfolder name is kept as the item's true label. Item ids are
/// `class-file`. A file that does not decode (corrupt, empty, too large) is reported with its
/// reason and skipped; the others are imported.
async fn import_image_folder(
    s: &AppState,
    project: &str,
    root: &std::path::Path,
    limit: usize,
) -> anyhow::Result<usize> {
    let mut added = 0;
    let mut classes: Vec<_> = std::fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    classes.sort();
    let mut seen = 0;
    for dir in classes {
        let class = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let ct = match ext.as_str() {
                "png" => "image/png",
                "jpg" | "jpeg" => "image/jpeg",
                "webp" => "image/webp",
                _ => continue,
            };
            if seen >= limit {
                return Ok(added);
            }
            seen += 1;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            if let Err(e) = crate::data::photo::decode_photo(&bytes) {
                eprintln!("skipped {}: {} ({e})", file.display(), e.code());
                continue;
            }
            let id = format!(
                "{class}-{}",
                file.file_name().unwrap_or_default().to_string_lossy()
            );
            added += usize::from(
                insert_item(s, project, &id, ct, &bytes, Some(&class))
                    .await
                    .map_err(api)?,
            );
        }
    }
    Ok(added)
}
