"""Citations: a retrieved passage with its offsets into the clean text and the answer spans in it."""
from __future__ import annotations

from ..plan.chunking import Span


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


def ranked_citations(hits: list, n: int) -> list:
    """The first `n` hits as citations, in rank order, nothing highlighted (an abstention's)."""
    return [citation(h, i) for i, h in enumerate(hits[:n], start=1)]


def cited(hit, span: Span, hits: list, n: int) -> list:
    """The answer's passage first, its span highlighted, then the other hits in rank order."""
    others = [h for h in hits if h is not hit][:n - 1]
    return [citation(hit, 1, span)] + [citation(h, i) for i, h in enumerate(others, start=2)]


def cite_spans(cites: dict) -> list:
    """Citations in order, each with the spans it supports highlighted: `cites` maps a chunk id to
    (its hit, [[start, end], …]) in the order the passages are first cited."""
    out = []
    for rank, (hit, spans) in enumerate(cites.values(), start=1):
        spans = [Span(a, b, "") for a, b in spans]
        out.append(citation(hit, rank, spans[0], tuple(spans[1:])))
    return out


def unhighlighted(citations: list) -> list:
    """The same citations with no span highlighted (an answer withdrawn)."""
    return [{k: v for k, v in c.items() if k not in ("highlight", "highlights")} for c in citations]
