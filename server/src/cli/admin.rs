//! `kindling admin …`: server administration — users and tokens, projects and members,
//! importing items, publishing bundles, checking the history, a new epoch after a restore.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::import::ImportArgs;
use super::server::{DbArg, publish, user_id, with_db};
use super::users::{TokenCreateArgs, TokenRevokeArgs, UserAddArgs};
use crate::domain;

/// Administration subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a user (same as `kindling user add`).
    UserAdd(UserAddArgs),
    /// Create an API token for a user (same as `kindling token create`).
    TokenCreate(TokenCreateArgs),
    /// Revoke every API token of a user (same as `kindling token revoke`).
    TokenRevoke(TokenRevokeArgs),
    /// Create a project owned by a user.
    ProjectCreate(ProjectCreateArgs),
    /// Give a user a role in a project (a project always keeps an owner).
    MemberSet(MemberSetArgs),
    /// Import items into a project (same as `kindling import`).
    Import(ImportArgs),
    /// Store a bundle as a model version of a project.
    Publish(PublishArgs),
    /// Give a photo project a pretrained backbone (a bundle from `kindling backbone import`):
    /// stores the backbone once and makes version 0, an untrained head, current; training jobs
    /// then train heads on the backbone's embeddings.
    SetBackbone(SetBackboneArgs),
    /// List users as `id name` lines.
    ListUsers(DbArg),
    /// Check that a project's labels equal a replay of its append-only history
    /// (`label_events`): every applied op once, in version order.
    VerifyHistory(ProjectArg),
    /// Start a new server epoch (after restoring a backup): clients re-push their labels.
    NewEpoch(DbArg),
}

/// `--project` and `--db`.
#[derive(Debug, Args)]
pub struct ProjectArg {
    /// Project id.
    #[arg(long)]
    project: String,
    #[command(flatten)]
    db: DbArg,
}

/// `kindling admin project-create`.
#[derive(Debug, Args)]
pub struct ProjectCreateArgs {
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
}

/// `kindling admin member-set`.
#[derive(Debug, Args)]
pub struct MemberSetArgs {
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
}

/// `kindling admin publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
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
}

/// `kindling admin set-backbone`.
#[derive(Debug, Args)]
pub struct SetBackboneArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Backbone bundle directory or archive.
    #[arg(long)]
    bundle: PathBuf,
    #[command(flatten)]
    db: DbArg,
}

/// Runs an administration subcommand.
pub fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::UserAdd(a) => super::users::add(a),
        AdminCommand::TokenCreate(a) => super::users::create_token(a),
        AdminCommand::TokenRevoke(a) => super::users::revoke_tokens(a),
        AdminCommand::Import(a) => super::import::run(a),
        AdminCommand::ProjectCreate(a) => {
            let new = domain::projects::NewProject {
                name: a.name,
                task: a.task,
                labels: a.labels,
                id: Some(a.id),
            };
            let owner = &a.owner;
            let id = with_db(&a.db, |db| async move {
                let owner = user_id(&db, owner).await?;
                Ok(domain::projects::create(&db, &owner, new).await?)
            })?;
            println!("{id}");
            Ok(())
        }
        AdminCommand::MemberSet(a) => {
            let (project, user, role) = (&a.project, &a.user, &a.role);
            with_db(&a.db, |db| async move {
                Ok(domain::projects::set_member(&db, project, user, role).await?)
            })
        }
        AdminCommand::Publish(a) => {
            let bundle = super::bundle::read_bundle(&a.bundle)?;
            let v = publish(&a.db, &a.project, &bundle, a.current)?;
            let current = if a.current { " (current)" } else { "" };
            println!("published {} model version {v}{current}", a.project);
            Ok(())
        }
        AdminCommand::SetBackbone(a) => {
            let base = super::bundle::read_bundle(&a.bundle)?;
            let project = &a.project;
            // One connection: the project's classes name the head, which is then stored.
            let (v, head) = with_db(&a.db, |db| async move {
                let labels = domain::projects::labels(&db, project).await?;
                let head = crate::backbone::untrained_head_bundle(
                    &base,
                    labels,
                    "0".into(),
                    crate::clock::now_rfc3339(),
                )?;
                let v = domain::models::store_bundle(&db, project, &head, true).await?;
                Ok((v, head))
            })?;
            let name = head
                .manifest()
                .backbone
                .as_ref()
                .map_or("", |b| b.name.as_str());
            println!(
                "project {}: backbone {name} stored; version {v} (untrained head) is current",
                a.project
            );
            Ok(())
        }
        AdminCommand::ListUsers(db) => {
            let users = with_db(&db, |db| async move {
                Ok(crate::store::users::list(&db).await?)
            })?;
            for (id, name) in users {
                println!("{id} {name}");
            }
            Ok(())
        }
        AdminCommand::VerifyHistory(a) => {
            let project = &a.project;
            let n = with_db(&a.db, |db| async move {
                domain::history::verify(&db, project).await
            })?;
            println!("ok: {n} labels equal the replay of the history");
            Ok(())
        }
        AdminCommand::NewEpoch(db) => {
            let epoch = with_db(&db, |db| async move { Ok(db.new_epoch().await?) })?;
            println!("{epoch}");
            Ok(())
        }
    }
}
