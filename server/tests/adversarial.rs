//! Hostile and careless input against a real `kindling serve` (see docs/security.md): poisoned
//! sync clocks, borrowed op ids, oversized fields, active content, uploads from the wrong role,
//! slow headers, token guessing, membership rules, spreadsheet formulas, lease hoarding.
//! The database-backed scenarios run on SQLite and on PostgreSQL.

mod harness;

use std::time::{Duration, Instant};

use harness::{Server, call_json, cli, fresh_db, scratch, seed_project};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
        user: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call_json(
            &self.http,
            self.server.url(path),
            method,
            Some(&self.tokens[user]),
            body,
        )
        .await
    }

    async fn push(&self, user: &str, client: &str, ops: Vec<Value>) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/projects/alpha/sync/push",
            user,
            Some(json!({"client_id": client, "epoch": "", "ops": ops})),
        )
        .await
    }

    async fn pull_all(&self, user: &str) -> Vec<Value> {
        let (s, b) = self
            .call(Method::GET, "/projects/alpha/sync/pull", user, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["changes"].as_array().unwrap().clone()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn op(seq: u64, op_id: &str, item: &str, class: &str, wall: u64, counter: u64) -> Value {
    json!({"seq": seq, "op_id": op_id, "item_id": item, "kind": "upsert",
           "value": {"class": class}, "hlc": {"wall": wall, "counter": counter}})
}

async fn setup(kind: &str) -> Ctx {
    let db = fresh_db(kind, "adversarial");
    let tokens = seed_project(
        &db,
        "alpha",
        &[
            ("olga", "owner"),
            ("ann", "annotator"),
            ("amy", "annotator"),
            ("rev", "reviewer"),
        ],
        30,
    );
    cli(&[
        "admin",
        "project-create",
        "--id",
        "notes",
        "--name",
        "Notes",
        "--task",
        "text",
        "--labels",
        "ham,spam",
        "--owner",
        "olga",
        "--db",
        &db,
    ]);
    Ctx {
        server: Server::start(&db).await,
        http: Client::builder().pool_max_idle_per_host(0).build().unwrap(),
        tokens,
    }
}

/// A label pushed with a clock ten years ahead (or at u64::MAX) is kept, but stored with a
/// wall at most minutes ahead: pulls stay within JSON's exact integers, and a later write
/// from a correct clock still wins.
async fn a_clock_far_ahead_is_bounded_and_does_not_win_later_writes(c: &Ctx) {
    let ten_years = now_ms() + 10 * 365 * 24 * 3600 * 1000;
    let (s, b) = c
        .push(
            "ann",
            "ann-clock",
            vec![
                op(1, "clock-1", "000001", "1", ten_years, 0),
                op(2, "clock-2", "000002", "2", u64::MAX, u32::MAX as u64),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "applied"),
        "the labels are kept: {b}"
    );
    let limit = now_ms() + 5 * 60 * 1000 + 1000;
    for change in c.pull_all("olga").await {
        let wall = change["hlc"]["wall"].as_u64().unwrap();
        assert!(wall <= limit && wall < (1 << 53), "stored wall {wall}");
        assert!(change["hlc"]["counter"].as_u64().unwrap() <= 1 << 20);
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The same person, later, from a device whose clock is right (but also a bit ahead, so the
    // comparison is with the bounded wall): the later write wins.
    let (s, b) = c
        .push(
            "ann",
            "ann-right-clock",
            vec![op(1, "clock-3", "000001", "7", now_ms() + 6 * 60 * 1000, 0)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["results"][0]["outcome"], "applied", "{b}");
}

/// Another member sending someone's (predictable) op ids first does not make that person's
/// ops come back `duplicate`: op ids are unique per annotator.
async fn another_members_op_ids_do_not_swallow_mine(c: &Ctx) {
    let now = now_ms();
    let (_, b) = c
        .push(
            "amy",
            "amy-thief",
            vec![op(1, "ann-victim:1:0", "000010", "3", now, 0)],
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "applied");
    let (_, b) = c
        .push(
            "ann",
            "ann-victim",
            vec![op(1, "ann-victim:1:0", "000011", "4", now, 0)],
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "applied", "{b}");
    let mine = c.pull_all("ann").await;
    assert!(
        mine.iter()
            .any(|ch| ch["item_id"] == "000011" && ch["value"]["class"] == "4")
    );
}

/// Oversized op fields are refused and nothing is stored.
async fn oversized_op_fields_are_refused(c: &Ctx) {
    let before = c.pull_all("olga").await;
    let long = "x".repeat(129);
    let (s, b) = c
        .push(
            "ann",
            "ann-fields",
            vec![op(1, &long, "000012", "1", now_ms(), 0)],
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_op_id"))
    );
    let mut big = op(1, "fields-1", "000012", "1", now_ms(), 0);
    big["value"]["suggestion"] = json!("y".repeat(200_000));
    big["value"]["model_version"] = json!("v".repeat(200_000));
    let (s, b) = c.push("ann", "ann-fields", vec![big]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["results"][0]["outcome"], "rejected", "{b}");
    assert_eq!(c.pull_all("olga").await, before, "nothing was stored");
}

async fn put_item(
    c: &Ctx,
    project: &str,
    id: &str,
    ct: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let resp = c
        .http
        .put(c.server.url(&format!("/projects/{project}/items/{id}")))
        .bearer_auth(&c.tokens["olga"])
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Items a browser would run (SVG with a script, HTML), undecodable or empty images, and
/// items of the wrong kind are refused; every API answer tells browsers not to sniff, run or
/// frame it.
async fn active_content_and_undecodable_items_are_refused(c: &Ctx) {
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let cases: Vec<(&str, &str, &str, Vec<u8>, &str)> = vec![
        (
            "alpha",
            "svg",
            "image/svg+xml",
            svg,
            "unsupported_media_type",
        ),
        (
            "notes",
            "html",
            "text/html",
            b"<script>alert(1)</script>".to_vec(),
            "unsupported_media_type",
        ),
        ("alpha", "empty", "image/png", vec![], "invalid_image"),
        (
            "alpha",
            "garbage",
            "image/jpeg",
            b"not a jpeg at all".to_vec(),
            "invalid_image",
        ),
        (
            "alpha",
            "text-in-image",
            "text/plain",
            b"hello".to_vec(),
            "wrong_item_kind",
        ),
        (
            "notes",
            "blank",
            "text/plain",
            b"  \n".to_vec(),
            "invalid_text",
        ),
    ];
    for (project, id, ct, body, code) in cases {
        let (s, b) = put_item(c, project, id, ct, body).await;
        assert!(s.is_client_error(), "{id}: {s}");
        assert_eq!(b["code"], code, "{id}: {b}");
    }
    let resp = c
        .http
        .get(c.server.url("/projects/alpha/items/000001/content"))
        .bearer_auth(&c.tokens["ann"])
        .send()
        .await
        .unwrap();
    let h = resp.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let resp = c.http.get(c.server.url("/nothing")).send().await.unwrap();
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}

/// Sends a request head with `Content-Length` but no body; returns the status line and how
/// long the answer took.
async fn declared_upload(
    c: &Ctx,
    method: &str,
    path: &str,
    user: &str,
    length: u64,
) -> (String, Duration) {
    let addr = c.server.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "{method} /api/v1{path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n",
        c.tokens[user]
    );
    let start = Instant::now();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("an answer before any body byte was sent")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    (
        text.lines().next().unwrap_or("").to_string(),
        start.elapsed(),
    )
}

/// A wrong role's upload is refused before its body is read, and a declared length over the
/// limit is refused from the header.
async fn uploads_are_refused_before_their_bodies_are_read(c: &Ctx) {
    let (line, _) =
        declared_upload(c, "PUT", "/projects/alpha/items/big", "ann", 100_000_000).await;
    assert!(line.contains("403"), "{line}");
    let (line, _) = declared_upload(c, "POST", "/projects/alpha/models", "rev", 200_000_000).await;
    assert!(line.contains("403"), "{line}");
    let (line, _) =
        declared_upload(c, "PUT", "/projects/alpha/items/big", "olga", 100_000_000).await;
    assert!(line.contains("413"), "{line}");
}

/// Owners cannot leave a project ownerless; owners remove members and members leave; a
/// removed member's labels stay; reviewers cannot remove others.
async fn membership_keeps_an_owner_and_members_can_leave(c: &Ctx) {
    let (s, b) = c
        .call(
            Method::PUT,
            "/projects/alpha/members/olga",
            "olga",
            Some(json!({"role": "annotator"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_owner"))
    );
    let (s, b) = c
        .call(Method::DELETE, "/projects/alpha/members/olga", "olga", None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_owner"))
    );
    let (s, _) = c
        .call(Method::DELETE, "/projects/alpha/members/ann", "rev", None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, b) = c
        .push(
            "amy",
            "amy-leaving",
            vec![op(1, "leave-1", "000020", "5", now_ms(), 0)],
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "applied");
    let (s, _) = c
        .call(Method::DELETE, "/projects/alpha/members/amy", "amy", None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = c.call(Method::GET, "/projects/alpha", "amy", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a former member sees nothing");
    let kept = c.pull_all("olga").await;
    assert!(
        kept.iter().any(|ch| ch["item_id"] == "000020"),
        "the labels of a member who left stay"
    );
    let (s, b) = c
        .call(
            Method::POST,
            "/projects",
            "ann",
            Some(json!({"name": "Mine", "task": "image", "labels": ["a", "b"]})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("project_creation_closed"))
    );
}

/// Annotators see their own counts and override rates only (pulls show them only their own
/// labels); owners see everyone's.
async fn annotators_see_only_their_own_figures(c: &Ctx) {
    let (_, b) = c
        .push(
            "ann",
            "ann-figures",
            vec![op(1, "fig-1", "000021", "6", now_ms(), 0)],
        )
        .await;
    assert_eq!(b["results"][0]["outcome"], "applied");
    let (_, mine) = c.call(Method::GET, "/projects/alpha", "ann", None).await;
    let names: Vec<&String> = mine["progress"]["per_annotator"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, vec!["ann"], "{mine}");
    let (_, dash) = c
        .call(Method::GET, "/projects/alpha/dashboard", "ann", None)
        .await;
    let names: Vec<&str> = dash["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ann"]);
    let (_, all) = c.call(Method::GET, "/projects/alpha", "olga", None).await;
    assert!(all["progress"]["per_annotator"].as_object().unwrap().len() >= 2);
}

/// A suggestion written like a spreadsheet formula is exported as text.
async fn csv_export_neutralizes_formulas(c: &Ctx) {
    let mut o = op(1, "csv-1", "000022", "1", now_ms(), 0);
    o["value"]["suggestion"] = json!("=HYPERLINK(\"http://evil\",\"x\")");
    let (_, b) = c.push("ann", "ann-csv", vec![o]).await;
    assert_eq!(b["results"][0]["outcome"], "applied");
    let csv = c
        .http
        .get(c.server.url("/projects/alpha/labels/export?format=csv"))
        .bearer_auth(&c.tokens["olga"])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = csv.lines().find(|l| l.starts_with("000022,")).unwrap();
    assert!(row.contains("\"'=HYPERLINK("), "{row}");
}

/// A method a route does not take gets `{code, message}` like every other error.
async fn wrong_methods_answer_json(c: &Ctx) {
    let (s, b) = c
        .call(Method::DELETE, "/projects/alpha/items", "olga", None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

/// One lease answer carries at most 32 MiB of content, and no one holds more than 2,000
/// unlabeled items of a project at once.
async fn leases_are_capped_in_bytes_and_per_person(c: &Ctx) {
    let twelve_mib = "a".repeat(12 << 20).into_bytes();
    for id in ["huge-1", "huge-2", "huge-3"] {
        let mut body = twelve_mib.clone();
        body.extend_from_slice(id.as_bytes());
        let (s, b) = put_item(c, "notes", id, "text/plain", body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = c
        .call(
            Method::POST,
            "/projects/notes/leases",
            "olga",
            Some(json!({"limit": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["items"].as_array().unwrap().len(), 2, "32 MiB at most");
    let mut held: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let jsonl = scratch("hoard.jsonl");
    let lines: Vec<String> = (0..2100)
        .map(|i| json!({"id": format!("note-{i}"), "text": format!("note number {i}")}).to_string())
        .collect();
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    cli(&[
        "admin",
        "import",
        "--project",
        "notes",
        "--data",
        jsonl.to_str().unwrap(),
        "--db",
        &c.server.db,
    ]);
    for _ in 0..3 {
        let (s, b) = c
            .call(
                Method::POST,
                "/projects/notes/leases",
                "olga",
                Some(json!({"limit": 1000, "exclude": held})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        held.extend(
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(held.len(), 2000, "a person holds at most 2,000 items");
}

/// Leases at the same moment (several people, several API processes) all succeed and never
/// hand one item to two people: the lease takes the project's row lock (PostgreSQL answered
/// 503 on a primary-key clash before; the load benchmark found it).
async fn concurrent_leases_succeed_and_never_share_an_item(c: &Ctx) {
    let users = ["ann", "amy", "olga", "ann", "amy", "olga", "ann", "amy"];
    let tasks: Vec<_> = users
        .iter()
        .map(|u| {
            let (http, url, token) = (
                c.http.clone(),
                c.server.url("/projects/alpha/leases"),
                c.tokens[*u].clone(),
            );
            tokio::spawn(async move {
                call_json(
                    &http,
                    url,
                    Method::POST,
                    Some(&token),
                    Some(json!({"limit": 4})),
                )
                .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let mut holder = std::collections::HashMap::new();
    for (user, (s, b)) in users.iter().zip(answers) {
        assert_eq!(s, StatusCode::OK, "{user}: {b}");
        for item in b["items"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap().to_string();
            let previous = holder.insert(id.clone(), *user);
            assert!(
                previous.is_none_or(|p| p == *user),
                "{id} leased to {previous:?} and {user}"
            );
        }
    }
}

async fn suite(kind: &str) {
    let c = setup(kind).await;
    a_clock_far_ahead_is_bounded_and_does_not_win_later_writes(&c).await;
    another_members_op_ids_do_not_swallow_mine(&c).await;
    oversized_op_fields_are_refused(&c).await;
    concurrent_leases_succeed_and_never_share_an_item(&c).await;
    active_content_and_undecodable_items_are_refused(&c).await;
    uploads_are_refused_before_their_bodies_are_read(&c).await;
    annotators_see_only_their_own_figures(&c).await;
    csv_export_neutralizes_formulas(&c).await;
    wrong_methods_answer_json(&c).await;
    membership_keeps_an_owner_and_members_can_leave(&c).await;
    leases_are_capped_in_bytes_and_per_person(&c).await;
}

#[tokio::test]
async fn adversarial_on_sqlite() {
    suite("sqlite").await;
}

#[tokio::test]
async fn adversarial_on_postgres() {
    suite("postgres").await;
}

/// Clients that never finish their headers are disconnected after the header timeout, and
/// with all connection slots taken by them a real request still gets through.
#[tokio::test]
async fn slow_headers_are_cut_off_and_connections_are_capped() {
    let db = fresh_db("sqlite", "slowloris");
    cli(&["admin", "user-add", "nobody", "--db", &db]);
    let server = Server::start_with(
        &db,
        &["--header-timeout-secs", "1", "--max-connections", "8"],
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    let start = Instant::now();
    let ok = tokio::time::timeout(
        Duration::from_secs(15),
        reqwest::get(format!("{}/healthz", server.base)),
    )
    .await
    .expect("a real request gets a slot within 15 s")
    .unwrap();
    assert!(ok.status().is_success());
    // The first slow connection is closed by the server (EOF), long before any 60 s limit.
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), slow[0].read(&mut buf))
        .await
        .expect("the server ends a connection whose headers never finish")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    eprintln!(
        "real request answered after {:?} with 20 slow clients on 8 slots",
        start.elapsed()
    );
}

/// After `--max-failed-auth` bad tokens from one address, that address gets 429 (valid tokens
/// too, until the minute ends); with `--open-project-creation` members may create projects.
#[tokio::test]
async fn token_guessing_is_rate_limited_and_project_creation_can_be_opened() {
    let db = fresh_db("sqlite", "ratelimit");
    cli(&["admin", "user-add", "eve", "--db", &db]);
    let token = cli(&["admin", "token-create", "eve", "--db", &db]);
    let server =
        Server::start_with(&db, &["--max-failed-auth", "5", "--open-project-creation"]).await;
    let http = Client::new();
    let (s, b) = call_json(
        &http,
        server.url("/projects"),
        Method::POST,
        Some(&token),
        Some(json!({"name": "Eve's", "task": "text", "labels": ["a", "b"]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for i in 0..5 {
        let (s, _) = call_json(
            &http,
            server.url("/me"),
            Method::GET,
            Some(&format!("kt_guess{i}")),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, b) = call_json(
        &http,
        server.url("/me"),
        Method::GET,
        Some("kt_guess6"),
        None,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some("too_many_failed_attempts")
        )
    );
    let (s, _) = call_json(&http, server.url("/me"), Method::GET, Some(&token), None).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "blocked before any token lookup"
    );
}

/// Behind a trusted reverse proxy failed sign-ins count per client (the rightmost untrusted
/// `X-Forwarded-For` hop), so one person's stale tokens do not lock everyone out; without
/// `--trusted-proxy` the header is ignored and a client cannot dodge the limit by forging it.
#[tokio::test]
async fn failed_sign_ins_count_per_forwarded_client_only_behind_a_trusted_proxy() {
    let http = Client::new();
    let guess = |server: &Server, forwarded: &'static str| {
        http.get(server.url("/me"))
            .bearer_auth("kt_guess")
            .header("X-Forwarded-For", forwarded)
            .send()
    };
    let db = fresh_db("sqlite", "proxy_trusted");
    let server = Server::start_with(
        &db,
        &["--max-failed-auth", "3", "--trusted-proxy", "127.0.0.1"],
    )
    .await;
    for _ in 0..3 {
        let r = guess(&server, "198.51.100.1, 203.0.113.1").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = guess(&server, "203.0.113.1").await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "203.0.113.1 is blocked"
    );
    // The forged leftmost entry was not the client: a request from 198.51.100.1 is not blocked,
    // nor is another client behind the same proxy.
    for forwarded in ["198.51.100.1", "203.0.113.2"] {
        let r = guess(&server, forwarded).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{forwarded}");
    }

    let db = fresh_db("sqlite", "proxy_untrusted");
    let server = Server::start_with(&db, &["--max-failed-auth", "3"]).await;
    for i in 0..3 {
        let r = guess(&server, ["203.0.113.1", "203.0.113.2", "203.0.113.3"][i])
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = guess(&server, "203.0.113.4").await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a forged header does not buy new attempts"
    );
}

/// SIGTERM (what systemd and containers send) ends `kindling serve` cleanly.
#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let db = fresh_db("sqlite", "sigterm");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(harness::BIN)
        .args(["serve", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "still running 15 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
