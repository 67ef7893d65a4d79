//! Review batches: labeled items with their content, handed to a reviewer's browser so the
//! likely-errors queue can be ranked and worked through offline. Reviews themselves travel as
//! sync ops (`domain::sync`); nothing is leased or locked here.

use serde::Serialize;
use ts_rs::TS;

use super::access::{self, User};
use super::error::Result;
use super::leases::{LeaseRequest, LeasedItem, batch};
use crate::store::types::Role;
use crate::store::{self, Db};

/// The answer to `POST /projects/{p}/review/items`.
#[derive(Debug, Serialize, TS)]
pub struct ReviewBatch {
    /// Labeled items the caller does not hold yet, in upload order, content included.
    pub items: Vec<LeasedItem>,
    /// Items of the project with at least one label (the whole review pool).
    pub labeled: i64,
}

/// Hands an owner or reviewer up to `limit` labeled items not in `exclude`, with content
/// (at most [`super::leases::MAX_LEASE_BYTES`] of it; at least one item).
pub async fn items(db: &Db, user: &User, project: &str, req: &LeaseRequest) -> Result<ReviewBatch> {
    access::require(db, project, user, &[Role::Owner, Role::Reviewer]).await?;
    let (limit, exclude) = req.checked()?;
    let labeled = store::labels::labeled_items(db, project).await?;
    let candidates = store::items::labeled(db, project, (limit + exclude.len()) as i64).await?;
    let mut items = Vec::new();
    for item in batch(candidates, &exclude, limit) {
        // An item is immutable once uploaded; one that vanished meanwhile is simply skipped.
        if let Some(content) = store::items::content(db, project, &item.id).await? {
            items.push(LeasedItem::with_content(item, &content.bytes));
        }
    }
    Ok(ReviewBatch { items, labeled })
}
