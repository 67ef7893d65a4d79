//! Training jobs against a real `kindling serve` (SQLite and PostgreSQL): one active job per
//! project, cancellation, a restart mid-job, evaluation labels never trained on, and a version
//! that does not beat the current one on the evaluation set kept as a candidate.

mod harness;

use std::time::{Duration, Instant};

use harness::{Server, call_json, fresh_db, seed_project};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

const PROJECT: &str = "digits";
const ITEMS: usize = 300;

struct Ctx {
    server: Server,
    http: Client,
    owner: String,
    annotator: String,
}

impl Ctx {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call_json(&self.http, self.server.url(path), method, Some(token), body).await
    }

    async fn job(&self, id: &str) -> Value {
        let (s, j) = self
            .call(
                Method::GET,
                &format!("/projects/{PROJECT}/jobs/{id}"),
                &self.owner,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{j}");
        j
    }

    /// Polls a job until `done(job)`, at most `secs` seconds.
    async fn wait(&self, id: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let j = self.job(id).await;
            if done(&j) {
                return j;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} did not get there in {secs} s: {j}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The dashboard, and its row for model version `v`.
    async fn dashboard_version(&self, v: &str) -> (Option<Value>, Value) {
        let (s, dash) = self
            .call(
                Method::GET,
                &format!("/projects/{PROJECT}/dashboard"),
                &self.owner,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{dash}");
        let row = dash["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["version"] == v)
            .cloned();
        (row, dash)
    }

    /// Waits (at most 120 s) until a job has ended, and returns it.
    async fn finished(&self, id: &str) -> Value {
        self.wait(id, 120, |j| {
            j["status"] != "queued" && j["status"] != "running"
        })
        .await
    }

    /// Pushes `ops` as the annotator from client `client` (asserts it was accepted).
    async fn push(&self, client: &str, ops: Vec<Value>) {
        let (s, r) = self
            .call(
                Method::POST,
                &format!("/projects/{PROJECT}/sync/push"),
                &self.annotator,
                Some(json!({"client_id": client, "epoch": "", "ops": ops})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }

    async fn train(&self, body: Value) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/projects/{PROJECT}/jobs"),
            &self.owner,
            Some(body),
        )
        .await
    }
}

/// The true class of every item, read from the database the import wrote.
async fn true_labels(db: &str) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let url = if let Some(path) = db.strip_prefix("sqlite://") {
        format!("sqlite://{path}")
    } else {
        db.to_string()
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let rows = sqlx::query("SELECT id, true_label FROM items WHERE project_id = $1 ORDER BY seq")
        .bind(PROJECT)
        .fetch_all(&pool)
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>("id"), r.get::<String, _>("true_label")))
        .collect()
}

async fn setup(kind: &str) -> Ctx {
    let db = fresh_db(kind, "jobs");
    let tokens = seed_project(
        &db,
        PROJECT,
        &[("olga", "owner"), ("ann", "annotator")],
        ITEMS,
    );
    // A short job lease: the SIGKILL test below waits for the dead server's lease to run out.
    let server = Server::start_with(&db, &["--job-lease-secs", "3"]).await;
    let ctx = Ctx {
        server,
        http: Client::new(),
        owner: tokens["olga"].clone(),
        annotator: tokens["ann"].clone(),
    };
    // ann labels every item with its true class.
    let labels = true_labels(&db).await;
    let ops: Vec<Value> = labels
        .iter()
        .enumerate()
        .map(|(i, (item, class))| {
            json!({"seq": i + 1, "op_id": format!("seed-{item}"), "item_id": item, "kind": "upsert",
            "value": {"class": class}, "hlc": {"wall": 1_000 + i as u64, "counter": 0}})
        })
        .collect();
    ctx.push("seed", ops).await;
    ctx
}

async fn suite(kind: &str) {
    let c = setup(kind).await;

    // 1. The first job publishes (no current version); its snapshot keeps evaluation items out.
    let (s, job) = c.train(json!({"epochs": 15, "patience": 15})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued");
    let id = job["id"].as_str().unwrap().to_string();
    // A second trigger while it waits or runs is refused: never two jobs on one project.
    let (s, again) = c.train(json!({})).await;
    assert_eq!(
        (s, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("job_active")),
        "{again}"
    );
    let done = c.finished(&id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["published"], true, "{done}");
    let v1 = done["result"]["version"].as_str().unwrap().to_string();
    let (_, current) = c
        .call(
            Method::GET,
            &format!("/projects/{PROJECT}/models/current"),
            &c.owner,
            None,
        )
        .await;
    assert_eq!(current["version"], v1.as_str());
    let (version, dash) = c.dashboard_version(&v1).await;
    let version = version.unwrap();
    assert!(
        version["eval_accuracy"].as_f64().unwrap() > 0.5,
        "{version}"
    );
    assert_eq!(dash["confusion"]["version"], v1.as_str());
    assert_eq!(dash["annotators"][0]["labels"], ITEMS as u64);

    // The stored snapshot: evaluation items are never in the training set.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&c.server.db).await.unwrap();
    let info: String =
        sqlx::query("SELECT info FROM model_versions WHERE project_id = $1 AND version = $2")
            .bind(PROJECT)
            .bind(&v1)
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("info");
    let info: Value = serde_json::from_str(&info).unwrap();
    let ids = |k: &str| -> Vec<String> {
        info["snapshot"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (train, eval) = (ids("train_items"), ids("eval_items"));
    assert_eq!(train.len() + eval.len(), ITEMS);
    assert!(
        !eval.is_empty() && eval.len() < ITEMS / 4,
        "about a tenth evaluates: {}",
        eval.len()
    );
    assert!(
        train.iter().all(|i| !eval.contains(i)),
        "an evaluation item was trained on"
    );
    assert!(
        eval.iter()
            .all(|i| kindling_server::domain::jobs::dataset::is_eval(PROJECT, i))
    );
    assert_eq!(info["snapshot"]["label_count"], train.len() as u64);
    assert!(info["snapshot"]["label_hash"].as_str().unwrap().len() == 64);

    // 2. Cancelling a running job stops it after its current epoch.
    let (_, job) = c.train(json!({"epochs": 200, "patience": 200})).await;
    let id = job["id"].as_str().unwrap().to_string();
    c.wait(&id, 60, |j| {
        j["progress"]["epoch"].as_u64().unwrap_or(0) >= 1
    })
    .await;
    let (s, j) = c
        .call(
            Method::POST,
            &format!("/projects/{PROJECT}/jobs/{id}/cancel"),
            &c.owner,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{j}");
    let j = c.wait(&id, 60, |j| j["status"] != "running").await;
    assert_eq!(j["status"], "cancelled", "{j}");
    // Annotators cannot train or cancel.
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/projects/{PROJECT}/jobs"),
            &c.annotator,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // 3. A restart mid-job: the job is picked up again, never stuck in `running`.
    let (_, job) = c.train(json!({"epochs": 200, "patience": 200})).await;
    let id = job["id"].as_str().unwrap().to_string();
    c.wait(&id, 60, |j| j["status"] == "running").await;
    let mut c = c;
    c.server.restart().await;
    let j = c
        .wait(&id, 60, |j| j["status"] == "running" && j["attempts"] == 2)
        .await;
    assert_eq!(j["attempts"], 2, "resumed after the restart: {j}");
    c.call(
        Method::POST,
        &format!("/projects/{PROJECT}/jobs/{id}/cancel"),
        &c.owner,
        None,
    )
    .await;
    c.wait(&id, 60, |j| j["status"] == "cancelled").await;

    // 4. A version that does not beat the current one is kept as a candidate: one epoch
    // against the 15-epoch version 1 (same seed and labels: deterministic).
    let (_, job) = c.train(json!({"epochs": 1})).await;
    let id = job["id"].as_str().unwrap().to_string();
    let j = c.finished(&id).await;
    assert_eq!(j["status"], "succeeded", "{j}");
    assert_eq!(j["result"]["published"], false, "{j}");
    assert!(
        j["result"]["eval_accuracy"].as_f64().unwrap()
            <= j["result"]["current_eval_accuracy"].as_f64().unwrap()
    );
    let (_, cur) = c
        .call(
            Method::GET,
            &format!("/projects/{PROJECT}/models/current"),
            &c.owner,
            None,
        )
        .await;
    assert_eq!(
        cur["version"],
        v1.as_str(),
        "the current version did not change"
    );
    let candidate = j["result"]["version"].as_str().unwrap().to_string();
    let (stored, _) = c.dashboard_version(&candidate).await;
    assert_eq!(
        stored.map(|v| (v["current"].clone(), v["published"].clone())),
        Some((json!(false), json!(false)))
    );

    // 5. Automatic training: after every 5 new labeled items a job is queued by itself.
    let (s, _) = c
        .call(
            Method::PUT,
            &format!("/projects/{PROJECT}/auto-train"),
            &c.owner,
            Some(json!({"every": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let png = c
        .http
        .get(
            c.server
                .url(&format!("/projects/{PROJECT}/items/000001/content")),
        )
        .bearer_auth(&c.owner)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut ops = Vec::new();
    for i in 0..5 {
        // New items (the same picture under new ids: content is per id).
        let id = format!("new-{i}");
        let r = c
            .http
            .put(c.server.url(&format!("/projects/{PROJECT}/items/{id}")))
            .bearer_auth(&c.owner)
            .header("content-type", "image/png")
            .body(png.clone())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        ops.push(
            json!({"seq": i + 1, "op_id": format!("auto-{i}"), "item_id": id, "kind": "upsert",
            "value": {"class": "1"}, "hlc": {"wall": 9_000_000 + i as u64, "counter": 0}}),
        );
    }
    let before = Instant::now();
    c.push("auto", ops).await;
    let auto = loop {
        let (_, list) = c
            .call(
                Method::GET,
                &format!("/projects/{PROJECT}/jobs"),
                &c.owner,
                None,
            )
            .await;
        if let Some(j) = list["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["trigger"] == "auto")
        {
            break j.clone();
        }
        assert!(
            before.elapsed() < Duration::from_secs(30),
            "no automatic job within 30 s: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(auto["label_count"], (ITEMS + 5) as u64);
    let id = auto["id"].as_str().unwrap().to_string();
    c.finished(&id).await;
    c.call(
        Method::PUT,
        &format!("/projects/{PROJECT}/auto-train"),
        &c.owner,
        Some(json!({"every": 0})),
    )
    .await;

    // Bad settings are refused with a reason.
    let (s, e) = c.train(json!({"epochs": 0})).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_epochs"))
    );
}

#[tokio::test]
async fn jobs_on_sqlite() {
    suite("sqlite").await;
}

#[tokio::test]
async fn jobs_on_postgres() {
    suite("postgres").await;
}
