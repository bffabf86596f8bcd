"""The full fine-tune (`python -m qa train`): e5-small itself trained with sentence-transformers on
the adapter's triplets (qa.learning.adapter) and written as a model folder (QA_MODEL=folder uses it
everywhere). It costs minutes and shifts every cosine the rest of the assistant is calibrated on
(eval/HISTORY.md step 28): kept for comparison, not used by default.
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

from ..config import Settings
from .adapter import RECIPE_VERSION, load_items, triplets


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
    from ..plan import document
    from ..plan.chunking import chunk_document

    doc = document.load(settings)
    key = fingerprint(settings, base_fingerprint, doc.clean)
    dest = matcher_dir(settings, key)
    if (dest / "matcher.json").is_file():
        return dest
    if settings.strict_index:
        from ..index.store import IndexProblem
        raise IndexProblem(f"the matcher {dest} is not trained (run: python -m qa build)")
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    rows = triplets(load_items(settings), chunks, doc.clean)
    print(f"训练匹配模型：{len(rows)} 个样本 → {dest}", file=sys.stderr)
    return fine_tune(settings, base, rows, dest, key, progress=settings.show_progress)
