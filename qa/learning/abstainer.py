"""The fitted abstainer (issue 13): a logistic regression of "the plan answers this" over what
qa.answering.decide shows of the chosen span (ABSTAIN_FEATURES), fitted on the questions no rule
decides, and its threshold, chosen on dev."""
from __future__ import annotations

import numpy as np

from ..answering.decide import decide
from ..answering.weights import ABSTAIN_FEATURES, MATCH_FEATURES, answer_probability
from ..reading import forms
from ..reading.query import Query
from ..reading.question import read
from .items import FORMS, squash
from .lbfgs import minimise


def searched(assistant, texts: list) -> list:
    """(parsed question, its vector, its hits) per normalised question, retrieved as at run time
    (hybrid, top_k), the questions encoded in one batch."""
    queries = [Query.parse(t, assistant.settings.use_synonyms, cal=assistant.calendar) for t in texts]
    vectors = assistant.vectors(queries, "hybrid")
    return [(q, v, assistant.search(q, "hybrid", None, v)) for q, v in zip(queries, vectors)]


def single_asks(items: list, settings) -> list:
    """(normalised question, gold answers) for every single answer the items ask for: a single-answer
    item's question, a follow-up as resolved against its history, each part of a several-part
    question (as the assistant splits it, when into as many parts as the item has). Overviews are
    left out: they abstain by their own gate."""
    out = []
    for it in items:
        r = read(it["question"], [{"question": h} for h in it.get("history", [])], settings)
        if it["type"] == "follow_up":
            out.append((r.resolved, it["answers"]))
        elif it["type"] == "multi_part":
            parts = forms.split_parts(r.norm)
            if len(parts) == len(it["parts"]):
                out += list(zip(parts, it["parts"]))
        elif it["type"] not in FORMS:
            out.append((r.norm, it["answers"]))
    return out


def abstain_rows(assistant, asks: list, weights: dict) -> list:
    """Per (question, gold answers): (ABSTAIN_FEATURES row, answerable, the chosen span holds a gold
    answer, a rule already abstains), from qa.answering.decide without its judge."""
    out = []
    for (_, answers), (q, raw, hits) in zip(asks, searched(assistant, [text for text, _ in asks])):
        d = decide(assistant.selector, q, hits, raw, judge=False, weights=weights)
        gold = d.choice is not None and any(squash(a) in squash(d.choice.span.text) for a in answers)
        out.append((d.row, bool(answers), gold, d.ruled))
    return out


def fit_abstainer(rows: list, penalty: float) -> dict:
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
    minimise(w, lambda: torch.nn.functional.binary_cross_entropy_with_logits(xt @ w[1:] + w[0], y)
             + penalty * (w[1:] ** 2).sum())
    coef = w.detach().numpy()
    weights = coef[1:] / sd
    return weights, coef[0] - (weights * mu).sum()


def outcome_counts(rows: list, abstainer: dict, threshold: float) -> dict:
    """What the rows come to at `threshold`: right answers, right abstentions, false abstentions."""
    c = {"right": 0, "caught": 0, "false_abstentions": 0, "doubted": 0, "wrong": 0, "answerable": 0,
         "unanswerable": 0}
    for x, answerable, gold, ruled in rows:
        doubts = not ruled and answer_probability(abstainer, x) < threshold
        abstains = ruled or doubts
        c["answerable" if answerable else "unanswerable"] += 1
        if answerable:
            c["right"] += gold and not abstains
            c["false_abstentions"] += abstains
            c["doubted"] += doubts
            c["wrong"] += not gold and not abstains
        else:
            c["caught"] += abstains
    return c


def choose_threshold(rows: list, abstainer: dict, max_false: float) -> float:
    """The threshold (rounded to 0.01) with the best outcome on these rows, where a right answer or
    a right abstention counts +1, a false abstention 0, and a wrong answer -1 (an answer to a
    question the plan does not answer, or the wrong span): a wrong confident answer is the worst
    outcome. Only thresholds at which the abstainer itself (beyond the rules) abstains on at most
    `max_false` of the answerable questions qualify (issue 13's bound; the gate's ceiling is above
    it). The lowest on ties."""
    grid = [i / 100 for i in range(100)]

    def value(t):
        c = outcome_counts(rows, abstainer, t)
        return c["right"] + c["caught"] - c["wrong"] - (c["unanswerable"] - c["caught"])

    def allowed(t):
        c = outcome_counts(rows, abstainer, t)
        return c["doubted"] <= max_false * c["answerable"]
    return max([t for t in grid if allowed(t)] or [0.0], key=lambda t: (value(t), -t))
