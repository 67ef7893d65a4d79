//! Who is calling (a bearer token) and what they may do in a project (their role).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use sqlx::Row;

use super::AppState;
use super::db::{now_ms, token_hash};
use super::error::ApiError;

/// A member's role in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including members, items and model versions.
    Owner,
    /// Labels items.
    Annotator,
    /// Reads labels and reviews them.
    Reviewer,
}

impl Role {
    /// Parses `owner | annotator | reviewer`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "annotator" => Some(Role::Annotator),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Annotator => "annotator",
            Role::Reviewer => "reviewer",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub name: String,
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(wait) = peer.and_then(|ip| state.auth_failures.blocked(ip)) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_failed_attempts",
                format!("too many invalid tokens from this address; retry in {wait} s"),
            )
            .with(serde_json::json!({"retry_after_s": wait})));
        }
        let failed = |e: ApiError| {
            if let Some(ip) = peer {
                state.auth_failures.record(ip);
            }
            e
        };
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                unauthorized("unauthenticated", "send `Authorization: Bearer <token>`")
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            unauthorized(
                "unauthenticated",
                "the Authorization header must be `Bearer <token>`",
            )
        })?;
        let row = sqlx::query(
            "SELECT u.id, u.name, t.expires_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
        )
        .bind(token_hash(token.trim()))
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| failed(unauthorized("invalid_token", "this token is not valid; create one with `kindling token create`")))?;
        let expires: Option<i64> = row.try_get("expires_at")?;
        if expires.is_some_and(|e| e <= now_ms()) {
            return Err(failed(unauthorized(
                "token_expired",
                "this token has expired; sign in with a new one",
            )));
        }
        Ok(Caller {
            user_id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    }
}

impl Caller {
    /// The caller's role in `project`; a project the caller is not a member of does not exist
    /// for them (404, so its existence does not leak).
    pub async fn role_in(&self, state: &AppState, project: &str) -> Result<Role, ApiError> {
        let row = sqlx::query("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
            .bind(project)
            .bind(&self.user_id)
            .fetch_optional(&state.db.pool)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("project `{project}` not found")))?;
        let role: String = row.try_get("role")?;
        Role::parse(&role).ok_or_else(|| ApiError::forbidden("unknown role"))
    }

    /// Like [`Caller::role_in`], and 403 unless the role is one of `allowed`.
    pub async fn require(
        &self,
        state: &AppState,
        project: &str,
        allowed: &[Role],
    ) -> Result<Role, ApiError> {
        let role = self.role_in(state, project).await?;
        if !allowed.contains(&role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::forbidden(format!(
                "a {} cannot do this in project `{project}`; it needs: {}",
                role.as_str(),
                names.join(" or ")
            )));
        }
        Ok(role)
    }
}
