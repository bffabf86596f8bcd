"""Fit the choice of answer form (qa.reading.form_model) on the train split.

Every train item is an example of its form as the assistant reads it (normalised, resolved against
its history): `overview` items of "overview", `multi_part` items of "parts", the rest of "span".
The train split has no questions that ask several things, so each seeded pair of its single
questions, joined as people join two asks, is one "parts" example. A multinomial logistic
regression over the characters and character pairs seen MIN_COUNT times in train, and the cues,
its classes weighted to balance. Dev's items choose the L2 penalty (of settings.fit_penalties; the
largest of equals), a shift of the overview bias and a weight added to the overview wording rule
(`calibrated`). Reading uses the model's overview class only (qa.reading.form_model.choose).
"""
from __future__ import annotations

import random
from collections import Counter

import numpy as np

from ..reading.form_model import CUES, FORMS, choose, cues, grams, scores
from ..reading.question import read
from .items import form_of
from .lbfgs import minimise

JOINERS = ("？", "？另外，", "，还有", "；", "？顺便问下，", "？再问一下，", "，以及")
PAIRS = 500
MIN_COUNT = 3
OFFSETS = np.arange(-3, 3.01, 0.25)
RULE_WEIGHTS = np.arange(0, 8.01, 0.5)


def examples(items: list, settings, pairs: int = 0) -> list:
    """(normalised question, form) per item, plus `pairs` joined pairs of its single questions."""
    out = [(read(it["question"], [{"question": q} for q in it.get("history", [])], settings).resolved,
            form_of(it)) for it in items]
    singles = [it["question"].rstrip("？?。！!") for it in items if form_of(it) == "span" and "history" not in it]
    rng = random.Random(settings.train_seed)
    for _ in range(pairs if len(singles) > 1 else 0):
        a, b = rng.sample(singles, 2)
        out.append((read(a + rng.choice(JOINERS) + b + "？", None, settings).norm, "parts"))
    return out


def matrix(rows: list, vocab: dict) -> np.ndarray:
    x = np.zeros((len(rows), len(vocab) + len(CUES)))
    for i, (text, _) in enumerate(rows):
        for g in grams(text):
            if g in vocab:
                x[i, vocab[g]] = 1.0
        cued = cues(text)
        x[i, len(vocab):] = [cued[c] for c in CUES]
    return x


def fit_model(rows: list, vocab: dict, penalty: float) -> dict:
    """The form model (qa.reading.form_model's dict) fitted on `rows`."""
    import torch

    x = torch.tensor(matrix(rows, vocab))
    y = torch.tensor([FORMS.index(f) for _, f in rows])
    balance = len(rows) / (len(FORMS) * torch.bincount(y, minlength=len(FORMS)).clamp(min=1).double())
    w = torch.zeros((x.shape[1], len(FORMS)), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(FORMS), dtype=torch.float64, requires_grad=True)
    minimise([w, b], lambda: torch.nn.functional.cross_entropy(x @ w + b, y, weight=balance) + penalty * (w ** 2).sum())
    weights = w.detach().numpy()
    kept = {g: [round(float(v), 4) for v in weights[i]] for g, i in vocab.items() if abs(weights[i]).max() >= 1e-3}
    return {"forms": list(FORMS), "bias": [round(float(v), 4) for v in b.detach().numpy()],
            "cues": {c: [round(float(v), 4) for v in weights[len(vocab) + k]] for k, c in enumerate(CUES)},
            "grams": kept}


def calibrated(model: dict, rows: list) -> dict:
    """`model` with the overview bias shifted and the overview wording rule's weight raised by the
    amounts (OFFSETS, RULE_WEIGHTS) that choose best on `rows`: the train split's overviews are
    mostly asked without the usual cue words, people's are often asked with them."""
    cued = [cues(text) for text, _ in rows]
    s = np.array([scores(model, text, c) for (text, _), c in zip(rows, cued)])
    rule = np.array([c["overview_rule"] for c in cued])
    several = np.array([c["asks"] > 0 for c in cued])
    y = np.array([FORMS.index(f) for _, f in rows])

    def right(a, c):
        overview = s[:, 1] + a + c * rule > np.maximum(s[:, 0], s[:, 2])
        return float(np.mean(np.where(overview, 1, np.where(several, 2, 0)) == y))
    _, _, a, c = max((right(a, c), -abs(a) - c, a, c) for a in OFFSETS for c in RULE_WEIGHTS)
    bias, rule_w = list(model["bias"]), list(model["cues"]["overview_rule"])
    bias[1], rule_w[1] = round(bias[1] + a, 4), round(rule_w[1] + c, 4)
    return {**model, "bias": bias, "cues": {**model["cues"], "overview_rule": rule_w}}


def accuracy(model: dict | None, rows: list) -> float:
    return float(np.mean([choose(text, model) == form for text, form in rows])) if rows else 0.0


def fit_forms(train: list, dev: list, settings) -> dict:
    """The forms file's content: the model whose penalty is best on dev, with its accuracies."""
    tr, dv = examples(train, settings, PAIRS), examples(dev, settings)
    counts = Counter(g for text, _ in tr for g in grams(text))
    vocab = {g: i for i, g in enumerate(sorted(g for g, n in counts.items() if n >= MIN_COUNT))}
    trials = [(accuracy(m, dv), p, p, m) for p in settings.fit_penalties for m in [calibrated(fit_model(tr, vocab, p), dv)]]
    dev_acc, _, penalty, best = max(trials, key=lambda t: t[:2])
    return {"fitted_by": "python -m qa fit", **best, "penalty": penalty,
            "train_examples": dict(Counter(f for _, f in tr)), "dev_examples": dict(Counter(f for _, f in dv)),
            "dev_accuracy": {"fitted": round(dev_acc, 4), "rules": round(accuracy(None, dv), 4),
                             **{f"penalty {p}": round(a, 4) for a, _, p, _ in trials}},
            "train_accuracy": {"fitted": round(accuracy(best, tr), 4), "rules": round(accuracy(None, tr), 4)}}
