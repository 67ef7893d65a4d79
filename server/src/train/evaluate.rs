//! Accuracy, per-class precision and recall, and the confusion matrix of a model on a data set.

use burn::tensor::Device;
use burn::tensor::activation::softmax;
use kindling::bundle::{ClassMetrics, Metrics};
use kindling::model::Model;

use super::batch_tensors;
use crate::data::Dataset;

/// A model's results on one data set.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Share of items predicted correctly.
    pub accuracy: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    /// Predicted class of every item, in data set order.
    pub predictions: Vec<u32>,
    /// Class names.
    pub classes: Vec<String>,
}

/// Class probabilities of every item of `data` (already normalized), row-major.
pub fn probabilities(model: &Model, data: &Dataset, device: &Device) -> Vec<f32> {
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut out = Vec::with_capacity(data.len() * data.classes.len());
    for chunk in indices.chunks(2000) {
        let (x, _) = batch_tensors(data, chunk, device);
        let probs = softmax(model.forward(x), 1).into_data();
        out.extend(probs.try_to_vec::<f32>().expect("f32 probabilities"));
    }
    out
}

/// Predicts every item of `data` (already normalized) with `model`, which lives on the plain
/// (non-autodiff) `device`, in batches.
pub fn evaluate(model: &Model, data: &Dataset, device: &Device) -> Evaluation {
    let classes = data.classes.len();
    let mut confusion = vec![vec![0u32; classes]; classes];
    let mut predictions = Vec::with_capacity(data.len());
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(500) {
        let (x, _) = batch_tensors(data, chunk, device);
        let logits = model.forward(x).into_data();
        let values = logits.try_to_vec::<f32>().expect("f32 logits");
        for (row, &i) in values.chunks(classes).zip(chunk) {
            let predicted = (0..classes)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            confusion[data.labels[i] as usize][predicted] += 1;
            predictions.push(predicted as u32);
        }
    }
    let correct: u32 = (0..classes).map(|c| confusion[c][c]).sum();
    Evaluation {
        accuracy: f64::from(correct) / data.len().max(1) as f64,
        confusion,
        predictions,
        classes: data.classes.clone(),
    }
}

impl Evaluation {
    /// Per-class precision, recall and support.
    pub fn per_class(&self) -> Vec<ClassMetrics> {
        let n = self.classes.len();
        (0..n)
            .map(|c| {
                let tp = f64::from(self.confusion[c][c]);
                let predicted: u32 = (0..n).map(|t| self.confusion[t][c]).sum();
                let actual: u32 = self.confusion[c].iter().sum();
                ClassMetrics {
                    label: self.classes[c].clone(),
                    precision: if predicted == 0 {
                        0.0
                    } else {
                        tp / f64::from(predicted)
                    },
                    recall: if actual == 0 {
                        0.0
                    } else {
                        tp / f64::from(actual)
                    },
                    support: actual as usize,
                }
            })
            .collect()
    }

    /// The bundle metrics of this evaluation.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            accuracy: Some(self.accuracy),
            test_items: Some(self.predictions.len()),
            per_class: self.per_class(),
            confusion: self.confusion.clone(),
            extra: Default::default(),
        }
    }

    /// The confusion matrix as text, with class names.
    pub fn confusion_table(&self) -> String {
        let width = self
            .classes
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(4)
            .max(6);
        let mut out = format!("{:>width$} | predicted →\n", "true ↓");
        for (c, row) in self.confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:>5}")).collect();
            out += &format!("{:>width$} | {}\n", self.classes[c], cells.join(""));
        }
        out
    }
}
