//! A folder of PNG/JPEG/WebP images with one subfolder per class (`cats/001.png`,
//! `dogs/x.jpg`), each image decoded (EXIF orientation applied) and resized and converted per
//! the input spec by the runtime's own preprocessing.

use std::path::{Path, PathBuf};

use kindling::bundle::{ImageInput, InputSpec};
use kindling::preprocess::image_from_rgba;

use super::error::io;
use super::{DataError, Dataset};

const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp"];

/// The entries of `dir`, in name order.
pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| io(dir, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    Ok(entries)
}

/// Reads every image under `root/<class>/`, classes in name order, resized to `spec`.
pub fn read_image_folder(root: &Path, spec: &ImageInput) -> Result<Dataset, DataError> {
    let class_dirs: Vec<PathBuf> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    if class_dirs.len() < 2 {
        return Err(DataError::Empty(format!(
            "{}: an image folder needs at least two class subfolders, found {}",
            root.display(),
            class_dirs.len()
        )));
    }
    let mut data = Dataset {
        items: Vec::new(),
        labels: Vec::new(),
        item_len: spec.width * spec.height * spec.channels,
        classes: Vec::new(),
        input: InputSpec::Image(spec.clone()),
    };
    for (label, dir) in class_dirs.iter().enumerate() {
        data.classes.push(
            dir.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
        for file in sorted_entries(dir)? {
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if !ext.is_some_and(|e| EXTENSIONS.contains(&e.as_str())) {
                continue;
            }
            let unreadable = |reason: String| DataError::UnreadableImage {
                path: file.display().to_string(),
                reason,
            };
            let bytes = std::fs::read(&file).map_err(|e| io(&file, e))?;
            let img = super::photo::decode_photo(&bytes).map_err(|e| unreadable(e.to_string()))?;
            let (w, h) = img.dimensions();
            let item = image_from_rgba(spec, img.as_raw(), w as usize, h as usize)
                .map_err(|e| unreadable(e.to_string()))?;
            data.items.extend(item);
            data.labels.push(label as u32);
        }
    }
    if data.is_empty() {
        return Err(DataError::Empty(format!(
            "{}: no PNG, JPEG or WebP images",
            root.display()
        )));
    }
    Ok(data)
}
