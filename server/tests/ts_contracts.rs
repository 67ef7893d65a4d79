//! The TypeScript types of the API bodies, generated from the server's Rust types (ts-rs), are
//! the ones checked in at `www/app/generated/api-types.ts`, and those of the sync protocol,
//! generated from the `kindling` crate's types, the ones at `src/wasm/generated/sync-types.ts`
//! (the wasm package's `.d.ts` includes that file): the app cannot drift from the server or the
//! protocol. Regenerate both with `KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts`.

use kindling::sync::{
    Change, Hlc, LabelValue, LocalLabel, Op, OpKind, OpResult, Outcome, PullResponse, PushRequest,
    PushResponse, Review, ReviewAction,
};
use kindling_server::domain::access::User;
use kindling_server::domain::dashboard::{
    AgreementFigures, AnnotatorLine, ClassAgreement, Confusion, Dashboard, PairAgreement,
    VersionLine,
};
use kindling_server::domain::history::History;
use kindling_server::domain::items::{Gold, ItemsPage};
use kindling_server::domain::leases::{Lease, LeaseRequest, LeasedItem};
use kindling_server::domain::models::VersionInfo;
use kindling_server::domain::projects::{NewProject, Progress, ProjectDetail, ProjectInfo};
use kindling_server::domain::review::ReviewBatch;
use kindling_server::http::jobs::JobList;
use kindling_server::http::models::{VersionList, VersionRef};
use kindling_server::http::projects::{
    AutoTrain, CreatedProject, Membership, MembershipOffer, Overlap,
};
use kindling_server::store::invitations::{Invitation, Invited};
use kindling_server::store::items::ItemRow;
use kindling_server::store::jobs::{Job, JobConfig, JobProgress, JobResult};
use kindling_server::store::labels::Event;
use kindling_server::store::types::{JobStatus, JobTrigger, Role, Task};
use ts_rs::{Config, TS};

const GENERATED: &str = "../www/app/generated/api-types.ts";
const GENERATED_SYNC: &str = "../src/wasm/generated/sync-types.ts";

/// The declarations of the API bodies, in a fixed order.
fn declarations() -> String {
    // Integers the API sends are below 2^53: JSON numbers, not bigints.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Role::decl(&cfg),
        Task::decl(&cfg),
        JobStatus::decl(&cfg),
        JobTrigger::decl(&cfg),
        User::decl(&cfg),
        NewProject::decl(&cfg),
        CreatedProject::decl(&cfg),
        ProjectInfo::decl(&cfg),
        Progress::decl(&cfg),
        ProjectDetail::decl(&cfg),
        Membership::decl(&cfg),
        MembershipOffer::decl(&cfg),
        Invitation::decl(&cfg),
        Invited::decl(&cfg),
        AutoTrain::decl(&cfg),
        Overlap::decl(&cfg),
        ItemRow::decl(&cfg),
        ItemsPage::decl(&cfg),
        Gold::decl(&cfg),
        LeaseRequest::decl(&cfg),
        LeasedItem::decl(&cfg),
        Lease::decl(&cfg),
        ReviewBatch::decl(&cfg),
        Event::decl(&cfg),
        History::decl(&cfg),
        VersionInfo::decl(&cfg),
        VersionRef::decl(&cfg),
        VersionList::decl(&cfg),
        JobConfig::decl(&cfg),
        JobProgress::decl(&cfg),
        JobResult::decl(&cfg),
        Job::decl(&cfg),
        JobList::decl(&cfg),
        VersionLine::decl(&cfg),
        Confusion::decl(&cfg),
        AnnotatorLine::decl(&cfg),
        PairAgreement::decl(&cfg),
        ClassAgreement::decl(&cfg),
        AgreementFigures::decl(&cfg),
        Dashboard::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the server's Rust types by server/tests/ts_contracts.rs (ts-rs): do not edit.\n\
         // Regenerate: KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts\n\
         \n\
         /** Any JSON value. */\n\
         export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n",
    );
    exported(&mut out, decls);
    out
}

/// The declarations of the sync protocol (`kindling::sync`), in a fixed order.
fn sync_declarations() -> String {
    // Clock walls, seqs and versions stay below 2^53 (the server refuses larger ones).
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Hlc::decl(&cfg),
        ReviewAction::decl(&cfg),
        Review::decl(&cfg),
        LabelValue::decl(&cfg),
        OpKind::decl(&cfg),
        Op::decl(&cfg),
        PushRequest::decl(&cfg),
        Outcome::decl(&cfg),
        OpResult::decl(&cfg),
        PushResponse::decl(&cfg),
        Change::decl(&cfg),
        PullResponse::decl(&cfg),
        LocalLabel::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the kindling crate's sync types by server/tests/ts_contracts.rs (ts-rs): do not edit.\n\
         // Regenerate: KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts\n",
    );
    exported(&mut out, decls);
    out
}

/// Appends each declaration as an `export`.
fn exported(out: &mut String, decls: impl IntoIterator<Item = String>) {
    for d in decls {
        assert!(
            d.starts_with("type "),
            "a declaration starts with `type`: {d}"
        );
        out.push_str("\nexport ");
        out.push_str(&d);
        out.push('\n');
    }
}

/// Compares `fresh` with the checked-in file at `relative` (or writes it when asked to).
fn check_generated(relative: &str, fresh: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("KINDLING_WRITE_TS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "{relative} is not what the Rust types generate; run\n  \
         KINDLING_WRITE_TS=1 cargo test -p kindling-server --test ts_contracts\nand commit it"
    );
}

#[test]
fn the_apps_api_types_are_generated_from_the_server() {
    check_generated(GENERATED, &declarations());
}

#[test]
fn the_packages_sync_types_are_generated_from_the_protocol() {
    check_generated(GENERATED_SYNC, &sync_declarations());
}
