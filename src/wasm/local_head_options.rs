//! `trainLocalHead`'s options: which learner fits the local head, with its settings; an option
//! the chosen learner does not read, or one that is not a number, is refused rather than
//! silently ignored.

use wasm_bindgen::JsValue;

use super::KindlingError;
use crate::local_head::LocalHeadConfig;
use crate::model::LexicalHeadConfig;
use crate::svm_head::SvmHeadConfig;

/// How the local head is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LocalLearner {
    /// One-vs-rest linear SVMs on the vectors (photo backbones' default).
    Svm(SvmHeadConfig),
    /// Softmax regression by Adam on the vectors (text backbones' default).
    Softmax(LocalHeadConfig),
    /// The linear head over a text's words and vector (softmax regression too).
    Words {
        /// Adam steps.
        steps: usize,
        /// The words the backbone carries.
        lexical: LexicalHeadConfig,
    },
}

impl LocalLearner {
    /// The name `trainLocalHead` reports.
    pub(super) fn name(&self) -> &'static str {
        match self {
            LocalLearner::Svm(_) => "svm",
            LocalLearner::Softmax(_) => "softmax",
            LocalLearner::Words { .. } => "words",
        }
    }
}

/// Every option `trainLocalHead` knows.
const KNOWN: [&str; 6] = [
    "learner",
    "c",
    "temperature",
    "steps",
    "learningRate",
    "weightDecay",
];

fn invalid(message: String) -> KindlingError {
    KindlingError::new("INVALID_ARGUMENT", message)
}

/// `options[key]`: `None` when absent, the number when it is one, an error otherwise.
fn number(options: &JsValue, key: &str) -> Result<Option<f64>, KindlingError> {
    let value = super::js_session::option(options, key);
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(invalid(format!(
            "trainLocalHead: `{key}` must be a finite number"
        ))),
    }
}

/// The learner `options` ask for: `options.learner` when given — `"softmax"` on a text backbone
/// that carries the words, with enough labels (`lexical`), is the words head, itself softmax
/// regression over the words and the vector — else SVMs on a photo backbone (`photos`), the
/// words head when `lexical` is given, and softmax regression on the vectors otherwise.
pub(super) fn local_learner(
    options: &JsValue,
    photos: bool,
    lexical: Option<LexicalHeadConfig>,
) -> Result<LocalLearner, KindlingError> {
    let named = super::js_session::option(options, "learner");
    let svm = LocalLearner::Svm(SvmHeadConfig::default());
    let softmax = match lexical {
        Some(lexical) => LocalLearner::Words { steps: 0, lexical },
        None => LocalLearner::Softmax(LocalHeadConfig::default()),
    };
    let learner = match named.as_string().as_deref() {
        _ if named.is_undefined() => {
            if photos && lexical.is_none() {
                svm
            } else {
                softmax
            }
        }
        Some("svm") => svm,
        Some("softmax") => softmax,
        other => {
            let given = other.map_or_else(|| format!("{named:?}"), |name| format!("\"{name}\""));
            return Err(invalid(format!(
                "trainLocalHead: learner must be \"svm\" or \"softmax\", not {given}"
            )));
        }
    };
    let reads: &[&str] = match learner {
        LocalLearner::Svm(_) => &["learner", "c", "temperature"],
        LocalLearner::Softmax(_) => &["learner", "steps", "learningRate", "weightDecay"],
        LocalLearner::Words { .. } => &["learner", "steps"],
    };
    for key in KNOWN {
        if !reads.contains(&key) && !super::js_session::option(options, key).is_undefined() {
            return Err(invalid(format!(
                "trainLocalHead: the {} head does not read `{key}` (it reads {})",
                learner.name(),
                reads.join(", ")
            )));
        }
    }
    let steps = |default: usize| -> Result<usize, KindlingError> {
        Ok(number(options, "steps")?.map_or(default, |v| v.max(0.0) as usize))
    };
    Ok(match learner {
        LocalLearner::Svm(d) => LocalLearner::Svm(SvmHeadConfig {
            c: number(options, "c")?.map_or(d.c, |v| v as f32),
            temperature: number(options, "temperature")?.map_or(d.temperature, |v| v as f32),
            ..d
        }),
        LocalLearner::Softmax(d) => LocalLearner::Softmax(LocalHeadConfig {
            steps: steps(d.steps)?,
            learning_rate: number(options, "learningRate")?.map_or(d.learning_rate, |v| v as f32),
            weight_decay: number(options, "weightDecay")?.map_or(d.weight_decay, |v| v as f32),
        }),
        LocalLearner::Words { lexical, .. } => LocalLearner::Words {
            steps: steps(LocalHeadConfig::default().steps)?,
            lexical,
        },
    })
}
