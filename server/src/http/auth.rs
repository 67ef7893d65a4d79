//! Who is calling: a bearer token → a [`Caller`] (401 without a valid one; 429 for an address
//! that sent too many invalid tokens). What a caller may do in a project is the domain's
//! ([`crate::domain::access`]).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::domain::access::{self, TokenCheck, User};
use crate::store::types::Role;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| super::client_ip::client_ip(c.0.ip(), forwarded, &state.trusted_proxies));
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
        match access::check_token(&state.db, token).await? {
            TokenCheck::Valid(user) => Ok(Caller(user)),
            TokenCheck::Unknown => Err(failed(unauthorized(
                "invalid_token",
                "this token is not valid; create one with `kindling token create`",
            ))),
            TokenCheck::Expired => Err(failed(unauthorized(
                "token_expired",
                "this token has expired; sign in with a new one",
            ))),
        }
    }
}

impl Caller {
    /// The caller's role in `project` (404 when not a member).
    pub async fn role_in(&self, state: &AppState, project: &str) -> Result<Role, ApiError> {
        Ok(access::role_in(&state.db, project, &self.0).await?)
    }

    /// Like [`Caller::role_in`], and 403 unless the role is one of `allowed`.
    pub async fn require(
        &self,
        state: &AppState,
        project: &str,
        allowed: &[Role],
    ) -> Result<Role, ApiError> {
        Ok(access::require(&state.db, project, &self.0, allowed).await?)
    }
}
