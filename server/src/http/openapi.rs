//! The OpenAPI description of `/api/v1` (served at `/api/v1/openapi.json`), made from
//! [`super::ROUTES`], the list the router is built from.

use axum::Json;

use super::auth::Caller;

/// The OpenAPI 3.1 document.
pub fn document() -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for r in super::ROUTES {
        let op = serde_json::json!({
            "summary": r.summary,
            "description": format!("Roles: {}.", r.roles),
            "security": [{"bearer": []}],
            "responses": {"200": {"description": "OK"}, "4XX": {"description": "`{code, message}`"}},
        });
        let entry = paths
            .entry(format!("/api/v1{}", r.path))
            .or_insert_with(|| serde_json::json!({}));
        entry[r.method] = op;
    }
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "Kindling API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

/// `GET /api/v1/openapi.json` (any valid token).
pub async fn openapi(_caller: Caller) -> Json<serde_json::Value> {
    Json(document())
}
