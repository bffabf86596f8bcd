"""A single answer: the chosen span, cited, or an abstention with its reason."""
from __future__ import annotations

from ..reading.query import YEAR_RE, Query
from .cite import cited, ranked_citations
from .decide import NO_FIGURE_REASON, YEAR_NOT_COVERED, decide
from .features import has_figure
from .matcher import Selector
from .result import ABSTAIN, MISSING, NO_FIGURE, NO_PLAN_FOR, NOT_MENTIONED, Answer

MAX_CITATIONS = 3
# The detail a question asks for, by its asked unit (qa.reading.query), that an abstention names.
DETAILS = {"元": "具体的价格或金额", "日": "具体日期", "年": "具体年份"}


def answer_span(sel: Selector, q: Query, hits: list, qvec=None) -> Answer:
    """The span of `hits` that answers `q`, or an abstention. When the plan names the topic but gives
    no figure for it, that span is quoted in a fixed frame that says so."""
    d = decide(sel, q, hits, qvec)
    if d.reason is None:
        return Answer(q.question, d.choice.span.text, False, cited(d.choice.hit, d.choice.span, hits, MAX_CITATIONS))
    span = d.choice.span if d.choice else None
    if d.reason == NO_FIGURE_REASON and not has_figure(span.text, None):   # topic there, no figure: say so
        return Answer(q.question, NO_FIGURE.format(span=span.text.rstrip("。")), True,
                      cited(d.choice.hit, span, hits, MAX_CITATIONS), reason=d.reason)
    return Answer(q.question, abstention(d.reason, d.concept, q), True, ranked_citations(hits, MAX_CITATIONS),
                  reason=d.reason)


def missing_detail(reason: str, q: Query | None) -> str | None:
    """What the question asks that the plan does not give: a year it does not cover, a price, a date,
    a time, a place; None when it asks none of these."""
    if q is None:
        return None
    if reason == YEAR_NOT_COVERED:
        return "所问年份的安排"
    if q.asked_unit in DETAILS:
        return DETAILS[q.asked_unit]
    return "具体时间或进度" if q.when else "具体地点" if q.asks_where else None


def abstention(reason: str, concepts: tuple, q: Query | None = None) -> str:
    """What an abstention says: a year named that no plan covers; the words of the question the plan
    never mentions, when there are any; else the detail asked that the plan does not give; else the
    plain sentence."""
    named = YEAR_RE.findall(q.norm) if q is not None and reason == YEAR_NOT_COVERED else []
    if named:
        return NO_PLAN_FOR.format(year=named[-1])
    if concepts and reason != YEAR_NOT_COVERED:
        return NOT_MENTIONED.format(concept="”“".join(concepts))
    detail = missing_detail(reason, q)
    return MISSING.format(detail=detail) if detail else ABSTAIN
