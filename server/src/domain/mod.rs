//! The domain: what the server does, independent of HTTP and the command line — who may do
//! what ([`access`]), projects and members, items, exactly-once label sync, leases, model
//! versions, training jobs (with a pure publish policy), the dashboard, history, export and
//! import. Everything here reads and writes through [`crate::store`] and fails with
//! [`Error`], whose `code()` the edges pass on.

pub mod access;
pub mod dashboard;
pub mod error;
pub mod export;
pub mod history;
pub mod import;
pub mod invitations;
pub mod items;
pub mod jobs;
pub mod leases;
pub mod models;
pub mod projects;
pub mod review;
pub mod sync;

pub use error::{Error, Refusal, Result};
