//! `projects` and `members`.

use sqlx::Row;

use super::types::{Role, Task, column};
use super::{Db, Tx, now_ms};

/// A project row.
#[derive(Debug, Clone)]
pub struct Project {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it classifies.
    pub task: Task,
    /// Class labels.
    pub labels: Vec<String>,
    /// Automatic training after every this many new labeled items (0: off).
    pub auto_train_every: i64,
    /// Percent of items labeled by two annotators (0: none).
    pub overlap_percent: i64,
}

/// A project of a member, with the member's role.
#[derive(Debug, Clone)]
pub struct Membership {
    /// The project.
    pub project: Project,
    /// The member's role in it.
    pub role: Role,
}

fn labels_column(r: &sqlx::any::AnyRow) -> Result<Vec<String>, sqlx::Error> {
    Ok(serde_json::from_str(&r.try_get::<String, _>("labels")?).unwrap_or_default())
}

fn project_from_row(r: &sqlx::any::AnyRow) -> Result<Project, sqlx::Error> {
    Ok(Project {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        task: column(r, "task", Task::parse)?,
        labels: labels_column(r)?,
        auto_train_every: r.try_get("auto_train_every")?,
        overlap_percent: r.try_get("overlap_percent")?,
    })
}

/// Inserts a project with `owner` as its owner; `false` (nothing written) when the id is taken.
pub async fn create(
    db: &Db,
    id: &str,
    name: &str,
    task: Task,
    labels: &[String],
    owner: &str,
) -> Result<bool, sqlx::Error> {
    let mut w = db.write().await?;
    let exists = sqlx::query("SELECT 1 AS one FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query("INSERT INTO projects (id, name, task, labels, change_seq, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
        .bind(id).bind(name).bind(task.as_str()).bind(serde_json::to_string(labels).expect("json")).bind(now_ms())
        .execute(&mut *w.tx).await?;
    sqlx::query("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, 'owner')")
        .bind(id)
        .bind(owner)
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    Ok(true)
}

/// One project.
pub async fn get(db: &Db, id: &str) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query("SELECT id, name, task, labels, auto_train_every, overlap_percent FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(project_from_row)
        .transpose()
}

/// The class labels of a project.
pub async fn labels(db: &Db, id: &str) -> Result<Option<Vec<String>>, sqlx::Error> {
    sqlx::query("SELECT labels FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(labels_column)
        .transpose()
}

/// The projects `user_id` is a member of, oldest first, with their role.
pub async fn of_member(db: &Db, user_id: &str) -> Result<Vec<Membership>, sqlx::Error> {
    sqlx::query("SELECT p.id, p.name, p.task, p.labels, p.auto_train_every, p.overlap_percent, m.role FROM projects p JOIN members m ON m.project_id = p.id WHERE m.user_id = $1 ORDER BY p.created_at")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Membership {
                project: project_from_row(r)?,
                role: column(r, "role", Role::parse)?,
            })
        })
        .collect()
}

/// The role of `user_id` in `project` (none: not a member). An unknown stored role reads as
/// `Some(None)`.
pub async fn role_of(
    db: &Db,
    project: &str,
    user_id: &str,
) -> Result<Option<Option<Role>>, sqlx::Error> {
    sqlx::query("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| Ok(Role::parse(&r.try_get::<String, _>("role")?)))
        .transpose()
}

/// The id of the member of `project` named `name`.
pub async fn member_id(db: &Db, project: &str, name: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "SELECT u.id FROM users u JOIN members m ON m.user_id = u.id WHERE u.name = $1 AND m.project_id = $2",
    )
    .bind(name)
    .bind(project)
    .fetch_optional(&db.pool)
    .await?
    .map(|r| r.try_get("id"))
    .transpose()
}

/// What a membership change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    /// Written.
    Done,
    /// Refused: it would leave the project without an owner (nothing written).
    LastOwner,
}

/// Whether `user` is the project's only owner (inside the writing transaction).
async fn is_last_owner(tx: &mut Tx, project: &str, user: &str) -> Result<bool, sqlx::Error> {
    let others: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM members WHERE project_id = $1 AND role = 'owner' AND user_id <> $2",
    )
    .bind(project)
    .bind(user)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    let is_owner = sqlx::query(
        "SELECT 1 AS one FROM members WHERE project_id = $1 AND user_id = $2 AND role = 'owner'",
    )
    .bind(project)
    .bind(user)
    .fetch_optional(&mut **tx)
    .await?
    .is_some();
    Ok(is_owner && others == 0)
}

async fn delete_member(tx: &mut Tx, project: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM members WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes `user_id` a member of `project` with `role` (who is not one yet).
pub(super) async fn insert_member(
    tx: &mut Tx,
    project: &str,
    user_id: &str,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(project)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives `user_id` `role` in `project`, in one transaction; a project always keeps an owner.
pub async fn set_member(
    db: &Db,
    project: &str,
    user_id: &str,
    role: Role,
) -> Result<MemberChange, sqlx::Error> {
    let mut w = db.write().await?;
    if role != Role::Owner && is_last_owner(&mut w.tx, project, user_id).await? {
        return Ok(MemberChange::LastOwner);
    }
    delete_member(&mut w.tx, project, user_id).await?;
    insert_member(&mut w.tx, project, user_id, role).await?;
    w.commit().await?;
    Ok(MemberChange::Done)
}

/// Removes `user_id` from `project` and ends their leases, in one transaction; the last owner
/// stays.
pub async fn remove_member(
    db: &Db,
    project: &str,
    user_id: &str,
) -> Result<MemberChange, sqlx::Error> {
    let mut w = db.write().await?;
    if is_last_owner(&mut w.tx, project, user_id).await? {
        return Ok(MemberChange::LastOwner);
    }
    delete_member(&mut w.tx, project, user_id).await?;
    sqlx::query("DELETE FROM leases WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user_id)
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    Ok(MemberChange::Done)
}

/// Sets a project's automatic training threshold.
pub async fn set_auto_train(db: &Db, project: &str, every: i64) -> Result<(), sqlx::Error> {
    let _turn = db.write_guard().await;
    sqlx::query("UPDATE projects SET auto_train_every = $1 WHERE id = $2")
        .bind(every)
        .bind(project)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Sets the percent of items labeled twice (and which items need a label with it).
pub async fn set_overlap(db: &Db, project: &str, percent: i64) -> Result<(), sqlx::Error> {
    let mut w = db.write().await?;
    sqlx::query("UPDATE projects SET overlap_percent = $1 WHERE id = $2")
        .bind(percent)
        .bind(project)
        .execute(&mut *w.tx)
        .await?;
    super::items::refresh_project_needs_label(&mut w.tx, project).await?;
    w.commit().await
}

/// Projects with automatic training on, as `(id, every)`.
pub async fn auto_training(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query("SELECT id, auto_train_every FROM projects WHERE auto_train_every > 0")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("auto_train_every")?)))
        .collect()
}

/// The project's change counter (the version of its latest label change).
pub async fn change_seq(db: &Db, project: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT change_seq FROM projects WHERE id = $1")
        .bind(project)
        .fetch_one(&db.pool)
        .await?
        .try_get("change_seq")
}

/// Takes the project's row lock for the rest of the transaction (PostgreSQL; on SQLite the
/// writer turn already serializes).
pub async fn lock(tx: &mut Tx, project: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE projects SET change_seq = change_seq WHERE id = $1")
        .bind(project)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Hands out the project's next change version (under its row lock, so versions commit in
/// order).
pub async fn next_change(tx: &mut Tx, project: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE projects SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq",
    )
    .bind(project)
    .fetch_one(&mut **tx)
    .await?
    .try_get("change_seq")
}

/// Whether `user_id` labels in `project` (an owner or annotator), inside a transaction.
pub async fn labels_in(tx: &mut Tx, project: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM members WHERE project_id = $1 AND user_id = $2 AND role IN ('owner', 'annotator')",
    )
    .bind(project)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}
