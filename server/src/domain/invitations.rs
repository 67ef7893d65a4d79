//! Invitations: an owner offers a role to a user by name; the user becomes a member only by
//! accepting (consent), and the owner's answer is the same whether or not the name exists (no
//! enumeration of user names). Operators add members directly (`kindling admin member-set`).

use super::access::User;
use super::error::{Error, Refusal, Result};
use crate::store::invitations::{Invitation, Invite, Invited};
use crate::store::projects::MemberChange;
use crate::store::types::Role;
use crate::store::{self, Db};

/// Most pending invitations a project holds (an owner cannot fill the database with names).
pub const MAX_PENDING: i64 = 1000;
/// Longest user name an invitation takes, in bytes.
pub const MAX_NAME: usize = 200;

/// What [`offer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// The user is a member: their role changed.
    RoleChanged,
    /// The name is not a member's: an invitation waits for that user's answer.
    Invited,
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role)
        .ok_or_else(|| Error::invalid("invalid_role", "role must be owner, annotator or reviewer"))
}

/// An owner (`by`) gives the member named `name` `role`, or — when no member has that name —
/// invites that name with `role` (the answer does not say whether such a user exists).
/// Returns what it did and the role.
pub async fn offer(
    db: &Db,
    by: &User,
    project: &str,
    name: &str,
    role: &str,
) -> Result<(Offer, Role)> {
    let role = parse_role(role)?;
    if name.trim().is_empty() || name.len() > MAX_NAME {
        return Err(Error::invalid(
            "invalid_name",
            format!("a user name is 1 to {MAX_NAME} bytes"),
        ));
    }
    if let Some(user_id) = store::projects::member_id(db, project, name).await? {
        return match store::projects::set_member(db, project, &user_id, role).await? {
            MemberChange::Done => Ok((Offer::RoleChanged, role)),
            MemberChange::LastOwner => Err(super::projects::last_owner()),
        };
    }
    match store::invitations::invite(db, project, name, role, &by.name, MAX_PENDING).await? {
        Invite::Stored => Ok((Offer::Invited, role)),
        Invite::Full => Err(Error::refused(
            Refusal::Conflict,
            "too_many_invitations",
            format!(
                "project `{project}` has {MAX_PENDING} pending invitations; withdraw some first"
            ),
        )),
    }
}

/// The caller's pending invitations.
pub async fn mine(db: &Db, user: &User) -> Result<Vec<Invitation>> {
    Ok(store::invitations::for_user(db, &user.name).await?)
}

/// A project's pending invitations (for its owners).
pub async fn of_project(db: &Db, project: &str) -> Result<Vec<Invited>> {
    Ok(store::invitations::of_project(db, project).await?)
}

fn no_invitation(project: &str) -> Error {
    Error::not_found(format!("you have no invitation to project `{project}`"))
}

/// The caller accepts their invitation to `project` and becomes a member; returns their role.
pub async fn accept(db: &Db, user: &User, project: &str) -> Result<Role> {
    store::invitations::accept(db, project, &user.id, &user.name)
        .await?
        .ok_or_else(|| no_invitation(project))
}

/// The caller declines their invitation to `project`.
pub async fn decline(db: &Db, user: &User, project: &str) -> Result<()> {
    if store::invitations::remove(db, project, &user.name).await? {
        Ok(())
    } else {
        Err(no_invitation(project))
    }
}

/// An owner withdraws the invitation of `name`; `false` when there was none.
pub async fn withdraw(db: &Db, project: &str, name: &str) -> Result<bool> {
    Ok(store::invitations::remove(db, project, name).await?)
}
