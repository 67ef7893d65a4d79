//! Who is calling and what they may do: tokens → users, and a member's role in a project.
//! A project the caller is not a member of does not exist for them (404, so its existence
//! does not leak).

use super::error::{Error, Result};
use crate::store::types::Role;
use crate::store::{self, Db};

/// A signed-in user (`GET /me`).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct User {
    /// The user's id (the `annotator_id` of their labels).
    pub id: String,
    /// The user's name.
    pub name: String,
}

/// What a presented token is.
#[derive(Debug, Clone)]
pub enum TokenCheck {
    /// A valid token of this user.
    Valid(User),
    /// No such token (never issued, or revoked).
    Unknown,
    /// The token expired.
    Expired,
}

/// Checks a bearer token.
pub async fn check_token(db: &Db, token: &str) -> Result<TokenCheck> {
    let Some(owner) = store::users::token_owner(db, &store::token_hash(token.trim())).await? else {
        return Ok(TokenCheck::Unknown);
    };
    if owner
        .expires_at
        .is_some_and(|e| e <= crate::clock::now_ms())
    {
        return Ok(TokenCheck::Expired);
    }
    Ok(TokenCheck::Valid(User {
        id: owner.user_id,
        name: owner.name,
    }))
}

/// The role of `user` in `project`; 404 when they are not a member.
pub async fn role_in(db: &Db, project: &str, user: &User) -> Result<Role> {
    match store::projects::role_of(db, project, &user.id).await? {
        None => Err(Error::not_found(format!("project `{project}` not found"))),
        Some(None) => Err(Error::forbidden("unknown role")),
        Some(Some(role)) => Ok(role),
    }
}

/// Like [`role_in`], and 403 unless the role is one of `allowed`.
pub async fn require(db: &Db, project: &str, user: &User, allowed: &[Role]) -> Result<Role> {
    let role = role_in(db, project, user).await?;
    if !allowed.contains(&role) {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        return Err(Error::forbidden(format!(
            "a {} cannot do this in project `{project}`; it needs: {}",
            role.as_str(),
            names.join(" or ")
        )));
    }
    Ok(role)
}

/// The labels an annotator may see are their own; owners and reviewers see everyone's. Returns
/// the user id to filter by, if any.
pub fn visible_to(role: Role, user: &User) -> Option<&str> {
    (role == Role::Annotator).then_some(user.id.as_str())
}
