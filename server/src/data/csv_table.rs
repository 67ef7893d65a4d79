//! CSV of numeric features with a label column (any text; classes are the sorted distinct
//! labels).

use std::path::Path;

use kindling::bundle::{InputSpec, TabularInput};

use super::{DataError, Dataset};

/// Reads `path`: a header row, then one item per row; `label_column` names the class column,
/// every other column must be numeric.
pub fn read_csv(path: &Path, label_column: &str) -> Result<Dataset, DataError> {
    let name = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| DataError::Io {
            path: name.clone(),
            reason: e.to_string(),
        })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::Io {
            path: name.clone(),
            reason: e.to_string(),
        })?
        .iter()
        .map(str::to_string)
        .collect();
    let label_at = header
        .iter()
        .position(|h| h == label_column)
        .ok_or_else(|| DataError::MissingLabelColumn {
            path: name.clone(),
            column: label_column.into(),
            columns: header.join(", "),
        })?;
    let mut rows: Vec<(Vec<f32>, String)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| DataError::Io {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        if record.len() != header.len() {
            return Err(DataError::RaggedCsv {
                path: name.clone(),
                line,
                expected: header.len(),
                found: record.len(),
            });
        }
        let mut features = Vec::with_capacity(header.len() - 1);
        for (c, field) in record.iter().enumerate() {
            if c == label_at {
                continue;
            }
            let v: f32 = field
                .trim()
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite())
                .ok_or_else(|| DataError::NotANumber {
                    path: name.clone(),
                    line,
                    column: header[c].clone(),
                    value: field.to_string(),
                })?;
            features.push(v);
        }
        rows.push((features, record[label_at].trim().to_string()));
    }
    let mut classes: Vec<String> = rows.iter().map(|(_, l)| l.clone()).collect();
    classes.sort();
    classes.dedup();
    if classes.len() < 2 {
        return Err(DataError::Empty(format!(
            "{name}: needs at least two classes, found {}",
            classes.len()
        )));
    }
    let features: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(c, _)| *c != label_at)
        .map(|(_, h)| h.clone())
        .collect();
    Ok(Dataset {
        item_len: features.len(),
        labels: rows
            .iter()
            .map(|(_, l)| classes.binary_search(l).expect("known label") as u32)
            .collect(),
        items: rows.into_iter().flat_map(|(f, _)| f).collect(),
        classes,
        input: InputSpec::Tabular(TabularInput {
            mean: vec![0.0],
            std: vec![1.0],
            features,
        }),
    })
}
