//! The server's layering, checked on its source (see `ARCHITECTURE.md`): every SQL statement
//! lives in `store/`; `store/` knows nothing above it; `domain/` knows neither HTTP nor the
//! CLI; the HTTP handlers and the CLI commands never import each other; the pure libraries
//! (`data`, `train`, `backbone`, `onnx`) import none of the server's layers.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(path relative to src/, text)` of every source file.
fn files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The lines of files under `layer` that mention any of `needles`.
fn offenders(layer: &str, needles: &[&str], allow: &[&str]) -> Vec<String> {
    files()
        .into_iter()
        .filter(|(path, _)| path.starts_with(layer) && !allow.contains(&path.as_str()))
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| needles.iter().any(|n| l.contains(n)))
                .map(|(i, l)| format!("{path}:{}: {}", i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_sql_statement_lives_in_the_store() {
    for layer in [
        "domain/",
        "http/",
        "cli/",
        "data/",
        "train/",
        "backbone/",
        "onnx/",
        "main.rs",
        "lib.rs",
    ] {
        let found = offenders(
            layer,
            &["sqlx::query", "sqlx::Row", "sqlx::Transaction", "db.pool"],
            &[],
        );
        assert!(
            found.is_empty(),
            "SQL outside store/:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_store_knows_nothing_above_it() {
    let found = offenders(
        "store/",
        &["crate::domain", "crate::http", "crate::cli", "axum"],
        &[],
    );
    assert!(
        found.is_empty(),
        "store/ imports an upper layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_domain_knows_neither_http_nor_the_cli() {
    let found = offenders(
        "domain/",
        &["crate::http", "crate::cli", "axum", "clap"],
        &[],
    );
    assert!(
        found.is_empty(),
        "domain/ imports an edge:\n{}",
        found.join("\n")
    );
}

#[test]
fn handlers_and_commands_never_import_each_other() {
    let found = offenders("http/", &["crate::cli"], &[]);
    assert!(
        found.is_empty(),
        "http/ imports the CLI:\n{}",
        found.join("\n")
    );
    // The CLI starts the server (`serve`, its options and shutdown signal) but calls no handler.
    let handlers = [
        "http::projects",
        "http::items",
        "http::sync",
        "http::leases",
        "http::models",
        "http::jobs",
        "http::history",
        "http::export",
        "http::auth::",
        "http::openapi",
    ];
    let found = offenders("cli/", &handlers, &[]);
    assert!(
        found.is_empty(),
        "cli/ imports a handler:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_pure_libraries_import_no_server_layer() {
    for layer in ["data/", "train/", "backbone/", "onnx/", "clock.rs"] {
        let found = offenders(
            layer,
            &["crate::store", "crate::domain", "crate::http", "crate::cli"],
            &[],
        );
        assert!(
            found.is_empty(),
            "{layer} imports a server layer:\n{}",
            found.join("\n")
        );
    }
}
