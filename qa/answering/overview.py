"""Overviews: 3-6 cited sentences of the plan about a topic, and the text forms of points and parts.

Both forms are built only from spans of the plan, as single answers are: a point is a sentence (or
its first clauses) of a retrieved passage; a part is a single answer to one sub-question. The only
words added are the fixed lead, the circled numbers and the sub-questions as the user asked them.
"""
from __future__ import annotations

import re

from ..plan.chunking import SENTENCE_RE, Span, clauses, sentence_windows
from ..reading.query import Query
from ..reading.text import plan_grams
from .matcher import Selector

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"           # numbering without digits: every digit of an answer is the plan's
POINTS_LEAD = "计划中与此相关的要点："
HEADING = re.compile(r"^(?:[一二三四五六七八九十]、|\([一二三四五六七八九十]\)|统筹做好)")


def point_candidates(sel: Selector, q: Query, hits: list, qvec) -> list:
    """(score, hit, Span) for every sentence of the hits: relevance of its passage, its best
    window's cosine to the question, and the question's words it holds (weights in Settings)."""
    s = sel.settings
    top = hits[0].score or 1.0
    part = hits[0].chunk.path[:1]            # points come from the part of the plan the topic lies in
    out = []
    for hit in hits:
        c = hit.chunk
        if c.path[:1] != part or HEADING.match(c.text):
            continue                         # headings are not points
        windows = sentence_windows(c.text, c.start)
        for sent in SENTENCE_RE.finditer(c.text):
            span = point_span(c.text, c.start, sent, s.max_point_chars, s.min_point_chars)
            if span is None or (c.path and span.text.rstrip("。") == c.path[-1]):
                continue                       # the paragraph's lead names the topic, it is no point
            inside = [sel.cosine(c.id, w, qvec) for w in windows if span.start <= w.start and w.end <= span.end]
            cos = max((x for x in inside if x is not None), default=s.cosine_center)
            score = (s.point_rank_weight * hit.score / top + s.point_cosine_weight * (cos - s.cosine_center)
                     + s.point_word_weight * sel.overlap(q.tokens, plan_grams(span.text)))
            out.append((score, hit, span))
    return sorted(out, key=lambda t: -t[0])


def point_span(text: str, offset: int, sent, max_chars: int, min_chars: int) -> Span | None:
    """A sentence without its closing mark, cut after its last clause that fits `max_chars`."""
    parts = clauses(sent.group(), offset + sent.start())
    if not parts:
        return None
    start, end = parts[0].start, parts[0].end
    for p in parts[1:]:
        if p.end - start > max_chars:
            break
        end = p.end
    body = text[start - offset:end - offset].rstrip("。；;！!？?")
    return Span(start, start + len(body), body) if len(body) >= min_chars else None


def choose_points(candidates: list, settings) -> list:
    """Greedy: the best sentence, then the next best with a bonus for each point already taken
    from its paragraph; up to max_points, within max_answer_chars in all, no two overlapping."""
    chosen, used = [], len(POINTS_LEAD)
    pool = list(candidates)
    while pool and len(chosen) < settings.max_points:
        def adjusted(t):
            same = sum(1 for _, h, _ in chosen if h.chunk.paragraph == t[1].chunk.paragraph)
            return t[0] + settings.point_paragraph_bonus * same
        best = max(pool, key=adjusted)
        pool.remove(best)
        if used + len(best[2].text) + 2 > settings.max_answer_chars:
            continue
        if any(best[2].start < s.end and s.start < best[2].end for _, _, s in chosen):
            continue
        chosen.append(best)
        used += len(best[2].text) + 2
    return chosen


def points_text(points: list, marks: list | None = None) -> str:
    """The lead and the points numbered ①…; `marks` (e.g. citation markers) follow each point."""
    marks = marks or [""] * len(points)
    return POINTS_LEAD + "".join(f"\n{CIRCLED[i]}{p}{m}" for i, (p, m) in enumerate(zip(points, marks)))


def parts_text(parts: list, marks: list | None = None) -> str:
    """Each (sub-question, answer) numbered ①…; `marks` (e.g. citation markers) follow each answer."""
    marks = marks or [""] * len(parts)
    return "\n".join(f"{CIRCLED[i]}{q}\n{a}{m}" for i, ((q, a), m) in enumerate(zip(parts, marks)))
