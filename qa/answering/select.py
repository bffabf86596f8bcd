"""The span choice: every sentence window of the retrieved passages competes, scored by the
weighted features; for a figure question only spans that answer with a figure compete, unless
none does. Ranking leans on meaning (colloquial questions share few words with the plan)."""
from __future__ import annotations

from dataclasses import dataclass

from ..plan.chunking import Span, sentence_windows
from ..reading.query import Query
from ..reading.text import plan_grams
from .features import answers_figure, span_features
from .matcher import Selector
from .weights import score


@dataclass(frozen=True)
class Choice:
    hit: object           # the retrieved passage (qa.search.Hit) the span lies in
    span: Span
    score: float          # the ranking score
    features: dict        # by name, FEATURES order


def candidates(sel: Selector, q: Query, hits: list, qvec=None) -> list:
    """(hit, span, features) for every span that competes: every sentence window of the hits, or
    for a figure question only those that answer with a figure, when any does. `qvec` is the
    question's vector as span selection reads it (adapted)."""
    out = []
    for hit in hits:
        ctx = sel.overlap(q.tokens, plan_grams(hit.chunk.context))
        for span in sentence_windows(hit.chunk.text, hit.chunk.start):
            out.append((hit, span, span_features(sel, q, hit, span, ctx, sel.cosine(hit.chunk.id, span, qvec))))
    if q.wants_figure and any(answers_figure(q, t[1]) for t in out):
        out = [t for t in out if answers_figure(q, t[1])]
    return out


def choose(sel: Selector, q: Query, hits: list, qvec, weights: dict) -> Choice | None:
    """The best-scored candidate span across the hits (the first on ties), or None."""
    best = None
    for hit, span, f in candidates(sel, q, hits, qvec):
        s = score(weights, f)
        if best is None or s > best.score:
            best = Choice(hit, span, s, f)
    return best
