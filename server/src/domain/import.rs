//! Importing items from files: an IDX data set (`fashion-mnist`, `mnist`, a directory), an
//! image folder (one subfolder per class, bytes kept as they are), or a JSONL / CSV file of
//! texts. Item ids: `NNNNNN` (IDX, by position), `class-file` (folders), the file's `id` or
//! `tNNNNNN` (texts). A file that cannot be an item is reported and skipped.

use anyhow::{Context, bail};

use super::items;
use crate::store::Db;

fn png_gray(pixels: &[f32], width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let bytes: Vec<u8> = pixels
        .iter()
        .map(|p| (p * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let img = image::GrayImage::from_raw(width, height, bytes).context("pixel count")?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// Imports items; returns how many were new. Afterwards the database's statistics are
/// refreshed (`ANALYZE`): a bulk load is when the query planner's picture goes stale, and
/// PostgreSQL planned the first leases after a 65,000-item import as scans (seconds each).
pub async fn import(
    db: &Db,
    project: &str,
    data: &str,
    limit: Option<usize>,
) -> anyhow::Result<usize> {
    let added = import_items(db, project, data, limit).await?;
    db.analyze().await?;
    Ok(added)
}

async fn import_items(
    db: &Db,
    project: &str,
    data: &str,
    limit: Option<usize>,
) -> anyhow::Result<usize> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut added = 0;
    let path = std::path::Path::new(data);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "jsonl" || ext == "csv" {
        let texts = read_texts(path, &ext)?;
        for (i, (id, text, label)) in texts.into_iter().take(limit).enumerate() {
            let id = id.unwrap_or_else(|| format!("t{i:06}"));
            match items::insert(
                db,
                project,
                &id,
                "text/plain",
                text.as_bytes(),
                label.as_deref(),
            )
            .await
            {
                Ok(created) => added += usize::from(created),
                Err(e) if e.code() == "invalid_text" => {
                    eprintln!("skipped text {id}: invalid_text ({e})");
                }
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(added);
    }
    let source = crate::data::DataSource::parse(data, "label")?;
    if let crate::data::DataSource::ImageFolder(root) = &source {
        return import_image_folder(db, project, root, limit).await;
    }
    let loaded = crate::data::load(&source, 28)?;
    let set = loaded.test.unwrap_or(loaded.train);
    let kindling::bundle::InputSpec::Image(spec) = &set.input else {
        bail!("only image data sets import as images")
    };
    anyhow::ensure!(
        spec.channels == 1,
        "RGB image folders: import the image files themselves (not yet supported)"
    );
    for i in 0..set.len().min(limit) {
        let png = png_gray(set.item(i), spec.width as u32, spec.height as u32)?;
        let label = set.classes.get(set.labels[i] as usize).cloned();
        added += usize::from(
            items::insert(
                db,
                project,
                &format!("{i:06}"),
                "image/png",
                &png,
                label.as_deref(),
            )
            .await?,
        );
    }
    Ok(added)
}

/// One text item to import: id (if given), text, label (if given).
pub type TextRow = (Option<String>, String, Option<String>);

/// Reads `(id, text, label)` rows from JSONL (`{"id", "text", "label"}`) or CSV (`id`, `text`,
/// `label` columns; only `text` is required).
pub fn read_texts(path: &std::path::Path, ext: &str) -> anyhow::Result<Vec<TextRow>> {
    use crate::data::text_rows::{TextFormat, optional, read_rows, required};
    let format = if ext == "jsonl" {
        TextFormat::JsonLines
    } else {
        TextFormat::Csv
    };
    let rows = read_rows(
        path,
        format,
        &[optional("id"), required("text"), optional("label")],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let [id, text, label] = <[Option<String>; 3]>::try_from(row).expect("three fields");
            (id, text.unwrap_or_default(), label)
        })
        .collect())
}

/// Imports the image files (PNG, JPEG, WebP, any size) of a folder with one subfolder per class,
/// bytes as they are; the subfolder name is kept as the item's true label. Item ids are
/// `class-file`. A file that does not decode (corrupt, empty, too large) is reported with its
/// reason and skipped; the others are imported.
async fn import_image_folder(
    db: &Db,
    project: &str,
    root: &std::path::Path,
    limit: usize,
) -> anyhow::Result<usize> {
    let mut added = 0;
    let mut classes: Vec<_> = std::fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    classes.sort();
    let mut seen = 0;
    for dir in classes {
        let class = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let ct = match ext.as_str() {
                "png" => "image/png",
                "jpg" | "jpeg" => "image/jpeg",
                "webp" => "image/webp",
                _ => continue,
            };
            if seen >= limit {
                return Ok(added);
            }
            seen += 1;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            if let Err(e) = crate::data::photo::decode_photo(&bytes) {
                eprintln!("skipped {}: {} ({e})", file.display(), e.code());
                continue;
            }
            let id = format!(
                "{class}-{}",
                file.file_name().unwrap_or_default().to_string_lossy()
            );
            added += usize::from(items::insert(db, project, &id, ct, &bytes, Some(&class)).await?);
        }
    }
    Ok(added)
}
