//! A small builder of ONNX graphs: named values, constant tensors and nodes in order.

use super::proto::{
    ATTR_INT, ATTR_INTS, AttributeProto, Dimension, FLOAT, GraphProto, INT64, NodeProto,
    TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
};

/// A node attribute value.
pub enum Attr {
    /// An integer.
    Int(i64),
    /// A list of integers.
    Ints(Vec<i64>),
}

/// Builds one graph; value names are unique (`op_N`).
#[derive(Default)]
pub struct Graph {
    graph: GraphProto,
    next: usize,
    /// Multiply-adds × 2 per item of the convolutions and dense layers added so far.
    pub flops: u64,
}

impl Graph {
    /// A float constant named after `hint`, returned by name.
    pub fn constant(&mut self, hint: &str, dims: &[usize], values: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), values.len());
        let name = self.fresh(hint);
        self.graph.initializer.push(TensorProto {
            dims: dims.iter().map(|d| *d as i64).collect(),
            data_type: FLOAT,
            name: name.clone(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name
    }

    /// An int64 constant (shapes), returned by name.
    pub fn shape(&mut self, values: &[i64]) -> String {
        let name = self.fresh("shape");
        self.graph.initializer.push(TensorProto {
            dims: vec![values.len() as i64],
            data_type: INT64,
            name: name.clone(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name
    }

    /// Appends `op(inputs)` with `attrs`; returns the name of its one output.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>) -> String {
        let output = self.fresh(&op.to_lowercase());
        self.graph.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: output.clone(),
            op_type: op.to_string(),
            attribute: attrs
                .into_iter()
                .map(|(name, value)| {
                    let mut a = AttributeProto {
                        name: name.to_string(),
                        ..Default::default()
                    };
                    match value {
                        Attr::Int(i) => (a.i, a.r#type) = (i, ATTR_INT),
                        Attr::Ints(v) => (a.ints, a.r#type) = (v, ATTR_INTS),
                    }
                    a
                })
                .collect(),
        });
        output
    }

    /// Declares a float graph input `[batch, len]` (batch symbolic).
    pub fn input(&mut self, name: &str, len: usize) {
        self.graph.input.push(value_info(name, len));
    }

    /// Renames the value `from` to the graph output `name` `[batch, len]` (an Identity node).
    pub fn output(&mut self, from: &str, name: &str, len: usize) {
        self.graph.node.push(NodeProto {
            input: vec![from.to_string()],
            output: vec![name.to_string()],
            name: name.to_string(),
            op_type: "Identity".into(),
            attribute: vec![],
        });
        self.graph.output.push(value_info(name, len));
    }

    /// The finished graph.
    pub fn finish(mut self, name: &str) -> GraphProto {
        self.graph.name = name.to_string();
        self.graph
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }
}

/// `[batch, len]` float.
fn value_info(name: &str, len: usize) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: FLOAT,
                shape: Some(TensorShapeProto {
                    dim: vec![
                        Dimension {
                            dim_value: None,
                            dim_param: Some("batch".into()),
                        },
                        Dimension {
                            dim_value: Some(len as i64),
                            dim_param: None,
                        },
                    ],
                }),
            }),
        }),
    }
}
