//! Files people import (`kindling import`): IDX images and labels, CSV tables, JSONL and CSV
//! texts, and photos. The first byte picks the reader; the rest is the file. Errors with a
//! reason, never a panic.
#![no_main]

use kindling_server::data;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&which, file)) = input.split_first() else {
        return;
    };
    if which % 6 == 5 {
        let _ = data::photo::decode_photo(file);
        return;
    }
    let dir = std::env::temp_dir().join(format!("kindling-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (name, read): (&str, fn(&std::path::Path)) = match which % 6 {
        0 => ("images.idx", |p| drop(data::read_idx_images(p))),
        1 => ("labels.idx", |p| drop(data::read_idx_labels(p))),
        2 => ("table.csv", |p| drop(data::read_csv(p, "label"))),
        3 => ("texts.jsonl", |p| drop(kindling_server::domain::import::read_texts(p, "jsonl"))),
        _ => ("texts.csv", |p| drop(kindling_server::domain::import::read_texts(p, "csv"))),
    };
    let path = dir.join(name);
    if std::fs::write(&path, file).is_ok() {
        read(&path);
    }
});
