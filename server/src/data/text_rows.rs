//! Rows of named text fields from a JSON-lines file (one object per line) or a CSV file (with a
//! header row): the one reader behind `kindling import` of texts and training on labeled texts.

use std::path::Path;

use anyhow::Context;

/// How a text file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// One JSON object per line; blank lines are skipped.
    JsonLines,
    /// A header row naming the columns, then one row per item.
    Csv,
}

/// One field to read: its name, and whether every row must have it.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The JSON key / CSV column.
    pub name: &'a str,
    /// Required: a JSON line without it (as a string), or a CSV file without the column, is an
    /// error. Optional: absent reads as `None`. (A CSV row with fewer cells than the header is
    /// an error either way.)
    pub required: bool,
}

/// A required field.
pub fn required(name: &str) -> Field<'_> {
    Field {
        name,
        required: true,
    }
}

/// An optional field.
pub fn optional(name: &str) -> Field<'_> {
    Field {
        name,
        required: false,
    }
}

/// Reads the values of `fields` (in that order) of every row. Required fields are always `Some`.
pub fn read_rows(
    path: &Path,
    format: TextFormat,
    fields: &[Field<'_>],
) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    match format {
        TextFormat::JsonLines => read_json_lines(path, fields),
        TextFormat::Csv => read_csv(path, fields),
    }
}

fn read_json_lines(path: &Path, fields: &[Field<'_>]) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), n + 1))?;
        let row = fields
            .iter()
            .map(|f| {
                let value = v.get(f.name).and_then(|x| x.as_str()).map(str::to_string);
                if f.required && value.is_none() {
                    anyhow::bail!("{}:{}: no string `{}`", path.display(), n + 1, f.name);
                }
                Ok(value)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        rows.push(row);
    }
    Ok(rows)
}

fn read_csv(path: &Path, fields: &[Field<'_>]) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let columns = fields
        .iter()
        .map(|f| {
            let column = headers.iter().position(|h| h == f.name);
            if f.required && column.is_none() {
                anyhow::bail!("{}: no `{}` column", path.display(), f.name);
            }
            Ok(column)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(
            fields
                .iter()
                .zip(&columns)
                .map(|(f, c)| {
                    let cell = c.and_then(|c| record.get(c)).map(str::to_string);
                    if f.required {
                        Some(cell.unwrap_or_default())
                    } else {
                        cell
                    }
                })
                .collect(),
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file with `body` in a fresh folder (removed when the guard drops).
    fn file(name: &str, body: &str) -> (Cleanup, std::path::PathBuf) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kindling-text-rows-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        (Cleanup(dir), path)
    }

    /// Removes a test folder.
    struct Cleanup(std::path::PathBuf);

    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn json_lines_read_required_and_optional_fields_and_skip_blank_lines() {
        let (_d, path) = file(
            "t.jsonl",
            "{\"text\":\"a\",\"label\":\"x\"}\n\n{\"text\":\"b\",\"id\":\"7\"}\n",
        );
        let rows = read_rows(
            &path,
            TextFormat::JsonLines,
            &[optional("id"), required("text"), optional("label")],
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                vec![None, Some("a".into()), Some("x".into())],
                vec![Some("7".into()), Some("b".into()), None],
            ]
        );
    }

    #[test]
    fn a_json_line_without_a_required_field_names_the_line_and_the_field() {
        let (_d, path) = file("t.jsonl", "{\"text\":\"a\"}\n{\"txt\":\"b\"}\n");
        let err = read_rows(&path, TextFormat::JsonLines, &[required("text")]).unwrap_err();
        assert!(
            err.to_string().ends_with("t.jsonl:2: no string `text`"),
            "{err}"
        );
        let (_d, path) = file("t.jsonl", "{\"text\":\"a\"}\nnot json\n");
        let err = read_rows(&path, TextFormat::JsonLines, &[required("text")]).unwrap_err();
        assert!(err.to_string().ends_with("t.jsonl:2: not JSON"), "{err}");
    }

    #[test]
    fn csv_reads_columns_by_name_and_refuses_a_missing_required_column() {
        let (_d, path) = file("t.csv", "label,text\nx,\"a, with comma\"\ny\n");
        let rows = read_rows(
            &path,
            TextFormat::Csv,
            &[optional("id"), required("text"), optional("label")],
        );
        let err = rows.unwrap_err().to_string();
        assert!(
            err.contains("found record with 1 fields"),
            "a short row is refused: {err}"
        );
        let (_d, path) = file("t.csv", "label,text\nx,\"a, with comma\"\ny,b\n");
        let rows = read_rows(
            &path,
            TextFormat::Csv,
            &[optional("id"), required("text"), optional("label")],
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                vec![None, Some("a, with comma".into()), Some("x".into())],
                vec![None, Some("b".into()), Some("y".into())],
            ]
        );
        let err = read_rows(&path, TextFormat::Csv, &[required("body")]).unwrap_err();
        assert!(
            err.to_string().ends_with("t.csv: no `body` column"),
            "{err}"
        );
    }
}
