//! Model versions: storing verified bundles (and their shared backbone files, once by
//! content), listing, the current version, and the files a browser downloads.

use kindling::Bundle;
use kindling::bundle::{WeightsDtype, WeightsFile};
use serde::Serialize;
use ts_rs::TS;

use super::error::{Error, Result};
use crate::backbone::canonical_burnpack;
use crate::store::models::NewVersion;
use crate::store::{self, Db};

/// The files to store for `bundle`'s backbone: its attached file, and (from an attached f32
/// file) every other listed element type whose derived bytes match the manifest's hash.
fn backbone_files_to_store(bundle: &Bundle) -> Vec<(WeightsFile, Vec<u8>)> {
    let (Some(backbone), Some(attached)) = (&bundle.manifest().backbone, bundle.backbone()) else {
        return Vec::new();
    };
    let mut out = vec![(attached.file.clone(), attached.bytes.clone())];
    if attached.file.dtype == WeightsDtype::F32 {
        for f in backbone
            .files
            .iter()
            .filter(|f| f.dtype != WeightsDtype::F32)
        {
            if let Ok(bytes) = canonical_burnpack(&attached.bytes, f.dtype)
                && kindling::bundle::sha256_hex(&bytes) == f.sha256
            {
                out.push((f.clone(), bytes));
            }
        }
    }
    out
}

/// Stores a verified bundle as a model version of `project` (current when `make_current`);
/// returns its version. Its backbone files are stored once by hash; a head-only bundle is
/// accepted only for a backbone the server already holds.
pub async fn store_bundle(
    db: &Db,
    project: &str,
    bundle: &Bundle,
    make_current: bool,
) -> Result<String> {
    let m = bundle.manifest();
    let labels = super::projects::labels(db, project).await?;
    if m.labels != labels {
        return Err(Error::invalid(
            "labels_mismatch",
            format!(
                "the model's labels {:?} differ from the project's {:?}",
                m.labels, labels
            ),
        ));
    }
    let mut w = db.write().await?;
    if store::models::exists(&mut w.tx, project, &m.version).await? {
        return Err(Error::conflict(
            "version_exists",
            format!(
                "model version `{}` exists; versions are immutable",
                m.version
            ),
        ));
    }
    if let Some(backbone) = &m.backbone {
        for (file, bytes) in backbone_files_to_store(bundle) {
            store::models::insert_backbone_file(&mut w.tx, &file.sha256, file.dtype.name(), &bytes)
                .await?;
        }
        let mut held = false;
        for f in &backbone.files {
            if store::models::has_backbone_file(&mut w.tx, &f.sha256).await? {
                held = true;
                break;
            }
        }
        if !held {
            return Err(Error::invalid(
                "backbone_missing",
                format!(
                    "the server does not hold the backbone `{}`: upload the bundle with its backbone file",
                    backbone.name
                ),
            ));
        }
    }
    let version = NewVersion {
        version: &m.version,
        manifest: &m.to_json(),
        weights: bundle.weights(),
        sha256: &m.weights.sha256,
        current: make_current,
    };
    store::models::insert(&mut w.tx, project, version).await?;
    w.commit().await?;
    Ok(m.version.clone())
}

/// Verifies an uploaded `.kbundle` archive (it must load natively) and stores it as a
/// candidate version.
pub async fn upload(db: &Db, project: &str, archive: &[u8]) -> Result<String> {
    let invalid = |e: kindling::bundle::BundleError| {
        Error::invalid("invalid_bundle", format!("{}: {e}", e.code()))
    };
    let bundle = Bundle::from_archive(archive).map_err(invalid)?;
    bundle
        .load_model(&burn::tensor::Device::flex())
        .map_err(invalid)?;
    store_bundle(db, project, &bundle, false).await
}

/// A version as listed.
#[derive(Debug, Serialize, TS)]
pub struct VersionInfo {
    /// Version name.
    pub version: String,
    /// Whether it is current.
    pub current: bool,
    /// Unix ms.
    pub created_at: i64,
    /// The manifest's metrics.
    pub metrics: Option<serde_json::Value>,
}

/// The project's versions, newest first.
pub async fn list(db: &Db, project: &str) -> Result<Vec<VersionInfo>> {
    let mut rows = store::models::list(db, project).await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|r| VersionInfo {
            version: r.version,
            current: r.current,
            created_at: r.created_at,
            metrics: r.manifest.get("metrics").cloned(),
        })
        .collect())
}

/// Makes `version` current.
pub async fn set_current(db: &Db, project: &str, version: &str) -> Result<()> {
    if !store::models::set_current(db, project, version).await? {
        return Err(Error::not_found(format!(
            "model version `{version}` not found"
        )));
    }
    Ok(())
}

/// The current version's name (404 when none).
pub async fn current_version(db: &Db, project: &str) -> Result<String> {
    store::models::current_version(db, project)
        .await?
        .ok_or_else(|| Error::not_found("no current model version"))
}

/// A file of a version, with its strong ETag value (a sha256).
#[derive(Debug)]
pub struct VersionFile {
    /// `application/json` or `application/octet-stream`.
    pub content_type: &'static str,
    /// sha256 of the bytes.
    pub sha256: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// `manifest.json`, the weights file, or one of the version's backbone files
/// (`backbone-<sha256>.bpk`).
pub async fn file(db: &Db, project: &str, version: &str, name: &str) -> Result<VersionFile> {
    let stored = store::models::files(db, project, version)
        .await?
        .ok_or_else(|| Error::not_found(format!("model version `{version}` not found")))?;
    let parsed = serde_json::from_str::<kindling::Manifest>(&stored.manifest).ok();
    let weights_path = parsed
        .as_ref()
        .map(|m| m.weights.path.clone())
        .unwrap_or_default();
    let backbone_file = parsed
        .as_ref()
        .and_then(|m| m.backbone.as_ref())
        .and_then(|b| b.files.iter().find(|f| f.path == name).cloned());
    if name == kindling::bundle::MANIFEST_FILE {
        Ok(VersionFile {
            content_type: "application/json",
            sha256: kindling::bundle::sha256_hex(stored.manifest.as_bytes()),
            bytes: stored.manifest.into_bytes(),
        })
    } else if name == weights_path {
        Ok(VersionFile {
            content_type: "application/octet-stream",
            sha256: stored.sha256,
            bytes: stored.weights,
        })
    } else if let Some(f) = backbone_file {
        let bytes = store::models::backbone_file(db, &f.sha256)
            .await?
            .ok_or_else(|| Error::not_found(format!("backbone file `{name}` is not held here")))?;
        Ok(VersionFile {
            content_type: "application/octet-stream",
            sha256: f.sha256,
            bytes,
        })
    } else {
        Err(Error::not_found(format!("bundle file `{name}` not found")))
    }
}

/// Attaches the stored backbone (f32 if held, else any listed type) to a bundle read from the
/// database, so that it can run natively.
pub async fn attach_backbone(db: &Db, bundle: &mut Bundle) -> anyhow::Result<()> {
    let Some(backbone) = bundle.manifest().backbone.clone() else {
        return Ok(());
    };
    for dtype in [WeightsDtype::F32, WeightsDtype::F16] {
        if let Some(f) = backbone.file(dtype)
            && let Some(b) = store::models::backbone_file(db, &f.sha256).await?
        {
            bundle.attach_backbone(dtype, b)?;
            return Ok(());
        }
    }
    anyhow::bail!("the server does not hold the backbone `{}`", backbone.name)
}

/// The project's current version, loaded with its backbone.
pub async fn current_bundle(db: &Db, project: &str) -> anyhow::Result<Option<(String, Bundle)>> {
    let Some(files) = store::models::current_files(db, project).await? else {
        return Ok(None);
    };
    let mut bundle = Bundle::from_parts(files.manifest.as_bytes(), files.weights)?;
    attach_backbone(db, &mut bundle).await?;
    Ok(Some((files.version, bundle)))
}
