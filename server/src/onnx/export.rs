//! A bundle → one ONNX graph: `input [batch, len]` (raw values, as `session.predict` takes
//! them) → normalization → backbone → classifier → `probabilities [batch, classes]`.

use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};
use kindling::bundle::InputSpec;
use kindling::model::{CnnConfig, EfficientNetLite, PoolKind};
use kindling::preprocess::{is_identity, per_group};
use kindling::{ArchConfig, Bundle, BundleError, Model};
use prost::Message;
use thiserror::Error;

use super::graph::{Attr, Graph};
use super::proto::{ModelProto, OperatorSetIdProto};

/// The opset exported graphs are written against.
const OPSET: i64 = 17;

/// Why a bundle could not be exported.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The architecture (or input kind) has no ONNX export here.
    #[error(
        "{0} cannot be exported to ONNX (exportable: mlp and cnn classifiers, \
         efficientnet_lite0 + head)"
    )]
    Unsupported(String),
    /// A convolution with an even kernel ("same" padding is ambiguous for it).
    #[error("a convolution with an even kernel ({0}) cannot be exported")]
    EvenKernel(usize),
    /// The bundle's weights could not be loaded.
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

/// A value of the graph being built: its name and, once it is an image, `[c, h, w]`.
struct Value {
    name: String,
    chw: Option<[usize; 3]>,
}

/// An exported model.
pub struct Exported {
    /// The ONNX protobuf bytes.
    pub bytes: Vec<u8>,
    /// Floating-point operations per item in the convolutions and dense layers (2 per
    /// multiply-add), for GFLOP/s figures.
    pub flops_per_item: u64,
}

/// The ONNX model computing what a session computes for `bundle`.
pub fn export_onnx(bundle: &Bundle) -> Result<Exported, ExportError> {
    let device = Device::flex();
    let manifest = bundle.manifest();
    let mut g = Graph::default();
    g.input("input", manifest.input.len());
    let mut x = Value {
        name: "input".into(),
        chw: None,
    };
    normalize(&mut g, &mut x, &manifest.input)?;
    match bundle.load_backbone(&device)? {
        None => {}
        Some(Model::EfficientNetLite0(net)) => {
            let size = match manifest.backbone.as_ref().map(|b| &b.architecture) {
                Some(ArchConfig::EfficientNetLite0(c)) => c.image_size,
                _ => unreachable!("an efficientnet_lite0 backbone has its config"),
            };
            efficientnet(&mut g, &mut x, &net, size)?
        }
        Some(_) => {
            let name = manifest
                .backbone
                .as_ref()
                .map(|b| b.architecture.arch_name());
            return Err(ExportError::Unsupported(format!(
                "a `{}` backbone",
                name.unwrap_or("?")
            )));
        }
    }
    match (&manifest.architecture, bundle.load_model(&device)?) {
        (_, Model::Mlp(mlp)) => {
            flatten(&mut g, &mut x);
            dense(&mut g, &mut x, mlp.layers());
        }
        (ArchConfig::Cnn(config), Model::Cnn(cnn)) => cnn_graph(&mut g, &mut x, config, &cnn)?,
        (arch, _) => {
            return Err(ExportError::Unsupported(format!(
                "a `{}` classifier",
                arch.arch_name()
            )));
        }
    }
    let probs = g.node("Softmax", &[&x.name], vec![("axis", Attr::Int(1))]);
    g.output(&probs, "probabilities", manifest.labels.len());
    let flops_per_item = g.flops;
    let model = ModelProto {
        ir_version: 8,
        producer_name: "kindling".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        model_version: 1,
        doc_string: format!(
            "{} v{}; classes: {}",
            manifest.name,
            manifest.version,
            manifest.labels.join(", ")
        ),
        graph: Some(g.finish(&manifest.name)),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
    };
    Ok(Exported {
        bytes: model.encode_to_vec(),
        flops_per_item,
    })
}

/// `(x − mean) / std` per channel (images) or feature (tabular), as the session does; nothing
/// when the spec's normalization is the identity.
fn normalize(g: &mut Graph, x: &mut Value, spec: &InputSpec) -> Result<(), ExportError> {
    let (mean, std) = match spec {
        InputSpec::Image(i) => (&i.mean, &i.std),
        InputSpec::Tabular(t) => (&t.mean, &t.std),
        InputSpec::Text(_) => return Err(ExportError::Unsupported("a text model".into())),
    };
    if is_identity(mean, std) {
        return Ok(());
    }
    let (groups, dims) = match spec {
        InputSpec::Image(i) => {
            to_image(g, x, [i.channels, i.height, i.width]);
            (i.channels, vec![1, i.channels, 1, 1])
        }
        _ => (spec.len(), vec![spec.len()]),
    };
    let m = g.constant("mean", &dims, &per_group(mean, groups, 0.0));
    let s = g.constant("std", &dims, &per_group(std, groups, 1.0));
    let centered = g.node("Sub", &[&x.name, &m], vec![]);
    x.name = g.node("Div", &[&centered, &s], vec![]);
    Ok(())
}

/// Reshapes a flat `[batch, c·h·w]` value to `[batch, c, h, w]` (once).
fn to_image(g: &mut Graph, x: &mut Value, chw: [usize; 3]) {
    if x.chw.is_none() {
        let shape = g.shape(&[-1, chw[0] as i64, chw[1] as i64, chw[2] as i64]);
        x.name = g.node("Reshape", &[&x.name, &shape], vec![]);
        x.chw = Some(chw);
    }
}

/// `[batch, c, h, w]` → `[batch, c·h·w]` in CHW order (as burn's `flatten(1, 3)`).
fn flatten(g: &mut Graph, x: &mut Value) {
    if x.chw.take().is_some() {
        x.name = g.node("Flatten", &[&x.name], vec![("axis", Attr::Int(1))]);
    }
}

/// The values of a tensor, row-major.
fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32 weights")
}

/// Linear layers with ReLU between them (`Gemm`: burn stores weights `[in, out]`, ONNX's B).
fn dense(g: &mut Graph, x: &mut Value, layers: &[Linear]) {
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            x.name = g.node("Relu", &[&x.name], vec![]);
        }
        let w = layer.weight.val();
        let dims = w.dims();
        g.flops += 2 * (dims[0] * dims[1]) as u64;
        let w = g.constant("dense_weight", &dims, &values(w));
        let mut inputs = vec![x.name.clone(), w];
        if let Some(b) = &layer.bias {
            let b = b.val();
            inputs.push(g.constant("dense_bias", &b.dims(), &values(b)));
        }
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        x.name = g.node("Gemm", &inputs, vec![]);
    }
}

/// A convolution with burn's "same" padding (as TensorFlow's: the odd pixel of padding after,
/// for stride 2), its stride and groups.
fn conv(g: &mut Graph, x: &mut Value, conv: &Conv2d) -> Result<(), ExportError> {
    let [_, h, w] = x.chw.expect("conv on an image value");
    let stride = conv.stride[0];
    let weight = conv.weight.val();
    let [out, per_group, kh, kw] = weight.dims();
    if kh % 2 == 0 || kw % 2 == 0 {
        return Err(ExportError::EvenKernel(kh.max(kw)));
    }
    let pads = |size: usize, k: usize| {
        let out = size.div_ceil(stride);
        let total = ((out - 1) * stride + k).saturating_sub(size);
        (total / 2, total - total / 2, out)
    };
    let (top, bottom, out_h) = pads(h, kh);
    let (left, right, out_w) = pads(w, kw);
    g.flops += 2 * (out * out_h * out_w * per_group * kh * kw) as u64;
    let wname = g.constant("conv_weight", &[out, per_group, kh, kw], &values(weight));
    let mut inputs = vec![x.name.clone(), wname];
    if let Some(b) = &conv.bias {
        let b = b.val();
        inputs.push(g.constant("conv_bias", &b.dims(), &values(b)));
    }
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    x.name = g.node(
        "Conv",
        &inputs,
        vec![
            ("kernel_shape", Attr::Ints(vec![kh as i64, kw as i64])),
            ("strides", Attr::Ints(vec![stride as i64; 2])),
            (
                "pads",
                Attr::Ints(vec![top as i64, left as i64, bottom as i64, right as i64]),
            ),
            ("group", Attr::Int(conv.groups as i64)),
        ],
    );
    x.chw = Some([out, out_h, out_w]);
    Ok(())
}

/// ReLU6 as `Clip(x, 0, 6)`, the bounds being scalar constants made once per graph.
fn relu6(g: &mut Graph, x: &mut Value, [lo, hi]: &[String; 2]) {
    x.name = g.node("Clip", &[&x.name, lo, hi], vec![]);
}

/// The `cnn` classifier: conv → ReLU → pool blocks, flatten, dense layers.
fn cnn_graph(
    g: &mut Graph,
    x: &mut Value,
    config: &CnnConfig,
    cnn: &kindling::model::Cnn,
) -> Result<(), ExportError> {
    to_image(g, x, [config.channels, config.height, config.width]);
    for (block, &p) in cnn.convs().zip(&config.pool_sizes) {
        conv(g, x, block)?;
        x.name = g.node("Relu", &[&x.name], vec![]);
        if p > 1 {
            let op = match config.pool {
                PoolKind::Max => "MaxPool",
                PoolKind::Avg => "AveragePool",
            };
            x.name = g.node(
                op,
                &[&x.name],
                vec![
                    ("kernel_shape", Attr::Ints(vec![p as i64; 2])),
                    ("strides", Attr::Ints(vec![p as i64; 2])),
                ],
            );
            let [c, h, w] = x.chw.expect("an image value");
            x.chw = Some([c, h / p, w / p]);
        }
    }
    flatten(g, x);
    dense(g, x, cnn.dense());
    Ok(())
}

/// EfficientNet-Lite0: stem, 16 MBConv blocks, head conv, global average pooling → 1280-d.
fn efficientnet(
    g: &mut Graph,
    x: &mut Value,
    net: &EfficientNetLite,
    image_size: usize,
) -> Result<(), ExportError> {
    to_image(g, x, [3, image_size, image_size]);
    let bounds = [
        g.constant("zero", &[], &[0.0]),
        g.constant("six", &[], &[6.0]),
    ];
    conv(g, x, &net.stem)?;
    relu6(g, x, &bounds);
    for block in &net.blocks {
        let input = x.name.clone();
        if let Some(expand) = &block.expand {
            conv(g, x, expand)?;
            relu6(g, x, &bounds);
        }
        conv(g, x, &block.depthwise)?;
        relu6(g, x, &bounds);
        conv(g, x, &block.project)?;
        if block.residual {
            x.name = g.node("Add", &[&x.name, &input], vec![]);
        }
    }
    conv(g, x, &net.head)?;
    relu6(g, x, &bounds);
    x.name = g.node("GlobalAveragePool", &[&x.name], vec![]);
    x.chw = Some([kindling::model::efficientnet::EMBEDDING_SIZE, 1, 1]);
    flatten(g, x);
    Ok(())
}
