//! One module per subcommand: clap arguments and printing only; the work is the domain's.

pub mod active_learning;
pub mod admin;
pub mod backbone;
pub mod bench;
pub mod bench_crossing;
pub mod bench_label_errors;
pub mod bench_photos;
pub mod bundle;
pub mod fixture;
pub mod fixture_photos;
pub mod import;
pub mod jobs;
pub mod predict;
pub mod serve;
pub mod server;
pub mod train;
pub mod train_head;
pub mod users;
pub mod worker;
