//! Why a data set could not be read.

use thiserror::Error;

/// Why a data set could not be read.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file or directory could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The path at fault.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// An IDX file starts with the wrong magic number (not IDX, or images/labels swapped).
    #[error("{path}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    BadMagic {
        /// The file at fault.
        path: String,
        /// The magic number found.
        found: u32,
        /// The magic number expected.
        expected: u32,
        /// What kind of file was expected.
        what: &'static str,
    },
    /// A file ends before the data its header announces.
    #[error("{path} is truncated: the header announces {expected} bytes, {actual} are present")]
    Truncated {
        /// The file at fault.
        path: String,
        /// Bytes announced.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// A gzipped file does not decompress (cut short or damaged).
    #[error("{path}: corrupt or truncated gzip stream ({reason})")]
    CorruptGzip {
        /// The file at fault.
        path: String,
        /// The decoder's message.
        reason: String,
    },
    /// Image and label counts differ.
    #[error("{images} images but {labels} labels")]
    CountMismatch {
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A label is not a valid class index.
    #[error("{path}: label {label} at item {index} is outside the {classes} classes")]
    LabelOutOfRange {
        /// The file at fault.
        path: String,
        /// Item index.
        index: usize,
        /// The label found.
        label: u32,
        /// Number of classes.
        classes: usize,
    },
    /// An image file could not be decoded.
    #[error("unreadable image {path}: {reason}")]
    UnreadableImage {
        /// The file at fault.
        path: String,
        /// The decoder's message.
        reason: String,
    },
    /// A CSV row has a different number of fields than the header.
    #[error("{path}:{line}: {found} fields, but the header has {expected}")]
    RaggedCsv {
        /// The file at fault.
        path: String,
        /// 1-based line number.
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A CSV feature is not a number.
    #[error("{path}:{line}: column `{column}` holds `{value}`, not a number")]
    NotANumber {
        /// The file at fault.
        path: String,
        /// 1-based line number.
        line: usize,
        /// Column name.
        column: String,
        /// The text found.
        value: String,
    },
    /// The CSV has no column of the given label name.
    #[error("{path}: no label column `{column}` (columns: {columns})")]
    MissingLabelColumn {
        /// The file at fault.
        path: String,
        /// The label column asked for.
        column: String,
        /// The columns present.
        columns: String,
    },
    /// A JSON file is malformed or has the wrong shape.
    #[error("{path}: {reason}")]
    BadJson {
        /// The file at fault.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The data set holds no items (or fewer than two classes).
    #[error("{0}")]
    Empty(String),
    /// The data source could not be recognized.
    #[error(
        "cannot tell what data set `{0}` is; give `fashion-mnist`, `mnist`, an IDX directory, an image folder or a .csv file"
    )]
    UnknownSource(String),
}

/// Maps an I/O error on `path` to [`DataError::Io`].
pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> DataError {
    DataError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
