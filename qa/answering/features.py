"""What a candidate answer span looks like to a question, feature by name (FEATURES order), and
the figure tests the span choice and the abstention rules share."""
from __future__ import annotations

import re

from ..plan.chunking import CLAUSE_RE, Span
from ..reading.lexicon import STOP_CHARS
from ..reading.query import Query
from ..reading.text import numbers, plan_grams
from .matcher import NAME_RE, Selector

FIGURE_RE = re.compile(r"\d|第[一二三四五六七八九十]|[一二两三四五六七八九十百千万]+(?:个|大|项|家|条|类|批|番|倍|所|座|成|届)")
TIME_RE = re.compile(r"年底|年内|上半年|下半年|秋季|春季|月底|建成|完成|开工|交付|投用|通车|\d%")
NOVEL_ENOUGH = 4          # new bigrams that make a span more than a restatement


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
    return max((sel.overlap(q.tokens, plan_grams(c)) for c in clauses_with_figure), default=0.0)


def figure_about_question(q: Query, span: Span) -> bool:
    """Does a clause carrying the asked figure share a content character with the question?
    Characters, not bigrams, so that 厕所 still meets 户厕; question words and units do not count."""
    stop = STOP_CHARS | q.home_chars
    content = {ch for ch in q.text if "\u4e00" <= ch <= "\u9fff" and ch not in stop}
    content -= set(q.asked_unit or "")
    names = set(NAME_RE.findall(q.text))
    return any(content & set(c) or names & set(NAME_RE.findall(c.lower()))
               for c in CLAUSE_RE.findall(span.text) if has_figure(c, q.asked_unit))


def answers_figure(q: Query, span: Span) -> bool:
    """For a figure question: the span ends in a clause that gives the asked figure about the
    asked thing (so no unrelated clause trails the figure), and a figure the question does not
    already state ("新增580个以后总共多少个？" is not answered by 580)."""
    last = CLAUSE_RE.findall(span.text)[-1]
    stated = set(numbers(q.text))
    new_figure = not stated or bool(set(numbers(last)) - stated)
    return new_figure and has_figure(last, q.asked_unit) and figure_about_question(q, Span(0, len(last), last))


def span_features(sel: Selector, q: Query, hit, span: Span, ctx: float, cos: float | None) -> dict:
    """The features of one candidate span, by name in FEATURES order. `cosine` is the span's cosine
    to the question, centred on settings.cosine_center (0 when there is no vector)."""
    toks = plan_grams(span.text)
    fig = q.wants_figure
    asked, other = (has_figure(span.text, q.asked_unit), has_figure(span.text, None)) if fig else (False, False)
    role = sel.role(hit.chunk)
    lists = q.enumeration and "、" in span.text
    return {
        "overlap": sel.overlap(q.tokens, toks), "context": ctx, "inverse_rank": 1 / hit.rank,
        "novelty": 0.0 if fig else min(len(toks - q.tokens), NOVEL_ENOUGH) / NOVEL_ENOUGH,  # restating answers nothing
        "length": len(span.text),
        "restates_lead": float(span.start == hit.chunk.start and bool(hit.chunk.path)
                               and span.text.rstrip("。") == hit.chunk.path[-1]),
        "figure_asked": float(fig and asked), "figure_other": float(fig and other and not asked),
        "figure_none": float(fig and not other),
        "unit_figures": sum(1 for u in q.units if re.search(r"\d" + re.escape(u), span.text)) if fig else 0.0,
        "figure_overlap": figure_overlap(sel, q, span) if fig else 0.0,
        "when_time": float(bool(q.when and TIME_RE.search(span.text))),
        "list_cue": float(lists), "list_items": min(span.text.count("、"), 4) - 1 if lists else 0.0,
        "wh_head": float(bool(q.wh_head and q.wh_head in span.text)),
        "result_in_review": float(q.scope == "result" and role == "review"),
        "result_elsewhere": float(q.scope == "result" and role != "review"),
        "target_in_targets": float(q.scope == "target" and role in ("targets", "tasks")),
        "target_elsewhere": float(q.scope == "target" and role not in ("targets", "tasks")),
        "cosine": 0.0 if cos is None else cos - sel.settings.cosine_center,
    }
