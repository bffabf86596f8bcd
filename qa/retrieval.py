"""Dense search, BM25 over Chinese tokens, and their fusion: min-max score fusion by default
(measured better on the dev split than reciprocal-rank fusion, which stays selectable)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunking import Chunk, span_table
from .config import MODES
from .query import Query
from .text import check_scheme, jieba_tokenizer, tokenize


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float          # the score the ranking used (cosine, BM25 or RRF)
    dense: float | None   # cosine similarity to the question, when the dense model ran
    rank: int             # 1-based


def dense_search(index, query: np.ndarray, k: int) -> list:
    """Top-k (row, cosine) from a FAISS inner-product index of L2-normalised vectors."""
    if index.ntotal == 0 or k <= 0:
        return []
    if index.d != query.shape[-1]:
        raise ValueError(f"query has {query.shape[-1]} dims, the index has {index.d}")
    scores, rows = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32),
                                min(k, index.ntotal))
    return [(int(i), float(s)) for i, s in zip(rows[0], scores[0]) if i >= 0]


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


class BM25:
    """bm25s over a fixed tokenizer scheme; `scores` returns one score per document.
    `dictionary`: a jieba dictionary file for the word schemes (default: jieba's full one)."""

    def __init__(self, texts: list, scheme: str, dictionary: str | None = None):
        import bm25s

        self.scheme = check_scheme(scheme)
        self.words = jieba_tokenizer(dictionary) if "jieba" in scheme else None
        self.model = bm25s.BM25()
        self.model.index([tokenize(t, scheme, self.words) or [""] for t in texts], show_progress=False)
        self.n = len(texts)

    def scores(self, query: str) -> np.ndarray:
        tokens = [t for t in tokenize(query, self.scheme, self.words) if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(self.n, np.float32)
        return self.model.get_scores(tokens)


def top(scores: np.ndarray, k: int) -> list:
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(i) for i in order if scores[i] > 0]


class Retriever:
    """Search the chunks of one index by mode: dense, bm25 or hybrid (score fusion, or RRF)."""

    def __init__(self, chunks: list, vectors, embedder, settings, words: str | None = None,
                 span_vectors: np.ndarray | None = None):
        """`words`: the index's jieba dictionary of the plan's words (qa.text.plan_words);
        `span_vectors`: one row per qa.chunking.span_table(chunks) entry, or None."""
        if len(chunks) != vectors.ntotal:
            raise ValueError(f"{len(chunks)} chunks but {vectors.ntotal} vectors")
        self.chunks, self.vectors, self.embedder, self.settings = chunks, vectors, embedder, settings
        self.bm25 = BM25([c.indexed_text(settings.search_context) for c in chunks], settings.bm25_scheme, words)
        self.span_vectors, self.span_chunk = None, None
        if span_vectors is not None and settings.span_max_weight:
            row = {c.id: i for i, c in enumerate(chunks)}
            self.span_chunk = np.array([row[cid] for cid, _ in span_table(chunks)], dtype=np.int64)
            if len(self.span_chunk) != len(span_vectors):
                raise ValueError(f"{len(span_vectors)} span vectors for {len(self.span_chunk)} spans")
            self.span_vectors = span_vectors

    def cosines(self, qvec: np.ndarray) -> np.ndarray:
        """Every chunk's cosine to the question, in chunk order."""
        cos = np.zeros(len(self.chunks))
        for i, s in dense_search(self.vectors, qvec, self.vectors.ntotal):
            cos[i] = s
        return cos

    def meaning(self, qvec: np.ndarray, cos: np.ndarray | None = None) -> np.ndarray:
        """Per chunk: its cosine to the question (`cos`, when the caller has it), mixed with its best
        span's cosine (span_max_weight). A passage of several topics is found by the one clause that
        matches, not by its average."""
        cos = self.cosines(qvec) if cos is None else cos
        if self.span_vectors is None:
            return cos
        best = np.full(len(self.chunks), -1.0)
        np.maximum.at(best, self.span_chunk, self.span_vectors @ qvec)
        w = self.settings.span_max_weight
        return (1 - w) * cos + w * best

    def search(self, query: Query, mode: str | None = None, k: int | None = None, qvec=None) -> list:
        """Top-k hits for a parsed question; `qvec` is the query vector of `query.text` when the caller has it."""
        mode, k = mode or self.settings.mode, k or self.settings.top_k
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        n = self.settings.candidates
        cos = None
        form = query.text                     # what BM25 and the model read: normalised, synonyms appended
        if mode in ("dense", "hybrid"):
            # The plan has ~100 chunks: score them all, so every hit carries its cosine.
            qvec = self.embedder.encode_query([form])[0] if qvec is None else qvec
            cos = self.cosines(qvec)
            meaning = self.meaning(qvec, cos)
            by_meaning = [int(i) for i in np.argsort(-meaning, kind="stable")]
        if mode == "dense":
            ranked = [(i, float(meaning[i])) for i in by_meaning[:k]]
        else:
            bm = self.bm25.scores(form)
            if mode == "bm25":
                ranked = [(i, float(bm[i])) for i in top(bm, k)]
            elif self.settings.fusion == "rrf":
                lists = [by_meaning[:n], top(bm, n)]
                ranked = rrf(lists, self.settings.rrf_k, [self.settings.dense_weight, 1.0])[:k]
            else:
                fused = convex(np.asarray(bm, dtype=np.float64), meaning, self.settings.dense_weight)
                ranked = [(int(i), float(fused[i])) for i in np.argsort(-fused, kind="stable")[:k]]
        return [Hit(self.chunks[i], s, None if cos is None else float(cos[i]), r)
                for r, (i, s) in enumerate(ranked, start=1)]
