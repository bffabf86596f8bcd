"""The query adapter (issue 13), trained on eval/train.jsonl when the index of the items' plan is built.

Each answerable training item becomes a triplet (question, positive span, hard negative span):
the positive is the shortest candidate answer span (qa.plan.chunking.sentence_windows) that holds the
item's evidence; the hard negative is the span of the same paragraph (else of the plan) that
shares most character bigrams with the question and holds no gold answer. That is the failure
the matcher must learn: the right sentence, the wrong clause.

The adapter is a linear map of the question's vector, from the identity, under which the question's
cosine to its positive span beats the others (in-batch softmax, as MultipleNegativesRankingLoss).
The spans' vectors are the index's own, so it trains in seconds, and only span selection reads it:
retrieval, overviews and everything calibrated on the model's cosines keep the base vectors.
Deterministic on one machine: fixed seed, fixed order, fixed thread count.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import Settings
from ..plan.chunking import span_table
from ..reading.query import Query
from ..reading.text import bigram_tokens, normalize, plan_grams
from .items import FORMS, items_plan, load_set

RECIPE_VERSION = 1


def adapter_recipe(settings: Settings) -> dict:
    return {"version": RECIPE_VERSION, "kind": "linear query adapter from the identity",
            "epochs": settings.adapter_epochs, "penalty": settings.adapter_penalty, "batch": settings.adapter_batch,
            "lr": settings.adapter_lr, "scale": settings.adapter_scale, "seed": settings.train_seed,
            "fraction": settings.train_fraction, "negatives": "in-batch + 1 hard (same paragraph first)"}


def adapter_key(settings: Settings) -> str:
    """What the adapter is made from besides the index's own vectors: the data and the recipe."""
    h = hashlib.sha256(Path(settings.train_file).read_bytes())
    h.update(json.dumps(adapter_recipe(settings), sort_keys=True).encode())
    return h.hexdigest()


def load_items(settings: Settings) -> list:
    """The answerable training items, or the seeded share of them that settings.train_fraction asks."""
    items = load_set(Path(settings.train_file))
    return seeded_share([it for it in items if it["answers"] and it["evidence"] and it["type"] not in FORMS], settings)


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
    grams = [plan_grams(w.text) for _, (_, w) in table]
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
        q = frozenset(bigram_tokens(normalize(it["question"])))
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
    opt = torch.optim.Adam([w], lr=settings.adapter_lr)
    rng = np.random.default_rng(settings.train_seed)
    for _ in range(settings.adapter_epochs):
        order = rng.permutation(len(rows))
        for b in range(0, len(order), settings.adapter_batch):
            i = torch.tensor(order[b:b + settings.adapter_batch])
            mapped = torch.nn.functional.normalize(q[i] @ w, dim=1)
            logits = settings.adapter_scale * mapped @ torch.cat([pos[i], neg[i]]).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(i))) \
                + settings.adapter_penalty * ((w - eye) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return w.detach().numpy().astype(np.float32)


def build_adapter(settings: Settings, embedder, chunks: list, clean: str, span_vecs):
    """Train the adapter for an index being built: the training questions encoded as the
    assistant encodes questions (normalised, synonyms appended), the spans from the index."""
    rows = triplet_rows(load_items(settings), chunks, clean)
    if not rows:                     # nothing of the training data is in this plan: no adapting
        return np.eye(span_vecs.shape[1], dtype=np.float32)
    texts = [Query.parse(normalize(r[0]), settings.use_synonyms).text for r in rows]
    return train_adapter(settings, embedder.encode_query(texts), span_vecs, rows)


class Adapter:
    """The adapter as the index build sees it: `key`, what it is made from besides the index's own
    vectors (the manifest records it), and `train`, run once the span vectors exist.

    It is trained once, on the plan the training items were written for (qa.learning.items.items_plan),
    and shared: the index of any other plan takes that plan's adapter (building that index first
    when it is missing), so adding a plan embeds its chunks and trains nothing."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def plan(self) -> str | None:
        return items_plan(self.settings)

    @cached_property
    def key(self) -> str:
        h = hashlib.sha256(adapter_key(self.settings).encode())
        if self.plan:
            h.update(plan_doc(self.settings, self.plan).clean.encode("utf-8"))
        return h.hexdigest()

    def train(self, embedder, chunks: list, clean: str, span_vecs, plan: str):
        if self.plan is None:
            return np.eye(span_vecs.shape[1], dtype=np.float32)
        if plan == self.plan:
            return build_adapter(self.settings, embedder, chunks, clean, span_vecs)
        from ..index import store     # the items' plan's index holds the adapter, trained with its build

        one = replace(self.settings, plan=self.plan)
        return store.load(one, plan_doc(self.settings, self.plan), embedder, self).adapter


def plan_doc(settings: Settings, plan: str):
    from ..plan import document

    return document.load(replace(settings, plan=plan))


def trainer(settings: Settings) -> Adapter | None:
    """The adapter an index build trains for these settings (None when settings.adapter is off)."""
    return Adapter(settings) if settings.adapter else None
