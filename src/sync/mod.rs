//! The label sync protocol, shared by the server and the browser: wire types, the hybrid
//! logical clock, the conflict rule, and a storage- and transport-agnostic client state
//! machine. See `docs/sync-protocol.md`.

pub mod client;
pub mod hlc;
pub mod protocol;

pub use client::{ClientState, LocalLabel, PushFailure};
pub use hlc::Hlc;
pub use protocol::{
    Change, LabelValue, Op, OpKind, OpResult, Outcome, PullResponse, PushRequest, PushResponse,
    Review, ReviewAction,
};

/// The conflict rule on one `(project, item, annotator)` key: the write with the greater
/// `(hlc, client_id)` wins. Returns whether `a` wins over `b`.
pub fn wins(a: (Hlc, &str), b: (Hlc, &str)) -> bool {
    a > b
}
