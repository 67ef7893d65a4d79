//! Projects and members over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use crate::domain::invitations::{self, Offer};
use crate::domain::projects::{self, NewProject, ProjectDetail, ProjectInfo};
use crate::store::invitations::{Invitation, Invited};
use crate::store::types::Role;

/// `POST /projects`: the caller becomes the owner (only with `--open-project-creation`).
pub async fn create(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiJson(p): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<CreatedProject>), ApiError> {
    if !state.open_project_creation {
        return Err(projects::creation_closed().into());
    }
    let id = projects::create(&state.db, &user.id, p).await?;
    Ok((StatusCode::CREATED, Json(CreatedProject { id })))
}

/// `GET /projects`: the caller's projects.
pub async fn list(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Json<Vec<ProjectInfo>>, ApiError> {
    Ok(Json(projects::list(&state.db, &user).await?))
}

/// `GET /projects/{p}`: the project with its progress (labeled / total, per class, per
/// annotator).
pub async fn get(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
) -> Result<Json<ProjectDetail>, ApiError> {
    Ok(Json(projects::detail(&state.db, &user, &project).await?))
}

/// A membership change.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// `owner`, `annotator` or `reviewer`.
    pub role: String,
}

/// The answer to `PUT /projects/{p}/members/{user}`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct MembershipOffer {
    /// `role_changed` (a member's role was set) or `invited` (an invitation waits for the
    /// named user to accept; said whether or not such a user exists).
    pub status: String,
    /// The name.
    pub name: String,
    /// The role.
    pub role: Role,
}

/// `PUT /projects/{p}/members/{user}`: owners set a member's role, or invite a name that is
/// not a member's (202; the user becomes a member by accepting).
pub async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user)): Path<(String, String)>,
    ApiJson(m): ApiJson<Membership>,
) -> Result<(StatusCode, Json<MembershipOffer>), ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let (offer, role) = invitations::offer(&state.db, &caller.0, &project, &user, &m.role).await?;
    let (status, word) = match offer {
        Offer::RoleChanged => (StatusCode::OK, "role_changed"),
        Offer::Invited => (StatusCode::ACCEPTED, "invited"),
    };
    Ok((
        status,
        Json(MembershipOffer {
            status: word.into(),
            name: user,
            role,
        }),
    ))
}

/// `GET /projects/{p}/invitations`: the project's pending invitations (owners).
pub async fn invitations_of(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<Invited>>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    Ok(Json(invitations::of_project(&state.db, &project).await?))
}

/// `GET /invitations`: the caller's pending invitations.
pub async fn my_invitations(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    Ok(Json(invitations::mine(&state.db, &user).await?))
}

/// `POST /invitations/{p}/accept`: the caller joins the project with the role offered.
pub async fn accept_invitation(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
) -> Result<Json<ProjectInfo>, ApiError> {
    invitations::accept(&state.db, &user, &project).await?;
    let info = projects::list(&state.db, &user)
        .await?
        .into_iter()
        .find(|p| p.id == project)
        .ok_or_else(|| ApiError::from(crate::domain::Error::not_found("project not found")))?;
    Ok(Json(info))
}

/// `DELETE /invitations/{p}`: the caller declines their invitation.
pub async fn decline_invitation(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(project): Path<String>,
) -> Result<StatusCode, ApiError> {
    invitations::decline(&state.db, &user, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /projects/{p}/members/{user}`: owners remove a member, and any member removes
/// themselves (leaving a project they were added to). Their labels stay (with their names in
/// the history); their leases end. The last owner cannot leave.
pub async fn remove_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((project, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    projects::remove_member(&state.db, &caller, &project, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer to `POST /projects`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CreatedProject {
    /// The new project's id.
    pub id: String,
}

/// Body of `PUT /projects/{p}/auto-train`, and its answer.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AutoTrain {
    /// Train after every this many new labeled items; 0 turns it off.
    pub every: i64,
}

/// Body of `PUT /projects/{p}/overlap`, and its answer.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Overlap {
    /// Percent of items a second annotator labels too (without seeing the first label); 0: none.
    pub percent: i64,
}

/// `PUT /projects/{p}/overlap` (owners).
pub async fn set_overlap(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<Overlap>,
) -> Result<Json<Overlap>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    projects::set_overlap(&state.db, &project, body.percent).await?;
    Ok(Json(body))
}

/// `PUT /projects/{p}/auto-train` (owners).
pub async fn set_auto_train(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<AutoTrain>,
) -> Result<Json<AutoTrain>, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    projects::set_auto_train(&state.db, &project, body.every).await?;
    Ok(Json(body))
}
