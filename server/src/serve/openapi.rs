//! The OpenAPI description of `/api/v1` (served at `/api/v1/openapi.json`).

use axum::Json;

use super::auth::Caller;

fn op(summary: &str, roles: &str) -> serde_json::Value {
    serde_json::json!({"summary": summary, "description": format!("Roles: {roles}."), "security": [{"bearer": []}],
        "responses": {"200": {"description": "OK"}, "4XX": {"description": "`{code, message}`"}}})
}

/// The OpenAPI 3.1 document.
pub fn document() -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "Kindling API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/me": {"get": op("The caller's user id and name", "any user")},
            "/api/v1/projects": {"get": op("List the caller's projects", "any member"), "post": op("Create a project (the caller owns it)", "any user")},
            "/api/v1/projects/{p}": {"get": op("A project with progress", "any member")},
            "/api/v1/projects/{p}/members/{user}": {"put": op("Set a member's role", "owner"), "delete": op("Remove a member (owners), or leave (the member)", "owner or self")},
            "/api/v1/projects/{p}/items": {"get": op("List items (paged: cursor, limit ≤ 500)", "any member")},
            "/api/v1/projects/{p}/items/{id}": {"put": op("Upload an item (image/* or text/plain body)", "owner")},
            "/api/v1/projects/{p}/items/{id}/content": {"get": op("Item content (immutable, ETag)", "any member")},
            "/api/v1/projects/{p}/items/{id}/history": {"get": op("The audit history of an item's labels (every op, with its outcome)", "any member (annotators: own ops)")},
            "/api/v1/projects/{p}/leases": {"post": op("Lease unlabeled items with their content for offline labeling ({limit, exclude})", "owner, annotator")},
            "/api/v1/projects/{p}/models": {"get": op("List model versions", "any member"), "post": op("Upload a model bundle archive (.kbundle)", "owner")},
            "/api/v1/projects/{p}/models/current": {"get": op("The current model version", "any member")},
            "/api/v1/projects/{p}/models/{v}/current": {"put": op("Make a version current", "owner")},
            "/api/v1/projects/{p}/models/{v}/{file}": {"get": op("A bundle file (immutable, ETag)", "any member")},
            "/api/v1/projects/{p}/jobs": {"get": op("Training jobs, newest first", "any member"), "post": op("Queue a training job ({epochs, seed, arch, patience}); 409 job_active while one is queued or running", "owner")},
            "/api/v1/projects/{p}/jobs/{id}": {"get": op("A training job with progress and result", "any member")},
            "/api/v1/projects/{p}/jobs/{id}/cancel": {"post": op("Cancel a job (a running one after its epoch)", "owner")},
            "/api/v1/projects/{p}/auto-train": {"put": op("Train automatically after every N new labeled items ({every}; 0: off)", "owner")},
            "/api/v1/projects/{p}/dashboard": {"get": op("Versions' evaluation accuracy vs labels, the current version's confusion matrix, override rates", "any member")},
            "/api/v1/projects/{p}/sync/push": {"post": op("Push label ops (idempotent per client seq; 409 on a gap or a new epoch)", "owner, annotator")},
            "/api/v1/projects/{p}/sync/pull": {"get": op("Pull label changes after a cursor (410 when the cursor is unknown)", "any member")},
            "/api/v1/projects/{p}/labels/export": {"get": op("Export labels as JSONL or CSV", "owner, reviewer")},
        }
    })
}

/// `GET /api/v1/openapi.json` (any valid token).
pub async fn openapi(_caller: Caller) -> Json<serde_json::Value> {
    Json(document())
}
