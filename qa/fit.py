"""Fit the span-ranking weights from data (issue 13): `python -m qa fit` writes WEIGHTS_FILE.

For every answerable training item the assistant retrieves its passages as it would at run time
(hybrid, top_k) and lists the competing candidate spans with their features (qa.answer.FEATURES);
a span is gold when it holds a gold answer and overlaps the item's evidence. The weights maximise
the softmax likelihood of the gold spans among each question's candidates (a conditional logit),
with an L2 penalty whose strength is chosen on dev by the share of questions whose top span is
gold. Items with no gold candidate (retrieval missed) or only gold ones teach nothing and are left
out. Deterministic: full-batch L-BFGS in float64 from zero.

The abstainer is a logistic regression of "the plan answers this" over what the chosen span looks
like (qa.answer.ABSTAIN_FEATURES), fitted on the training questions no rule decides; its threshold
is chosen on dev's single answers, the follow-ups and the parts of several-part questions included,
counting a wrong answer as -1, a false abstention as 0 and a right outcome as +1, among those that
abstain on at most 3% of dev's answerable questions.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import dialogue, forms
from .answer import (ABSTAIN_FEATURES, FEATURES, MATCH_FEATURES, abstain_features, abstain_reason,
                     answer_probability, candidates, hand_weights, select)
from .config import Settings
from .evaluate import FORMS, load_set, squash
from .files import write_atomic
from .query import Query
from .train import seeded_share

PENALTIES = (0.0001, 0.001, 0.01, 0.1)
ABSTAIN_PENALTY = 0.01
MAX_FALSE_ABSTENTIONS = 0.03


def searched(assistant, questions: list) -> list:
    """(parsed question, its vector, its hits) per question, retrieved as at run time (hybrid,
    top_k), the questions encoded in one batch."""
    s = assistant.settings
    queries = [Query.parse(q, s.use_synonyms) for q in questions]
    vectors = assistant.embedder.encode_query([q.text for q in queries])
    return [(q, v, assistant.retriever.search(q, "hybrid", s.top_k, v)) for q, v in zip(queries, vectors)]


def problems(assistant, items: list) -> list:
    """(feature matrix, gold mask) per usable item."""
    usable = [it for it in items if it["answers"] and it["type"] not in FORMS]
    clean = assistant.doc.clean
    out = []
    for it, (q, v, hits) in zip(usable, searched(assistant, [it["question"] for it in usable])):
        cands = candidates(assistant.selector, q, hits, assistant.selector.adapt(v))
        where = [(p, p + len(ev)) for ev in it["evidence"] for p in [clean.find(ev)] if p >= 0]
        gold = np.array([any(squash(a) in squash(span.text) for a in it["answers"])
                         and any(span.start < hi and lo < span.end for lo, hi in where) for _, span, _ in cands])
        if cands:
            out.append((np.array([f for _, _, f in cands], dtype=np.float64), gold))
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
    opt = torch.optim.LBFGS([w], lr=1, max_iter=500, tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        nll = sum(torch.logsumexp(x @ w, 0) - torch.logsumexp((x @ w)[g], 0) for x, g in zip(xs, gs))
        total = nll / len(xs) + penalty * (w ** 2).sum()
        total.backward()
        return total

    opt.step(loss)
    return w.detach().numpy() / scale


def single_asks(items: list) -> list:
    """(question, gold answers) for every single answer the items ask for: a single-answer item's
    question, a follow-up as resolved against its history, each part of a several-part question
    (as the assistant splits it, when it splits it into as many parts as the item has). Overviews
    are left out: they abstain by their own gate."""
    out = []
    for it in items:
        if it["type"] == "follow_up":
            out.append((dialogue.resolve(it["question"], it["history"]), it["answers"]))
        elif it["type"] == "multi_part":
            parts = forms.split_parts(it["question"])
            if len(parts) == len(it["parts"]):
                out += list(zip(parts, it["parts"]))
        elif it["type"] not in FORMS:
            out.append((it["question"], it["answers"]))
    return out


def abstain_rows(assistant, asks: list, weights: list) -> list:
    """Per (question, gold answers): (ABSTAIN_FEATURES row, answerable, the chosen span holds a gold
    answer, a rule already abstains). The rules are the facts of language abstain_reason keeps."""
    s, sel = assistant.settings, assistant.selector
    out = []
    for (_, answers), (q, raw, hits) in zip(asks, searched(assistant, [question for question, _ in asks])):
        hit, span, judge, rank, f = select(sel, q, hits, sel.adapt(raw), weights, s.abstain_cos_weight, raw) \
            if hits else (None, None, 0.0, 0.0, None)
        if hit is None:
            out.append((None, bool(answers), False, True))
            continue
        ruled = abstain_reason(sel, q, hits, span, judge, s, sel.cosine(hit.chunk.id, span, raw), False) is not None
        gold = any(squash(a) in squash(span.text) for a in answers)
        out.append((abstain_features(sel, q, hits, judge, rank, f), bool(answers), gold, ruled))
    return out


def fit_abstainer(rows: list, penalty: float = ABSTAIN_PENALTY) -> dict:
    """Logistic regression of "answerable" over the rows no rule decides, the weights of
    MATCH_FEATURES held at zero or above: a match feature whose fitted weight comes out negative
    (the unanswerable training questions are near-misses, worded like the plan) is dropped and the
    rest refitted, until none is negative."""
    keep = [(x, a) for x, a, _, ruled in rows if not ruled]
    x = np.array([r for r, _ in keep], dtype=np.float64)
    y = np.array([float(a) for _, a in keep])
    active = list(range(x.shape[1]))
    while True:
        w, b = _logistic(x[:, active], y, penalty)
        negative = [i for i, v in zip(active, w) if ABSTAIN_FEATURES[i] in MATCH_FEATURES and v < 0]
        if not negative:
            break
        active = [i for i in active if i not in negative]
    weights = np.zeros(x.shape[1])
    weights[active] = w
    return {"features": list(ABSTAIN_FEATURES), "weights": [round(float(v), 6) for v in weights],
            "bias": round(float(b), 6), "penalty": penalty}


def _logistic(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple:
    """(weights, bias) of an L2-penalised logistic regression, on the raw feature scale."""
    import torch

    y = torch.tensor(y, dtype=torch.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    xt = torch.tensor((x - mu) / sd)
    w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1, max_iter=500, tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        z = xt @ w[1:] + w[0]
        total = torch.nn.functional.binary_cross_entropy_with_logits(z, y) + penalty * (w[1:] ** 2).sum()
        total.backward()
        return total

    opt.step(loss)
    coef = w.detach().numpy()
    weights = coef[1:] / sd
    return weights, coef[0] - (weights * mu).sum()


def outcome_counts(rows: list, abstainer: dict, threshold: float) -> dict:
    """What the rows come to at `threshold`: right answers, right abstentions, false abstentions."""
    c = {"right": 0, "caught": 0, "false_abstentions": 0, "wrong": 0, "answerable": 0, "unanswerable": 0}
    for x, answerable, gold, ruled in rows:
        abstains = ruled or answer_probability(abstainer, x) < threshold
        c["answerable" if answerable else "unanswerable"] += 1
        if answerable:
            c["right"] += gold and not abstains
            c["false_abstentions"] += abstains
            c["wrong"] += not gold and not abstains
        else:
            c["caught"] += abstains
    return c


def choose_threshold(rows: list, abstainer: dict) -> float:
    """The threshold (rounded to 0.01) with the best outcome on these rows, where a right answer or
    a right abstention counts +1, a false abstention 0, and a wrong answer -1 (an answer to a
    question the plan does not answer, or the wrong span): a wrong confident answer is the worst
    outcome. Only thresholds that abstain on at most MAX_FALSE_ABSTENTIONS of the answerable
    questions qualify (issue 13's bound; the gate's ceiling is above it). The lowest on ties."""
    grid = [i / 100 for i in range(100)]

    def value(t):
        c = outcome_counts(rows, abstainer, t)
        return c["right"] + c["caught"] - c["wrong"] - (c["unanswerable"] - c["caught"])

    def allowed(t):
        c = outcome_counts(rows, abstainer, t)
        return c["false_abstentions"] <= MAX_FALSE_ABSTENTIONS * c["answerable"]
    return max([t for t in grid if allowed(t)] or [0.0], key=lambda t: (value(t), -t))


def fit(assistant, train: list, dev: list) -> dict:
    t0 = time.perf_counter()
    tr, dv = problems(assistant, train), problems(assistant, dev)
    hand = np.array(hand_weights(assistant.settings.span_dense_weight))
    trials = [(top1(w, dv), -p, p, w) for p in PENALTIES for w in [fit_weights(tr, p)]]
    dev_top1, _, penalty, best = max(trials, key=lambda t: t[:2])
    tr_rows = abstain_rows(assistant, single_asks(train), list(best))
    dv_rows = abstain_rows(assistant, single_asks(dev), list(best))
    abstainer = fit_abstainer(tr_rows)
    abstainer["threshold"] = choose_threshold(dv_rows, abstainer)
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


def load_fitted(path: Path, fingerprint: str) -> tuple:
    """(span weights, abstainer) when the file was fitted for this model and these features,
    else (None, None): the hand-set weights and floors then apply."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if (data.get("model_fingerprint") != fingerprint or data.get("features") != list(FEATURES)
            or data.get("abstainer", {}).get("features") != list(ABSTAIN_FEATURES)):
        return None, None
    return data["weights"], data["abstainer"]


def write(data: dict, path: Path) -> Path:
    return write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def main(settings: Settings, train_path: Path, dev_path: Path) -> dict:
    from .assistant import Assistant

    assistant = Assistant(settings)
    return fit(assistant, seeded_share(load_set(train_path), settings), load_set(dev_path))
