//! The project dashboard: every version's evaluation accuracy against the labels it was
//! trained on, the current version's confusion matrix on the evaluation set, and per
//! annotator how often they override the model's suggestion.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::access::{self, User};
use super::error::Result;
use crate::store::{self, Db};

/// One version's line.
#[derive(Debug, Serialize, TS)]
pub struct VersionLine {
    /// Version name.
    pub version: String,
    /// Whether it is current.
    pub current: bool,
    /// Unix ms.
    pub created_at: i64,
    /// Trained by a job here (else uploaded).
    pub trained_here: bool,
    /// Training items it learned from.
    pub label_count: Option<i64>,
    /// Evaluation items it was measured on.
    pub eval_count: Option<i64>,
    /// Accuracy on them.
    pub eval_accuracy: Option<f64>,
    /// Whether the job made it current.
    pub published: Option<bool>,
    /// Why (or why not).
    pub reason: Option<String>,
    /// How long its job took.
    pub training_ms: Option<i64>,
}

/// The current version's confusion matrix (rows: true class, columns: predicted).
#[derive(Debug, Serialize, TS)]
pub struct Confusion {
    /// Version name.
    pub version: String,
    /// Counts.
    #[ts(type = "number[][]")]
    pub matrix: serde_json::Value,
}

/// One annotator's figures.
#[derive(Debug, Serialize, TS)]
pub struct AnnotatorLine {
    /// Name.
    pub name: String,
    /// Current labels.
    pub labels: u64,
    /// Labels made with a suggestion on screen.
    pub with_suggestion: u64,
    /// Of those, how many chose another class.
    pub overrides: u64,
    /// `overrides / with_suggestion` (none without suggestions).
    pub override_rate: Option<f64>,
}

/// The dashboard.
#[derive(Debug, Serialize, TS)]
pub struct Dashboard {
    /// The project's classes.
    pub labels: Vec<String>,
    /// Versions, oldest first.
    pub versions: Vec<VersionLine>,
    /// The current version's confusion matrix, if a job trained it.
    pub confusion: Option<Confusion>,
    /// Annotators by name (an annotator sees their own line only).
    pub annotators: Vec<AnnotatorLine>,
}

/// The dashboard as `user` may see it.
pub async fn dashboard(db: &Db, user: &User, project: &str) -> Result<Dashboard> {
    let role = access::role_in(db, project, user).await?;
    let labels = super::projects::labels(db, project).await?;
    let mut versions = Vec::new();
    let mut confusion = None;
    for r in store::models::list(db, project).await? {
        let i = r.info.unwrap_or_default();
        if r.current && !i["eval_confusion"].is_null() {
            confusion = Some(Confusion {
                version: r.version.clone(),
                matrix: i["eval_confusion"].clone(),
            });
        }
        versions.push(VersionLine {
            version: r.version,
            current: r.current,
            created_at: r.created_at,
            trained_here: !i.is_null(),
            label_count: i["snapshot"]["label_count"].as_i64(),
            eval_count: i["snapshot"]["eval_count"].as_i64(),
            eval_accuracy: i["eval_accuracy"].as_f64(),
            published: i["published"].as_bool(),
            reason: i["reason"].as_str().map(str::to_string),
            training_ms: i["training_ms"].as_i64(),
        });
    }
    // Annotators see their own figures only (pulls show them only their own labels).
    let mut per: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for l in store::labels::named(db, project, access::visible_to(role, user)).await? {
        let Some(v) = l.value else { continue };
        let e = per.entry(l.annotator).or_default();
        e.0 += 1;
        if let Some(accepted) = v.accepted {
            e.1 += 1;
            if !accepted {
                e.2 += 1;
            }
        }
    }
    let annotators = per
        .into_iter()
        .map(|(name, (labels, suggested, overrides))| AnnotatorLine {
            name,
            labels,
            with_suggestion: suggested,
            overrides,
            override_rate: (suggested > 0).then(|| overrides as f64 / suggested as f64),
        })
        .collect();
    Ok(Dashboard {
        labels,
        versions,
        confusion,
        annotators,
    })
}
