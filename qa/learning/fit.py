"""Fit the span-ranking weights and the abstainer from data (issue 13): `python -m qa fit` writes
settings.weights_file.

For every answerable training item the assistant reads and retrieves as it would at run time
(hybrid, top_k) and lists the competing candidate spans with their features (FEATURES); a span
is gold when it holds a gold answer and overlaps the item's evidence. The weights maximise the
softmax likelihood of the gold spans among each question's candidates (a conditional logit), with
an L2 penalty chosen on dev (settings.fit_penalties) by the share of questions whose top span is
gold. Items with no gold candidate (retrieval missed) or only gold ones teach nothing and are left
out. Deterministic: full-batch L-BFGS in float64 from zero.

The abstainer is a logistic regression of "the plan answers this" over what the chosen span looks
like (ABSTAIN_FEATURES, from qa.answering.decide, the same decision `ask` makes), fitted on the
training questions no rule decides; its threshold is chosen on dev's single answers, the follow-ups
and the parts of several-part questions included, counting a wrong answer as -1, a false abstention
as 0 and a right outcome as +1, among those that abstain on at most settings.max_false_abstentions
of dev's answerable questions.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..answering.select import candidates
from ..answering.weights import FEATURES, hand_weights
from ..files import write_atomic
from ..reading.question import read
from .abstainer import abstain_rows, choose_threshold, fit_abstainer, outcome_counts, searched, single_asks
from .items import FORMS, squash
from .lbfgs import minimise


def problems(assistant, items: list) -> list:
    """(feature matrix, gold mask) per usable item."""
    usable = [it for it in items if it["answers"] and it["type"] not in FORMS]
    clean, sel = assistant.doc.clean, assistant.selector
    texts = [read(it["question"], None, assistant.settings, assistant.calendar).norm for it in usable]
    out = []
    for it, (q, v, hits) in zip(usable, searched(assistant, texts)):
        cands = candidates(sel, q, hits, sel.adapt(v))
        where = [(p, p + len(ev)) for ev in it["evidence"] for p in [clean.find(ev)] if p >= 0]
        gold = np.array([any(squash(a) in squash(span.text) for a in it["answers"])
                         and any(span.start < hi and lo < span.end for lo, hi in where) for _, span, _ in cands])
        if cands:
            out.append((np.array([[f[n] for n in FEATURES] for _, _, f in cands], dtype=np.float64), gold))
    return out


def top1(weights: np.ndarray, probs: list) -> float:
    """The share of questions whose best-scored span is gold."""
    return float(np.mean([g[int(np.argmax(x @ weights))] for x, g in probs])) if probs else 0.0


def fit_weights(probs: list, penalty: float) -> np.ndarray:
    """Conditional-logit weights (FEATURES order, raw feature scale) under an L2 penalty on the
    standardised weights."""
    import torch

    keep = [(x, g) for x, g in probs if g.any() and not g.all()]
    allx = np.concatenate([x for x, _ in keep])
    scale = allx.std(axis=0)
    scale[scale == 0] = 1.0
    xs = [torch.tensor(x / scale) for x, _ in keep]
    gs = [torch.tensor(g) for _, g in keep]
    w = torch.zeros(len(FEATURES), dtype=torch.float64, requires_grad=True)
    minimise(w, lambda: sum(torch.logsumexp(x @ w, 0) - torch.logsumexp((x @ w)[g], 0)
                            for x, g in zip(xs, gs)) / len(xs) + penalty * (w ** 2).sum())
    return w.detach().numpy() / scale


def fit(assistant, train: list, dev: list) -> dict:
    """The weights file's content, fitted with `assistant` (built for the model and index in use)."""
    t0 = time.perf_counter()
    tr, dv = problems(assistant, train), problems(assistant, dev)
    hand = np.array(list(hand_weights(assistant.settings.span_dense_weight).values()))
    trials = [(top1(w, dv), -p, p, w) for p in assistant.settings.fit_penalties for w in [fit_weights(tr, p)]]
    dev_top1, _, penalty, best = max(trials, key=lambda t: t[:2])
    s, named = assistant.settings, dict(zip(FEATURES, best))
    tr_rows = abstain_rows(assistant, single_asks(train, s), named)
    dv_rows = abstain_rows(assistant, single_asks(dev, s), named)
    abstainer = fit_abstainer(tr_rows, s.abstain_penalty)
    abstainer["threshold"] = choose_threshold(dv_rows, abstainer, s.max_false_abstentions)
    abstainer["dev"] = outcome_counts(dv_rows, abstainer, abstainer["threshold"])
    abstainer["train"] = outcome_counts(tr_rows, abstainer, abstainer["threshold"])
    return {
        "fitted_by": "python -m qa fit", "model_fingerprint": assistant.fingerprint,
        "abstainer": abstainer,
        "features": list(FEATURES), "weights": [round(float(v), 6) for v in best],
        "penalty": penalty, "train_questions": len(tr), "dev_questions": len(dv),
        "dev_top1": {"fitted": round(dev_top1, 4), "hand_set": round(top1(hand, dv), 4),
                     **{f"penalty {p}": round(t, 4) for t, _, p, _ in trials}},
        "train_top1": {"fitted": round(top1(best, tr), 4), "hand_set": round(top1(hand, tr), 4)},
        "seconds": round(time.perf_counter() - t0, 1),
    }




def write(data: dict, path: Path) -> Path:
    return write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
