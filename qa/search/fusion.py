"""Fusing the dense and BM25 rankings of one question: min-max score fusion (convex, the default:
measured better on dev) or reciprocal-rank fusion (settings.fusion = "rrf")."""
from __future__ import annotations

import numpy as np


def rrf(rankings: list, k: int = 60, weights: list | None = None) -> list:
    """Reciprocal-rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks 1-based.
    `rankings` are lists of ids, best first; returns (id, score), best first, ties by first seen."""
    weights = [1.0] * len(rankings) if weights is None else weights
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1] for one query; all-equal scores become 0."""
    if x.size == 0:
        return np.zeros(0)
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def convex(bm25: np.ndarray, dense: np.ndarray, alpha: float) -> np.ndarray:
    """Score fusion: (1 - alpha) * minmax(BM25) + alpha * minmax(cosine), per query."""
    if bm25.shape != dense.shape:
        raise ValueError(f"{bm25.shape} BM25 scores but {dense.shape} dense scores")
    return (1 - alpha) * minmax(bm25) + alpha * minmax(dense)


def top(scores: np.ndarray, k: int) -> list:
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(i) for i in order if scores[i] > 0]
