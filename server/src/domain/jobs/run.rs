//! Running one job: the project's labels → burn training (progress and cancellation per epoch)
//! → evaluation of the new and the current model on the evaluation set → a new version,
//! current only if it is strictly better there.

use std::sync::Arc;

use anyhow::Context;
use burn::tensor::Device;
use kindling::bundle::{BundleInfo, ImageInput, InputSpec};
use kindling::session::TextEncoder;
use kindling::{ArchConfig, Bundle, Model};

use super::dataset::{self, ItemEncoder, ProjectData};
use super::embeddings;
use super::publish::{self, Evidence};
use super::{Job, JobConfig, JobProgress, JobResult};
use crate::clock::now_rfc3339;
use crate::data::LoadedData;
use crate::store::types::Task;
use crate::store::{self, Db, now_ms};
use crate::train::{
    EpochHook, EpochStats, Evaluation, TrainOptions, evaluate, normalized, preset, train,
};

/// The current version of a project, loaded.
struct Current {
    version: String,
    bundle: Bundle,
}

async fn current(db: &Arc<Db>, project: &str) -> anyhow::Result<Option<Current>> {
    Ok(super::super::models::current_bundle(db, project)
        .await?
        .map(|(version, bundle)| Current { version, bundle }))
}

/// Largest side of a from-scratch model's input: bigger first images are scaled down to it
/// (aspect kept), and every image is resized to that shape.
pub const MAX_SCRATCH_SIDE: usize = 64;

/// The input size of a from-scratch model for a first image of `width`×`height`.
fn scratch_input_size(width: usize, height: usize) -> (usize, usize) {
    let side = width.max(height);
    if side <= MAX_SCRATCH_SIDE {
        return (width, height);
    }
    let scale = |n: usize| (n * MAX_SCRATCH_SIDE).div_ceil(side).max(1);
    (scale(width), scale(height))
}

/// How items become training data: the current model's input (a text model tokenizes with
/// its backbone's vocabulary), else images shaped like the first image item.
async fn item_encoder(
    db: &Arc<Db>,
    project: &str,
    current: Option<&Current>,
) -> anyhow::Result<ItemEncoder> {
    match current.map(|c| (&c.bundle, &c.bundle.manifest().input)) {
        Some((_, InputSpec::Image(i))) => return Ok(ItemEncoder::Image(i.clone())),
        Some((bundle, InputSpec::Text(spec))) => {
            let tokenizer = kindling::session::tokenizer_of(bundle)?
                .context("the text model has no tokenizer")?;
            return Ok(ItemEncoder::Text {
                spec: spec.clone(),
                tokenizer,
            });
        }
        _ => {}
    }
    let task = store::projects::get(db, project)
        .await?
        .context("the project is gone")?
        .task;
    if task == Task::Text {
        // No model yet: a `text_ngram` classifier learns from the labels alone.
        let InputSpec::Text(spec) = crate::data::texts::ngram_input() else {
            unreachable!("ngram_input is a text spec")
        };
        return Ok(ItemEncoder::Text {
            tokenizer: TextEncoder::Hashed(crate::data::texts::hasher(&spec)),
            spec,
        });
    }

    // The first image that decodes sets the shape; a bad or huge first upload must not decide
    // it (an 8000×8000 photo would make a network of billions of weights).
    let image = store::items::first_images(db, project, 100)
        .await?
        .iter()
        .find_map(|bytes| crate::data::photo::decode_photo(bytes).ok())
        .context("none of the project's first 100 image items decodes")?;
    let channels = if image.pixels().any(|p| p[0] != p[1] || p[1] != p[2]) {
        3
    } else {
        1
    };
    let (width, height) = scratch_input_size(image.width() as usize, image.height() as usize);
    Ok(ItemEncoder::Image(ImageInput {
        width,
        height,
        channels,
        mean: vec![0.0; channels],
        std: vec![1.0; channels],
        light_on_dark: false,
        resize: Default::default(),
    }))
}

/// The next free integer version of the project.
async fn next_version(db: &Arc<Db>, project: &str) -> anyhow::Result<String> {
    let max = store::models::version_names(db, project)
        .await?
        .iter()
        .filter_map(|v| v.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Ok((max + 1).to_string())
}

/// What a training run produced, before it becomes a version.
struct Trained {
    /// `cnn`/`mlp`, or `head` for a head on a backbone.
    kind: String,
    arch: ArchConfig,
    model: Model,
    /// The input spec of the new version.
    input: InputSpec,
    /// The new model on the evaluation set.
    eval: Evaluation,
    /// The current version on the same items, if there is one.
    current_eval: Option<f64>,
    history: Vec<EpochStats>,
    /// Items embedded by the backbone in this job (the others' embeddings were stored).
    embedded: usize,
}

/// Trains `config.arch` from scratch on the project's images (progress and cancellation per
/// epoch) and evaluates it and the current version on the evaluation set.
async fn train_from_scratch(
    db: &Arc<Db>,
    job: &Job,
    config: &JobConfig,
    current: Option<&Current>,
    data: &LoadedData,
    classes: usize,
) -> anyhow::Result<Trained> {
    // A text project learns `text_ngram` whatever the job asks for (the presets are images').
    let name = if matches!(data.train.input, InputSpec::Text(_)) {
        "text_ngram"
    } else {
        config.arch.as_str()
    };
    let arch: ArchConfig = preset(name, &data.train.input, classes)?;

    let base = if name == "text_ngram" {
        crate::train::text_ngram_options(data.train.len(), config.seed)
    } else {
        TrainOptions {
            epochs: config.epochs,
            batch_size: 64,
            learning_rate: 1e-3,
            seed: config.seed,
            val_split: 0.1,
            test_split: 0.0,
            patience: config.patience,
            augment_shift: 0,
            limit: None,
            quiet: true,
            on_epoch: EpochHook::default(),
        }
    };

    // Progress and cancellation from the training thread, through this runtime.
    let handle = tokio::runtime::Handle::current();
    let hook_db = db.clone();
    let hook_id = job.id.clone();
    let epochs = base.epochs;
    let hook = EpochHook(Some(Arc::new(move |s: &EpochStats| {
        handle.block_on(async {
            let _ = store::jobs::set_progress(
                &hook_db,
                &hook_id,
                &JobProgress::Training {
                    epoch: s.epoch,
                    epochs,
                    train_loss: s.train_loss,
                    val_accuracy: s.val_accuracy,
                },
            )
            .await;
            !store::jobs::cancel_requested(&hook_db, &hook_id).await
        })
    })));
    let opts = TrainOptions {
        on_epoch: hook,
        ..base
    };
    let train_data = data.clone();
    let train_arch = arch.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        train(&train_arch, &train_data, &opts, &Device::flex())
    })
    .await
    .context("the training thread panicked")??;
    store::jobs::set_progress(db, &job.id, &JobProgress::Evaluating).await?;

    // The current model on today's evaluation set (it grows as people label).
    let eval = data.test.as_ref().expect("the evaluation set");
    let current_eval = match &current {
        Some(c) => {
            let model = c.bundle.load_model(&Device::flex())?;
            let set = normalized(eval, &c.bundle.manifest().input);
            Some(evaluate(&model, &set, &Device::flex()).accuracy)
        }
        None => None,
    };
    Ok(Trained {
        kind: name.to_string(),
        arch,
        model: outcome.model,
        input: outcome.input,
        eval: outcome.test,
        current_eval,
        history: outcome.history,
        embedded: 0,
    })
}

/// Whether `bundle` is a backbone's untrained head (`kindling admin set-backbone`).
fn is_untrained(bundle: &Bundle) -> bool {
    bundle
        .manifest()
        .metrics
        .as_ref()
        .and_then(|m| m.extra.get("untrained"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// A head on the current version's backbone: the labeled items are embedded (natively, the
/// same code as the browser; embeddings stored by an earlier job are read instead), a head is
/// fitted in seconds, and it and the current head are evaluated on the embeddings of the
/// evaluation set.
async fn train_head(
    db: &Arc<Db>,
    job: &Job,
    current: &Current,
    data: &LoadedData,
    keys: &(Vec<String>, Vec<String>),
) -> anyhow::Result<Trained> {
    let bundle = current.bundle.clone();
    let backbone_sha = bundle
        .backbone()
        .map(|b| b.file.sha256.clone())
        .context("the backbone file is not attached")?;
    // The same weights read another input spec (128 or 256 tokens, with or without word ids, a
    // 160- or 224-pixel photo) into other embeddings: the store keys them by both.
    let backbone_sha = store::embeddings::representation_key(
        &backbone_sha,
        &serde_json::to_string(&bundle.manifest().input)?,
    );
    let size = bundle
        .manifest()
        .backbone
        .as_ref()
        .map(|b| b.embedding_size())
        .context("the model has no backbone")?;
    let all_keys: Vec<String> = keys.0.iter().chain(&keys.1).cloned().collect();
    let known = store::embeddings::stored(db, &backbone_sha, &all_keys, size).await?;
    let to_embed = all_keys.iter().filter(|k| !known.contains_key(*k)).count();
    store::jobs::set_progress(
        db,
        &job.id,
        &JobProgress::Embedding {
            items: to_embed,
            stored: all_keys.len() - to_embed,
        },
    )
    .await?;
    if store::jobs::cancel_requested(db, &job.id).await {
        return Err(crate::train::Cancelled.into());
    }
    let data = data.clone();
    let keys = keys.clone();
    let seed = job.config.seed;
    let (trained, fresh) = tokio::task::spawn_blocking(move || {
        let session = pollster::block_on(kindling::Session::load(
            &bundle,
            kindling::DeviceChoice::Cpu,
        ))?;
        let (train, mut fresh) = embeddings::embed_missing(&session, &data.train, &keys.0, &known)?;
        let eval_set = data.test.as_ref().context("the evaluation set")?;
        let (eval_embedded, fresh_eval) =
            embeddings::embed_missing(&session, eval_set, &keys.1, &known)?;
        fresh.extend(fresh_eval);
        let config = crate::backbone::head::HeadConfig::for_labels(train.len(), seed)
            .for_input(&bundle.manifest().input);
        let (arch, head) = crate::backbone::head::fit_head(&train, &config, &Device::flex())?;
        let eval = evaluate(&head, &eval_embedded, &Device::flex());
        let current_head = bundle.load_model(&Device::flex())?;
        let current_eval = evaluate(&current_head, &eval_embedded, &Device::flex()).accuracy;
        anyhow::Ok((
            Trained {
                kind: "head".into(),
                arch,
                model: head,
                input: bundle.manifest().input.clone(),
                eval,
                current_eval: Some(current_eval),
                history: Vec::new(),
                embedded: to_embed,
            },
            fresh,
        ))
    })
    .await
    .context("the training thread panicked")??;
    store::embeddings::store(db, &backbone_sha, &fresh).await?;
    Ok(trained)
}

/// Runs `job` to its end; returns its result (version, decision, metrics).
pub async fn execute(db: &Arc<Db>, job: &Job) -> anyhow::Result<JobResult> {
    let started = std::time::Instant::now();
    let project = job.project_id.clone();
    let config: JobConfig = job.config.clone();
    store::jobs::set_progress(db, &job.id, &JobProgress::Loading).await?;
    let classes = super::super::projects::labels(db, &project).await?;
    let current = current(db, &project).await?;
    let encoder = item_encoder(db, &project, current.as_ref()).await?;
    let ProjectData {
        data,
        snapshot,
        content_keys,
    } = dataset::load(db, &project, &classes, &encoder).await?;
    let present = data
        .train
        .labels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    anyhow::ensure!(
        snapshot.label_count >= 10 && present >= 2,
        "need at least 10 labeled training items in 2 classes (have {} in {present}; evaluation items are not trained on)",
        snapshot.label_count
    );
    let trained = match current
        .as_ref()
        .filter(|c| c.bundle.manifest().has_backbone())
    {
        Some(c) => train_head(db, job, c, &data, &content_keys).await?,
        None => {
            train_from_scratch(db, job, &config, current.as_ref(), &data, classes.len()).await?
        }
    };
    let (new_eval, current_eval) = (trained.eval.accuracy, trained.current_eval);
    let untrained_current = current.as_ref().is_some_and(|c| is_untrained(&c.bundle));
    let publish::Decision { publish, reason } = publish::decide(Evidence {
        eval_count: snapshot.eval_count,
        new_accuracy: new_eval,
        current_accuracy: current_eval,
        current_untrained: untrained_current,
    });
    let version = next_version(db, &project).await?;
    let training_ms = started.elapsed().as_millis() as i64;
    let mut metrics = trained.eval.metrics();
    metrics.extra.insert(
        "evaluation_set".into(),
        serde_json::json!("project evaluation items (never trained on)"),
    );
    metrics
        .extra
        .insert("history".into(), serde_json::to_value(&trained.history)?);
    let info = BundleInfo {
        name: format!("{project}-{}", trained.kind),
        version: version.clone(),
        input: trained.input.clone(),
        labels: classes.clone(),
        metrics: Some(metrics),
        created_at: now_rfc3339(),
    };
    let bundle = match current
        .as_ref()
        .filter(|c| c.bundle.manifest().has_backbone())
    {
        Some(c) => Bundle::head_on(&c.bundle, info, trained.arch, trained.model)?,
        None => Bundle::from_model(info, trained.arch, trained.model)?,
    };
    super::super::models::store_bundle(db, &project, &bundle, publish)
        .await
        .context("storing the new version")?;
    let info = serde_json::json!({
        "job_id": job.id,
        "snapshot": snapshot,
        "config": config,
        "eval_accuracy": new_eval,
        "eval_confusion": trained.eval.confusion,
        "current_version": current.as_ref().map(|c| c.version.clone()),
        "current_eval_accuracy": current_eval,
        "published": publish,
        "reason": reason,
        "training_ms": training_ms,
        "epochs_run": trained.history.len(),
        "items_embedded": trained.embedded,
        "skipped_items": snapshot.skipped,
        "finished_at": now_ms(),
    });
    store::models::set_info(db, &project, &version, &info).await?;
    tracing::info!("job {}: version {version} {}", job.id, reason);
    Ok(JobResult {
        version,
        published: publish,
        reason,
        eval_accuracy: new_eval,
        current_eval_accuracy: current_eval,
        label_count: snapshot.label_count,
        eval_count: snapshot.eval_count,
        label_hash: snapshot.label_hash,
        training_ms,
        items_embedded: trained.embedded,
    })
}

#[cfg(test)]
mod tests {
    use super::{MAX_SCRATCH_SIDE, scratch_input_size};

    #[test]
    fn a_huge_first_image_does_not_size_the_network() {
        assert_eq!(scratch_input_size(28, 28), (28, 28));
        assert_eq!(
            scratch_input_size(8000, 8000),
            (MAX_SCRATCH_SIDE, MAX_SCRATCH_SIDE)
        );
        assert_eq!(scratch_input_size(8000, 2000), (64, 16));
        assert_eq!(scratch_input_size(10_000, 1), (64, 1));
    }
}
