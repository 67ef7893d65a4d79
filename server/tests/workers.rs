//! Training jobs in `kindling worker` processes beside `kindling serve --no-jobs`, sharing
//! PostgreSQL: a job runs under its worker's lease; another live runner never takes it; when
//! its worker dies, another worker takes it over once the lease runs out.

mod harness;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::{BIN, Server, call_json, fresh_db, postgres_url, seed_project};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// A `kindling worker` process and the runner id it printed.
struct Worker {
    child: Child,
    runner: String,
}

impl Worker {
    fn start(db: &str) -> Worker {
        let mut child = Command::new(BIN)
            .args(["worker", "--db", db, "--job-lease-secs", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kindling worker starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let runner = line
            .split_whitespace()
            .find(|w| w.starts_with("r_"))
            .unwrap_or_else(|| panic!("the worker names its runner: {line}"))
            .to_string();
        Worker { child, runner }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn job(http: &Client, server: &Server, token: &str, id: &str) -> Value {
    let (s, j) = call_json(
        http,
        server.url(&format!("/projects/alpha/jobs/{id}")),
        Method::GET,
        Some(token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{j}");
    j
}

async fn wait_for(
    http: &Client,
    server: &Server,
    token: &str,
    id: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let j = job(http, server, token, id).await;
        if done(&j) {
            return j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "waited {secs} s: {j}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn workers_on_postgres_take_over_a_dead_workers_job_and_never_a_live_ones() {
    let _ = postgres_url();
    let db = fresh_db("postgres", "workers");
    let tokens = seed_project(
        &db,
        "alpha",
        &[("olga", "owner"), ("ann", "annotator")],
        120,
    );
    let mut server = Server::start_with(&db, &["--no-jobs"]).await;
    let http = Client::new();
    let ops: Vec<Value> = (0..120)
        .map(|i| {
            json!({"seq": i + 1, "op_id": format!("w-{i}"), "item_id": format!("{i:06}"), "kind": "upsert",
                   "value": {"class": (i % 10).to_string()}, "hlc": {"wall": 1000 + i, "counter": 0}})
        })
        .collect();
    let (s, b) = call_json(
        &http,
        server.url("/projects/alpha/sync/push"),
        Method::POST,
        Some(&tokens["ann"]),
        Some(json!({"client_id": "ann-w", "epoch": "", "ops": ops})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, j) = call_json(
        &http,
        server.url("/projects/alpha/jobs"),
        Method::POST,
        Some(&tokens["olga"]),
        Some(json!({"epochs": 200, "patience": 200})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let id = j["id"].as_str().unwrap().to_string();
    let owner = tokens["olga"].as_str();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let j = job(&http, &server, owner, &id).await;
    assert_eq!(j["status"], "queued", "serve --no-jobs runs no job: {j}");

    let first = Worker::start(&db);
    let j = wait_for(&http, &server, owner, &id, 30, |j| j["status"] == "running").await;
    assert_eq!(j["runner"], first.runner.as_str());

    // A second runner and a restarted API process, both for longer than a lease: the job
    // stays with the live worker (it renews its lease), on its first attempt.
    let second = Worker::start(&db);
    server.restart().await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let j = job(&http, &server, owner, &id).await;
    assert_eq!(
        (
            j["status"].as_str(),
            j["runner"].as_str(),
            j["attempts"].as_i64()
        ),
        (Some("running"), Some(first.runner.as_str()), Some(1)),
        "a live runner's job is never taken: {j}"
    );

    // The first worker dies: the second takes the job over once the lease runs out.
    let killed_at = Instant::now();
    drop(first);
    let j = wait_for(&http, &server, owner, &id, 30, |j| {
        j["runner"] == second.runner.as_str() && j["status"] == "running"
    })
    .await;
    assert_eq!(j["attempts"], 2, "{j}");
    eprintln!(
        "taken over {:?} after the worker was killed (lease 2 s)",
        killed_at.elapsed()
    );
    let (s, _) = call_json(
        &http,
        server.url(&format!("/projects/alpha/jobs/{id}/cancel")),
        Method::POST,
        Some(owner),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let j = wait_for(&http, &server, owner, &id, 60, |j| j["status"] != "running").await;
    assert_eq!(j["status"], "cancelled", "the new runner finishes it: {j}");
}
