//! Kindling's native side: the server and the `kindling` CLI.
//!
//! Layers, each depending only on those below it (see `ARCHITECTURE.md`):
//! - [`http`] (axum handlers) and [`cli`] (clap commands) — the edges; neither imports the other's
//!   handlers or commands;
//! - [`domain`] — the rules: projects, items, sync, leases, models, jobs, dashboard, import;
//!   one error type with stable codes;
//! - [`store`] — every SQL statement, typed rows and enums;
//! - beside them, pure libraries: [`data`] readers, [`train`] (burn autodiff), [`backbone`]
//!   import, [`onnx`] export, [`clock`].

pub mod backbone;
pub mod cli;
pub mod clock;
pub mod data;
pub mod demo_bundle;
pub mod domain;
pub mod http;
pub mod onnx;
pub mod store;
pub mod train;
