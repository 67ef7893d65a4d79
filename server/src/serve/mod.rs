//! `kindling serve`: the HTTP API (axum) over SQLite or PostgreSQL.

pub mod auth;
pub mod backbones;
pub mod db;
pub mod error;
pub mod export;
pub mod history;
pub mod items;
pub mod jobs;
pub mod leases;
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
use tower_http::timeout::TimeoutLayer;
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
}

/// The `/api/v1` router with its limits, plus `/healthz`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route("/me", get(me))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{p}", get(projects::get))
        .route("/projects/{p}/members/{user}", put(projects::set_member))
        .route("/projects/{p}/items", get(items::list))
        .route(
            "/projects/{p}/items/{id}",
            put(items::upload).layer(DefaultBodyLimit::max(MAX_ITEM_BODY)),
        )
        .route("/projects/{p}/items/{id}/content", get(items::content))
        .route("/projects/{p}/items/{id}/history", get(history::history))
        .route("/projects/{p}/leases", post(leases::lease))
        .route(
            "/projects/{p}/models",
            get(models::list)
                .post(models::upload)
                .layer(DefaultBodyLimit::max(MAX_BUNDLE_BODY)),
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
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
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
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /api/v1/me`: the caller's user id (the `annotator_id` of their labels) and name.
async fn me(caller: auth::Caller) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"id": caller.user_id, "name": caller.name}))
}

/// Makes the app's pages cross-origin isolated (COOP/COEP), so its inference worker may share
/// wasm memory between threads (the `kindling/threads` module). Everything the app loads is
/// same-origin, which `require-corp` allows.
async fn cross_origin_isolated(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header::HeaderName};
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-embedder-policy"),
        HeaderValue::from_static("require-corp"),
    );
    response
}

/// Serves the API on `addr` until Ctrl-C / SIGTERM.
pub async fn serve(
    db_url: &str,
    addr: &str,
    static_dir: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let db = Db::connect(db_url).await?;
    let state = AppState { db: Arc::new(db) };
    // Training jobs run in this process, one at a time (burn on the CPU).
    tokio::spawn(crate::jobs::run_forever(state.clone()));
    let mut app = router(state);
    if let Some(dir) = static_dir {
        let pages = axum::Router::new()
            .fallback_service(tower_http::services::ServeDir::new(dir))
            .layer(axum::middleware::map_response(cross_origin_isolated));
        app = app.fallback_service(pages);
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    println!(
        "kindling serve: listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
