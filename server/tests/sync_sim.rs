//! A randomized simulation of label sync against the real server process and a real database:
//! 5 clients (3 people, so some people have two devices) label, delete, go offline and online,
//! a reviewer's client accepts, corrects and flags their labels (same keys, same rule),
//! push and pull, while the network drops requests, drops responses after commit, duplicates
//! and reorders deliveries, and the server restarts (and, on SQLite, is restored from a backup
//! and starts a new epoch). At the end every client equals the server, the server equals a
//! replay of its history, and an oracle — last writer wins by (hlc, client_id) over every op
//! ever made — agrees: nothing lost, nothing applied twice.
//!
//! Seed: `KINDLING_SIM_SEED` (random otherwise, printed); steps: `KINDLING_SIM_STEPS` (1000).
//! A seed that fails is appended to `tests/sync_sim_seeds.txt` and replayed by every later run.

mod harness;

use std::collections::BTreeMap;

use harness::{Server, cli, fresh_db, seed_project};

use kindling::sync::{
    ClientState, Hlc, LabelValue, PullResponse, PushFailure, PushRequest, PushResponse, Review,
    ReviewAction,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use reqwest::{Client, StatusCode};

const PEOPLE: [&str; 3] = ["ann", "bob", "cyd"];
const ITEMS: usize = 12;

struct Device {
    state: ClientState,
    token: String,
    online: bool,
    sent: Vec<PushRequest>,
}

enum PushReply {
    Ok(PushResponse),
    Failed(PushFailure),
}

async fn send_push(http: &Client, server: &Server, token: &str, req: &PushRequest) -> PushReply {
    let resp = match http
        .post(server.url("/projects/sim/sync/push"))
        .bearer_auth(token)
        .json(req)
        .send()
        .await
    {
        Ok(r) => r,
        Err(_) => return PushReply::Failed(PushFailure::Transient),
    };
    match resp.status() {
        StatusCode::OK => PushReply::Ok(resp.json().await.unwrap()),
        StatusCode::CONFLICT => {
            let body: serde_json::Value = resp.json().await.unwrap();
            PushReply::Failed(PushFailure::Gap {
                expected_seq: body["expected_seq"].as_u64().unwrap(),
                epoch: body["epoch"].as_str().unwrap().to_string(),
            })
        }
        StatusCode::UNAUTHORIZED => PushReply::Failed(PushFailure::Unauthorized),
        s if s.is_server_error() => PushReply::Failed(PushFailure::Transient),
        s => panic!("unexpected push status {s}: {}", resp.text().await.unwrap()),
    }
}

fn now(step: usize, skew: u64) -> u64 {
    // Each device's wall clock is skewed; HLC keeps causality anyway.
    1_700_000_000_000 + step as u64 * 3 + skew
}

/// Pulls until the server has nothing more; handles 410 by starting over.
async fn pull_all(http: &Client, server: &Server, d: &mut Device, step: usize, skew: u64) -> bool {
    for _ in 0..100 {
        let url = server.url(&format!(
            "/projects/sim/sync/pull?cursor={}&limit=7",
            d.state.cursor
        ));
        let Ok(resp) = http.get(url).bearer_auth(&d.token).send().await else {
            return false;
        };
        match resp.status() {
            StatusCode::OK => {
                let page: PullResponse = resp.json().await.unwrap();
                let more = page.has_more;
                let epoch_before = d.state.epoch.clone();
                d.state.on_pull(&page, now(step, skew));
                if !more && d.state.epoch == epoch_before {
                    return true;
                }
            }
            StatusCode::GONE => {
                let body: serde_json::Value = resp.json().await.unwrap();
                d.state.on_cursor_expired(body["epoch"].as_str().unwrap());
            }
            s => panic!("unexpected pull status {s}"),
        }
    }
    panic!("pull did not finish");
}

async fn push_once(http: &Client, server: &Server, d: &mut Device, step: usize, skew: u64) {
    let Some(req) = d.state.push_request(5) else {
        return;
    };
    d.sent.push(req.clone());
    match send_push(http, server, &d.token, &req).await {
        PushReply::Ok(resp) => d.state.on_push_response(&req, &resp, now(step, skew)),
        PushReply::Failed(f) => d.state.on_push_failure(&f),
    }
}

/// Seeds that once failed, replayed first by every run (`seed steps [database]` per line).
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sync_sim_seeds.txt");

/// The regression seeds for `kind`.
fn regressions(kind: &str) -> Vec<(u64, usize)> {
    std::fs::read_to_string(REGRESSIONS)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let seed = f.next()?.parse().ok()?;
            let steps = f.next()?.parse().ok()?;
            f.next().is_none_or(|k| k == kind).then_some((seed, steps))
        })
        .collect()
}

/// While alive, a simulation run: if the test panics, its seed is appended to
/// [`REGRESSIONS`] so that it is replayed by every later run (commit the file).
struct KeepIfFailing {
    kind: &'static str,
    seed: u64,
    steps: usize,
}

impl Drop for KeepIfFailing {
    fn drop(&mut self) {
        if !std::thread::panicking() || regressions(self.kind).contains(&(self.seed, self.steps)) {
            return;
        }
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(REGRESSIONS)
        {
            let _ = writeln!(f, "{} {} {}", self.seed, self.steps, self.kind);
            eprintln!("kept seed {} in {REGRESSIONS}: commit it", self.seed);
        }
    }
}

/// The regression seeds, then one new run (`KINDLING_SIM_SEED`, random otherwise).
async fn simulate_all(kind: &'static str) {
    for (seed, steps) in regressions(kind) {
        simulate(kind, seed, steps).await;
    }
    let seed: u64 = std::env::var("KINDLING_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let steps: usize = std::env::var("KINDLING_SIM_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    simulate(kind, seed, steps).await;
}

async fn simulate(kind: &'static str, seed: u64, steps: usize) {
    let _keep = KeepIfFailing { kind, seed, steps };
    eprintln!("sync simulation on {kind}: KINDLING_SIM_SEED={seed} KINDLING_SIM_STEPS={steps}");
    let mut rng = StdRng::seed_from_u64(seed);
    let db = fresh_db(kind, "sim");
    let mut users = vec![("owner", "owner")];
    users.extend(PEOPLE.iter().map(|p| (*p, "annotator")));
    users.push(("rev", "reviewer"));
    let tokens = seed_project(&db, "sim", &users, ITEMS);
    let mut server = Server::start(&db).await;
    let http = Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let ids = user_ids(&db);
    // Devices: ann ×2, bob ×2, cyd ×1 and the reviewer's; a client knows its person by user id,
    // as the server does.
    let names = ["ann", "ann", "bob", "bob", "cyd", "rev"];
    let reviewer = names.len() - 1;
    let owners: Vec<String> = names.iter().map(|p| ids[*p].clone()).collect();
    let skews = [0u64, 40, 7, 0, 90, 20];
    let mut devices: Vec<Device> = owners
        .iter()
        .enumerate()
        .map(|(i, p)| Device {
            state: ClientState::new(format!("dev{i}"), p.clone()),
            token: tokens[names[i]].clone(),
            online: true,
            sent: Vec::new(),
        })
        .collect();
    let mut all_ops: Vec<(String, String, Hlc, String, Option<LabelValue>)> = Vec::new();
    let mut snapshot: Option<Vec<(std::path::PathBuf, Vec<u8>)>> = None;
    let sqlite_file = db.strip_prefix("sqlite://").map(std::path::PathBuf::from);

    for step in 0..steps {
        let i = rng.random_range(0..devices.len());
        let skew = skews[i];
        let roll: f64 = rng.random();
        let d = &mut devices[i];
        if i == reviewer && roll < 0.35 {
            // Review one of the people's labels: correct it, accept it as shown, or flag it.
            let item = format!("{:06}", rng.random_range(0..ITEMS));
            let person = ids[PEOPLE[rng.random_range(0..PEOPLE.len())]].clone();
            let shown = d
                .state
                .visible_of(&item, &person)
                .and_then(|l| l.value)
                .map(|v| v.class);
            let pick: f64 = rng.random();
            let (action, class) = match shown {
                Some(class) if pick < 0.3 => (ReviewAction::Accept, class),
                Some(class) if pick < 0.45 => (ReviewAction::Flag, class),
                _ => (ReviewAction::Correct, rng.random_range(0..10).to_string()),
            };
            let value = LabelValue {
                review: Some(Review {
                    action,
                    reviewer: String::new(),
                    reason: None,
                    original: None,
                }),
                ..LabelValue::of(class)
            };
            let op = d
                .state
                .review(&item, &person, value.clone(), now(step, skew));
            all_ops.push((item, person, op.hlc, d.state.client_id.clone(), Some(value)));
        } else if roll < 0.30 {
            let item = format!("{:06}", rng.random_range(0..ITEMS));
            let value = LabelValue::of(rng.random_range(0..10).to_string());
            let op = d.state.label(&item, value.clone(), now(step, skew));
            all_ops.push((
                item,
                owners[i].to_string(),
                op.hlc,
                d.state.client_id.clone(),
                Some(value),
            ));
        } else if roll < 0.35 {
            let item = format!("{:06}", rng.random_range(0..ITEMS));
            let op = d.state.delete(&item, now(step, skew));
            all_ops.push((
                item,
                owners[i].to_string(),
                op.hlc,
                d.state.client_id.clone(),
                None,
            ));
        } else if roll < 0.40 {
            d.online = !d.online;
        } else if roll < 0.65 && d.online {
            let Some(req) = d.state.push_request(5) else {
                continue;
            };
            let fault: f64 = rng.random();
            if fault < 0.10 {
                // The request is lost: the client sees a network error.
                d.state.on_push_failure(&PushFailure::Transient);
            } else if fault < 0.20 {
                // The server commits, the response is lost.
                let _ = send_push(&http, &server, &d.token, &req).await;
                d.state.on_push_failure(&PushFailure::Transient);
            } else if fault < 0.30 {
                // Delivered twice; the client reads the second answer.
                let _ = send_push(&http, &server, &d.token, &req).await;
                match send_push(&http, &server, &d.token, &req).await {
                    PushReply::Ok(r) => d.state.on_push_response(&req, &r, now(step, skew)),
                    PushReply::Failed(f) => d.state.on_push_failure(&f),
                }
            } else {
                match send_push(&http, &server, &d.token, &req).await {
                    PushReply::Ok(r) => d.state.on_push_response(&req, &r, now(step, skew)),
                    PushReply::Failed(f) => d.state.on_push_failure(&f),
                }
            }
            d.sent.push(req);
        } else if roll < 0.70 && d.online && !d.sent.is_empty() {
            // A late, reordered delivery of an older request; its answer arrives too.
            let old = d.sent[rng.random_range(0..d.sent.len())].clone();
            if let PushReply::Ok(r) = send_push(&http, &server, &d.token, &old).await {
                d.state.on_push_response(&old, &r, now(step, skew));
            }
        } else if roll < 0.92 && d.online {
            pull_all(&http, &server, d, step, skew).await;
        } else if roll < 0.93 {
            server.restart().await;
        } else if roll < 0.935 {
            // Not collapsed into the `else if`: on PostgreSQL this roll must do nothing rather
            // than fall through to the next branches (that would change the step mix).
            #[allow(clippy::collapsible_if)]
            if let Some(file) = &sqlite_file {
                // Back up (server stopped, files copied), or restore the backup and start a new epoch.
                match snapshot.take() {
                    None => {
                        let mut copied = Vec::new();
                        server
                            .restart_with(|| {
                                copied = sqlite_files(file)
                                    .into_iter()
                                    .map(|p| {
                                        let b = std::fs::read(&p).unwrap();
                                        (p, b)
                                    })
                                    .collect();
                            })
                            .await;
                        snapshot = Some(copied);
                    }
                    Some(files) => {
                        let restore = files.clone();
                        let dbu = db.clone();
                        server
                            .restart_with(move || {
                                for p in sqlite_files(std::path::Path::new(
                                    dbu.strip_prefix("sqlite://").unwrap(),
                                )) {
                                    let _ = std::fs::remove_file(p);
                                }
                                for (p, b) in &restore {
                                    std::fs::write(p, b).unwrap();
                                }
                                cli(&["admin", "new-epoch", "--db", &dbu]);
                            })
                            .await;
                        eprintln!("step {step}: restored a backup, new epoch");
                    }
                }
            }
        }
    }

    // Heal: everyone online, no faults, until every outbox is empty and every pull is done.
    for round in 0..4 {
        for (i, d) in devices.iter_mut().enumerate() {
            d.online = true;
            for _ in 0..500 {
                if d.state.outbox.is_empty() {
                    break;
                }
                push_once(&http, &server, d, steps + round, skews[i]).await;
            }
            pull_all(&http, &server, d, steps + round, skews[i]).await;
        }
    }
    for d in &devices {
        assert!(
            d.state.outbox.is_empty(),
            "{} still has {} pending ops (seed {seed})",
            d.state.client_id,
            d.state.outbox.len()
        );
    }

    // The server's state, pulled from scratch.
    let mut fresh = Device {
        state: ClientState::new("auditor", "owner"),
        token: tokens["owner"].clone(),
        online: true,
        sent: vec![],
    };
    pull_all(&http, &server, &mut fresh, steps + 10, 0).await;
    // Compared by what a person decided (class, review action); the server adds provenance.
    let decided = |v: &Option<LabelValue>| {
        v.as_ref()
            .map(|v| (v.class.clone(), v.review.as_ref().map(|r| r.action)))
    };
    let server_state: BTreeMap<(String, String), Option<LabelValue>> = fresh
        .state
        .server
        .iter()
        .map(|(key, change)| {
            (
                key.clone(),
                if change.deleted {
                    None
                } else {
                    change.value.clone()
                },
            )
        })
        .collect();

    // The oracle: for every key, the op with the greatest (hlc, client_id) ever made.
    let mut oracle: BTreeMap<(String, String), (Hlc, String, Option<LabelValue>)> = BTreeMap::new();
    for (item, person, hlc, client, value) in &all_ops {
        let key = (item.clone(), person.clone());
        if oracle
            .get(&key)
            .is_none_or(|(h, c, _)| (*hlc, client.as_str()) > (*h, c.as_str()))
        {
            oracle.insert(key, (*hlc, client.clone(), value.clone()));
        }
    }
    for (key, (hlc, client, value)) in &oracle {
        let got = fresh.state.server.get(key);
        let got_value = got.map(|c| if c.deleted { None } else { c.value.clone() });
        if got_value.as_ref().map(&decided) != Some(decided(value)) {
            eprintln!(
                "DIFF {key:?}: oracle {hlc:?} {client} {:?} | server {:?}",
                value.as_ref().map(|v| &v.class),
                got.map(|c| (
                    c.hlc,
                    &c.client_id,
                    c.value.as_ref().map(|v| &v.class),
                    c.version
                ))
            );
        }
    }
    let oracle: BTreeMap<_, _> = oracle
        .into_iter()
        .map(|(k, (_, _, v))| (k, decided(&v)))
        .collect();
    let decided_state: BTreeMap<_, _> = server_state
        .iter()
        .map(|(k, v)| (k.clone(), decided(v)))
        .collect();
    assert_eq!(
        decided_state, oracle,
        "server differs from the last-writer-wins oracle (seed {seed})"
    );
    // Every review the server holds names the reviewer, whatever the client sent.
    for v in server_state.values().flatten() {
        if let Some(r) = &v.review {
            assert_eq!(r.reviewer, ids["rev"], "(seed {seed})");
        }
    }

    // Every device sees exactly the server's labels of its person.
    for (i, d) in devices.iter().enumerate() {
        let mine: BTreeMap<String, Option<LabelValue>> = d
            .state
            .server
            .iter()
            .filter(|((_, a), _)| *a == owners[i])
            .map(|((item, _), c)| (item.clone(), if c.deleted { None } else { c.value.clone() }))
            .collect();
        let expected: BTreeMap<String, Option<LabelValue>> = server_state
            .iter()
            .filter(|((_, p), _)| *p == owners[i])
            .map(|((item, _), v)| (item.clone(), v.clone()))
            .collect();
        assert_eq!(
            mine, expected,
            "device {i} differs from the server (seed {seed})"
        );
    }
    // The reviewer sees everyone's labels, exactly as the server holds them (provenance too).
    let seen: BTreeMap<(String, String), Option<LabelValue>> = devices[reviewer]
        .state
        .server
        .iter()
        .map(|(k, c)| (k.clone(), if c.deleted { None } else { c.value.clone() }))
        .collect();
    assert_eq!(
        seen, server_state,
        "the reviewer's copies differ from the server (seed {seed})"
    );
    // The server equals the replay of its append-only history.
    cli(&["admin", "verify-history", "--project", "sim", "--db", &db]);
    eprintln!(
        "sync simulation on {kind}: {} ops, {} keys, all consistent",
        all_ops.len(),
        oracle.len()
    );
}

fn sqlite_files(db: &std::path::Path) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::path::PathBuf::from(format!("{}{s}", db.display())))
        .filter(|p| p.exists())
        .collect()
}

/// user name → user id.
fn user_ids(db: &str) -> BTreeMap<String, String> {
    let out = cli(&["admin", "list-users", "--db", db]);
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, name)| (name.to_string(), id.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_simulation_on_sqlite() {
    simulate_all("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_simulation_on_postgres() {
    simulate_all("postgres").await;
}
