//! HTTP tests against a real `kindling serve` process, each scenario on SQLite and on PostgreSQL:
//! auth and project isolation on every route, roles, sync push/pull semantics, limits and
//! malformed input, item and model files with caching.

mod harness;

use harness::{Server, call_json, cli, fresh_db, scratch, seed_project};
use kindling_server::http::{ROUTES, Route};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

struct Ctx {
    server: Server,
    http: Client,
    tokens: std::collections::HashMap<String, String>,
}

impl Ctx {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call_json(&self.http, self.server.url(path), method, token, body).await
    }
    fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }
    /// `user` pushes `ops` from `client` to project alpha.
    async fn push(&self, user: &str, client: &str, ops: Vec<Value>) -> (StatusCode, Value) {
        let body = json!({"client_id": client, "epoch": "", "ops": ops});
        let path = "/projects/alpha/sync/push";
        self.call(Method::POST, path, Some(self.token(user)), Some(body))
            .await
    }
    /// `user` asks project alpha for a lease with `body`.
    async fn lease(&self, user: &str, body: Value) -> (StatusCode, Value) {
        let path = "/projects/alpha/leases";
        self.call(Method::POST, path, Some(self.token(user)), Some(body))
            .await
    }
}

/// The ids of a lease's (or review batch's) items.
fn item_ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// A dashboard's line of the annotator named `name`.
fn annotator_line(d: &Value, name: &str) -> Value {
    d["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .cloned()
        .unwrap()
}

/// The outcomes of a push's results, in order.
fn outcomes(b: &Value) -> Vec<String> {
    b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

fn op(seq: u64, item: &str, class: &str, wall: u64) -> Value {
    json!({"seq": seq, "op_id": format!("op-{item}-{wall}"), "item_id": item, "kind": "upsert",
           "value": {"class": class, "suggestion": "3", "model_version": "v1", "accepted": class == "3"},
           "hlc": {"wall": wall, "counter": 0}})
}

async fn setup(kind: &str, scenario: &str) -> Ctx {
    let db = fresh_db(kind, &format!("api_{scenario}"));
    let mut tokens = seed_project(
        &db,
        "alpha",
        &[("olga", "owner"), ("ann", "annotator"), ("rev", "reviewer")],
        30,
    );
    cli(&["admin", "user-add", "bert", "--db", &db]);
    tokens.insert(
        "bert".into(),
        cli(&["admin", "token-create", "bert", "--db", &db]),
    );
    cli(&[
        "admin",
        "project-create",
        "--id",
        "beta",
        "--name",
        "Beta",
        "--labels",
        "a,b",
        "--owner",
        "bert",
        "--db",
        &db,
    ]);
    cli(&[
        "admin",
        "project-create",
        "--id",
        "gamma",
        "--name",
        "Gamma",
        "--task",
        "text",
        "--labels",
        "ham,spam",
        "--owner",
        "olga",
        "--db",
        &db,
    ]);
    cli(&["admin", "user-add", "amy", "--db", &db]);
    cli(&[
        "admin",
        "member-set",
        "--project",
        "alpha",
        "--user",
        "amy",
        "--role",
        "annotator",
        "--db",
        &db,
    ]);
    tokens.insert(
        "amy".into(),
        cli(&["admin", "token-create", "amy", "--db", &db]),
    );
    cli(&["admin", "user-add", "old", "--db", &db]);
    cli(&[
        "admin",
        "member-set",
        "--project",
        "alpha",
        "--user",
        "old",
        "--role",
        "annotator",
        "--db",
        &db,
    ]);
    tokens.insert(
        "expired".into(),
        cli(&[
            "admin",
            "token-create",
            "old",
            "--expires-days",
            "0",
            "--db",
            &db,
        ]),
    );
    // No connection reuse: a server that answers 413 before reading a body closes the
    // connection, and a pooled request on it would fail for reasons outside the test.
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    Ctx {
        // The sweep below sends dozens of bad tokens from one address on purpose.
        server: Server::start_with(&db, &["--max-failed-auth", "100000"]).await,
        http,
        tokens,
    }
}

/// A request for `route` (from the router's own list) on project `p`: its parameters filled
/// in and a body where it takes one. A new route that takes a body fails here until it has one.
fn request(route: &Route, p: &str) -> (Method, String, Option<Value>) {
    let id = if route.path.starts_with("/projects/{p}/jobs") {
        "j_x"
    } else if route.method == "put" {
        "new-item"
    } else {
        "000001"
    };
    let path = route
        .path
        .replace("{p}", p)
        .replace("{user}", "ann")
        .replace("{id}", id)
        .replace("{v}", "v1")
        .replace("{file}", "manifest.json");
    let body = match (route.method, route.path) {
        ("put", "/projects/{p}/members/{user}") => Some(json!({"role": "reviewer"})),
        ("put", "/projects/{p}/items/{id}") => Some(json!("text")),
        ("post", "/projects/{p}/sync/push") => {
            Some(json!({"client_id": "x", "epoch": "", "ops": [op(1, "000001", "1", 5)]}))
        }
        ("post", "/projects/{p}/leases") | ("post", "/projects/{p}/review/items") => {
            Some(json!({"limit": 2}))
        }
        ("post", "/projects/{p}/jobs") => Some(json!({"epochs": 1})),
        ("put", "/projects/{p}/auto-train") => Some(json!({"every": 0})),
        ("put", "/projects/{p}/overlap") => Some(json!({"percent": 0})),
        ("put", "/projects/{p}/items/{id}/gold") => Some(json!({"class": "1"})),
        ("post", "/projects") => Some(json!({"name": "x", "task": "text", "labels": ["a", "b"]})),
        ("post", "/projects/{p}/models")
        | ("put", "/projects/{p}/models/{v}/current")
        | ("post", "/projects/{p}/jobs/{id}/cancel")
        | ("post", "/invitations/{p}/accept") => None,
        ("get" | "delete", _) => None,
        (m, path) => {
            panic!("{m} {path}: the auth sweep has no request body for this route; add one")
        }
    };
    let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
    (method, path, body)
}

/// Every route of the router, filled in for project `p`.
fn every_route(p: &str) -> Vec<(Method, String, Option<Value>)> {
    ROUTES.iter().map(|r| request(r, p)).collect()
}

/// Every project-scoped route (`/projects/{p}/…`), filled in for project `p`.
fn project_routes(p: &str) -> Vec<(Method, String, Option<Value>)> {
    ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/projects/{p}"))
        .map(|r| request(r, p))
        .collect()
}

async fn auth_and_isolation(c: &Ctx) {
    // Every route the router has (its own list), without a token, with a forged and an
    // expired one.
    for (m, path, body) in every_route("alpha") {
        let (s, b) = c.call(m.clone(), &path, None, body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path} without a token");
        assert_eq!(b["code"], "unauthenticated");
        let (s, b) = c
            .call(m.clone(), &path, Some("kt_forged"), body.clone())
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_token")),
            "{m} {path}"
        );
        let (s, b) = c
            .call(m.clone(), &path, Some(c.token("expired")), body.clone())
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("token_expired")),
            "{m} {path}"
        );
    }
    // A member of beta only can neither read nor write alpha, on any route, and vice versa.
    for (m, path, body) in project_routes("alpha") {
        let (s, b) = c.call(m.clone(), &path, Some(c.token("bert")), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "bert: {m} {path}: {b}");
    }
    for (m, path, body) in project_routes("beta") {
        let (s, _) = c.call(m.clone(), &path, Some(c.token("ann")), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "ann: {m} {path}");
    }
    let (s, list) = c
        .call(Method::GET, "/projects", Some(c.token("bert")), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["beta"]
    );
}

async fn roles(c: &Ctx) {
    // A reviewer may push (reviews), but a label of their own is refused, op by op.
    let push = json!({"client_id": "rev-1", "epoch": "", "ops": [op(1, "000001", "1", 5)]});
    let (s, b) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            Some(c.token("rev")),
            Some(push),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["results"][0]["outcome"], "rejected", "{b}");
    assert!(
        b["results"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("do not label"),
        "{b}"
    );
    // Annotators get no review batches.
    let (s, _) = c
        .call(
            Method::POST,
            "/projects/alpha/review/items",
            Some(c.token("ann")),
            Some(json!({"limit": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .call(
            Method::GET,
            "/projects/alpha/labels/export",
            Some(c.token("ann")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .call(
            Method::PUT,
            "/projects/alpha/members/rev",
            Some(c.token("ann")),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .call(
            Method::GET,
            "/projects/alpha/sync/pull",
            Some(c.token("rev")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn push_pull(c: &Ctx) {
    let t = Some(c.token("ann"));
    let req = json!({"client_id": "ann-1", "epoch": "", "ops": [op(1, "000001", "3", 10), op(2, "000002", "7", 11), op(3, "000003", "nope", 12)]});
    let (s, first) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            t,
            Some(req.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["acked_seq"], 3);
    let outcomes: Vec<&str> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["applied", "applied", "rejected"]);
    assert!(
        first["results"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("not a class")
    );
    // The same push again (a response lost after commit): the stored outcomes, nothing new.
    let (_, again) = c
        .call(Method::POST, "/projects/alpha/sync/push", t, Some(req))
        .await;
    assert_eq!(again, first);
    // A gap: 409 with the seq the server expects; nothing applied.
    let (s, b) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            t,
            Some(json!({"client_id": "ann-1", "epoch": "", "ops": [op(6, "000004", "1", 13)]})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str(), b["expected_seq"].as_u64()),
        (StatusCode::CONFLICT, Some("seq_gap"), Some(4))
    );
    // Another device of the same person writes item 1 with an older clock: superseded.
    let (_, b) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            t,
            Some(json!({"client_id": "ann-2", "epoch": "", "ops": [op(1, "000001", "5", 9)]})),
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "superseded");
    // A newer clock wins.
    let (_, b) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            t,
            Some(json!({"client_id": "ann-2", "epoch": "", "ops": [op(2, "000001", "8", 20)]})),
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "applied");
    // A client id belongs to one user.
    let (s, _) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            Some(c.token("olga")),
            Some(json!({"client_id": "ann-2", "epoch": "", "ops": [op(3, "000001", "1", 30)]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Pull everything, one change per page.
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let (s, page) = c
            .call(
                Method::GET,
                &format!("/projects/alpha/sync/pull?cursor={cursor}&limit=1"),
                t,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        for ch in page["changes"].as_array().unwrap() {
            seen.push((
                ch["item_id"].as_str().unwrap().to_string(),
                ch["value"]["class"].as_str().unwrap().to_string(),
            ));
        }
        cursor = page["next_cursor"].as_i64().unwrap();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![("000002".into(), "7".into()), ("000001".into(), "8".into())]
    );
    // A reviewer sees everyone's labels; another annotator sees none of ann's.
    let (_, all) = c
        .call(
            Method::GET,
            "/projects/alpha/sync/pull",
            Some(c.token("rev")),
            None,
        )
        .await;
    assert_eq!(all["changes"].as_array().unwrap().len(), 2);
    let (_, none) = c
        .call(
            Method::GET,
            "/projects/alpha/sync/pull",
            Some(c.token("amy")),
            None,
        )
        .await;
    assert_eq!(none["changes"].as_array().unwrap().len(), 0);
    let (s, b) = c
        .call(
            Method::GET,
            &format!("/projects/alpha/sync/pull?cursor={}", cursor + 100),
            t,
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::GONE, Some("cursor_expired"))
    );
    let (s, b) = c
        .call(Method::GET, "/projects/alpha/sync/pull?limit=5000", t, None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_limit"))
    );

    // The history keeps the loser and the rejected op.
    let (_, csv) = c
        .call(
            Method::GET,
            "/projects/alpha/labels/export?format=csv",
            Some(c.token("olga")),
            None,
        )
        .await;
    let csv = csv.as_str().unwrap().to_string();
    assert!(
        csv.starts_with("item_id,annotator,label,suggestion,model_version,accepted,review,reviewer,review_reason,original_label,version\n"),
        "{csv}"
    );
    assert!(csv.contains("000001,ann,8,3,v1,false,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let (_, progress) = c.call(Method::GET, "/projects/alpha", t, None).await;
    assert_eq!(progress["progress"]["labeled"], 2);
    assert_eq!(progress["progress"]["items"], 30);
    assert_eq!(progress["progress"]["per_annotator"]["ann"], 2);
}

async fn limits_and_malformed(c: &Ctx) {
    let t = Some(c.token("ann"));
    let (_, before) = c
        .call(Method::GET, "/projects/alpha/sync/pull", t, None)
        .await;
    let resp = c
        .http
        .post(c.server.url("/projects/alpha/sync/push"))
        .bearer_auth(c.token("ann"))
        .header("content-type", "application/json")
        .body("{\"client_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "malformed_request"
    );
    let resp = c
        .http
        .post(c.server.url("/projects/alpha/sync/push"))
        .bearer_auth(c.token("ann"))
        .header("content-type", "application/json")
        .body(format!("{{\"client_id\": \"{}\"}}", "x".repeat(3 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "body_too_large"
    );
    let ops: Vec<Value> = (1..=1001).map(|i| op(i, "000005", "1", 100 + i)).collect();
    let (s, b) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            t,
            Some(json!({"client_id": "ann-9", "epoch": "", "ops": ops})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_many_ops"))
    );
    let (s, b) = c.call(Method::POST, "/projects/alpha/sync/push", t, Some(json!({"client_id": "ann-9", "epoch": "", "ops": [op(1, "a", "1", 1), op(3, "b", "1", 2)]}))).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("non_consecutive_seq"))
    );
    let (_, after) = c
        .call(Method::GET, "/projects/alpha/sync/pull", t, None)
        .await;
    assert_eq!(before, after, "rejected requests changed nothing");
    let (s, b) = c
        .call(Method::GET, "/projects/alpha/nothing-here", t, None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

async fn items_and_models(c: &Ctx) {
    let owner = c.token("olga");
    let resp = c
        .http
        .get(c.server.url("/projects/alpha/items/000001/content"))
        .bearer_auth(owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let resp = c
        .http
        .get(c.server.url("/projects/alpha/items/000001/content"))
        .bearer_auth(owner)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    // Paged listing.
    let (_, page) = c
        .call(
            Method::GET,
            "/projects/alpha/items?limit=20",
            Some(owner),
            None,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert!(page["has_more"].as_bool().unwrap());
    let (_, rest) = c
        .call(
            Method::GET,
            &format!(
                "/projects/alpha/items?cursor={}&limit=20",
                page["next_cursor"]
            ),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 10);
    // Text items (in a text project) are stored as given and served as plain text.
    let xss = "<img src=x onerror=alert(1)>";
    let resp = c
        .http
        .put(c.server.url("/projects/gamma/items/t1"))
        .bearer_auth(owner)
        .header("content-type", "text/plain")
        .body(xss)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = c
        .http
        .get(c.server.url("/projects/gamma/items/t1/content"))
        .bearer_auth(owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(resp.text().await.unwrap(), xss);
    let resp = c
        .http
        .put(c.server.url("/projects/gamma/items/t1"))
        .bearer_auth(owner)
        .header("content-type", "text/plain")
        .body("other")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // Model versions: a real bundle archive.
    // One folder per server: the SQLite and PostgreSQL runs of this scenario run at once.
    let port = c.server.base.rsplit(':').next().unwrap();
    let dir = scratch(&format!("bundle-{port}"));
    cli(&["bundle", "demo", "--out", dir.to_str().unwrap()]);
    let archive = dir.with_extension("kbundle");
    cli(&[
        "bundle",
        "pack",
        dir.to_str().unwrap(),
        "--out",
        archive.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&archive).unwrap();
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x40;
    let resp = c
        .http
        .post(c.server.url("/projects/alpha/models"))
        .bearer_auth(owner)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("BUNDLE_HASH_MISMATCH")
    );
    let resp = c
        .http
        .post(c.server.url("/projects/alpha/models"))
        .bearer_auth(c.token("ann"))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = c
        .http
        .post(c.server.url("/projects/alpha/models"))
        .bearer_auth(owner)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let version = resp.json::<Value>().await.unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = c
        .call(
            Method::GET,
            "/projects/alpha/models/current",
            Some(owner),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .call(
            Method::PUT,
            &format!("/projects/alpha/models/{version}/current"),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, cur) = c
        .call(
            Method::GET,
            "/projects/alpha/models/current",
            Some(c.token("ann")),
            None,
        )
        .await;
    assert_eq!(cur["version"], version.as_str());
    let resp = c
        .http
        .get(
            c.server
                .url(&format!("/projects/alpha/models/{version}/weights.bpk")),
        )
        .bearer_auth(owner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let weights = resp.bytes().await.unwrap();
    assert_eq!(
        weights.as_ref(),
        std::fs::read(dir.join("weights.bpk")).unwrap().as_slice()
    );
    let (s, doc) = c
        .call(Method::GET, "/openapi.json", Some(owner), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    // Every route of the router is described, with its method and roles, and nothing else.
    for r in ROUTES {
        let op = &doc["paths"][format!("/api/v1{}", r.path)][r.method];
        assert!(
            op["summary"].is_string(),
            "{} {} is described",
            r.method,
            r.path
        );
        assert!(op["description"].as_str().unwrap().starts_with("Roles: "));
    }
    let described: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(described, ROUTES.len());
}

/// Leases hand out unlabeled items with their content, never an item a colleague holds;
/// the history keeps every op on an item, conflict losers included.
async fn leases_and_history(c: &Ctx) {
    use base64::Engine;
    let lease = |user: &'static str, body: Value| c.lease(user, body);
    let ids = item_ids;
    let (s, export) = c
        .call(
            Method::GET,
            "/projects/alpha/labels/export?format=csv",
            Some(c.token("olga")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // One row per item and annotator: the set of labeled items.
    let labeled: std::collections::BTreeSet<String> = export
        .as_str()
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();

    let (_, project) = c
        .call(Method::GET, "/projects/alpha", Some(c.token("olga")), None)
        .await;
    let total = project["progress"]["items"].as_i64().unwrap();
    let (s, first) = lease("ann", json!({"limit": 5})).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let ann1 = ids(&first);
    assert_eq!(ann1.len(), 5);
    assert!(
        ann1.iter().all(|id| !labeled.contains(id)),
        "leased a labeled item"
    );
    let available = first["available"].as_i64().unwrap();
    assert_eq!(
        available,
        total - labeled.len() as i64,
        "labeled: {labeled:?}"
    );
    for item in first["items"].as_array().unwrap() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(item["content_b64"].as_str().unwrap())
            .unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "an image item comes as its PNG"
        );
        assert_eq!(
            kindling::bundle::sha256_hex(&bytes),
            item["sha256"].as_str().unwrap()
        );
    }
    // A colleague never gets what ann holds; ann asking again gets the rest, not a repeat.
    let (_, amy) = lease("amy", json!({"limit": 3})).await;
    let amy = ids(&amy);
    assert_eq!(amy.len(), 3);
    assert!(amy.iter().all(|id| !ann1.contains(id)));
    let (_, second) = lease("ann", json!({"limit": 5, "exclude": ann1})).await;
    let ann2 = ids(&second);
    assert_eq!(ann2.len(), 5);
    assert!(
        ann2.iter()
            .all(|id| !ann1.contains(id) && !amy.contains(id))
    );
    assert_eq!(second["available"].as_i64().unwrap(), available - 3);
    // Limits and roles.
    for (body, status, code) in [
        (json!({"limit": 0}), 400, "invalid_limit"),
        (json!({"limit": 1001}), 400, "invalid_limit"),
        (json!({"bogus": 1}), 422, "malformed_request"),
    ] {
        let (s, e) = lease("ann", body).await;
        assert_eq!(
            (s.as_u16(), e["code"].as_str()),
            (status, Some(code)),
            "{e}"
        );
    }
    let (s, _) = lease("rev", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // History: a later write from one client, then an earlier one from another: superseded.
    let item = &ann2[0];
    let push = |client: &str, class: &str, wall: u64| {
        c.call(
            Method::POST,
            "/projects/alpha/sync/push",
            Some(c.token("ann")),
            Some(json!({"client_id": client, "epoch": "", "ops": [op(1, item, class, wall)]})),
        )
    };
    let (s, r) = push("hist-late", "7", 9_000_000).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, r) = push("hist-early", "2", 8_000_000).await;
    assert_eq!(r["results"][0]["outcome"], "superseded");
    let history_path = format!("/projects/alpha/items/{item}/history");
    let history =
        |user: &'static str| c.call(Method::GET, &history_path, Some(c.token(user)), None);
    let (s, h) = history("olga").await;
    assert_eq!(s, StatusCode::OK);
    let events = h["events"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["value"]["class"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(outcomes, vec![("7", "applied"), ("2", "superseded")]);
    // Annotators see only their own ops.
    let (_, h) = history("amy").await;
    assert_eq!(h["events"].as_array().unwrap().len(), 0);
    // A labeled item is no longer leased to anyone.
    let (_, third) = lease("ann", json!({"limit": 1000})).await;
    assert!(!ids(&third).contains(item));
}

/// What a lease hands out, as the rules say (a model of the server's state built from what
/// this test did): an item needs a label while it has fewer live labels than it needs (2 with
/// 100% overlap, else 1) or is gold; `user` gets it unless they labeled it or someone else
/// holds it and has not labeled it (gold goes to everyone).
#[derive(Default)]
struct LeaseModel {
    items: Vec<String>,
    live: std::collections::HashSet<(String, String)>,
    holder: std::collections::HashMap<String, String>,
    gold: std::collections::HashSet<String>,
    overlap_all: bool,
}

impl LeaseModel {
    fn labeled(&self, item: &str, user: &str) -> bool {
        self.live.contains(&(item.to_string(), user.to_string()))
    }
    fn free(&self, user: &str) -> Vec<String> {
        let need = if self.overlap_all { 2 } else { 1 };
        self.items
            .iter()
            .filter(|i| {
                let count = self.live.iter().filter(|(li, _)| li == *i).count();
                let gold = self.gold.contains(*i);
                (gold || count < need)
                    && !self.labeled(i, user)
                    && (gold
                        || self
                            .holder
                            .get(*i)
                            .is_none_or(|h| h == user || self.labeled(i, h)))
            })
            .cloned()
            .collect()
    }
}

/// A lease's `available` is counted from the items that need a label and the outstanding
/// leases, not by visiting every item: over a random walk of labels, deletions, leases, gold
/// marks and overlap changes by three people, it equals what the rules say each could be
/// handed, and each lease hands out exactly the first free items.
async fn available_counts_what_a_lease_could_hand_out(c: &Ctx) {
    let (s, page) = c
        .call(
            Method::GET,
            "/projects/alpha/items?limit=500",
            Some(c.token("olga")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut m = LeaseModel {
        items: item_ids(&page),
        ..Default::default()
    };
    assert_eq!(m.items.len(), 30);
    let users = ["olga", "ann", "amy"];
    let mut seqs = std::collections::HashMap::<&str, u64>::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut checked = 0;
    for step in 0..120u64 {
        let user = users[next(3) as usize];
        let item = m.items[next(30) as usize].clone();
        match next(10) {
            0..=3 => {
                let limit = 1 + next(6) as usize;
                let free = m.free(user);
                let (s, b) = c.lease(user, json!({ "limit": limit })).await;
                assert_eq!(s, StatusCode::OK, "{b}");
                assert_eq!(
                    b["available"].as_i64().unwrap() as usize,
                    free.len(),
                    "step {step}: {user} could be handed {free:?}"
                );
                let got = item_ids(&b);
                assert_eq!(got, free[..limit.min(free.len())], "step {step}");
                for id in got {
                    m.holder.insert(id, user.to_string());
                }
                checked += 1;
            }
            4..=7 => {
                let seq = seqs.entry(user).or_default();
                *seq += 1;
                let delete = next(4) == 0;
                let wall = 1_000 + step;
                let mut o = op(*seq, &item, "1", wall);
                if delete {
                    o["kind"] = json!("delete");
                    o["value"] = Value::Null;
                }
                let (s, b) = c.push(user, &format!("{user}-walk"), vec![o]).await;
                assert_eq!(
                    (s, outcomes(&b)),
                    (StatusCode::OK, vec!["applied".to_string()]),
                    "{b}"
                );
                let key = (item.clone(), user.to_string());
                if delete {
                    m.live.remove(&key);
                } else {
                    m.live.insert(key);
                    if m.holder.get(&item).is_some_and(|h| h == user) {
                        m.holder.remove(&item);
                    }
                }
            }
            8 => {
                let gold = !m.gold.contains(&item);
                let class = if gold { json!("3") } else { Value::Null };
                let path = format!("/projects/alpha/items/{item}/gold");
                let (s, b) = c
                    .call(
                        Method::PUT,
                        &path,
                        Some(c.token("olga")),
                        Some(json!({ "class": class })),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                if gold {
                    m.gold.insert(item);
                } else {
                    m.gold.remove(&item);
                }
            }
            _ => {
                m.overlap_all = !m.overlap_all;
                let percent = if m.overlap_all { 100 } else { 0 };
                let (s, b) = c
                    .call(
                        Method::PUT,
                        "/projects/alpha/overlap",
                        Some(c.token("olga")),
                        Some(json!({ "percent": percent })),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
            }
        }
    }
    assert!(checked >= 30, "only {checked} leases checked");
}

/// Owners invite by name and the user joins by accepting: the owner's answer is the same for a
/// name no user has (no enumeration), the invited user sees and answers their invitations, and
/// owners list and withdraw them.
async fn invitations(c: &Ctx) {
    let put = |name: String, role: &'static str| async move {
        let path = format!("/projects/alpha/members/{name}");
        c.call(
            Method::PUT,
            &path,
            Some(c.token("olga")),
            Some(json!({ "role": role })),
        )
        .await
    };
    let get = |user: &'static str, path: &'static str| {
        c.call(Method::GET, path, Some(c.token(user)), None)
    };
    let accept = || {
        let path = "/invitations/alpha/accept";
        c.call(Method::POST, path, Some(c.token("bert")), None)
    };
    // A user who exists and a name nobody has get the same answer.
    let (s1, b1) = put("bert".into(), "annotator").await;
    let (s2, b2) = put("nobody-by-this-name".into(), "annotator").await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(
        (b1["status"].as_str(), b2["status"].as_str()),
        (Some("invited"), Some("invited"))
    );
    assert_eq!(b1["role"], b2["role"]);
    // Invited is not a member yet.
    assert_eq!(
        get("bert", "/projects/alpha").await.0,
        StatusCode::NOT_FOUND
    );
    let (s, mine) = get("bert", "/invitations").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(
        (
            mine[0]["project"].as_str(),
            mine[0]["role"].as_str(),
            mine[0]["invited_by"].as_str()
        ),
        (Some("alpha"), Some("annotator"), Some("olga"))
    );
    assert_eq!(get("amy", "/invitations").await.1, json!([]));
    // Owners list the project's invitations; annotators may not.
    let (s, pending) = get("olga", "/projects/alpha/invitations").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bert", "nobody-by-this-name"]);
    assert_eq!(
        get("ann", "/projects/alpha/invitations").await.0,
        StatusCode::FORBIDDEN
    );
    // Declining removes it; a new invitation can be accepted, with the role it offers.
    let (s, _) = c
        .call(
            Method::DELETE,
            "/invitations/alpha",
            Some(c.token("bert")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(get("bert", "/invitations").await.1, json!([]));
    let (s, b) = accept().await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{b}"
    );
    assert_eq!(put("bert".into(), "reviewer").await.0, StatusCode::ACCEPTED);
    let (s, b) = accept().await;
    assert_eq!(
        (s, b["role"].as_str()),
        (StatusCode::OK, Some("reviewer")),
        "{b}"
    );
    let (s, detail) = get("bert", "/projects/alpha").await;
    assert_eq!(
        (s, detail["role"].as_str()),
        (StatusCode::OK, Some("reviewer"))
    );
    assert_eq!(get("bert", "/invitations").await.1, json!([]));
    // A member's role is set directly.
    let (s, b) = put("bert".into(), "annotator").await;
    assert_eq!(
        (s, b["status"].as_str()),
        (StatusCode::OK, Some("role_changed"))
    );
    // Owners withdraw an invitation; a name with neither membership nor invitation is 404.
    let path = "/projects/alpha/members/nobody-by-this-name";
    assert_eq!(
        c.call(Method::DELETE, path, Some(c.token("olga")), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.call(Method::DELETE, path, Some(c.token("olga")), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, pending) = get("olga", "/projects/alpha/invitations").await;
    assert_eq!(pending, json!([]));
    // Bad names and roles are refused; a project holds at most 1,000 pending invitations.
    let (s, b) = put("x".repeat(201), "annotator").await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_name"))
    );
    let (s, b) = put("carol".into(), "admin").await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_role"))
    );
    for i in 0..1000 {
        assert_eq!(
            put(format!("guest{i}"), "annotator").await.0,
            StatusCode::ACCEPTED
        );
    }
    let (s, b) = put("guest1000".into(), "annotator").await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("too_many_invitations")),
        "{b}"
    );
    // Re-inviting a pending name is not a new invitation.
    assert_eq!(
        put("guest7".into(), "reviewer").await.0,
        StatusCode::ACCEPTED
    );
}

/// One test per scenario and database, each on a fresh database and server (the first
/// failure hides nothing else).
macro_rules! scenarios {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn on_sqlite() {
                let c = super::setup("sqlite", stringify!($scenario)).await;
                super::$scenario(&c).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let c = super::setup("postgres", stringify!($scenario)).await;
                super::$scenario(&c).await;
            }
        }
    )*};
}

/// Owners see how much annotators agree on items both labeled (Cohen's kappa per pair,
/// Krippendorff's alpha, disputed labels per class); annotators do not get the figures.
async fn agreement(c: &Ctx) {
    // ann: 1,1,2,2 and olga: 1,1,2,3 on items 1–4; ann alone on item 5.
    // κ = (3/4 − 3/8) / (1 − 3/8) = 0.6; α = 1 − 7·2/38 = 12/19 (coincidences n₁=4, n₂=3, n₃=1).
    for (who, classes) in [
        ("ann", ["1", "1", "2", "2", "4"].as_slice()),
        ("olga", ["1", "1", "2", "3"].as_slice()),
    ] {
        let ops: Vec<Value> = classes
            .iter()
            .enumerate()
            .map(|(i, class)| {
                op(
                    i as u64 + 1,
                    &format!("00000{}", i + 1),
                    class,
                    100 + i as u64,
                )
            })
            .collect();
        let body = json!({"client_id": format!("{who}-agree"), "epoch": "", "ops": ops});
        let (s, b) = c
            .call(
                Method::POST,
                "/projects/alpha/sync/push",
                Some(c.token(who)),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(
            b["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["outcome"] == "applied"),
            "{b}"
        );
    }
    let (s, d) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("olga")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let a = &d["agreement"];
    assert_eq!(a["pairs"].as_array().unwrap().len(), 1, "{a}");
    assert_eq!(
        (a["pairs"][0]["a"].as_str(), a["pairs"][0]["b"].as_str()),
        (Some("ann"), Some("olga"))
    );
    assert_eq!(a["pairs"][0]["items"], 4);
    assert!(
        (a["pairs"][0]["kappa"].as_f64().unwrap() - 0.6).abs() < 1e-9,
        "{a}"
    );
    assert_eq!(a["alpha_items"], 4);
    assert!(
        (a["alpha"].as_f64().unwrap() - 12.0 / 19.0).abs() < 1e-9,
        "{a}"
    );
    let disputed = |class: &str| {
        let line = a["per_class"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["class"] == class)
            .unwrap();
        (
            line["labels"].as_u64().unwrap(),
            line["disputed"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        [disputed("1"), disputed("2"), disputed("3"), disputed("4")],
        [(4, 0), (3, 1), (1, 1), (0, 0)]
    );
    let (_, mine) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("ann")),
            None,
        )
        .await;
    assert!(
        mine["agreement"].is_null(),
        "annotators see no figures about others' labels: {mine}"
    );
    let (_, rev) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("rev")),
            None,
        )
        .await;
    assert_eq!(
        rev["agreement"]["pairs"][0]["items"], 4,
        "reviewers see them"
    );
}

/// A review op: `action` on `target`'s label of `item`, setting `class`.
fn review_op(seq: u64, item: &str, target: &str, action: &str, class: &str, wall: u64) -> Value {
    json!({"seq": seq, "op_id": format!("rev-{item}-{wall}"), "item_id": item, "target": target,
           "kind": "upsert",
           // Whatever a client claims as reviewer or original is replaced by the server.
           "value": {"class": class, "review": {"action": action, "reviewer": "someone-else",
                     "original": "x", "reason": (action == "flag").then_some("blurry")}},
           "hlc": {"wall": wall, "counter": 0}})
}

async fn review(c: &Ctx) {
    let me = |user: &'static str| async move {
        let (_, b) = c.call(Method::GET, "/me", Some(c.token(user)), None).await;
        b["id"].as_str().unwrap().to_string()
    };
    let (ann, amy, rev) = (me("ann").await, me("amy").await, me("rev").await);
    let push =
        |user: &'static str, client: &'static str, ops: Vec<Value>| c.push(user, client, ops);
    // ann labels items 1–3 (with the model's suggestion "3"), amy item 1.
    let (s, b) = push(
        "ann",
        "ann-r",
        vec![
            op(1, "000001", "1", 100),
            op(2, "000002", "2", 101),
            op(3, "000003", "3", 102),
        ],
    )
    .await;
    assert_eq!(
        (s, outcomes(&b)),
        (StatusCode::OK, vec!["applied".to_string(); 3])
    );
    let (_, b) = push("amy", "amy-r", vec![op(1, "000001", "1", 100)]).await;
    assert_eq!(outcomes(&b), vec!["applied"]);
    // An annotator cannot review a colleague's label (or mark their own as reviewed).
    let (s, b) = push(
        "amy",
        "amy-r",
        vec![
            review_op(2, "000001", &ann, "correct", "9", 110),
            review_op(3, "000001", &amy, "accept", "1", 111),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(outcomes(&b), vec!["rejected", "rejected"], "{b}");
    assert!(
        b["results"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot review"),
        "{b}"
    );
    // The reviewer corrects ann's item 2, flags her item 3, accepts amy's item 1, and names
    // someone who does not label here (the reviewer themself).
    let reviews = vec![
        review_op(1, "000002", &ann, "correct", "7", 200),
        review_op(2, "000003", &ann, "flag", "3", 201),
        review_op(3, "000001", &amy, "accept", "1", 202),
        review_op(4, "000009", &rev, "correct", "1", 203),
    ];
    let (s, first) = push("rev", "rev-r", reviews.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        outcomes(&first),
        vec!["applied", "applied", "applied", "rejected"],
        "{first}"
    );
    assert!(
        first["results"][3]["reason"]
            .as_str()
            .unwrap()
            .contains("does not label"),
        "{first}"
    );
    // Idempotent: the same push again answers the same and stores nothing new.
    let (_, again) = push("rev", "rev-r", reviews).await;
    assert_eq!(again, first);
    let (_, history) = c
        .call(
            Method::GET,
            "/projects/alpha/items/000002/history",
            Some(c.token("olga")),
            None,
        )
        .await;
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{history}");
    assert_eq!(
        (
            events[1]["annotator_id"].as_str(),
            events[1]["author_id"].as_str()
        ),
        (Some(ann.as_str()), Some(rev.as_str())),
        "the review is in the audit history, with who sent it"
    );
    // ann pulls her own labels: item 2 is corrected, with provenance; her suggestion stays.
    let (_, pulled) = c
        .call(
            Method::GET,
            "/projects/alpha/sync/pull",
            Some(c.token("ann")),
            None,
        )
        .await;
    let change = |item: &str| -> Value {
        pulled["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|ch| ch["item_id"] == item)
            .cloned()
            .unwrap()
    };
    let v2 = change("000002")["value"].clone();
    assert_eq!(v2["class"], "7", "{v2}");
    assert_eq!(v2["review"]["action"], "correct");
    assert_eq!(
        v2["review"]["reviewer"],
        rev.as_str(),
        "the server names the reviewer"
    );
    assert_eq!(
        v2["review"]["original"], "2",
        "the server records what was reviewed"
    );
    assert_eq!(
        (v2["suggestion"].as_str(), v2["accepted"].as_bool()),
        (Some("3"), Some(false))
    );
    assert_eq!(change("000003")["value"]["review"]["reason"], "blurry");
    // Last writer wins between annotator and reviewer: ann's offline relabel from before the
    // review loses; a later one replaces the review.
    let (_, b) = push(
        "ann",
        "ann-r",
        vec![op(4, "000002", "5", 150), op(5, "000003", "4", 300)],
    )
    .await;
    assert_eq!(outcomes(&b), vec!["superseded", "applied"], "{b}");
    // Owners see review figures per annotator; agreement uses what annotators said.
    let (_, d) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("olga")),
            None,
        )
        .await;
    let line = |name: &str| annotator_line(&d, name);
    assert_eq!(
        (
            line("ann")["reviewed"].as_u64(),
            line("ann")["corrected"].as_u64()
        ),
        (Some(1), Some(1)),
        "{d}"
    );
    assert_eq!(line("amy")["reviewed"], 1);
    // Export carries the verdicts.
    let (_, csv) = c
        .call(
            Method::GET,
            "/projects/alpha/labels/export?format=csv",
            Some(c.token("rev")),
            None,
        )
        .await;
    let csv = csv.as_str().unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("review,reviewer,review_reason,original_label"),
        "{csv}"
    );
    let row = csv.lines().find(|l| l.starts_with("000002,ann,")).unwrap();
    assert!(
        row.contains(",7,") && row.contains(",correct,rev,,2,"),
        "{row}"
    );
    // A review batch: labeled items with content, for the reviewer's browser.
    let (s, batch) = c
        .call(
            Method::POST,
            "/projects/alpha/review/items",
            Some(c.token("rev")),
            Some(json!({"limit": 10, "exclude": ["000001"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{batch}");
    let ids: Vec<&str> = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["000002", "000003"], "{batch}");
    assert_eq!(batch["labeled"], 3);
    assert!(
        !batch["items"][0]["content_b64"]
            .as_str()
            .unwrap()
            .is_empty()
    );
}

async fn overlap(c: &Ctx) {
    let lease = |user: &'static str, limit: usize| c.lease(user, json!({ "limit": limit }));
    let ids = item_ids;
    let set = |percent: i64, user: &'static str| {
        c.call(
            Method::PUT,
            "/projects/alpha/overlap",
            Some(c.token(user)),
            Some(json!({ "percent": percent })),
        )
    };
    assert_eq!(set(150, "olga").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(set(100, "ann").await.0, StatusCode::FORBIDDEN);
    let (s, b) = set(100, "olga").await;
    assert_eq!((s, b["percent"].as_i64()), (StatusCode::OK, Some(100)));
    let (_, detail) = c
        .call(Method::GET, "/projects/alpha", Some(c.token("olga")), None)
        .await;
    assert_eq!(detail["overlap_percent"], 100);
    // ann leases and labels three items; with 100% overlap they go to a second annotator.
    let (_, first) = lease("ann", 3).await;
    let labeled = ids(&first);
    let ops: Vec<Value> = labeled
        .iter()
        .enumerate()
        .map(|(i, id)| op(i as u64 + 1, id, "1", 100 + i as u64))
        .collect();
    let (s, _) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            Some(c.token("ann")),
            Some(json!({"client_id": "ann-o", "epoch": "", "ops": ops})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, second) = lease("amy", 30).await;
    let amy = ids(&second);
    assert!(
        labeled.iter().all(|id| amy.contains(id)),
        "the second annotator gets the labeled overlap items: {amy:?}"
    );
    // Without seeing the first label: amy's pull holds none of ann's labels.
    let (_, pulled) = c
        .call(
            Method::GET,
            "/projects/alpha/sync/pull",
            Some(c.token("amy")),
            None,
        )
        .await;
    assert_eq!(pulled["changes"], json!([]), "{pulled}");
    // ann is never handed her own labeled items again.
    let (_, again) = lease("ann", 50).await;
    assert!(ids(&again).iter().all(|id| !labeled.contains(id)));
    // amy labels the first: it has its two labels and leaves every pool; the other two are
    // held by amy, so nobody else gets them.
    let (s, _) = c
        .call(
            Method::POST,
            "/projects/alpha/sync/push",
            Some(c.token("amy")),
            Some(json!({"client_id": "amy-o", "epoch": "", "ops": [op(1, &labeled[0], "2", 200)]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, third) = lease("olga", 30).await;
    assert!(
        ids(&third).iter().all(|id| !labeled.contains(id)),
        "{:?}",
        ids(&third)
    );
    // The pair's agreement rests on the one item both labeled.
    let (_, d) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("olga")),
            None,
        )
        .await;
    assert_eq!(d["agreement"]["pairs"][0]["items"], 1, "{d}");
    // With no overlap, a labeled item is never leased again.
    let (s, _) = set(0, "olga").await;
    assert_eq!(s, StatusCode::OK);
    let (_, b) = c
        .call(
            Method::POST,
            "/projects/alpha/leases",
            Some(c.token("rev")),
            Some(json!({"limit": 5})),
        )
        .await;
    assert_eq!(b["code"], "forbidden", "reviewers do not label: {b}");
    let (_, after) = lease("olga", 100).await;
    assert!(ids(&after).iter().all(|id| !labeled.contains(id)));
}

async fn gold(c: &Ctx) {
    let mark = |user: &'static str, item: &'static str, class: Value| async move {
        let path = format!("/projects/alpha/items/{item}/gold");
        c.call(
            Method::PUT,
            &path,
            Some(c.token(user)),
            Some(json!({ "class": class })),
        )
        .await
    };
    assert_eq!(
        mark("ann", "000001", json!("3")).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, b) = mark("olga", "000001", json!("cat")).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_class"))
    );
    assert_eq!(
        mark("olga", "nope", json!("3")).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, b) = mark("olga", "000001", json!("3")).await;
    assert_eq!((s, b["class"].as_str()), (StatusCode::OK, Some("3")));
    let lease = |user: &'static str| c.lease(user, json!({"limit": 5}));
    let has_gold = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == "000001")
    };
    // Every annotator is handed the gold item (the lease says nothing about it), however many
    // labeled it before.
    let (_, a) = lease("ann").await;
    assert!(has_gold(&a), "{a}");
    assert!(
        !a.to_string().contains("gold"),
        "the answer is not in the lease: {a}"
    );
    for (who, class) in [("ann", "3"), ("amy", "5")] {
        let (_, l) = lease(who).await;
        assert!(has_gold(&l), "{who} gets the gold item: {l}");
        let (s, _) = c
            .push(who, &format!("{who}-g"), vec![op(1, "000001", class, 100)])
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (_, again) = lease("ann").await;
    assert!(!has_gold(&again), "not after she labeled it");
    // Owners see each annotator's accuracy on gold items; others do not.
    let (_, d) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("olga")),
            None,
        )
        .await;
    let line = annotator_line;
    assert_eq!(
        (
            line(&d, "ann")["gold_items"].as_u64(),
            line(&d, "ann")["gold_accuracy"].as_f64()
        ),
        (Some(1), Some(1.0)),
        "{d}"
    );
    assert_eq!(line(&d, "amy")["gold_accuracy"].as_f64(), Some(0.0));
    let (_, mine) = c
        .call(
            Method::GET,
            "/projects/alpha/dashboard",
            Some(c.token("ann")),
            None,
        )
        .await;
    assert!(line(&mine, "ann")["gold_items"].is_null(), "{mine}");
    // Unmarked, the item is an ordinary labeled one again.
    assert_eq!(mark("olga", "000001", Value::Null).await.0, StatusCode::OK);
    let (_, l) = lease("olga").await;
    assert!(!has_gold(&l));
}

scenarios!(
    auth_and_isolation,
    roles,
    push_pull,
    limits_and_malformed,
    items_and_models,
    leases_and_history,
    agreement,
    review,
    overlap,
    gold,
    available_counts_what_a_lease_could_hand_out,
    invitations,
);
