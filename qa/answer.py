"""Extractive answers: pick the clause of the retrieved passages that answers the question,
cite the passages, or abstain with one fixed sentence when the plan does not answer.

Nothing here writes new text about the plan: the answer is always a span of a cited passage,
so every number in it occurs verbatim in that passage.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .text import bigram_tokens, normalize

ABSTAIN = "抱歉，这份计划中没有找到这个问题的答案。"     # no digits: nothing to verify
CLAUSE_RE = re.compile(r"[^。；;,，:：！？!?]+[。；;,，:：！？!?]*")
FIGURE_Q = re.compile(r"多少|几|比例|百分|第几|多大|多长|多高|多快|增长|幅度|目标|规模|数量|率")
DIGIT_RE = re.compile(r"\d")
YEAR_RESULT = re.compile(r"去年|2023|实际|完成了|执行情况|上一年|已经")
YEAR_TARGET = re.compile(r"今年|2024|目标|计划|预期|将要|要")
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
OTHER_PERIOD = re.compile(r"明年|后年|前年|十五五|十三五|远景")
COVERED_YEARS = {"2023", "2024"}
UNITS = ("个", "家", "所", "条", "公里", "千米", "万人", "人", "亿元", "万元", "元", "亿斤", "万亩", "亩",
         "场次", "场", "座", "套", "户", "项", "张", "台", "辆", "处", "名", "栋", "吨", "%", "个百分点", "位")


@dataclass(frozen=True)
class Span:
    start: int            # offsets into the clean text
    end: int
    text: str


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    hits: list = field(default_factory=list, repr=False)   # the ranking behind it (not serialised)

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "abstained": self.abstained,
                "citations": self.citations, "timings_ms": self.timings_ms}


def clauses(text: str, offset: int = 0) -> list:
    """Split a passage into clauses at 。；,： etc., keeping absolute offsets."""
    out = []
    for m in CLAUSE_RE.finditer(text):
        body = m.group().rstrip(",，;；:：")
        if body.strip():
            out.append(Span(offset + m.start(), offset + m.start() + len(body), body))
    return out


class Selector:
    """Scores clauses against a question with IDF-weighted character bigrams."""

    def __init__(self, chunk_texts: list):
        df = Counter()
        for t in chunk_texts:
            df.update(set(bigram_tokens(t)))
        n = max(len(chunk_texts), 1)
        self.idf = {tok: math.log(1 + n / c) for tok, c in df.items()}
        self.default_idf = math.log(1 + n)

    def weight(self, tokens: set) -> float:
        return sum(self.idf.get(t, self.default_idf) for t in tokens)

    def overlap(self, q_tokens: set, text: str) -> float:
        """IDF share of the question's tokens that occur in `text`."""
        total = self.weight(q_tokens)
        return self.weight(q_tokens & set(bigram_tokens(text))) / total if total else 0.0


def year_scope(question: str) -> str | None:
    """'result' (2023 figures, section 一), 'target' (2024, sections 二/三), 'other' (not covered)."""
    q = normalize(question)
    years = set(YEAR_RE.findall(q))
    if OTHER_PERIOD.search(q) or (years and not years & COVERED_YEARS):
        return "other"
    if YEAR_RESULT.search(q):
        return "result"
    if YEAR_TARGET.search(q):
        return "target"
    return None


def clause_score(selector: Selector, q_tokens: set, question: str, hit, span: Span, scope) -> float:
    score = selector.overlap(q_tokens, span.text) + 0.35 * selector.overlap(q_tokens, hit.chunk.context)
    score += 0.25 / hit.rank
    if FIGURE_Q.search(question):
        if DIGIT_RE.search(span.text):
            score += 0.3
        score += 0.2 * sum(1 for u in UNITS if u in question and re.search(r"\d" + re.escape(u), span.text))
    section = hit.chunk.path[0] if hit.chunk.path else ""
    if scope == "result":
        score += 0.3 if section == "一" else -0.2
    elif scope == "target":
        score += 0.15 if section in ("二", "三") else -0.3
    return score


def select(selector: Selector, question: str, hits: list) -> tuple:
    """The best clause across the hits: (hit, span, score)."""
    q_tokens = set(bigram_tokens(question))
    scope = year_scope(question)
    best = (None, None, -math.inf)
    for hit in hits:
        spans = clauses(hit.chunk.text, hit.chunk.start)
        for i, span in enumerate(spans):
            s = clause_score(selector, q_tokens, question, hit, span, scope)
            if s > best[2]:
                if len(span.text) < 10 and i > 0:          # too short to stand alone: add its lead-in
                    prev = spans[i - 1]
                    span = Span(prev.start, span.end, hit.chunk.text[prev.start - hit.chunk.start:
                                                                     span.end - hit.chunk.start])
                best = (hit, span, s)
    return best


def citation(hit, rank: int, highlight: Span | None = None) -> dict:
    c = hit.chunk
    out = {"rank": rank, "chunk_id": c.id, "doc": c.doc, "section": c.section, "text": c.text,
           "start": c.start, "end": c.end, "score": round(hit.dense if hit.dense is not None else hit.score, 4)}
    if highlight is not None:
        out["highlight"] = [highlight.start, highlight.end]
    return out


def answer(selector: Selector, question: str, hits: list, settings, max_citations: int = 3) -> Answer:
    best_dense = max((h.dense for h in hits if h.dense is not None), default=None)
    weak = not hits or (best_dense is not None and best_dense < settings.min_dense_score)
    if weak or year_scope(question) == "other":
        cites = [citation(h, i) for i, h in enumerate(hits[:max_citations], start=1)]
        return Answer(question, ABSTAIN, True, cites)
    hit, span, _ = select(selector, question, hits)
    others = [h for h in hits if h is not hit][:max_citations - 1]
    cites = [citation(hit, 1, span)] + [citation(h, i) for i, h in enumerate(others, start=2)]
    return Answer(question, span.text, False, cites)
