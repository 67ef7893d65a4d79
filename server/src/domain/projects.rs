//! Projects, members and progress.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::access::{self, User};
use super::error::{Error, Refusal, Result};
use crate::store::projects::MemberChange;
use crate::store::types::{Role, Task};
use crate::store::{self, Db, random_id};

/// A new project.
#[derive(Debug, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Display name.
    pub name: String,
    /// `image` or `text` classification.
    pub task: String,
    /// Class labels.
    pub labels: Vec<String>,
    /// Optional id (default: random).
    #[ts(optional = nullable)]
    pub id: Option<String>,
}

/// A project as listed.
#[derive(Debug, Serialize, TS)]
pub struct ProjectInfo {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it classifies.
    pub task: Task,
    /// Class labels.
    pub labels: Vec<String>,
    /// The caller's role.
    pub role: Role,
}

/// How far labeling has come (an annotator's view counts their own labels only).
#[derive(Debug, Serialize, TS)]
pub struct Progress {
    /// Items in the project.
    pub items: i64,
    /// Items with at least one label (everyone's).
    pub labeled: i64,
    /// Labels per class.
    pub per_class: BTreeMap<String, i64>,
    /// Labels per annotator name.
    pub per_annotator: BTreeMap<String, i64>,
}

/// A project with the caller's role and its progress.
#[derive(Debug, Serialize, TS)]
pub struct ProjectDetail {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it classifies.
    pub task: Task,
    /// Class labels.
    pub labels: Vec<String>,
    /// The caller's role.
    pub role: Role,
    /// Automatic training after every this many new labeled items (0: off).
    pub auto_train_every: i64,
    /// Percent of items leased to a second annotator once labeled (0: none).
    pub overlap_percent: i64,
    /// Progress.
    pub progress: Progress,
}

/// Validates and inserts a project with `owner` (a user id) as its owner; returns its id.
pub async fn create(db: &Db, owner: &str, p: NewProject) -> Result<String> {
    if p.name.trim().is_empty() || p.name.len() > 200 {
        return Err(Error::invalid(
            "invalid_name",
            "name must be 1 to 200 characters",
        ));
    }
    let task = Task::parse(&p.task)
        .ok_or_else(|| Error::invalid("invalid_task", "task must be `image` or `text`"))?;
    let mut unique = p.labels.clone();
    unique.sort();
    unique.dedup();
    if p.labels.len() < 2
        || unique.len() != p.labels.len()
        || p.labels.iter().any(|l| l.is_empty() || l.len() > 100)
    {
        return Err(Error::invalid(
            "invalid_labels",
            "give at least two distinct, non-empty class labels",
        ));
    }
    let id = p.id.unwrap_or_else(|| random_id("p"));
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "invalid_id",
            "project ids use letters, digits, - and _ (at most 64)",
        ));
    }
    if !store::projects::create(db, &id, &p.name, task, &p.labels, owner).await? {
        return Err(Error::conflict("exists", format!("project `{id}` exists")));
    }
    Ok(id)
}

/// The projects `user` is a member of.
pub async fn list(db: &Db, user: &User) -> Result<Vec<ProjectInfo>> {
    Ok(store::projects::of_member(db, &user.id)
        .await?
        .into_iter()
        .map(|m| ProjectInfo {
            id: m.project.id,
            name: m.project.name,
            task: m.project.task,
            labels: m.project.labels,
            role: m.role,
        })
        .collect())
}

/// The class labels of a project (404 when it does not exist).
pub async fn labels(db: &Db, project: &str) -> Result<Vec<String>> {
    store::projects::labels(db, project)
        .await?
        .ok_or_else(|| Error::not_found(format!("project `{project}` not found")))
}

/// The project with `user`'s role and progress.
pub async fn detail(db: &Db, user: &User, project: &str) -> Result<ProjectDetail> {
    let role = access::role_in(db, project, user).await?;
    let p = store::projects::get(db, project)
        .await?
        .ok_or_else(|| Error::not_found(format!("project `{project}` not found")))?;
    let items = store::items::count(db, project).await?;
    let labeled = store::labels::labeled_items(db, project).await?;
    // Annotators see counts of their own labels only, as pulls show them only their own.
    let mut per_class = BTreeMap::<String, i64>::new();
    let mut per_annotator = BTreeMap::<String, i64>::new();
    for l in store::labels::named(db, project, access::visible_to(role, user)).await? {
        *per_annotator.entry(l.annotator).or_default() += 1;
        if let Some(v) = l.value {
            *per_class.entry(v.class).or_default() += 1;
        }
    }
    Ok(ProjectDetail {
        id: p.id,
        name: p.name,
        task: p.task,
        labels: p.labels,
        role,
        auto_train_every: p.auto_train_every,
        overlap_percent: p.overlap_percent,
        progress: Progress {
            items,
            labeled,
            per_class,
            per_annotator,
        },
    })
}

pub(super) fn last_owner() -> Error {
    Error::conflict(
        "last_owner",
        "this is the project's only owner; make someone else an owner first",
    )
}

/// Gives the user named `name` `role` in `project` (one transaction; the last owner stays).
pub async fn set_member(db: &Db, project: &str, name: &str, role: &str) -> Result<()> {
    let role = Role::parse(role).ok_or_else(|| {
        Error::invalid("invalid_role", "role must be owner, annotator or reviewer")
    })?;
    let user_id = store::users::id_by_name(db, name)
        .await?
        .ok_or_else(|| Error::not_found(format!("user `{name}` not found")))?;
    match store::projects::set_member(db, project, &user_id, role).await? {
        MemberChange::Done => Ok(()),
        MemberChange::LastOwner => Err(last_owner()),
    }
}

/// Removes the member named `name` (owners remove anyone, members themselves); their labels
/// stay, their leases end; the last owner cannot leave. An owner naming someone invited
/// withdraws the invitation.
pub async fn remove_member(db: &Db, caller: &User, project: &str, name: &str) -> Result<()> {
    let role = access::role_in(db, project, caller).await?;
    if role != Role::Owner && name != caller.name {
        return Err(Error::forbidden(format!(
            "a {} can only remove themselves from project `{project}`",
            role.as_str()
        )));
    }
    let Some(user_id) = store::projects::member_id(db, project, name).await? else {
        // An owner naming someone who is not a member withdraws their invitation.
        if role == Role::Owner && super::invitations::withdraw(db, project, name).await? {
            return Ok(());
        }
        return Err(Error::not_found(format!(
            "`{name}` is not a member of `{project}` and has no invitation to it"
        )));
    };
    match store::projects::remove_member(db, project, &user_id).await? {
        MemberChange::Done => Ok(()),
        MemberChange::LastOwner => Err(last_owner()),
    }
}

/// Sets automatic training after every `every` new labeled items (0: off).
pub async fn set_auto_train(db: &Db, project: &str, every: i64) -> Result<()> {
    if !(0..=1_000_000).contains(&every) {
        return Err(Error::invalid(
            "invalid_every",
            "every must be 0 (off) to 1,000,000",
        ));
    }
    Ok(store::projects::set_auto_train(db, project, every).await?)
}

/// Sets the percent of items two annotators label (0: none, at most 100).
pub async fn set_overlap(db: &Db, project: &str, percent: i64) -> Result<()> {
    if !(0..=100).contains(&percent) {
        return Err(Error::invalid(
            "invalid_percent",
            "percent must be 0 (no overlap) to 100",
        ));
    }
    Ok(store::projects::set_overlap(db, project, percent).await?)
}

/// Refusal when projects are created only by administrators.
pub fn creation_closed() -> Error {
    Error::refused(
        Refusal::Forbidden,
        "project_creation_closed",
        "this server creates projects through its administrators \
         (`kindling admin project-create`); ask one, or start the server with \
         --open-project-creation",
    )
}
