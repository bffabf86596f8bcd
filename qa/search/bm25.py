"""BM25 over Chinese tokens (jieba words and character bigrams, by settings.bm25_scheme)."""
from __future__ import annotations

import numpy as np

from ..reading.text import check_scheme, jieba_tokenizer, normalize, tokenize


class BM25:
    """bm25s over a fixed tokenizer scheme; `scores` returns one score per document.
    `dictionary`: a jieba dictionary file for the word schemes (default: jieba's full one)."""

    def __init__(self, texts: list, scheme: str, dictionary: str | None = None):
        import bm25s

        self.scheme = check_scheme(scheme)
        self.words = jieba_tokenizer(dictionary) if "jieba" in scheme else None
        self.model = bm25s.BM25()
        self.model.index([tokenize(normalize(t), scheme, self.words) or [""] for t in texts], show_progress=False)
        self.n = len(texts)

    def scores(self, query: str) -> np.ndarray:
        """One score per document for a normalised query."""
        tokens = [t for t in tokenize(query, self.scheme, self.words) if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(self.n, np.float32)
        return self.model.get_scores(tokens)
