//! Label export: one row per item and annotator, with the suggesting model version, whether
//! the person accepted the suggestion, and a reviewer's verdict (action, reviewer, reason, the
//! annotator's original class). JSONL or CSV.

use serde::Serialize;

use super::error::{Error, Result};
use crate::store::{self, Db};

/// A CSV cell: quoted when needed, and a cell a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return, and not a plain number such as `-1`) gets a
/// leading `'`, as OWASP recommends, so an exported label can never execute in Excel or Sheets.
fn csv_field(s: &str) -> String {
    let neutral;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        neutral = format!("'{s}");
        neutral.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One exported label (a JSONL line).
#[derive(Debug, Serialize)]
struct Line {
    item_id: String,
    annotator: String,
    label: String,
    suggestion: Option<String>,
    model_version: Option<String>,
    accepted: Option<bool>,
    /// `accept`, `correct` or `flag` when a reviewer reviewed the label.
    review: Option<String>,
    /// The reviewer's name.
    reviewer: Option<String>,
    /// Why (flags).
    review_reason: Option<String>,
    /// The annotator's class before the review.
    original_label: Option<String>,
    version: i64,
}

/// The project's labels as `format` (`jsonl`, the default, or `csv`): the content type and
/// the body.
pub async fn export(
    db: &Db,
    project: &str,
    format: Option<&str>,
) -> Result<(&'static str, String)> {
    let format = format.unwrap_or("jsonl");
    if format != "jsonl" && format != "csv" {
        return Err(Error::invalid(
            "invalid_format",
            "format must be jsonl or csv",
        ));
    }
    let csv = format == "csv";
    let mut out = String::new();
    if csv {
        out.push_str("item_id,annotator,label,suggestion,model_version,accepted,review,reviewer,review_reason,original_label,version\n");
    }
    let names: std::collections::HashMap<String, String> =
        store::users::list(db).await?.into_iter().collect();
    for l in store::labels::named(db, project, None).await? {
        let Some(v) = l.value else { continue };
        let review = v.review.as_ref();
        let action = review.map(|r| {
            serde_json::to_value(r.action)
                .ok()
                .and_then(|a| a.as_str().map(str::to_string))
                .unwrap_or_default()
        });
        let reviewer = review.map(|r| names.get(&r.reviewer).unwrap_or(&r.reviewer).clone());
        let reason = review.and_then(|r| r.reason.clone());
        let original = review.and_then(|r| r.original.clone());
        if csv {
            let fields = [
                l.item_id,
                l.annotator,
                v.class,
                v.suggestion.unwrap_or_default(),
                v.model_version.unwrap_or_default(),
                v.accepted.map(|a| a.to_string()).unwrap_or_default(),
                action.unwrap_or_default(),
                reviewer.unwrap_or_default(),
                reason.unwrap_or_default(),
                original.unwrap_or_default(),
                l.version.to_string(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        } else {
            let line = Line {
                item_id: l.item_id,
                annotator: l.annotator,
                label: v.class,
                suggestion: v.suggestion,
                model_version: v.model_version,
                accepted: v.accepted,
                review: action,
                reviewer,
                review_reason: reason,
                original_label: original,
                version: l.version,
            };
            out.push_str(&serde_json::to_string(&line).expect("serializable"));
        }
        out.push('\n');
    }
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    Ok((content_type, out))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn formula_cells_are_neutralized_and_numbers_are_not() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_field("-1"), "-1");
        assert_eq!(csv_field("cat"), "cat");
    }
}
