//! Sync benchmark (numbers to print, not a test): push throughput in batches of 500 and pull
//! latency with 100,000 items and 100,000 labels, on SQLite and (with KINDLING_TEST_POSTGRES)
//! on PostgreSQL, through a real `kindling serve` process on loopback.
//!
//! `cargo bench -p kindling-server --bench sync` (KINDLING_BENCH_ITEMS to change the size).

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::Instant;

use harness::{Server, cli, fresh_db};
use kindling_server::store::{Db, now_ms};
use serde_json::json;

const CLASSES: [&str; 3] = ["a", "b", "c"];

async fn bulk_items(db: &str, n: usize) {
    let db = Db::connect(db).await.unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    for i in 0..n {
        sqlx::query("INSERT INTO items (project_id, id, kind, content, content_type, sha256, created_at) VALUES ('bench', $1, 'text', $2, 'text/plain', '-', $3)")
            .bind(format!("i{i:07}")).bind(format!("item {i}").into_bytes()).bind(now_ms()).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn run(kind: &str, n: usize) -> String {
    let db = fresh_db(kind, "bench");
    cli(&["admin", "user-add", "owner", "--db", &db]);
    let token = cli(&["admin", "token-create", "owner", "--db", &db]);
    cli(&[
        "admin",
        "project-create",
        "--id",
        "bench",
        "--name",
        "bench",
        "--task",
        "text",
        "--labels",
        "a,b,c",
        "--owner",
        "owner",
        "--db",
        &db,
    ]);
    let t = Instant::now();
    bulk_items(&db, n).await;
    eprintln!(
        "{kind}: {n} items inserted in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = Server::start(&db).await;
    let http = reqwest::Client::new();
    let url = server.url("/projects/bench/sync/push");
    let started = Instant::now();
    for (b, chunk) in (0..n).collect::<Vec<_>>().chunks(500).enumerate() {
        let ops: Vec<_> = chunk.iter().enumerate().map(|(j, &i)| json!({"seq": b * 500 + j + 1, "op_id": format!("o{i}"), "item_id": format!("i{i:07}"),
            "kind": "upsert", "value": {"class": CLASSES[i % 3]}, "hlc": {"wall": 1000 + i, "counter": 0}})).collect();
        let resp = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"client_id": "bench", "epoch": "", "ops": ops}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    let push_s = started.elapsed().as_secs_f64();
    let mut cursor = 0;
    let mut pages = Vec::new();
    let full = Instant::now();
    loop {
        let t = Instant::now();
        let page: serde_json::Value = http
            .get(server.url(&format!(
                "/projects/bench/sync/pull?cursor={cursor}&limit=1000"
            )))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages.push(t.elapsed().as_secs_f64() * 1000.0);
        cursor = page["next_cursor"].as_i64().unwrap();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    let full_s = full.elapsed().as_secs_f64();
    let t = Instant::now();
    let _: serde_json::Value = http
        .get(server.url(&format!("/projects/bench/sync/pull?cursor={cursor}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let empty_ms = t.elapsed().as_secs_f64() * 1000.0;
    pages.sort_by(f64::total_cmp);
    format!(
        "| {kind} | {n} | {:.0} | {:.1} / {:.1} ms | {:.1} s | {:.1} ms |",
        n as f64 / push_s,
        percentile(&pages, 0.5),
        percentile(&pages, 0.95),
        full_s,
        empty_ms
    )
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("KINDLING_BENCH_ITEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut rows = vec![run("sqlite", n).await];
    if std::env::var("KINDLING_TEST_POSTGRES").is_ok() {
        rows.push(run("postgres", n).await);
    }
    println!(
        "| database | labels | push (labels/s, batches of 500) | pull page of 1000, p50 / p95 | full pull | up-to-date pull |"
    );
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
