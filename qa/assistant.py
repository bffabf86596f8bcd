"""The assistant: document, model, index and retriever loaded once; `ask` answers one question."""
from __future__ import annotations

import re
import time

from . import document, store
from .answer import Answer, Selector, answer
from .config import Settings
from .embedding import load_embedder
from .retrieval import Retriever
from .text import normalize, search_form

EMPTY_QUESTION = "请输入一个问题，例如：今年要新建多少个公共充电桩？"
NO_WORDS = "请用文字提问（问题里没有汉字、字母或数字），例如：今年要新建多少个公共充电桩？"
TRUNCATED = "问题过长，只按前{n}个字作答。"
WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")


class Assistant:
    def __init__(self, settings: Settings | None = None, embedder=None):
        self.settings = settings or Settings.from_env()
        self.doc = document.load(self.settings)
        self.embedder = embedder or load_embedder(self.settings)
        self.index = store.load(self.settings, self.doc, self.embedder)
        self.retriever = Retriever(self.index.chunks, self.index.vectors, self.embedder, self.settings,
                                   self.index.words, self.index.span_vectors)
        self.selector = Selector(self.index.chunks, self.index.span_vectors)

    def ask(self, question: str, mode: str | None = None, depth: int | None = None) -> Answer:
        """Answer one question from the top_k hits; `depth` retrieves more for evaluation.
        Raises ValueError for a question with no content."""
        if not isinstance(question, str):
            raise ValueError(EMPTY_QUESTION)
        limit = self.settings.max_question_chars
        notice = TRUNCATED.format(n=limit) if len(question) > limit else ""
        question = question[:limit]                      # bounded work, whatever arrives
        text = normalize(question)
        if not text:
            raise ValueError(EMPTY_QUESTION)
        if not WORD_RE.search(text.replace("_", "")):
            raise ValueError(NO_WORDS)
        mode = mode or self.settings.mode
        t0 = time.perf_counter()
        # The model reads the question as BM25 does (normalised, the plan's words for 社零/GDP… appended),
        # once, for retrieval and answer selection alike.
        qform = search_form(question, self.settings.use_synonyms)
        qvec = None if mode == "bm25" else self.embedder.encode_query([qform])[0]
        hits = self.retriever.search(question, mode, max(depth or 0, self.settings.top_k), qvec)
        t1 = time.perf_counter()
        result = answer(self.selector, question, hits[: self.settings.top_k], self.settings, qvec)
        result.hits, result.notice = hits, notice
        t2 = time.perf_counter()
        result.timings_ms = {"retrieve": round((t1 - t0) * 1000, 2), "answer": round((t2 - t1) * 1000, 2)}
        return result
