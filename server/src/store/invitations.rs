//! `invitations`: memberships an owner offered and the named user has not answered yet.

use sqlx::Row;

use super::types::{Role, column};
use super::{Db, now_ms};

/// A pending invitation.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Invitation {
    /// The project.
    pub project: String,
    /// Its display name.
    pub project_name: String,
    /// The role offered.
    pub role: Role,
    /// The name of the owner who invited.
    pub invited_by: String,
    /// Unix ms.
    pub created_at: i64,
}

/// An invitation as its project's owners see it (the name they typed).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Invited {
    /// The name invited.
    pub name: String,
    /// The role offered.
    pub role: Role,
    /// The name of the owner who invited.
    pub invited_by: String,
    /// Unix ms.
    pub created_at: i64,
}

/// What [`invite`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invite {
    /// Stored (or its role updated).
    Stored,
    /// Refused: the project has `limit` pending invitations already.
    Full,
}

/// Offers `role` in `project` to the user named `name` (replacing an invitation of that name),
/// unless the project already has `limit` others pending.
pub async fn invite(
    db: &Db,
    project: &str,
    name: &str,
    role: Role,
    invited_by: &str,
    limit: i64,
) -> Result<Invite, sqlx::Error> {
    let mut w = db.write().await?;
    let others: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM invitations WHERE project_id = $1 AND user_name <> $2",
    )
    .bind(project)
    .bind(name)
    .fetch_one(&mut *w.tx)
    .await?
    .try_get("n")?;
    if others >= limit {
        return Ok(Invite::Full);
    }
    sqlx::query("DELETE FROM invitations WHERE project_id = $1 AND user_name = $2")
        .bind(project)
        .bind(name)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("INSERT INTO invitations (project_id, user_name, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(project)
        .bind(name)
        .bind(role.as_str())
        .bind(invited_by)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    w.commit().await?;
    Ok(Invite::Stored)
}

/// The invitations to the user named `name`, newest first.
pub async fn for_user(db: &Db, name: &str) -> Result<Vec<Invitation>, sqlx::Error> {
    sqlx::query(
        "SELECT i.project_id, p.name AS project_name, i.role, i.invited_by, i.created_at
           FROM invitations i JOIN projects p ON p.id = i.project_id
          WHERE i.user_name = $1 ORDER BY i.created_at DESC, i.project_id",
    )
    .bind(name)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Invitation {
            project: r.try_get("project_id")?,
            project_name: r.try_get("project_name")?,
            role: column(r, "role", Role::parse)?,
            invited_by: r.try_get("invited_by")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .collect()
}

/// The pending invitations of `project`, by name.
pub async fn of_project(db: &Db, project: &str) -> Result<Vec<Invited>, sqlx::Error> {
    sqlx::query(
        "SELECT user_name, role, invited_by, created_at FROM invitations WHERE project_id = $1 ORDER BY user_name",
    )
    .bind(project)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Invited {
            name: r.try_get("user_name")?,
            role: column(r, "role", Role::parse)?,
            invited_by: r.try_get("invited_by")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .collect()
}

/// Accepts the invitation of `project` to the user `user_id` named `name`, in one transaction:
/// they become a member with the role offered (one who is a member already keeps their role).
/// `None` when there is no such invitation.
pub async fn accept(
    db: &Db,
    project: &str,
    user_id: &str,
    name: &str,
) -> Result<Option<Role>, sqlx::Error> {
    let mut w = db.write().await?;
    let Some(role) =
        sqlx::query("SELECT role FROM invitations WHERE project_id = $1 AND user_name = $2")
            .bind(project)
            .bind(name)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| column(&r, "role", Role::parse))
            .transpose()?
    else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM invitations WHERE project_id = $1 AND user_name = $2")
        .bind(project)
        .bind(name)
        .execute(&mut *w.tx)
        .await?;
    let member = sqlx::query("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user_id)
        .fetch_optional(&mut *w.tx)
        .await?;
    let role = match member {
        Some(r) => column(&r, "role", Role::parse)?,
        None => {
            super::projects::insert_member(&mut w.tx, project, user_id, role).await?;
            role
        }
    };
    w.commit().await?;
    Ok(Some(role))
}

/// Deletes the invitation of `project` to `name` (declined or withdrawn); `false` when there
/// was none.
pub async fn remove(db: &Db, project: &str, name: &str) -> Result<bool, sqlx::Error> {
    let mut w = db.write().await?;
    let gone = sqlx::query("DELETE FROM invitations WHERE project_id = $1 AND user_name = $2")
        .bind(project)
        .bind(name)
        .execute(&mut *w.tx)
        .await?
        .rows_affected()
        > 0;
    w.commit().await?;
    Ok(gone)
}
