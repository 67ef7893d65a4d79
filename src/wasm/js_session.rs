//! The `Session` class JavaScript sees.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Function, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::KindlingError;
use super::digest::archive_bundle;
use super::fetch::{
    FetchOptions, Progress, complete_backbone, fetch_bundle, fetch_head, fetch_manifest, keep,
};
use super::local_head_options::{LocalLearner, local_learner};
use super::threads::{self, Threads};
use crate::bundle::{InputSpec, WeightsDtype};
use crate::device::{DeviceChoice, cpu_device};
use crate::local_head::{LinearHead, LocalHeadError, fit_linear_head};
use crate::local_lexical_head::{
    LexicalFit, LexicalLocalHead, WORDS_FROM_LABELS, fit_lexical_head,
};
use crate::preprocess::image_from_rgba;
use crate::session;
use crate::svm_head::fit_svm_head;

/// The local head a session holds: over the embeddings' vectors, or (a text backbone that
/// carries the words, from [`WORDS_FROM_LABELS`] labels) over the words too.
#[derive(Debug)]
enum LocalHead {
    /// See [`LinearHead`].
    Vectors(LinearHead),
    /// See [`LexicalLocalHead`].
    Words(LexicalLocalHead),
}

impl LocalHead {
    fn trained_on(&self) -> usize {
        match self {
            LocalHead::Vectors(h) => h.trained_on,
            LocalHead::Words(h) => h.trained_on,
        }
    }
}

/// A model loaded from a bundle, on the device it reports.
#[wasm_bindgen]
pub struct Session {
    inner: RefCell<Option<Rc<session::Session>>>,
    /// The head fitted here on labeled embeddings (`trainLocalHead`), if any.
    local: Rc<RefCell<Option<Rc<LocalHead>>>>,
    device: &'static str,
    fallback_reason: Option<String>,
    threads: Threads,
}

fn disposed() -> KindlingError {
    KindlingError::new(
        "SESSION_DISPOSED",
        "this session was disposed; load the bundle again with Session.load()",
    )
}

pub(super) fn option(options: &JsValue, key: &str) -> JsValue {
    if options.is_object() {
        Reflect::get(options, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Reads the bytes of a `Uint8Array` or `ArrayBuffer`.
fn bytes_of(source: &JsValue) -> Option<Vec<u8>> {
    if source.is_instance_of::<Uint8Array>() || source.is_instance_of::<js_sys::ArrayBuffer>() {
        Some(Uint8Array::new(source).to_vec())
    } else {
        None
    }
}

#[wasm_bindgen]
impl Session {
    /// Loads a bundle and sets up the device.
    ///
    /// `source` is a URL (a bundle directory, its `manifest.json`, or a `.kbundle` archive) or
    /// the archive's bytes (`Uint8Array` / `ArrayBuffer`). `options.device` is `'auto'`
    /// (default), `'webgpu'` or `'cpu'`. A bundle with a backbone takes it from the archive, the
    /// Cache API (`options.cache`, default `true`) or the bundle's directory, in
    /// `options.dtype` (`'f32'` default, or `'f16'`: half the download). Rejects with a
    /// `KindlingError` whose `code` says what was wrong with the bundle, the device or the
    /// download.
    pub async fn load(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] source: JsValue,
        #[wasm_bindgen(unchecked_param_type = "LoadOptions")] options: Option<js_sys::Object>,
    ) -> Result<Session, JsValue> {
        Ok(Self::load_inner(source, options.map_or(JsValue::UNDEFINED, JsValue::from)).await?)
    }

    /// Trains a `text_ngram` classifier here, offline, on `texts` labeled `labels` (indices
    /// into `classNames`; at least 2 classes present) as multinomial naive Bayes over hashed
    /// word, bigram and character n-grams (closed form, milliseconds), and resolves to a CPU
    /// session of it (model version `local`): a text project learns from its first labels
    /// before any model exists. `options.smoothing` (0.3, added to every n-gram count),
    /// `options.buckets` (65,536).
    #[wasm_bindgen(js_name = trainTextNgram)]
    pub async fn train_text_ngram(
        texts: Vec<String>,
        labels: js_sys::Uint32Array,
        #[wasm_bindgen(js_name = classNames)] class_names: Vec<String>,
        #[wasm_bindgen(unchecked_param_type = "{ smoothing?: number; buckets?: number }")]
        options: Option<js_sys::Object>,
    ) -> Result<Session, JsValue> {
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        // Predicting runs flex kernels: in the threaded module they need the pool.
        let threads = threads::prepare(None).await?;
        let defaults = crate::local_ngram::LocalNgramConfig::default();
        let config = crate::local_ngram::LocalNgramConfig {
            smoothing: option(&options, "smoothing")
                .as_f64()
                .map_or(defaults.smoothing, |v| v as f32),
            buckets: option(&options, "buckets")
                .as_f64()
                .map_or(defaults.buckets, |v| (v as u32).max(2)),
            ..defaults
        };
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let bundle = crate::local_ngram::train_local_ngram(
            &refs,
            &labels.to_vec(),
            &class_names,
            config,
            "local-text_ngram",
            String::new(),
        )
        .map_err(|e| KindlingError::new(e.code(), e.to_string()))?;
        let device = cpu_device(None).map_err(KindlingError::from)?;
        let inner = session::Session::on_device(&bundle, device).map_err(KindlingError::from)?;
        Ok(Session {
            device: inner.backend().as_str(),
            fallback_reason: None,
            threads,
            inner: RefCell::new(Some(Rc::new(inner))),
            local: Rc::new(RefCell::new(None)),
        })
    }

    /// The manifest of the bundle at `url` (a directory, its `manifest.json` or a `.kbundle`),
    /// from the cache when `Session.load` kept it, else downloaded: to choose a module, device
    /// or dtype before loading. Rejects like `Session.load`.
    #[wasm_bindgen(js_name = fetchManifest, unchecked_return_type = "Promise<Manifest>")]
    pub async fn fetch_manifest_js(
        url: String,
        #[wasm_bindgen(unchecked_param_type = "FetchOptions")] options: Option<js_sys::Object>,
    ) -> Result<JsValue, JsValue> {
        super::init_once();
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let manifest = fetch_manifest(&url, &fetch_options(&options)?).await?;
        Ok(manifest_to_js(&manifest)?)
    }

    /// Deletes the bundles and backbones this package keeps in this origin's Cache API;
    /// resolves to whether there was anything to delete. The next load downloads again.
    #[wasm_bindgen(js_name = clearCache)]
    pub async fn clear_cache() -> bool {
        super::file_cache::clear_all().await
    }

    /// What actually runs this session: `'webgpu'`, `'cpu-simd'` or `'cpu'`.
    #[wasm_bindgen(getter, unchecked_return_type = "DeviceName")]
    pub fn device(&self) -> String {
        self.device.to_string()
    }

    /// Why `device: 'auto'` did not get WebGPU, when it did not.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.fallback_reason.clone()
    }

    /// How many threads this session's CPU work runs on (1 outside the threaded module).
    #[wasm_bindgen(getter)]
    pub fn threads(&self) -> usize {
        self.threads.count
    }

    /// Why this session runs on one thread where more could have helped (the page is not
    /// cross-origin isolated, the main thread, the single-threaded module), else `null`.
    #[wasm_bindgen(getter, js_name = threadsFallbackReason)]
    pub fn threads_fallback_reason(&self) -> Option<String> {
        self.threads.fallback_reason.clone()
    }

    /// The bundle's manifest.
    #[wasm_bindgen(getter, unchecked_return_type = "Manifest")]
    pub fn manifest(&self) -> Result<JsValue, JsValue> {
        let inner = self.inner.borrow();
        let s = inner.as_ref().ok_or_else(disposed)?;
        Ok(manifest_to_js(s.manifest())?)
    }

    /// Size of the embeddings `embed` returns, or `undefined` for a model without a backbone.
    #[wasm_bindgen(getter, js_name = embeddingSize)]
    pub fn embedding_size(&self) -> Result<Option<usize>, JsValue> {
        let inner = self.inner.borrow();
        Ok(inner.as_ref().ok_or_else(disposed)?.embedding_size())
    }

    /// How many values at the start of each embedding form its vector (what distances and
    /// the local head read): `embeddingSize`, except for a text backbone that carries the
    /// texts' hashed word ids after the sentence embedding; `undefined` without a backbone.
    #[wasm_bindgen(getter, js_name = vectorSize)]
    pub fn vector_size(&self) -> Result<Option<usize>, JsValue> {
        let inner = self.inner.borrow();
        Ok(inner.as_ref().ok_or_else(disposed)?.vector_size())
    }

    /// The backbone's embeddings of `batchSize` items (as for `predict`): a `Float32Array`
    /// `[batch, embeddingSize]`. Rejects with `NO_BACKBONE` for a model without one.
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn embed(
        &self,
        input: Float32Array,
        #[wasm_bindgen(js_name = batchSize)] batch_size: usize,
    ) -> js_sys::Promise {
        let session = self.inner.borrow().clone();
        let values = input.to_vec();
        future_to_promise(async move {
            let s = session.ok_or_else(disposed)?;
            let out = s
                .embed(&values, batch_size)
                .await
                .map_err(KindlingError::from)?;
            Ok(Float32Array::from(out.as_slice()).into())
        })
    }

    /// Predicts from `batchSize` embeddings (from `embed`) with the head alone: probabilities,
    /// top-k and uncertainty per item, as `predict`.
    #[wasm_bindgen(js_name = predictEmbeddings, unchecked_return_type = "Promise<Prediction>")]
    pub fn predict_embeddings(
        &self,
        embeddings: Float32Array,
        #[wasm_bindgen(js_name = batchSize)] batch_size: usize,
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.run_prediction(embeddings, options, move |s, values, top_k| async move {
            s.predict_embeddings(&values, batch_size, top_k)
                .await
                .map_err(KindlingError::from)
        })
    }

    /// Fits (or refits) the local head on labeled embeddings (as `embed` returns them):
    /// `labels[i]` is the class index of the `i`-th embedding. It reads their first
    /// `vectorSize` values — and, on a text backbone that carries the texts' words, from 50
    /// labels on the words too, as the server's heads do. `learner` picks how the head is
    /// fitted: `"svm"` (the default on a photo backbone, as the server's jobs fit photo heads
    /// below 1,000 labels: one-vs-rest linear SVMs on the vectors, options `c` and
    /// `temperature`, fitted to convergence) or `"softmax"` (the default on a text backbone:
    /// softmax regression by Adam warm-started from the previous fit, options `steps`,
    /// `learningRate`, `weightDecay`; over the words too when they are read, with `steps` only:
    /// it counts refits, a first fit takes 200). An option the chosen learner does not read is
    /// refused (`INVALID_ARGUMENT`), as is an unknown learner. Runs on the CPU, offline; the published head is untouched.
    /// Resolves to `{trainedOn, ms, words, learner}` (`words`: it reads the words; `learner`:
    /// `"svm"`, `"softmax"` or `"words"`). Rejects with `LOCAL_HEAD_TOO_FEW` below two classes.
    #[wasm_bindgen(js_name = trainLocalHead, unchecked_return_type = "Promise<{ trainedOn: number; ms: number; words: boolean; learner: 'svm' | 'softmax' | 'words' }>")]
    pub fn train_local_head(
        &self,
        embeddings: Float32Array,
        labels: js_sys::Uint32Array,
        #[wasm_bindgen(
            unchecked_param_type = "{ learner?: 'svm' | 'softmax'; c?: number; temperature?: number; steps?: number; learningRate?: number; weightDecay?: number }"
        )]
        options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let session = self.inner.borrow().clone();
        let local = self.local.clone();
        let (x, y) = (embeddings.to_vec(), labels.to_vec());
        future_to_promise(async move {
            let started = now_ms();
            let s = session.ok_or_else(disposed)?;
            let size = s
                .vector_size()
                .ok_or_else(|| KindlingError::from(session::SessionError::NoBackbone))?;
            let classes = s.manifest().labels.len();
            let lexical = s.lexical_head().filter(|_| y.len() >= WORDS_FROM_LABELS);
            let photos = matches!(s.manifest().input, InputSpec::Image(_));
            let learner = local_learner(&options, photos, lexical)?;
            let warm = local.borrow().clone();
            let fitted = |e: LocalHeadError| KindlingError::new(e.code(), e.to_string());
            let head = match learner {
                LocalLearner::Words { steps, lexical } => {
                    let warm = match warm.as_deref() {
                        Some(LocalHead::Words(h)) => Some(h),
                        _ => None,
                    };
                    let fit = LexicalFit {
                        steps,
                        ..LexicalFit::default()
                    };
                    LocalHead::Words(
                        fit_lexical_head(&x, &y, lexical, classes, fit, warm).map_err(fitted)?,
                    )
                }
                LocalLearner::Svm(config) => {
                    // The embeddings' vectors only (not a text's word ids).
                    let x = s.vectors(&x).map_err(KindlingError::from)?;
                    LocalHead::Vectors(fit_svm_head(&x, &y, size, classes, config).map_err(fitted)?)
                }
                LocalLearner::Softmax(config) => {
                    let x = s.vectors(&x).map_err(KindlingError::from)?;
                    let warm = match warm.as_deref() {
                        Some(LocalHead::Vectors(h)) => Some(h),
                        _ => None,
                    };
                    let device = cpu_device(None).map_err(KindlingError::from)?.device;
                    LocalHead::Vectors(
                        fit_linear_head(&x, &y, size, classes, config, warm, &device)
                            .await
                            .map_err(fitted)?,
                    )
                }
            };
            let trained_on = head.trained_on();
            let words = matches!(head, LocalHead::Words(_));
            *local.borrow_mut() = Some(Rc::new(head));
            let out = js_sys::Object::new();
            Reflect::set(&out, &"trainedOn".into(), &(trained_on as f64).into())?;
            Reflect::set(&out, &"ms".into(), &(now_ms() - started).into())?;
            Reflect::set(&out, &"words".into(), &words.into())?;
            Reflect::set(&out, &"learner".into(), &learner.name().into())?;
            Ok(out.into())
        })
    }

    /// Forgets the local head (suggestions come from the published head again).
    #[wasm_bindgen(js_name = clearLocalHead)]
    pub fn clear_local_head(&self) {
        self.local.borrow_mut().take();
    }

    /// Labeled items the local head was fitted on (0: none).
    #[wasm_bindgen(getter, js_name = localHeadTrainedOn)]
    pub fn local_head_trained_on(&self) -> usize {
        self.local.borrow().as_ref().map_or(0, |h| h.trained_on())
    }

    /// Predicts from `batchSize` embeddings with the local head (see `trainLocalHead`), as
    /// `predictEmbeddings` does with the published one. Rejects with `NO_LOCAL_HEAD` before one
    /// is fitted.
    #[wasm_bindgen(js_name = predictLocal, unchecked_return_type = "Promise<Prediction>")]
    pub fn predict_local(
        &self,
        embeddings: Float32Array,
        #[wasm_bindgen(js_name = batchSize)] batch_size: usize,
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let head = self.local.borrow().clone();
        self.run_prediction(embeddings, options, move |s, values, top_k| async move {
            let head = head.ok_or_else(|| {
                KindlingError::new(
                    "NO_LOCAL_HEAD",
                    "no local head yet: call trainLocalHead first",
                )
            })?;
            let size = s
                .embedding_size()
                .ok_or_else(|| KindlingError::from(session::SessionError::NoBackbone))?;
            if values.len() != batch_size * size {
                return Err(KindlingError::from(session::SessionError::InputLength {
                    expected: batch_size * size,
                    got: values.len(),
                    batch: batch_size,
                    per_item: size,
                    shape: format!("{size}-value embedding"),
                }));
            }
            let probs = match head.as_ref() {
                LocalHead::Words(h) => h.probabilities(&values),
                LocalHead::Vectors(h) => {
                    let values = s.vectors(&values).map_err(KindlingError::from)?;
                    let device = cpu_device(None).map_err(KindlingError::from)?.device;
                    h.probabilities(&values, &device).await
                }
            }
            .map_err(|e| KindlingError::new(e.code(), e.to_string()))?;
            Ok(s.prediction(probs, top_k))
        })
    }

    /// Swaps in the head of another version of this model (a URL or archive bytes; a head-only
    /// archive is enough), keeping the backbone already loaded: kilobytes, not megabytes.
    /// Rejects (and keeps the current head) when the new head reads another backbone.
    #[wasm_bindgen(js_name = replaceHead)]
    pub async fn replace_head(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] source: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FetchOptions")] options: Option<js_sys::Object>,
    ) -> Result<(), JsValue> {
        let current = self.inner.borrow().clone().ok_or_else(disposed)?;
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let (bundle, to_cache) = if let Some(url) = source.as_string() {
            // The backbone is already on the device: fetch the manifest and head only.
            fetch_head(&url, &fetch_options(&options)?).await?
        } else if let Some(bytes) = bytes_of(&source) {
            (
                archive_bundle(&bytes).await.map_err(KindlingError::from)?,
                Vec::new(),
            )
        } else {
            return Err(KindlingError::new(
                "INVALID_ARGUMENT",
                "replaceHead expects a URL string, a Uint8Array or an ArrayBuffer",
            )
            .into());
        };
        let next = current.with_head(&bundle).map_err(KindlingError::from)?;
        if self.inner.borrow().is_none() {
            return Err(disposed().into());
        }
        keep(to_cache).await;
        *self.inner.borrow_mut() = Some(Rc::new(next));
        Ok(())
    }

    /// Number of `f32` values one input item has.
    #[wasm_bindgen(getter, js_name = inputLength)]
    pub fn input_length(&self) -> Result<usize, JsValue> {
        let inner = self.inner.borrow();
        Ok(inner.as_ref().ok_or_else(disposed)?.manifest().input.len())
    }

    /// Predicts `batchSize` items laid out back to back in `input` (each `inputLength` values,
    /// images channel-first in `[0, 1]`; normalization is applied here). Resolves to
    /// probabilities, top-k and uncertainty per item.
    #[wasm_bindgen(unchecked_return_type = "Promise<Prediction>")]
    pub fn predict(
        &self,
        input: Float32Array,
        #[wasm_bindgen(js_name = batchSize)] batch_size: usize,
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.run_prediction(input, options, move |s, values, top_k| async move {
            s.predict(&values, batch_size, top_k)
                .await
                .map_err(KindlingError::from)
        })
    }

    /// Turns RGBA pixels (`ImageData.data`) of a `width × height` image into one input item for
    /// this model: resized, grayscale or RGB per the manifest, channel-first, in `[0, 1]`.
    #[wasm_bindgen(js_name = preprocessImage)]
    pub fn preprocess_image(
        &self,
        rgba: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Float32Array, JsValue> {
        let inner = self.inner.borrow();
        let s = inner.as_ref().ok_or_else(disposed)?;
        let InputSpec::Image(spec) = &s.manifest().input else {
            return Err(KindlingError::new(
                "INPUT_NOT_IMAGE",
                "this model does not take images; see manifest.input",
            )
            .into());
        };
        let values = image_from_rgba(spec, rgba, width, height).map_err(KindlingError::from)?;
        Ok(Float32Array::from(values.as_slice()))
    }

    /// Turns texts into input items for a text model: WordPiece ids (`[CLS] … [SEP]`, then
    /// `[PAD]` = 0; longer texts cut at `inputLength` tokens), `texts.length` items back to back,
    /// ready for `predict` or `embed`. Rejects with `NOT_TEXT` for a model of another input.
    #[wasm_bindgen(js_name = encodeTexts)]
    pub fn encode_texts(&self, texts: Vec<String>) -> Result<Float32Array, JsValue> {
        let inner = self.inner.borrow();
        let s = inner.as_ref().ok_or_else(disposed)?;
        let values = s.encode_texts(&texts).map_err(KindlingError::from)?;
        Ok(Float32Array::from(values.as_slice()))
    }

    /// Frees the model's weights (after any prediction in flight). Later calls reject with code
    /// `SESSION_DISPOSED`.
    pub fn dispose(&self) {
        self.inner.borrow_mut().take();
    }
}

impl Session {
    /// The shared part of `predict`, `predictEmbeddings` and `predictLocal`: copies the input,
    /// reads `topK`, runs `run` on the session (a `dispose()` meanwhile frees the model once this
    /// prediction is done) and resolves to the JS prediction with its latency.
    fn run_prediction<F, Fut>(
        &self,
        input: Float32Array,
        options: Option<js_sys::Object>,
        run: F,
    ) -> js_sys::Promise
    where
        F: FnOnce(Rc<session::Session>, Vec<f32>, usize) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<session::Prediction, KindlingError>> + 'static,
    {
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let session = self.inner.borrow().clone();
        let top_k = top_k_option(&options);
        let values = input.to_vec();
        future_to_promise(async move {
            let started = now_ms();
            let s = session.ok_or_else(disposed)?;
            let out = run(s, values, top_k).await?;
            to_js_prediction(&out, now_ms() - started)
        })
    }

    async fn load_inner(source: JsValue, options: JsValue) -> Result<Session, KindlingError> {
        // Where no start function ran (test harnesses), the constructors run here.
        super::init_once();
        let choice = match option(&options, "device").as_string() {
            Some(name) => name.parse::<DeviceChoice>()?,
            None => DeviceChoice::Auto,
        };
        let fetch = fetch_options(&options)?;
        let (bundle, to_cache) = if let Some(url) = source.as_string() {
            fetch_bundle(&url, &fetch).await?
        } else if let Some(bytes) = bytes_of(&source) {
            let mut bundle = archive_bundle(&bytes).await?;
            complete_backbone(&mut bundle, None, &fetch).await?;
            (bundle, Vec::new())
        } else {
            return Err(KindlingError::new(
                "INVALID_ARGUMENT",
                "Session.load expects a URL string, a Uint8Array or an ArrayBuffer",
            ));
        };
        let threads = threads::prepare(threads::wanted(option(&options, "threads"))?).await?;
        let session = session::Session::load(&bundle, choice).await?;
        // Only a bundle that loaded is cached: a bad file never pins a version that cannot.
        keep(to_cache).await;
        fetch.progress.emit("ready", None, 1.0, 1.0);
        Ok(Session {
            local: Rc::new(RefCell::new(None)),
            device: session.backend().as_str(),
            fallback_reason: session.fallback_reason().map(str::to_string),
            threads,
            inner: RefCell::new(Some(Rc::new(session))),
        })
    }
}

/// A manifest as JavaScript sees it (`Manifest` in the types).
fn manifest_to_js(manifest: &crate::bundle::Manifest) -> Result<JsValue, KindlingError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    manifest
        .serialize(&serializer)
        .map_err(|e| KindlingError::new("INTERNAL", e.to_string()))
}

/// How to fetch, from `Session.load` / `replaceHead` options.
fn fetch_options(options: &JsValue) -> Result<FetchOptions, KindlingError> {
    let dtype = match option(options, "dtype").as_string().as_deref() {
        None | Some("f32") => WeightsDtype::F32,
        Some("f16") => WeightsDtype::F16,
        Some(other) => {
            return Err(KindlingError::new(
                "INVALID_ARGUMENT",
                format!("dtype `{other}` is not one of 'f32', 'f16'"),
            ));
        }
    };
    let headers = option(options, "headers");
    if !headers.is_undefined() && !headers.is_object() {
        return Err(KindlingError::new(
            "INVALID_ARGUMENT",
            "headers must be an object of header names to values, e.g. { Authorization: 'Bearer …' }",
        ));
    }
    Ok(FetchOptions {
        dtype,
        cache: option(options, "cache").as_bool().unwrap_or(true),
        headers,
        progress: Progress(option(options, "onProgress").dyn_into::<Function>().ok()),
    })
}

fn top_k_option(options: &JsValue) -> usize {
    option(options, "topK")
        .as_f64()
        .map_or(5, |k| k.max(1.0) as usize)
}

fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

fn to_js_prediction(out: &session::Prediction, latency_ms: f64) -> Result<JsValue, JsValue> {
    let obj = js_sys::Object::new();
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let items = out
        .items
        .serialize(&serializer)
        .map_err(|e| KindlingError::new("INTERNAL", e.to_string()))?;
    Reflect::set(
        &obj,
        &"probs".into(),
        &Float32Array::from(out.probs.as_slice()),
    )?;
    Reflect::set(&obj, &"classes".into(), &(out.classes as f64).into())?;
    Reflect::set(&obj, &"items".into(), &items)?;
    Reflect::set(&obj, &"latencyMs".into(), &latency_ms.into())?;
    Ok(obj.into())
}
