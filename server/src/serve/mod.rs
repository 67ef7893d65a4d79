//! `kindling serve`: the HTTP API (axum) over SQLite or PostgreSQL.

pub mod auth;
pub mod auth_failures;
pub mod backbones;
pub mod db;
pub mod error;
pub mod export;
pub mod headers;
pub mod history;
pub mod items;
pub mod jobs;
pub mod leases;
pub mod listener;
pub mod models;
pub mod openapi;
pub mod projects;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::routing::{get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use db::Db;

/// Largest JSON request body.
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;
/// Largest item upload.
pub const MAX_ITEM_BODY: usize = 16 * 1024 * 1024;
/// Largest model bundle upload.
pub const MAX_BUNDLE_BODY: usize = 256 * 1024 * 1024;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Arc<Db>,
    /// Failed sign-ins per address (429 after too many).
    pub auth_failures: Arc<auth_failures::FailedAuth>,
    /// Whether any signed-in user may create projects (`kindling serve
    /// --open-project-creation`); otherwise only `kindling admin project-create` does.
    pub open_project_creation: bool,
}

impl AppState {
    /// State over `db` with the default policies (closed project creation).
    pub fn new(db: Db) -> Self {
        Self {
            db: Arc::new(db),
            auth_failures: Arc::new(auth_failures::FailedAuth::default()),
            open_project_creation: false,
        }
    }
}

/// How `kindling serve` runs: its address, files and policies.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub addr: String,
    /// The built front end, served at `/`.
    pub static_dir: Option<std::path::PathBuf>,
    /// Connection cap and header timeout.
    pub limits: listener::ConnectionLimits,
    /// Failed sign-ins allowed per address and minute.
    pub max_failed_auth: u32,
    /// Whether any signed-in user may create projects.
    pub open_project_creation: bool,
    /// Run training jobs in this process (`--no-jobs`: `kindling worker` processes do).
    pub run_jobs: bool,
    /// This process's lease on a job it runs.
    pub job_lease: Duration,
}

/// The `/api/v1` router with its limits, plus `/healthz`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route("/me", get(me))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{p}", get(projects::get))
        .route(
            "/projects/{p}/members/{user}",
            put(projects::set_member).delete(projects::remove_member),
        )
        .route("/projects/{p}/items", get(items::list))
        .route("/projects/{p}/items/{id}", put(items::upload))
        .route("/projects/{p}/items/{id}/content", get(items::content))
        .route("/projects/{p}/items/{id}/history", get(history::history))
        .route("/projects/{p}/leases", post(leases::lease))
        .route(
            "/projects/{p}/models",
            get(models::list).post(models::upload),
        )
        .route("/projects/{p}/models/current", get(models::current))
        .route("/projects/{p}/models/{v}/current", put(models::set_current))
        .route("/projects/{p}/models/{v}/{file}", get(models::file))
        .route("/projects/{p}/jobs", get(jobs::list).post(jobs::create))
        .route("/projects/{p}/jobs/{id}", get(jobs::get))
        .route("/projects/{p}/jobs/{id}/cancel", post(jobs::cancel))
        .route("/projects/{p}/auto-train", put(jobs::set_auto_train))
        .route("/projects/{p}/dashboard", get(jobs::dashboard))
        .route("/projects/{p}/sync/push", post(sync::push))
        .route("/projects/{p}/sync/pull", get(sync::pull))
        .route("/projects/{p}/labels/export", get(export::export))
        .fallback(|| async { error::ApiError::not_found("no such API route") })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take this method; see /api/v1/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::map_response(headers::api));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { "ok" }))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        )
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(deadline))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long a request may take (reading its body included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Answers 408 `request_timeout` (as `{code, message}`) for a request that takes longer than
/// [`REQUEST_TIMEOUT`].
async fn deadline(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => error::ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than {} s",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// `GET /api/v1/me`: the caller's user id (the `annotator_id` of their labels) and name.
async fn me(caller: auth::Caller) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"id": caller.user_id, "name": caller.name}))
}

/// Serves the API until SIGTERM or Ctrl-C.
pub async fn serve(db_url: &str, options: ServeOptions) -> anyhow::Result<()> {
    let db = Db::connect(db_url).await?;
    let state = AppState {
        db: Arc::new(db),
        auth_failures: Arc::new(auth_failures::FailedAuth::new(options.max_failed_auth)),
        open_project_creation: options.open_project_creation,
    };
    // Training jobs run in this process, one at a time (burn on the CPU), unless `kindling
    // worker` processes run them.
    if options.run_jobs {
        let runner = crate::jobs::Runner::new(options.job_lease);
        tokio::spawn(crate::jobs::run_forever(state.clone(), runner));
    }
    let mut app = router(state);
    if let Some(dir) = options.static_dir {
        let pages = axum::Router::new()
            .fallback_service(tower_http::services::ServeDir::new(dir))
            .layer(axum::middleware::map_response(headers::app));
        app = app.fallback_service(pages);
    }
    let listener = tokio::net::TcpListener::bind(&options.addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    println!(
        "kindling serve: listening on http://{}",
        listener.local_addr()?
    );
    listener::serve(listener, app, options.limits, listener::shutdown_signal()).await?;
    Ok(())
}
