//! The preset architectures (`cnn`, `mlp`, `text_ngram`) sized to a data set's input and
//! classes: what `kindling train --arch` and the server's training jobs build.

use kindling::ArchConfig;
use kindling::bundle::InputSpec;
use kindling::model::{CnnConfig, MlpConfig, PoolKind, TextNgramConfig};

/// The preset architecture `name` sized to `input` and `classes`.
pub fn preset(name: &str, input: &InputSpec, classes: usize) -> anyhow::Result<ArchConfig> {
    Ok(match (name, input) {
        ("cnn", InputSpec::Image(i)) => ArchConfig::Cnn(CnnConfig {
            channels: i.channels,
            height: i.height,
            width: i.width,
            conv_channels: vec![32, 64],
            kernel_sizes: vec![3, 3],
            pool_sizes: vec![2, 2],
            pool: PoolKind::Max,
            dense_sizes: vec![128],
            classes,
            dropout: 0.3,
        }),
        ("cnn", InputSpec::Tabular(_)) => anyhow::bail!("`cnn` needs image data; use --arch mlp"),
        ("text_ngram", InputSpec::Text(t)) => ArchConfig::TextNgram(TextNgramConfig {
            buckets: t.buckets.unwrap_or(crate::data::texts::NGRAM_BUCKETS),
            dim: 32,
            max_features: t.max_tokens,
            hidden_sizes: vec![],
            classes,
        }),
        ("text_ngram", _) => anyhow::bail!("`text_ngram` needs texts (a .jsonl or .csv)"),
        (_, InputSpec::Text(_)) => {
            anyhow::bail!("texts train `--arch text_ngram`, or a head on a text `--backbone`")
        }
        ("mlp", _) => ArchConfig::Mlp(MlpConfig {
            lexical: None,
            input_size: input.len(),
            hidden_sizes: vec![256, 128],
            classes,
            dropout: 0.2,
        }),
        (other, _) => {
            anyhow::bail!("unknown architecture preset `{other}`; use `cnn`, `mlp` or `text_ngram`")
        }
    })
}
