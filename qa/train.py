"""Learn the matching from eval/train.jsonl (issue 13).

Each answerable training item becomes a triplet (question, positive span, hard negative span):
the positive is the shortest candidate answer span (qa.chunking.sentence_windows) that holds the
item's evidence; the hard negative is the span of the same paragraph (else of the plan) that
shares most character bigrams with the question and holds no gold answer. That is the failure
the matcher must learn: the right sentence, the wrong clause.

Two matchers learn from them, with the same in-batch softmax loss (MultipleNegativesRankingLoss):
- the adapter (the default, trained by every index build): a linear map of the question's vector,
  from the identity, under which the question's cosine to its positive span beats the others. The
  spans' vectors are the index's own, so it trains in seconds, and only span selection reads it:
  retrieval, overviews and everything calibrated on the model's cosines keep the base vectors.
- the full fine-tune (`python -m qa train`): e5-small itself, trained with
  sentence-transformers and written as a model folder (QA_MODEL=folder uses it everywhere). It
  costs minutes and shifts every cosine the rest of the assistant is calibrated on (HISTORY).

Both are deterministic on one machine: fixed seed, fixed order, fixed thread count.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .chunking import span_table
from .config import Settings
from .text import bigram_set, normalize

RECIPE_VERSION = 1
ADAPTER_BATCH, ADAPTER_LR, ADAPTER_SCALE = 64, 1e-3, 20.0


def adapter_recipe(settings: Settings) -> dict:
    return {"version": RECIPE_VERSION, "kind": "linear query adapter from the identity",
            "epochs": settings.adapter_epochs, "penalty": settings.adapter_penalty, "batch": ADAPTER_BATCH,
            "lr": ADAPTER_LR, "scale": ADAPTER_SCALE, "seed": settings.train_seed,
            "fraction": settings.train_fraction, "negatives": "in-batch + 1 hard (same paragraph first)"}


def adapter_key(settings: Settings) -> str:
    """What the adapter is made from besides the index's own vectors: the data and the recipe."""
    h = hashlib.sha256(Path(settings.train_file).read_bytes())
    h.update(json.dumps(adapter_recipe(settings), sort_keys=True).encode())
    return h.hexdigest()


def recipe(settings: Settings) -> dict:
    """Everything about training that changes the weights, besides the data and the base model."""
    return {"version": RECIPE_VERSION, "epochs": settings.train_epochs, "batch": settings.train_batch,
            "lr": settings.train_lr, "seed": settings.train_seed, "fraction": settings.train_fraction,
            "frozen": "embeddings", "layers": settings.train_layers, "max_seq_length": 128, "threads": 2,
            "loss": "MultipleNegativesRankingLoss(scale=20)", "negatives": "1 hard (same paragraph first)"}


def fingerprint(settings: Settings, base_fingerprint: str, corpus: str) -> str:
    h = hashlib.sha256()
    h.update(Path(settings.train_file).read_bytes())
    h.update(base_fingerprint.encode())
    h.update(hashlib.sha256(corpus.encode("utf-8")).digest())
    h.update(json.dumps([recipe(settings), settings.chunk_size, settings.chunk_overlap], sort_keys=True).encode())
    return h.hexdigest()


def matcher_dir(settings: Settings, key: str) -> Path:
    return settings.model_cache / f"{settings.model.rsplit('/', 1)[-1]}-matcher-{key[:12]}"


def load_items(settings: Settings) -> list:
    """The answerable training items, or the seeded share of them that settings.train_fraction asks."""
    from .evaluate import load_set
    return seeded_share([it for it in load_set(Path(settings.train_file)) if it["answers"] and it["evidence"]],
                        settings)


def seeded_share(items: list, settings: Settings) -> list:
    """settings.train_fraction of `items`, drawn with settings.train_seed, in id order (the
    learning curve); all of them at 1."""
    if settings.train_fraction >= 1:
        return items
    rng = random.Random(settings.train_seed)
    return sorted(rng.sample(items, round(len(items) * settings.train_fraction)), key=lambda it: it["id"])


def triplets(items: list, chunks: list, clean: str) -> list:
    """(question, positive span text, hard negative span text) for every item that has a positive."""
    table = span_table(chunks)
    return [(q, table[p][1].text, table[n][1].text) for q, p, n in triplet_rows(items, chunks, clean)]


def triplet_rows(items: list, chunks: list, clean: str) -> list:
    """(question, positive row, negative row): rows of qa.chunking.span_table(chunks)."""
    table = list(enumerate(span_table(chunks)))
    para = {c.id: c.paragraph for c in chunks}
    grams = [bigram_set(w.text) for _, (_, w) in table]
    out = []
    for it in items:
        ev = it["evidence"][0]
        pos = clean.find(ev)
        lo, hi = pos, pos + len(ev)
        holding = [(i, cid, w) for i, (cid, w) in table if w.start <= lo and hi <= w.end]
        if not holding:       # evidence across clause windows: the window overlapping it most with an answer
            holding = sorted(((i, cid, w) for i, (cid, w) in table if any(a in w.text for a in it["answers"])
                              and min(hi, w.end) - max(lo, w.start) > 0),
                             key=lambda t: -(min(hi, t[2].end) - max(lo, t[2].start)) / len(t[2].text))
        if pos < 0 or not holding:
            continue
        prow, pcid, positive = min(holding, key=lambda t: (len(t[2].text), t[2].start))
        q = bigram_set(normalize(it["question"]))
        wrong = [(i, cid, w) for i, (cid, w) in table if not any(a in w.text for a in it["answers"])
                 and (w.end <= positive.start or w.start >= positive.end)]
        same = [t for t in wrong if para[t[1]] == para[pcid]] or wrong
        nrow, _, _ = max(same, key=lambda t: (len(q & grams[t[0]]) / (len(grams[t[0]]) or 1), -t[2].start))
        out.append((it["question"], prow, nrow))
    return out


def train_adapter(settings: Settings, qvecs, span_vecs, rows: list):
    """The linear query adapter (d x d, float32) for questions `qvecs` (row i: rows[i]'s question)."""
    import torch

    torch.manual_seed(settings.train_seed)
    torch.set_num_threads(2)
    q = torch.tensor(np.asarray(qvecs, np.float32))
    pos = torch.tensor(np.asarray(span_vecs[[r[1] for r in rows]], np.float32))
    neg = torch.tensor(np.asarray(span_vecs[[r[2] for r in rows]], np.float32))
    eye = torch.eye(q.shape[1])
    w = torch.nn.Parameter(eye.clone())
    opt = torch.optim.Adam([w], lr=ADAPTER_LR)
    rng = np.random.default_rng(settings.train_seed)
    for _ in range(settings.adapter_epochs):
        order = rng.permutation(len(rows))
        for b in range(0, len(order), ADAPTER_BATCH):
            i = torch.tensor(order[b:b + ADAPTER_BATCH])
            mapped = torch.nn.functional.normalize(q[i] @ w, dim=1)
            logits = ADAPTER_SCALE * mapped @ torch.cat([pos[i], neg[i]]).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(i))) \
                + settings.adapter_penalty * ((w - eye) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return w.detach().numpy().astype(np.float32)


def build_adapter(settings: Settings, embedder, chunks: list, clean: str, span_vecs):
    """Train the adapter for an index being built: the training questions encoded as the
    assistant encodes questions (normalised, synonyms appended), the spans from the index."""
    from .query import Query

    rows = triplet_rows(load_items(settings), chunks, clean)
    if not rows:                     # nothing of the training data is in this plan: no adapting
        return np.eye(span_vecs.shape[1], dtype=np.float32)
    texts = [Query.parse(r[0], settings.use_synonyms).text for r in rows]
    return train_adapter(settings, embedder.encode_query(texts), span_vecs, rows)


def fine_tune(settings: Settings, base: Path, rows: list, dest: Path, key: str, progress: bool = True) -> Path:
    """The full fine-tune: train e5 from `base` on text triplets and write the model folder `dest`
    (atomically)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(settings.train_seed)
    torch.set_num_threads(2)
    rng = random.Random(settings.train_seed)
    model = SentenceTransformer(str(base), device="cpu")
    model.max_seq_length = 128
    bert = model[0].auto_model
    bert.embeddings.requires_grad_(False)          # 96M of the 118M parameters are word embeddings
    layers = bert.encoder.layer
    for layer in layers[:len(layers) - settings.train_layers]:
        layer.requires_grad_(False)
    loss_fn = MultipleNegativesRankingLoss(model)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=settings.train_lr, weight_decay=0.01)
    order = list(range(len(rows)))
    steps = settings.train_epochs * ((len(rows) + settings.train_batch - 1) // settings.train_batch)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    model.train()
    t0, step = time.perf_counter(), 0
    for epoch in range(settings.train_epochs):
        rng.shuffle(order)
        for b in range(0, len(order), settings.train_batch):
            batch = [rows[i] for i in order[b:b + settings.train_batch]]
            cols = [[settings.query_prefix + r[0] for r in batch],
                    [settings.passage_prefix + r[1] for r in batch],
                    [settings.passage_prefix + r[2] for r in batch]]
            loss = loss_fn([model.tokenize(c) for c in cols], None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if progress:
                print(f"\r训练匹配模型：第 {step}/{steps} 步，loss {loss.item():.3f}，"
                      f"{time.perf_counter() - t0:.0f} 秒", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    model.eval()
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    # The fingerprint qa.embedding reads (hashing the weights would cost a second per start).
    (tmp / "source.json").write_text(json.dumps({"weights_sha256": "matcher-" + key}), encoding="utf-8")
    (tmp / "matcher.json").write_text(json.dumps(
        {"base": str(base), "examples": len(rows), "steps": steps, "recipe": recipe(settings),
         "train_seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False, indent=2), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def ensure_matcher(settings: Settings, base: Path, base_fingerprint: str) -> Path:
    """The fully fine-tuned model folder for these settings, trained first when it is not cached."""
    from . import document
    from .chunking import chunk_document

    doc = document.load(settings)
    key = fingerprint(settings, base_fingerprint, doc.clean)
    dest = matcher_dir(settings, key)
    if (dest / "matcher.json").is_file():
        return dest
    if settings.strict_index:
        from .store import IndexProblem
        raise IndexProblem(f"the matcher {dest} is not trained (run: python -m qa build)")
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    rows = triplets(load_items(settings), chunks, doc.clean)
    print(f"训练匹配模型：{len(rows)} 个样本 → {dest}", file=sys.stderr)
    return fine_tune(settings, base, rows, dest, key, progress=settings.show_progress)
