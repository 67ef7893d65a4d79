//! The HTTP edge of `kindling serve`: the `/api/v1` router (axum), authentication, limits,
//! security headers and the listener. Handlers parse and answer; the domain decides.

pub mod auth;
pub mod auth_failures;
pub mod client_ip;
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
pub mod review;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::store::Db;

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
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl AppState {
    /// State over `db` with the default policies (closed project creation).
    pub fn new(db: Db) -> Self {
        Self {
            db: Arc::new(db),
            auth_failures: Arc::new(auth_failures::FailedAuth::default()),
            open_project_creation: false,
            trusted_proxies: Arc::default(),
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
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Run training jobs in this process (`--no-jobs`: `kindling worker` processes do).
    pub run_jobs: bool,
    /// This process's lease on a job it runs.
    pub job_lease: Duration,
}

/// One route of `/api/v1`, as the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    /// The path under `/api/v1`, with `{param}`s.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub roles: &'static str,
}

/// Declares the API's routes once: [`ROUTES`] (from which `openapi.json` is made and the API
/// tests derive their sweep) and the router's `.route(...)` calls, so the two cannot drift.
macro_rules! api_routes {
    ($( $method:ident $path:literal => $handler:path, $summary:literal, $roles:literal; )*) => {
        /// Every `/api/v1` route.
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            summary: $summary,
            roles: $roles,
        }),*];

        fn with_api_routes(router: Router<AppState>) -> Router<AppState> {
            router $(.route($path, axum::routing::$method($handler)))*
        }
    };
}

api_routes! {
    get "/openapi.json" => openapi::openapi, "This document", "any user";
    get "/me" => me, "The caller's user id and name", "any user";
    get "/projects" => projects::list, "List the caller's projects", "any member";
    get "/invitations" => projects::my_invitations, "The caller's pending invitations", "any user";
    post "/invitations/{p}/accept" => projects::accept_invitation, "Accept an invitation: join the project with the role offered", "the invited user";
    delete "/invitations/{p}" => projects::decline_invitation, "Decline an invitation", "the invited user";
    post "/projects" => projects::create, "Create a project (the caller owns it; only with --open-project-creation)", "any user";
    get "/projects/{p}" => projects::get, "A project with progress", "any member";
    put "/projects/{p}/members/{user}" => projects::set_member, "Set a member's role, or invite a name that is not a member's (202; the same answer whether or not the user exists)", "owner";
    get "/projects/{p}/invitations" => projects::invitations_of, "Pending invitations of the project", "owner";
    delete "/projects/{p}/members/{user}" => projects::remove_member, "Remove a member or withdraw an invitation (owners), or leave (the member)", "owner or self";
    get "/projects/{p}/items" => items::list, "List items (paged: cursor, limit ≤ 500)", "any member";
    put "/projects/{p}/items/{id}" => items::upload, "Upload an item (image/png, image/jpeg, image/webp or text/plain body)", "owner";
    get "/projects/{p}/items/{id}/content" => items::content, "Item content (immutable, ETag)", "any member";
    put "/projects/{p}/items/{id}/gold" => items::set_gold, "Mark a gold item with its known class ({class}; null unmarks): every annotator labels it, owners see each one's accuracy on gold", "owner";
    get "/projects/{p}/items/{id}/history" => history::history, "The audit history of an item's labels (every op, with its outcome)", "any member (annotators: own ops)";
    post "/projects/{p}/leases" => leases::lease, "Lease unlabeled items with their content for offline labeling ({limit, exclude})", "owner, annotator";
    post "/projects/{p}/review/items" => review::items, "Labeled items with their content for offline review ({limit, exclude})", "owner, reviewer";
    get "/projects/{p}/models" => models::list, "List model versions", "any member";
    post "/projects/{p}/models" => models::upload, "Upload a model bundle archive (.kbundle)", "owner";
    get "/projects/{p}/models/current" => models::current, "The current model version", "any member";
    put "/projects/{p}/models/{v}/current" => models::set_current, "Make a version current", "owner";
    get "/projects/{p}/models/{v}/{file}" => models::file, "A bundle file (immutable, ETag)", "any member";
    get "/projects/{p}/jobs" => jobs::list, "Training jobs, newest first", "any member";
    post "/projects/{p}/jobs" => jobs::create, "Queue a training job ({epochs, seed, arch, patience}); 409 job_active while one is queued or running", "owner";
    get "/projects/{p}/jobs/{id}" => jobs::get, "A training job with progress and result", "any member";
    post "/projects/{p}/jobs/{id}/cancel" => jobs::cancel, "Cancel a job (a running one after its epoch)", "owner";
    put "/projects/{p}/auto-train" => projects::set_auto_train, "Train automatically after every N new labeled items ({every}; 0: off)", "owner";
    put "/projects/{p}/overlap" => projects::set_overlap, "Lease N% of items to a second annotator once labeled ({percent}; 0: off), for agreement", "owner";
    get "/projects/{p}/dashboard" => jobs::dashboard, "Versions' evaluation accuracy vs labels, the current version's confusion matrix, override rates", "any member (annotators: own figures)";
    post "/projects/{p}/sync/push" => sync::push, "Push label ops and reviews (idempotent per client seq; 409 on a gap or a new epoch)", "owner, annotator (own labels); owner, reviewer (reviews: `target`)";
    get "/projects/{p}/sync/pull" => sync::pull, "Pull label changes after a cursor (410 when the cursor is unknown)", "any member (annotators: own labels)";
    get "/projects/{p}/labels/export" => export::export, "Export labels as JSONL or CSV", "owner, reviewer";
}

/// The `/api/v1` router with its limits, plus `/healthz`.
pub fn router(state: AppState) -> Router {
    let api = with_api_routes(Router::new())
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
async fn me(auth::Caller(user): auth::Caller) -> axum::Json<crate::domain::access::User> {
    axum::Json(user)
}

/// Serves the API until SIGTERM or Ctrl-C.
pub async fn serve(db_url: &str, options: ServeOptions) -> anyhow::Result<()> {
    let db = Db::connect(db_url).await?;
    let state = AppState {
        db: Arc::new(db),
        auth_failures: Arc::new(auth_failures::FailedAuth::new(options.max_failed_auth)),
        open_project_creation: options.open_project_creation,
        trusted_proxies: Arc::new(options.trusted_proxies.clone()),
    };
    // Training jobs run in this process, one at a time (burn on the CPU), unless `kindling
    // worker` processes run them.
    if options.run_jobs {
        let runner = crate::domain::jobs::Runner::new(options.job_lease);
        tokio::spawn(crate::domain::jobs::run_forever(state.db.clone(), runner));
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
