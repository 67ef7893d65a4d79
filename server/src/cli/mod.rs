//! One module per subcommand.

pub mod active_learning;
pub mod admin;
pub mod backbone;
pub mod bench;
pub mod bench_photos;
pub mod bundle;
pub mod fixture;
pub mod fixture_photos;
pub mod predict;
pub mod train;
pub mod train_head;

/// The current time as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
