//! No change is skipped when writers commit concurrently: on PostgreSQL, two server processes
//! share one database, eight writers push distinct keys at the same time, and a reader pulls
//! all along with its cursor. Every key must reach the reader.

mod harness;

use std::collections::BTreeSet;

use harness::{Server, cli, fresh_db, seed_project};
use kindling::sync::PullResponse;
use reqwest::Client;
use serde_json::json;

const WRITERS: usize = 8;
const OPS_EACH: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_never_make_a_pull_skip_a_change() {
    let db = fresh_db("postgres", "conc");
    let users: Vec<(String, &str)> = std::iter::once(("owner".to_string(), "owner"))
        .chain((0..WRITERS).map(|i| (format!("w{i}"), "annotator")))
        .collect();
    let refs: Vec<(&str, &str)> = users.iter().map(|(n, r)| (n.as_str(), *r)).collect();
    let tokens = seed_project(&db, "conc", &refs, OPS_EACH);
    let servers = [Server::start(&db).await, Server::start(&db).await];
    let http = Client::new();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

    let reader = {
        let (http, url, token, done) = (
            http.clone(),
            servers[0].url("/projects/conc/sync/pull"),
            tokens["owner"].clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page: PullResponse = http
                    .get(format!("{url}?cursor={cursor}&limit=13"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for c in &page.changes {
                    seen.insert((c.item_id.clone(), c.annotator_id.clone()));
                }
                cursor = page.next_cursor;
                if finished && !page.has_more {
                    return seen;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (http, token) = (http.clone(), tokens[&format!("w{w}")].clone());
        let url = servers[w % 2].url("/projects/conc/sync/push");
        writers.push(tokio::spawn(async move {
            for i in 0..OPS_EACH {
                let op = json!({"seq": i + 1, "op_id": format!("w{w}-{i}"), "item_id": format!("{i:06}"), "kind": "upsert",
                    "value": {"class": "1"}, "hlc": {"wall": 1000 + i, "counter": 0}});
                let resp = http.post(&url).bearer_auth(&token).json(&json!({"client_id": format!("w{w}"), "epoch": "", "ops": [op]})).send().await.unwrap();
                assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert_eq!(seen.len(), WRITERS * OPS_EACH, "the reader missed changes");
    let history = cli(&["admin", "verify-history", "--project", "conc", "--db", &db]);
    assert!(
        history.starts_with(&format!("ok: {}", WRITERS * OPS_EACH)),
        "{history}"
    );
}
