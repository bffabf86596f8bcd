"""Extractive answers: pick the span of the retrieved passages that answers the question,
cite the passages, or abstain when the plan does not answer.

Nothing here writes new text about the plan: an answer is a span of its first citation (or,
when the plan names the topic without the asked figure, that span quoted in one fixed
frame), so every number in it occurs verbatim in a cited passage.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .chunking import CLAUSE_RE, Span, clauses, sentence_windows, span_table  # noqa: F401  (clauses: public)
from .query import Query
from .text import bigram_set, bigram_tokens, numbers

ABSTAIN = "抱歉，这份计划中没有找到这个问题的答案。"     # no digits: nothing to verify
NO_FIGURE = "计划提出“{span}”，但未给出具体数字。"
FIGURE_RE = re.compile(r"\d|第[一二三四五六七八九十]|[一二两三四五六七八九十百千万]+(?:个|大|项|家|条|类|批|番|倍|所|座|成|届)")
TIME_RE = re.compile(r"年底|年内|上半年|下半年|秋季|春季|月底|建成|完成|开工|交付|投用|通车|\d%")
STOCK_RE = re.compile(r"总|累计|达到|余额|保持在")
LIST_ITEM_BONUS = 0.05    # per extra 、-separated item, up to 5 items (swept 0.03, 0.05, 0.08 on dev)
WH_HEAD_BONUS = 0.15      # swept 0.1, 0.2, 0.3 on dev
NOVEL_ENOUGH = 4          # new bigrams that make a span more than a restatement
NAME_RE = re.compile(r"\d+-\d+|[a-z]+\d*(?:\.\d+)?")
SPAN_COS_CENTER = 0.8     # e5 cosines of related short texts sit around here
STOP_CHARS = set("今年去明多少几个的了吗呢啥咋么是有要能在和与及等这那什怎哪市全我们咱你他她它一上下到得会还漯河"
                 "新建设实施推进完成开展提升加强快增长高发确保力争达持续"
                 "就都也又很将把被让给对从向为以之其或如果目标计划预期实际大概具体一共总共到底请问")


@dataclass
class Answer:
    question: str
    answer: str                # the whole display text, whatever the form
    abstained: bool
    citations: list = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    hits: list = field(default_factory=list, repr=False)   # the ranking behind it (not serialised)
    notice: str = ""          # e.g. that the question was cut to max_question_chars
    kind: str = ""            # span | points | parts | abstain ("" = span or abstain, by `abstained`)
    points: list | None = None      # overview: [{text, start, end, citation}]
    parts: list | None = None       # several questions: [{question, answer, abstained, start, end, citation}]
    resolved_question: str = ""     # set when the history changed how the question is read
    reason: str = field(default="", repr=False)   # why it abstained (abstain_reason), not serialised

    def to_json(self) -> dict:
        out = {"question": self.question, "answer": self.answer, "abstained": self.abstained,
               "citations": self.citations, "timings_ms": self.timings_ms,
               "kind": self.kind or ("abstain" if self.abstained else "span")}
        for key in ("points", "parts"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.resolved_question:
            out["resolved_question"] = self.resolved_question
        if self.notice:
            out["notice"] = self.notice
        return out


def content_bigrams(q: Query) -> list:
    """The question's CJK bigrams that are not two question/function characters."""
    return [t for t in q.tokens if len(t) == 2 and "\u4e00" <= t[0] <= "\u9fff"
            and not (t[0] in STOP_CHARS and t[1] in STOP_CHARS)]


class Selector:
    """Scores spans against a question: IDF-weighted character bigrams, and (when the span vectors
    and the question's vector are at hand) the cosine between them."""

    def __init__(self, chunks: list, span_vectors=None, weights: list | None = None, abstainer: dict | None = None,
                 adapter=None):
        self.weights = weights      # fitted span-ranking weights (FEATURES order), else the hand-set ones
        self.abstainer = abstainer  # fitted {"weights", "bias", "threshold"} over ABSTAIN_FEATURES, else None
        self.adapter = adapter      # the query adapter (qa.train) span selection reads the question through
        df = Counter()
        for c in chunks:
            df.update(bigram_set(c.search_text))
        n = max(len(chunks), 1)
        self.idf = {tok: math.log(1 + n / c) for tok, c in df.items()}
        self.default_idf = math.log(1 + n)
        self.span_vectors = span_vectors
        self.span_rows = {(cid, w.start, w.end): i for i, (cid, w) in enumerate(span_table(chunks))}

    def cosine(self, chunk_id: str, span: Span, qvec) -> float | None:
        if qvec is None or self.span_vectors is None:
            return None
        row = self.span_rows.get((chunk_id, span.start, span.end))
        return None if row is None else float(self.span_vectors[row] @ qvec)

    def adapt(self, qvec):
        """The question's vector as span selection reads it: through the adapter, renormalised."""
        if qvec is None or self.adapter is None:
            return qvec
        v = qvec @ self.adapter
        return v / (np.linalg.norm(v) or 1.0)

    def best_cosine(self, hits: list, qvec) -> float | None:
        """The highest cosine to the question of any candidate span of `hits`."""
        cos = [self.cosine(h.chunk.id, w, qvec) for h in hits for w in sentence_windows(h.chunk.text, h.chunk.start)]
        return max((c for c in cos if c is not None), default=None)

    def knows_any(self, q: "Query") -> bool:
        """Does the plan use any content word of the question: a CJK bigram that is not two
        question/function characters, a latin token (gdp, the g of 5g), or a name such as 7-11?
        Bare numbers do not count."""
        words = [t for t in q.tokens if t[0].isascii() and t[0].isalpha()] + content_bigrams(q)
        return (any(t in self.idf for t in words)
                or any(all(t in self.idf for t in bigram_tokens(n)) for n in NAME_RE.findall(q.text)))

    def known_share(self, q: "Query") -> float:
        """The share of the question's content bigrams (as knows_any counts them) that the plan uses."""
        words = content_bigrams(q)
        return sum(1 for t in words if t in self.idf) / len(words) if words else 0.0

    def weight(self, tokens: set) -> float:
        return sum(self.idf.get(t, self.default_idf) for t in tokens)

    def overlap(self, q_tokens: set, tokens: set) -> float:
        """IDF share of the question's tokens found among `tokens`."""
        total = self.weight(q_tokens)
        return self.weight(q_tokens & tokens) / total if total else 0.0



def has_figure(text: str, unit: str | None) -> bool:
    """A figure in `text`, in the asked unit when there is one (digits or Chinese numerals)."""
    if unit is None:
        return bool(FIGURE_RE.search(text))
    if unit == "第":
        return bool(re.search(r"第[\d一二三四五六七八九十]", text))
    if unit == "点":                 # 几个点: a percentage, or percentage points
        return bool(re.search(r"\d(?:\.\d+)?(?:%|个百分点)", text))
    if unit == "日":
        return bool(re.search(r"\d+月(?:\d+日)?", text))
    if unit == "年":
        return bool(re.search(r"(?:19|20)\d\d年", text))
    return bool(re.search(r"(?:\d|[一二两三四五六七八九十百千])(?:\.\d+)?[万亿]?" + re.escape(unit), text))


def figure_overlap(sel: Selector, q: Query, span: Span) -> float:
    """How much the clause that carries the asked figure is about the asked thing."""
    clauses_with_figure = [c for c in CLAUSE_RE.findall(span.text) if has_figure(c, q.asked_unit)]
    return max((sel.overlap(q.tokens, bigram_set(c)) for c in clauses_with_figure), default=0.0)


def figure_about_question(q: Query, span: Span) -> bool:
    """Does a clause carrying the asked figure share a content character with the question?
    Characters, not bigrams, so that 厕所 still meets 户厕; question words and units do not count."""
    content = {ch for ch in q.text if "\u4e00" <= ch <= "\u9fff" and ch not in STOP_CHARS}
    content -= set(q.asked_unit or "")
    names = set(NAME_RE.findall(q.text))             # 7-11, 5g, pm2.5: names written in digits/latin
    return any(content & set(c) or names & set(NAME_RE.findall(c.lower()))
               for c in CLAUSE_RE.findall(span.text) if has_figure(c, q.asked_unit))


# The features a candidate span is ranked by (span_features), and the hand-set weights they had
# before issue 13 (swept one at a time on dev); qa.fit replaces them with fitted ones (settings.weights_file).
HAND_WEIGHTS = {
    "overlap": 1.0, "context": 0.35, "inverse_rank": 0.25, "novelty": 0.25, "length": -0.002,
    "restates_lead": -0.4, "figure_asked": 0.3, "figure_other": 0.1, "figure_none": -0.2,
    "unit_figures": 0.2, "figure_overlap": 0.4, "when_time": 0.25, "list_cue": 0.15,
    "list_items": LIST_ITEM_BONUS, "wh_head": WH_HEAD_BONUS, "result_in_one": 0.3, "result_elsewhere": -0.2,
    "target_in_two_three": 0.15, "target_in_one": -0.3,
}
FEATURES = tuple(HAND_WEIGHTS) + ("cosine",)


def span_features(sel: Selector, q: Query, hit, span: Span, ctx: float, cos: float | None) -> list:
    """One row per candidate span, in FEATURES order. `cosine` is the span's cosine to the
    question, centred (0 when there is no vector)."""
    toks = bigram_set(span.text)
    fig = q.wants_figure
    asked, other = (has_figure(span.text, q.asked_unit), has_figure(span.text, None)) if fig else (False, False)
    section = hit.chunk.path[0] if hit.chunk.path else ""
    lists = q.enumeration and "、" in span.text
    return [
        sel.overlap(q.tokens, toks), ctx, 1 / hit.rank,
        0.0 if fig else min(len(toks - q.tokens), NOVEL_ENOUGH) / NOVEL_ENOUGH,   # restating answers nothing
        len(span.text),
        float(span.start == hit.chunk.start and bool(hit.chunk.path) and span.text.rstrip("。") == hit.chunk.path[-1]),
        float(fig and asked), float(fig and other and not asked), float(fig and not other),
        sum(1 for u in q.units if re.search(r"\d" + re.escape(u), span.text)) if fig else 0.0,
        figure_overlap(sel, q, span) if fig else 0.0,
        float(bool(q.when and TIME_RE.search(span.text))),
        float(lists), min(span.text.count("、"), 4) - 1 if lists else 0.0,
        float(bool(q.wh_head and q.wh_head in span.text)),
        float(q.scope == "result" and section == "一"), float(q.scope == "result" and section != "一"),
        float(q.scope == "target" and section in ("二", "三")), float(q.scope == "target" and section not in ("二", "三")),
        0.0 if cos is None else cos - SPAN_COS_CENTER,
    ]


def answers_figure(q: Query, span: Span) -> bool:
    """For a figure question: the span ends in a clause that gives the asked figure about the
    asked thing (so no unrelated clause trails the figure), and a figure the question does not
    already state ("新增580个以后总共多少个？" is not answered by 580)."""
    last = CLAUSE_RE.findall(span.text)[-1]
    stated = set(numbers(q.text))
    new_figure = not stated or bool(set(numbers(last)) - stated)
    return new_figure and has_figure(last, q.asked_unit) and figure_about_question(q, Span(0, len(last), last))


def hand_weights(cosine_weight: float) -> list:
    """HAND_WEIGHTS in FEATURES order, with the span cosine weighted by `cosine_weight`."""
    return [HAND_WEIGHTS.get(name, cosine_weight) for name in FEATURES]


def select(sel: Selector, q: Query, hits: list, qvec=None, weights: list | None = None,
           judge_weight: float = 0.0, judge_qvec=None) -> tuple:
    """The best span across the hits: (hit, span, judge score, rank score, features). Spans are
    ranked by `weights` (FEATURES order; the hand-set ones without a cosine by default); the judge
    score, which the hand-set abstention floors read, is the hand-set score plus judge_weight x the
    span's cosine to `judge_qvec` (the question's own vector, when `qvec` is the adapted one).
    Ranking leans on meaning (colloquial questions share few words with the plan), while a high
    cosine alone must not carry an off-topic question past the abstention floor. For a figure
    question only spans that answer with a figure compete, unless none does."""
    rank_w = weights or hand_weights(0.0)
    judge_w = hand_weights(0.0)
    raw = qvec if judge_qvec is None else judge_qvec
    scored = []
    for hit, span, f in candidates(sel, q, hits, qvec):
        cos = sel.cosine(hit.chunk.id, span, raw)
        judge = sum(w * v for w, v in zip(judge_w, f)) + judge_weight * (0.0 if cos is None else cos - SPAN_COS_CENTER)
        scored.append((hit, span, judge, sum(w * v for w, v in zip(rank_w, f)), f))
    return max(scored, key=lambda t: t[3], default=(None, None, -math.inf, -math.inf, None))


def candidates(sel: Selector, q: Query, hits: list, qvec=None) -> list:
    """(hit, span, features) for every span that competes: every sentence window of the hits, or
    for a figure question only those that answer with a figure, when any does."""
    out = []
    for hit in hits:
        ctx = sel.overlap(q.tokens, bigram_set(hit.chunk.context))
        for span in sentence_windows(hit.chunk.text, hit.chunk.start):
            out.append((hit, span, span_features(sel, q, hit, span, ctx, sel.cosine(hit.chunk.id, span, qvec))))
    if q.wants_figure and any(answers_figure(q, t[1]) for t in out):
        out = [t for t in out if answers_figure(q, t[1])]
    return out


def citation(hit, rank: int, highlight: Span | None = None, more: tuple = ()) -> dict:
    """A cited passage; `highlight` is the answer span in it, `more` further spans (points, parts)."""
    c = hit.chunk
    out = {"rank": rank, "chunk_id": c.id, "doc": c.doc, "section": c.section, "text": c.text,
           "start": c.start, "end": c.end, "score": round(hit.dense if hit.dense is not None else hit.score, 4)}
    if highlight is not None:
        out["highlight"] = [highlight.start, highlight.end]
    if more:
        out["highlights"] = [[s.start, s.end] for s in (highlight, *more)]
    return out


OFF_TOPIC = ("no passage", "year not covered", "the plan uses none of the question's words", "weak similarity",
             "another city")   # reasons that say the plan does not treat the topic at all


# What the fitted abstainer (qa.fit) reads of a question's chosen span; replaces the hand-set
# floors min_dense_score, min_span_score and min_figure_cosine when it is fitted for the model.
ABSTAIN_FEATURES = ("rank_score", "judge_score", "cosine", "best_dense", "known_share", "overlap",
                    "figure_overlap", "wants_figure", "figure_cosine")
# A closer match never argues for abstaining: the fit keeps these weights at zero or above.
MATCH_FEATURES = ("rank_score", "judge_score", "cosine", "best_dense", "known_share", "overlap",
                  "figure_overlap", "figure_cosine")


def abstain_features(sel: Selector, q: Query, hits: list, judge: float, rank: float, f: list) -> list:
    dense = max((h.dense for h in hits if h.dense is not None), default=SPAN_COS_CENTER)
    fig = float(q.wants_figure)
    return [rank, judge, f[-1], dense - SPAN_COS_CENTER, sel.known_share(q), f[0],
            f[FEATURES.index("figure_overlap")], fig, fig * f[-1]]


def answer_probability(abstainer: dict, x: list) -> float:
    """The fitted chance that the chosen span answers the question (logistic)."""
    z = abstainer["bias"] + sum(w * v for w, v in zip(abstainer["weights"], x))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def abstain_reason(sel: Selector, q: Query, hits: list, span: Span | None, score: float,
                   settings, cos: float | None = None, doubts: bool | None = None) -> str | None:
    """Why the plan does not answer, or None. Order: cheapest and surest first. `doubts` is the
    fitted abstainer's verdict on the span, which stands in for the three hand-set floors (None:
    no abstainer is fitted, the floors judge)."""
    if not hits or span is None:
        return "no passage"
    if q.scope == "other":
        return "year not covered"
    if not sel.knows_any(q):
        return "the plan uses none of the question's words"
    best_dense = max((h.dense for h in hits if h.dense is not None), default=None)
    if doubts is not None:
        if doubts:
            return "the fitted abstainer doubts the span"
    elif best_dense is not None and best_dense < settings.min_dense_score:
        return "weak similarity"
    elif score < settings.min_span_score:
        return "no span matches the question well"
    elif q.wants_figure and cos is not None and cos < settings.min_figure_cosine:
        return "the figure's clause is not about the question"
    if q.places and not any(p in span.text for p in q.places):
        return "another city"
    if q.asked_unit == "第" and "全国" in q.norm and "全国" not in span.text:
        return "asks a national rank, the plan gives another"
    if q.wants_figure and not has_figure(span.text, q.asked_unit):
        return "no figure"
    if q.wants_figure and not figure_about_question(q, span):
        return "the figure is about something else"
    if q.asks_stock and not STOCK_RE.search(span.text):
        return "asks a total, the plan gives a flow"
    section = span_section(hits, span)
    if q.wants_figure and q.scope == "result" and section != "一" and "2023" not in span.text:
        return "figure is not a 2023 result"
    if q.wants_figure and q.explicit_target and q.scope != "result" and section == "一":
        return "figure is not a 2024 target"
    return None


def span_section(hits: list, span: Span) -> str:
    hit = next(h for h in hits if h.chunk.start <= span.start < h.chunk.end)
    return hit.chunk.path[0] if hit.chunk.path else ""


def answer(sel: Selector, q: Query, hits: list, settings, qvec=None, max_citations: int = 3) -> Answer:
    question = q.question
    weights = sel.weights or hand_weights(settings.span_dense_weight)
    adapted = sel.adapt(qvec)
    hit, span, score, rank, f = (select(sel, q, hits, adapted, weights, settings.abstain_cos_weight, qvec)
                                 if hits else (None, None, 0.0, 0.0, None))
    cos = sel.cosine(hit.chunk.id, span, qvec) if hit is not None else None
    doubts = answer_probability(sel.abstainer, abstain_features(sel, q, hits, score, rank, f)) \
        < sel.abstainer["threshold"] if sel.abstainer is not None and hit is not None else None
    reason = abstain_reason(sel, q, hits, span, score, settings, cos, doubts)
    if reason is None:
        return Answer(question, span.text, False, cited(hit, span, hits, max_citations))
    if reason == "no figure" and not has_figure(span.text, None):   # topic there, no figure: say so
        return Answer(question, NO_FIGURE.format(span=span.text.rstrip("。")), True,
                      cited(hit, span, hits, max_citations), reason=reason)
    return Answer(question, ABSTAIN, True, ranked_citations(hits, max_citations), reason=reason)


def ranked_citations(hits: list, n: int) -> list:
    """The first `n` hits as citations, in rank order, nothing highlighted (an abstention's)."""
    return [citation(h, i) for i, h in enumerate(hits[:n], start=1)]


def cited(hit, span: Span, hits: list, n: int) -> list:
    """The answer's passage first, its span highlighted, then the other hits in rank order."""
    others = [h for h in hits if h is not hit][:n - 1]
    return [citation(hit, 1, span)] + [citation(h, i) for i, h in enumerate(others, start=2)]
