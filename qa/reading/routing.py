"""Which plan a question is asked of, when several are served and the user picked none (issue 22).

A question that names a city goes to that city's plans. A question that names a year goes to the
plans that speak for it: the plan that sets that year's targets, or the plan that reviews that year's
results; which of them first depends on what the question's own words ask (去年/实际/完成了 ask a
result, anything else a target), the newest first among equals. A question that names no year, or a
year no plan covers, goes to the newest plan, whose reading then resolves 今年/去年 or abstains with
the year (没有…年的计划). A follow-up that names neither is routed by the latest earlier question
that does. Nothing here is about one plan: the calendars come from the plans' profiles.
"""
from __future__ import annotations

import re

from .calendar import Calendar
from .query import YEAR_RE
from .text import normalize

RESULT_WORDS = re.compile(r"去年|上一年|实际|完成了|执行情况|已经|实现了|达到了")


def named(text: str, calendars: dict) -> tuple:
    """(years named, plans whose place is named) in normalised `text`."""
    years = set(YEAR_RE.findall(text))
    places = [pid for pid, cal in calendars.items() if any(p in text for p in cal.places)]
    return years, places


def route(question: str, calendars: dict, history: list | None = None) -> list:
    """The plan ids to ask, in order (the first whose answer is not an abstention wins).
    `calendars`: plan id -> Calendar, oldest plan first."""
    texts = [normalize(question)] + [normalize(str(t.get("question", ""))) for t in reversed(history or [])
                                     if isinstance(t, dict)]
    text = next((t for t in texts if any(named(t, calendars))), texts[0])
    years, places = named(text, calendars)
    ids = places or list(calendars)
    covering = [pid for pid in ids if years & calendars[pid].covered]
    if not covering:
        return ids[-1:]
    wants_result = bool(RESULT_WORDS.search(YEAR_RE.sub("", text)))
    order = {pid: n for n, pid in enumerate(ids)}

    def speaks(pid: str) -> bool:
        cal: Calendar = calendars[pid]
        return (cal.review_year if wants_result else cal.target_year) in years

    return sorted(covering, key=lambda pid: (not speaks(pid), -order[pid]))
