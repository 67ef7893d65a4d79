//! The project dashboard: every version's evaluation accuracy against the labels it was
//! trained on, the current version's confusion matrix on the evaluation set, per annotator how
//! often they override the model's suggestion and how many of their labels reviewers corrected
//! or flagged, and how much annotators agree on items labeled
//! more than once (`kindling::agreement`).

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use kindling::sync::ReviewAction;

use super::access::{self, User};
use super::error::Result;
use crate::store::types::Role;
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
#[derive(Debug, Default, Serialize, TS)]
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
    /// Labels a reviewer has reviewed (and the annotator has not relabeled since).
    pub reviewed: u64,
    /// Of those, how many the reviewer corrected to another class.
    pub corrected: u64,
    /// Of those, how many the reviewer flagged.
    pub flagged: u64,
    /// Gold items this annotator labeled (owners only; `null` for others).
    pub gold_items: Option<u64>,
    /// Of those, how many they gave the gold class.
    pub gold_correct: Option<u64>,
    /// `gold_correct / gold_items` (none before any gold item).
    pub gold_accuracy: Option<f64>,
}

/// Two annotators' agreement on the items both labeled.
#[derive(Debug, Serialize, TS)]
pub struct PairAgreement {
    /// One annotator's name (the pair in name order).
    pub a: String,
    /// The other's.
    pub b: String,
    /// Cohen's kappa (none when undefined: every label the same class).
    pub kappa: Option<f64>,
    /// Items both labeled: what the figure rests on.
    pub items: u64,
}

/// How often a class's labels are contradicted by another annotator's label of the same item.
#[derive(Debug, Serialize, TS)]
pub struct ClassAgreement {
    /// The class.
    pub class: String,
    /// Its labels on items labeled by two or more annotators.
    pub labels: u64,
    /// Of those, labels another annotator gave another class.
    pub disputed: u64,
}

/// Agreement between annotators on items labeled more than once (owners and reviewers).
#[derive(Debug, Serialize, TS)]
pub struct AgreementFigures {
    /// Cohen's kappa per pair of annotators with items in common, by names.
    pub pairs: Vec<PairAgreement>,
    /// Krippendorff's alpha (nominal) over every item labeled by two or more annotators.
    pub alpha: Option<f64>,
    /// Items alpha rests on.
    pub alpha_items: u64,
    /// Per class, in the project's class order.
    pub per_class: Vec<ClassAgreement>,
}

/// The agreement figures of `labels` (every current label, ordered by item).
fn agreement(labels: &[store::labels::NamedLabel], classes: &[String]) -> AgreementFigures {
    // item → [(annotator, class index)]
    let mut items: BTreeMap<&str, Vec<(&str, u32)>> = BTreeMap::new();
    for l in labels {
        let Some(class) = l
            .value
            .as_ref()
            // What the annotator said, not what a reviewer made of it.
            .and_then(|v| classes.iter().position(|c| c == v.annotator_class()))
        else {
            continue;
        };
        items
            .entry(&l.item_id)
            .or_default()
            .push((&l.annotator, class as u32));
    }
    let shared: Vec<&Vec<(&str, u32)>> = items.values().filter(|v| v.len() >= 2).collect();
    let mut pairs: BTreeMap<(&str, &str), Vec<(u32, u32)>> = BTreeMap::new();
    let mut per_class = vec![(0u64, 0u64); classes.len()];
    for item in &shared {
        for (i, &(a, ca)) in item.iter().enumerate() {
            for &(b, cb) in &item[i + 1..] {
                let (key, pair) = if a <= b {
                    ((a, b), (ca, cb))
                } else {
                    ((b, a), (cb, ca))
                };
                pairs.entry(key).or_default().push(pair);
            }
            per_class[ca as usize].0 += 1;
            per_class[ca as usize].1 += u64::from(item.iter().any(|&(_, c)| c != ca));
        }
    }
    let units: Vec<Vec<u32>> = shared
        .iter()
        .map(|v| v.iter().map(|&(_, c)| c).collect())
        .collect();
    let alpha = kindling::agreement::krippendorff_alpha_nominal(&units);
    AgreementFigures {
        pairs: pairs
            .into_iter()
            .map(|((a, b), p)| {
                let k = kindling::agreement::cohen_kappa(&p);
                PairAgreement {
                    a: a.to_string(),
                    b: b.to_string(),
                    kappa: k.value,
                    items: k.items as u64,
                }
            })
            .collect(),
        alpha: alpha.value,
        alpha_items: alpha.items as u64,
        per_class: classes
            .iter()
            .zip(per_class)
            .map(|(class, (labels, disputed))| ClassAgreement {
                class: class.clone(),
                labels,
                disputed,
            })
            .collect(),
    }
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
    /// Agreement on items labeled more than once; none for annotators (it is about others'
    /// labels).
    pub agreement: Option<AgreementFigures>,
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
    let visible_to = access::visible_to(role, user);
    let named = store::labels::named(db, project, visible_to).await?;
    let agreement = visible_to.is_none().then(|| agreement(&named, &labels));
    let mut per: BTreeMap<String, AnnotatorLine> = BTreeMap::new();
    for l in named {
        let Some(v) = l.value else { continue };
        let e = per
            .entry(l.annotator.clone())
            .or_insert_with(|| AnnotatorLine {
                name: l.annotator,
                ..AnnotatorLine::default()
            });
        e.labels += 1;
        if let Some(accepted) = v.accepted {
            e.with_suggestion += 1;
            if !accepted {
                e.overrides += 1;
            }
        }
        if role == Role::Owner
            && let Some(gold) = &l.gold
        {
            *e.gold_items.get_or_insert(0) += 1;
            *e.gold_correct.get_or_insert(0) += u64::from(v.annotator_class() == gold);
        }
        if let Some(r) = &v.review {
            e.reviewed += 1;
            e.corrected += u64::from(r.action == ReviewAction::Correct);
            e.flagged += u64::from(r.action == ReviewAction::Flag);
        }
    }
    let annotators = per
        .into_values()
        .map(|mut line| {
            line.override_rate = (line.with_suggestion > 0)
                .then(|| line.overrides as f64 / line.with_suggestion as f64);
            if role == Role::Owner {
                line.gold_items.get_or_insert(0);
                line.gold_correct.get_or_insert(0);
            }
            line.gold_accuracy = line
                .gold_items
                .filter(|&n| n > 0)
                .map(|n| line.gold_correct.unwrap_or(0) as f64 / n as f64);
            line
        })
        .collect();
    Ok(Dashboard {
        labels,
        versions,
        confusion,
        annotators,
        agreement,
    })
}
