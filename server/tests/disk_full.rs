//! A full disk: `kindling serve` on SQLite on a small tmpfs (in a private mount namespace made
//! with `unshare`, so no root is needed where user namespaces are enabled), filled up by
//! uploads. Refused writes answer 507 `storage_full` and leave nothing behind, acknowledged
//! writes stay readable, the history still replays to the labels, and writes succeed again
//! once space returns.

mod harness;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::{BIN, call_json};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// The shell run inside the namespace: mount a 6 MiB tmpfs on `$DIR`, create the database and
/// a project with the CLI, fill the disk up to its last MiB with a filler file, then serve;
/// SIGUSR1 deletes the filler (space returns), SIGTERM ends the server.
const SCRIPT: &str = r#"
set -e
mount -t tmpfs -o size=6m tmpfs "$DIR"
DB="sqlite://$DIR/k.db"
"$BIN" admin user-add olga --db "$DB" > /dev/null
"$BIN" admin token-create olga --db "$DB" > "$OUT/token"
"$BIN" admin project-create --id notes --name Notes --task text --labels ham,spam --owner olga --db "$DB" > /dev/null
dd if=/dev/zero of="$DIR/filler" bs=64k 2> /dev/null || true
truncate -s -1M "$DIR/filler"
"$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" > /dev/null 2> "$OUT/serve.log" &
pid=$!
trap 'rm -f "$DIR/filler"' USR1
trap 'kill $pid; wait $pid; exit 0' TERM
while kill -0 $pid 2> /dev/null; do wait $pid || true; done
"#;

struct Namespace {
    child: Child,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn upload(http: &Client, base: &str, token: &str, id: &str, text: &str) -> StatusCode {
    http.put(format!("{base}/api/v1/projects/notes/items/{id}"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(text.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

async fn content(http: &Client, base: &str, token: &str, id: &str) -> (StatusCode, String) {
    let r = http
        .get(format!("{base}/api/v1/projects/notes/items/{id}/content"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_full_disk_answers_storage_full_loses_nothing_and_recovers() {
    let out = std::env::temp_dir().join(format!("kindling-diskfull-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mount = out.join("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ns = Namespace {
        child: Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "sh", "-c", SCRIPT])
            .env("DIR", &mount)
            .env("OUT", &out)
            .env("BIN", BIN)
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare runs (util-linux)"),
    };
    let base = format!("http://127.0.0.1:{port}");
    let http = Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        up,
        "the server in the namespace came up (unshare needs user namespaces): {}",
        std::fs::read_to_string(out.join("serve.log")).unwrap_or_default()
    );
    let token = std::fs::read_to_string(out.join("token"))
        .unwrap()
        .trim()
        .to_string();

    // Fill the last MiB with 100 KiB texts until the server says the disk is full.
    let mut stored = Vec::new();
    let mut refused = None;
    for i in 0..60 {
        let id = format!("t{i}");
        let text = format!("{i} {}", "words ".repeat(17_000));
        let status = upload(&http, &base, &token, &id, &text).await;
        if status == StatusCode::CREATED {
            stored.push((id, text));
        } else {
            assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "upload {i}");
            refused = Some((id, text));
            break;
        }
    }
    let (refused_id, refused_text) = refused.expect("the disk filled up within 6 MiB of uploads");
    eprintln!(
        "{} uploads of 100 KiB fitted, then 507 storage_full",
        stored.len()
    );
    let (s, b) = call_json(
        &http,
        format!("{base}/api/v1/projects/notes/items/x-full"),
        Method::PUT,
        Some(&token),
        Some(json!("one more")),
    )
    .await;
    // A JSON body is not text/plain (415) — the point is the server still answers clearly.
    assert!(
        s.is_client_error() || s == StatusCode::INSUFFICIENT_STORAGE,
        "{s} {b}"
    );
    assert!(
        !stored.is_empty(),
        "some uploads fitted before the disk was full"
    );
    for (id, text) in &stored {
        assert_eq!(
            content(&http, &base, &token, id).await,
            (StatusCode::OK, text.clone()),
            "acknowledged item {id} is intact"
        );
    }
    assert_eq!(
        content(&http, &base, &token, &refused_id).await.0,
        StatusCode::NOT_FOUND,
        "the refused upload left nothing"
    );
    let (s, b) = call_json(
        &http,
        format!("{base}/api/v1/projects/notes"),
        Method::GET,
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "reads work on a full disk: {b}");
    assert_eq!(b["progress"]["items"], Value::from(stored.len()));

    // Space returns: the same upload now succeeds, and labels sync.
    let freed = Command::new("kill")
        .args(["-USR1", &ns.child.id().to_string()])
        .status()
        .unwrap();
    assert!(freed.success());
    let mut status = StatusCode::INSUFFICIENT_STORAGE;
    for _ in 0..50 {
        status = upload(&http, &base, &token, &refused_id, &refused_text).await;
        if status == StatusCode::CREATED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::CREATED,
        "writes work again once space returns"
    );
    let ops: Vec<Value> = stored
        .iter()
        .enumerate()
        .map(|(i, (id, _))| json!({"seq": i + 1, "op_id": format!("df-{i}"), "item_id": id, "kind": "upsert",
                                   "value": {"class": "ham"}, "hlc": {"wall": 1000 + i, "counter": 0}}))
        .collect();
    let (s, b) = call_json(
        &http,
        format!("{base}/api/v1/projects/notes/sync/push"),
        Method::POST,
        Some(&token),
        Some(json!({"client_id": "olga-df", "epoch": "", "ops": ops})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "applied")
    );
    drop(ns);
    let _ = std::fs::remove_dir_all(&out);
}
