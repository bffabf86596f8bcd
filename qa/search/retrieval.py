"""Search: every passage scored by meaning (its cosine mixed with its best span's), by BM25, or both
fused (qa.search.fusion); the ranked `Hit`s of one question."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import MODES
from ..plan.chunking import Chunk, span_table
from ..reading.query import Query
from .bm25 import BM25
from .fusion import convex, rrf, top


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


class Retriever:
    """Search the chunks of one index by mode: dense, bm25 or hybrid (score fusion, or RRF)."""

    def __init__(self, chunks: list, vectors, embedder, settings, words: str | None = None,
                 span_vectors: np.ndarray | None = None):
        """`words`: the index's jieba dictionary of the plan's words (qa.reading.text.plan_words);
        `span_vectors`: one row per qa.plan.chunking.span_table(chunks) entry, or None."""
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
