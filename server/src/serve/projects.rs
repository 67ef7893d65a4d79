//! Projects, members and progress.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::db::{now_ms, random_id};
use super::error::{ApiError, ApiJson};

/// A new project.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Display name.
    pub name: String,
    /// `image` or `text` classification.
    pub task: String,
    /// Class labels.
    pub labels: Vec<String>,
    /// Optional id (default: random).
    pub id: Option<String>,
}

/// A project as listed.
#[derive(Debug, Serialize)]
pub struct ProjectInfo {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `image` or `text`.
    pub task: String,
    /// Class labels.
    pub labels: Vec<String>,
    /// The caller's role.
    pub role: String,
}

/// Validates and inserts a project with `owner` as its owner; returns its id.
pub async fn create_project(
    state: &AppState,
    owner: &str,
    p: NewProject,
) -> Result<String, ApiError> {
    if p.name.trim().is_empty() || p.name.len() > 200 {
        return Err(ApiError::bad_request(
            "invalid_name",
            "name must be 1 to 200 characters",
        ));
    }
    if p.task != "image" && p.task != "text" {
        return Err(ApiError::bad_request(
            "invalid_task",
            "task must be `image` or `text`",
        ));
    }
    let mut unique = p.labels.clone();
    unique.sort();
    unique.dedup();
    if p.labels.len() < 2
        || unique.len() != p.labels.len()
        || p.labels.iter().any(|l| l.is_empty() || l.len() > 100)
    {
        return Err(ApiError::bad_request(
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
        return Err(ApiError::bad_request(
            "invalid_id",
            "project ids use letters, digits, - and _ (at most 64)",
        ));
    }
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    let exists = sqlx::query("SELECT 1 AS one FROM projects WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "exists",
            format!("project `{id}` exists"),
        ));
    }
    sqlx::query("INSERT INTO projects (id, name, task, labels, change_seq, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
        .bind(&id).bind(&p.name).bind(&p.task).bind(serde_json::to_string(&p.labels).expect("json")).bind(now_ms())
        .execute(&mut *tx).await?;
    sqlx::query("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, 'owner')")
        .bind(&id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// `POST /projects`: the caller becomes the owner (only with `--open-project-creation`).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(p): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if !state.open_project_creation {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "project_creation_closed",
            "this server creates projects through its administrators \
             (`kindling admin project-create`); ask one, or start the server with \
             --open-project-creation",
        ));
    }
    let id = create_project(&state, &caller.user_id, p).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))))
}

/// `GET /projects`: the caller's projects.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProjectInfo>>, ApiError> {
    let rows = sqlx::query("SELECT p.id, p.name, p.task, p.labels, m.role FROM projects p JOIN members m ON m.project_id = p.id WHERE m.user_id = $1 ORDER BY p.created_at")
        .bind(&caller.user_id).fetch_all(&state.db.pool).await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(ProjectInfo {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                task: r.try_get("task")?,
                labels: serde_json::from_str(&r.try_get::<String, _>("labels")?)
                    .unwrap_or_default(),
                role: r.try_get("role")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(out))
}

/// Items of `project` with at least one label (progress, and the automatic-training trigger).
pub async fn labeled_items(state: &AppState, project: &str) -> Result<i64, ApiError> {
    Ok(sqlx::query(
        "SELECT COUNT(DISTINCT item_id) AS n FROM labels WHERE project_id = $1 AND deleted = 0",
    )
    .bind(project)
    .fetch_one(&state.db.pool)
    .await?
    .try_get("n")?)
}

/// `GET /projects/{p}`: the project with its progress (labeled / total, per class, per
/// annotator).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let role = caller.role_in(&state, &project).await?;
    let p = sqlx::query("SELECT name, task, labels, auto_train_every FROM projects WHERE id = $1")
        .bind(&project)
        .fetch_one(&state.db.pool)
        .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM items WHERE project_id = $1")
        .bind(&project)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("n")?;
    let labeled = labeled_items(&state, &project).await?;
    // Annotators see counts of their own labels only, as pulls show them only their own.
    let only = (role == Role::Annotator).then_some(caller.user_id.as_str());
    let per_annotator = sqlx::query("SELECT u.name AS name, COUNT(*) AS n FROM labels l JOIN users u ON u.id = l.annotator_id WHERE l.project_id = $1 AND l.deleted = 0 AND ($2 IS NULL OR l.annotator_id = $2) GROUP BY u.name ORDER BY u.name")
        .bind(&project).bind(only).fetch_all(&state.db.pool).await?;
    let values = sqlx::query(
        "SELECT value FROM labels WHERE project_id = $1 AND deleted = 0 AND ($2 IS NULL OR annotator_id = $2)",
    )
    .bind(&project)
    .bind(only)
    .fetch_all(&state.db.pool)
    .await?;
    let mut per_class = std::collections::BTreeMap::<String, i64>::new();
    for v in &values {
        let value: Option<String> = v.try_get("value")?;
        if let Some(label) =
            value.and_then(|v| serde_json::from_str::<kindling::sync::LabelValue>(&v).ok())
        {
            *per_class.entry(label.class).or_default() += 1;
        }
    }
    let annotators: serde_json::Map<String, serde_json::Value> = per_annotator
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("name")?,
                r.try_get::<i64, _>("n")?.into(),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(serde_json::json!({
        "id": project, "name": p.try_get::<String, _>("name")?, "task": p.try_get::<String, _>("task")?,
        "labels": serde_json::from_str::<serde_json::Value>(&p.try_get::<String, _>("labels")?).unwrap_or_default(),
        "role": role.as_str(),
        "auto_train_every": p.try_get::<i64, _>("auto_train_every")?,
        "progress": {"items": total, "labeled": labeled, "per_class": per_class, "per_annotator": annotators},
    })))
}

/// A membership change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// `owner`, `annotator` or `reviewer`.
    pub role: String,
}

/// `PUT /projects/{p}/members/{user}`: owners set a user's role (the user is named).
pub async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user)): Path<(String, String)>,
    ApiJson(m): ApiJson<Membership>,
) -> Result<StatusCode, ApiError> {
    caller.require(&state, &project, &[Role::Owner]).await?;
    let role = Role::parse(&m.role).ok_or_else(|| {
        ApiError::bad_request("invalid_role", "role must be owner, annotator or reviewer")
    })?;
    let row = sqlx::query("SELECT id FROM users WHERE name = $1")
        .bind(&user)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{user}` not found")))?;
    let user_id: String = row.try_get("id")?;
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    if role != Role::Owner {
        keep_an_owner(&mut tx, &project, &user_id).await?;
    }
    sqlx::query("DELETE FROM members WHERE project_id = $1 AND user_id = $2")
        .bind(&project)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(&project)
        .bind(&user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 409 `last_owner` when `user` is the project's only owner: a project always keeps one.
async fn keep_an_owner(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    project: &str,
    user: &str,
) -> Result<(), ApiError> {
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
    if is_owner && others == 0 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "last_owner",
            "this is the project's only owner; make someone else an owner first",
        ));
    }
    Ok(())
}

/// `DELETE /projects/{p}/members/{user}`: owners remove a member, and any member removes
/// themselves (leaving a project they were added to). Their labels stay (with their names in
/// the history); their leases end. The last owner cannot leave.
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let role = caller.role_in(&state, &project).await?;
    if role != Role::Owner && user != caller.name {
        return Err(ApiError::forbidden(format!(
            "a {} can only remove themselves from project `{project}`",
            role.as_str()
        )));
    }
    let user_id: String = sqlx::query(
        "SELECT u.id FROM users u JOIN members m ON m.user_id = u.id WHERE u.name = $1 AND m.project_id = $2",
    )
    .bind(&user)
    .bind(&project)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("`{user}` is not a member of `{project}`")))?
    .try_get("id")?;
    let _guard = state.db.write_guard().await;
    let mut tx = state.db.pool.begin().await?;
    keep_an_owner(&mut tx, &project, &user_id).await?;
    sqlx::query("DELETE FROM members WHERE project_id = $1 AND user_id = $2")
        .bind(&project)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM leases WHERE project_id = $1 AND user_id = $2")
        .bind(&project)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
