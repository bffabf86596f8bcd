"""Answer or abstain, decided here and only here, with a reason for every abstention. `decide`
judges a single answer (the assistant's, the fitter's and so the evaluator's alike);
`overview_reason` an overview; `follow_up_reason` an answer to "那X呢？".

A single answer passes, in this order (cheapest and surest first): the rule that says the plan does
not treat the question (a year it does not cover), then the judge (the fitted abstainer over
abstain_row, which reads whether the plan uses any of the question's words; or, where none is fitted
for the model, the hand-set floors of Settings, the first of which is that the plan uses none of
them), then the facts-of-language rules about the chosen span (another city, a national rank, no
figure in the asked unit, a flow for a total, a figure of the wrong year). An abstention names up to
three of the question's words the plan never uses, when there are any (qa.answering.span.abstention)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..plan.chunking import SENTENCE_RE
from ..reading.query import Query
from ..reading.text import plan_grams
from .features import has_figure, figure_about_question
from .matcher import Selector, concepts, rarest
from .select import Choice, choose
from .weights import answer_probability, hand_weights, score

STOCK_RE = re.compile(r"总|累计|达到|余额|保持在")
NO_FIGURE_REASON = "no figure"
YEAR_NOT_COVERED = "year not covered"
NO_SHARED_WORD = "the plan uses none of the question's words"
OFF_TOPIC = ("no passage", YEAR_NOT_COVERED, NO_SHARED_WORD, "weak similarity",
             "another city")   # reasons that say the plan does not treat the topic at all


@dataclass(frozen=True)
class Decision:
    choice: Choice | None       # the chosen span, None when no span competes
    reason: str | None          # why the plan does not answer; None: answer with choice.span
    row: list | None = None     # what the abstainer reads (ABSTAIN_FEATURES order)
    ruled: bool = True          # a rule, not the judge, abstains (the fitter leaves these out)
    concept: tuple = ()         # the question's words the plan never uses, rarest first (what to name)


def decide(sel: Selector, q: Query, hits: list, qvec, judge: bool = True, weights: dict | None = None) -> Decision:
    """Choose the span and decide; `qvec` is the question's own vector (None in BM25 mode).
    judge=False skips the judge (the fitter's view: what the rules alone decide); `weights` ranks
    the spans instead of the matcher's (the fitter's newly fitted ones)."""
    weights = weights or sel.weights or hand_weights(sel.settings.span_dense_weight)
    choice = choose(sel, q, hits, sel.adapt(qvec), weights) if hits else None
    unknown = sel.unknown_words(q)
    concept = concepts(unknown)
    if choice is None:
        return Decision(None, "no passage", concept=concept)
    cos = sel.cosine(choice.hit.chunk.id, choice.span, qvec)
    row = abstain_row(sel, q, hits, choice, unknown)
    before, after = off_topic(q), about_span(sel, q, hits, choice.span)
    verdict = judged(sel, q, hits, choice, cos, row) if judge else None
    return Decision(choice, before or verdict or after, row, bool(before or after), concept)


def off_topic(q: Query) -> str | None:
    """A year no plan section covers."""
    return YEAR_NOT_COVERED if q.scope == "other" else None


def knows_none(sel: Selector, q: Query) -> str | None:
    """The plan uses none of the question's content words: a rule of the hand-set judge; the fitted
    abstainer reads it as a feature (a paraphrase in everyday words may share none and be answered)."""
    return None if sel.knows_any(q) else NO_SHARED_WORD


def judged(sel: Selector, q: Query, hits: list, choice: Choice, cos: float | None, row: list) -> str | None:
    """The fitted abstainer's verdict; where none is fitted, the hand-set floors of Settings."""
    if sel.abstainer is not None:
        doubts = answer_probability(sel.abstainer, row) < sel.abstainer["threshold"]
        return "the fitted abstainer doubts the span" if doubts else None
    s = sel.settings
    best_dense = max((h.dense for h in hits if h.dense is not None), default=None)
    if knows_none(sel, q):
        return NO_SHARED_WORD
    if best_dense is not None and best_dense < s.min_dense_score:
        return "weak similarity"
    if hand_score(sel, choice, cos) < s.min_span_score:
        return "no span matches the question well"
    if q.wants_figure and cos is not None and cos < s.min_figure_cosine:
        return "the figure's clause is not about the question"
    return None


def hand_score(sel: Selector, choice: Choice, cos: float | None) -> float:
    """The hand-set floors' score: the hand-set span score without the adapted cosine, plus
    abstain_cos_weight x the span's cosine to the question's own vector."""
    s = sel.settings
    return score(hand_weights(0.0), choice.features) + s.abstain_cos_weight * (
        0.0 if cos is None else cos - s.cosine_center)


def about_span(sel: Selector, q: Query, hits: list, span) -> str | None:
    """The facts-of-language rules about the chosen span, and the year its section speaks for (the
    plan's profile: a section that reviews the year before, or one that sets this year's targets)."""
    if q.places and not any(p in span.text for p in q.places):
        return "another city"
    if q.asked_unit == "第" and "全国" in q.norm and "全国" not in span.text:
        return "asks a national rank, the plan gives another"
    if q.wants_figure and not has_figure(span.text, q.asked_unit):
        return NO_FIGURE_REASON
    if q.wants_figure and not figure_about_question(q, span):
        return "the figure is about something else"
    if q.asks_stock and not STOCK_RE.search(span.text):
        return "asks a total, the plan gives a flow"
    hit = next(h for h in hits if h.chunk.start <= span.start < h.chunk.end)
    review = sel.role(hit.chunk) == "review"
    if q.wants_figure and q.scope == "result" and not review and not sel.names_review_year(span.text):
        return "figure is not a result of the reviewed year"
    if q.wants_figure and q.explicit_target and q.scope != "result" and review:
        return "figure is not a target of the plan's year"
    return None


def abstain_row(sel: Selector, q: Query, hits: list, choice: Choice, unknown: list) -> list:
    """What the abstainer reads of the chosen span and of the question's words the plan never uses
    (`unknown`: (surprisal, word) pairs), in ABSTAIN_FEATURES order."""
    center = sel.settings.cosine_center
    f = choice.features
    dense = max((h.dense for h in hits if h.dense is not None), default=center)
    fig = float(q.wants_figure)
    return [choice.score, f["cosine"], dense - center, sel.known_share(q), f["overlap"],
            f["figure_overlap"], fig, fig * f["cosine"], float(len(unknown)), rarest(unknown)[0],
            float(not sel.knows_any(q))]


def overview_reason(sel: Selector, q: Query, gate_reason: str | None, hits: list, qvec) -> str | None:
    """An overview abstains when its topic's single answer is off-topic, when the plan uses none of
    the topic's words, or when it uses few (overview_few_known) and no span of the first
    overview_gate passages is close (cosine below overview_min_span_cosine)."""
    s = sel.settings
    known = sel.known_share(q)
    best = sel.best_cosine(hits[:s.overview_gate], qvec)
    far = best is not None and best < s.overview_min_span_cosine
    if gate_reason in OFF_TOPIC:
        return gate_reason
    if known == 0:
        return "the plan uses none of the topic's words"
    if far and known <= s.overview_few_known:
        return "few of the topic's words, no close span"
    return None


def follow_up_reason(subject: frozenset | None, citations: list) -> str | None:
    """A "那X呢？" follow-up is answered only by a sentence that names X (a word of it, or the plan's
    word for it): otherwise the answer is still about the earlier subject, and the plan is silent on X.
    `subject`: X's bigrams; `citations`: the answer's, the first holding the answer span.
    (Dev follow-ups: accuracy 0.850 without the check, 0.874 with it.)"""
    if subject is None:
        return None
    first = citations[0]
    start = first["highlight"][0] - first["start"]
    sentence = next((m.group() for m in SENTENCE_RE.finditer(first["text"]) if m.start() <= start < m.end()), "")
    return None if subject & plan_grams(sentence) else "the answer does not name the follow-up's subject"

