"""The query-time encoder: e5-small's BERT forward pass in plain torch, over the model folder that
sentence-transformers loads (config.json, tokenizer.json, model.safetensors).

Why not SentenceTransformer or transformers' BertModel at query time: importing either costs more
than torch itself here (transformers 5 pulls scipy, jinja2 and sympy in through its modeling and
loss modules), and start-up is most of what `qa ask` pays. The forward pass is the one BERT computes
(embeddings, 12 post-norm layers of attention and exact-GELU MLP), followed by what the folder's
modules.json asks for: mean pooling over the attention mask, then L2 normalisation. Agreement with
SentenceTransformer on the same folder is a test (tests/test_encoder.py); sentence-transformers stays
the library for building, training and that test.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BATCH = 32            # as SentenceTransformer.encode: texts sorted by length, 32 per forward pass
FILES = ("tokenizer.json", "model.safetensors", "sentence_bert_config.json")


def readable(folder: Path) -> bool:
    """A sentence-transformers folder of an absolute-position, exact-GELU BERT pooled by mean then
    normalised: what this encoder computes."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text(encoding="utf-8"))]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    return (config.get("model_type") == "bert" and config.get("position_embedding_type", "absolute") == "absolute"
            and config.get("hidden_act") == "gelu" and modules == ["Transformer", "Pooling", "Normalize"]
            and bool(mean_only) and all((folder / f).is_file() for f in FILES))


class BertEncoder:
    def __init__(self, folder: Path | str):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        if not readable(folder):
            raise ValueError(f"{folder}: the fast encoder reads mean-pooled, absolute-position BERT folders only")
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        max_len = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        self.torch = torch
        self.heads, self.eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
        self.dim = cfg["hidden_size"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))   # ~1 s: 250k pieces
        self.tokenizer.enable_truncation(min(max_len, cfg["max_position_embeddings"]))
        self.tokenizer.enable_padding(pad_id=cfg["pad_token_id"])
        w = load_file(str(folder / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.words = w["embeddings.word_embeddings.weight"]
        # Every token is of type 0: the type embedding folds into the position table.
        self.positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.compiled = None
        self.layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            get = lambda name: (w[p + name + ".weight"], w[p + name + ".bias"])  # noqa: E731
            # query, key and value as one projection: one matmul instead of three.
            qkv = [get(f"attention.self.{n}") for n in ("query", "key", "value")]
            self.layers.append((torch.cat([m for m, _ in qkv]), torch.cat([b for _, b in qkv]),
                                get("attention.output.dense"), get("attention.output.LayerNorm"),
                                get("intermediate.dense"), get("output.dense"), get("output.LayerNorm")))

    def encode(self, texts: list) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (prefixes are the caller's)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for s in range(0, len(order), BATCH):
            rows = order[s:s + BATCH]
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def inputs(self, texts: list) -> tuple:
        """Token ids and attention mask (batch x longest), padded and truncated as ST does."""
        enc = self.tokenizer.encode_batch(texts)
        return (self.torch.tensor([e.ids for e in enc]),
                self.torch.tensor([e.attention_mask for e in enc], dtype=self.torch.bool))

    def _batch(self, texts: list) -> np.ndarray:
        with self.torch.inference_mode():
            return (self.compiled or self.forward)(*self.inputs(texts)).numpy()

    def compile(self) -> None:
        """Run the forward pass as one TorchScript graph (traced here, for any batch size and length).
        For a server: eager torch takes the GIL back between its ~100 operations, so answering threads
        stall it (one pass of 10 questions: 159 ms alone, 1,972 ms beside one busy Python thread);
        the graph runs without the GIL (177 ms and 209 ms). One-question processes skip the ~0.1 s
        of tracing."""
        import warnings

        example = self.inputs(["query: 计划", "query: 今年要新建多少个公共充电桩？"])
        with warnings.catch_warnings(), self.torch.inference_mode():
            warnings.simplefilter("ignore")                  # the tracer's notes on shape-dependent code
            self.compiled = self.torch.jit.trace(self.forward, example, check_trace=False)

    def forward(self, ids, mask):
        """Token ids and attention mask (batch x length) -> pooled, L2-normalised vectors."""
        F = self.torch.nn.functional
        n, length = ids.shape
        heads, hd = self.heads, self.dim // self.heads
        keep = mask[:, None, None, :]                    # padding keys are never attended to
        x = F.layer_norm(self.words[ids] + self.positions[:length], (self.dim,), *self.embed_norm, self.eps)
        for qkv_w, qkv_b, (ow, ob), (n1w, n1b), (iw, ib), (o2w, o2b), (n2w, n2b) in self.layers:
            q, k, v = F.linear(x, qkv_w, qkv_b).view(n, length, 3, heads, hd).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(n, length, self.dim)
            x = F.layer_norm(x + F.linear(a, ow, ob), (self.dim,), n1w, n1b, self.eps)
            x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, iw, ib)), o2w, o2b), (self.dim,), n2w, n2b, self.eps)
        m = mask[..., None].to(x.dtype)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

