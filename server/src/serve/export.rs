//! Label export: one row per item and annotator, with the suggesting model version and whether
//! the person accepted the suggestion. JSONL or CSV.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, Role};
use super::error::{ApiError, ApiQuery};

/// Query of an export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

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

/// `GET /projects/{p}/labels/export?format=jsonl|csv` (owners and reviewers).
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    caller
        .require(&state, &project, &[Role::Owner, Role::Reviewer])
        .await?;
    let format = q.format.unwrap_or_else(|| "jsonl".into());
    if format != "jsonl" && format != "csv" {
        return Err(ApiError::bad_request(
            "invalid_format",
            "format must be jsonl or csv",
        ));
    }
    let rows = sqlx::query("SELECT l.item_id, u.name AS annotator, l.value, l.version FROM labels l JOIN users u ON u.id = l.annotator_id WHERE l.project_id = $1 AND l.deleted = 0 ORDER BY l.item_id, u.name")
        .bind(&project).fetch_all(&state.db.pool).await?;
    let mut out = String::new();
    if format == "csv" {
        out.push_str("item_id,annotator,label,suggestion,model_version,accepted,version\n");
    }
    for r in &rows {
        let value: Option<String> = r.try_get("value")?;
        let v: kindling::sync::LabelValue = match value.and_then(|v| serde_json::from_str(&v).ok())
        {
            Some(v) => v,
            None => continue,
        };
        let item: String = r.try_get("item_id")?;
        let annotator: String = r.try_get("annotator")?;
        let version: i64 = r.try_get("version")?;
        if format == "csv" {
            let fields = [
                item,
                annotator,
                v.class,
                v.suggestion.unwrap_or_default(),
                v.model_version.unwrap_or_default(),
                v.accepted.map(|a| a.to_string()).unwrap_or_default(),
                version.to_string(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        } else {
            out.push_str(&serde_json::json!({"item_id": item, "annotator": annotator, "label": v.class, "suggestion": v.suggestion,
                "model_version": v.model_version, "accepted": v.accepted, "version": version}).to_string());
        }
        out.push('\n');
    }
    let ct = if format == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    Ok(([(header::CONTENT_TYPE, ct)], out).into_response())
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
