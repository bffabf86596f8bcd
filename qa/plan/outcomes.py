"""Target against outcome across plans (issue 22): an indicator one plan set as a target for its
year, beside the outcome a later plan's review reports for that year, each with its citation.

An outcome matches a target when the later plan reviews the target's year, both name the same
indicator (their subjects equal once the genre's abbreviations are written out: 规上 -> 规模以上)
in the same unit, and exactly one such outcome exists. The verdict is given only where the
target's qualifier makes the comparison unambiguous: 以上/达到/超过/不少于/高于 (met when the
outcome is at least the target), 低于/以内 (at most); 左右 or none is "not judged"; a target whose
year a later plan reviews without reporting it is "not reported".
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..reading.text import normalize, synonyms
from . import profile
from .commitments import CSV_FIELDS, Commitment, extract

AT_LEAST = ("以上", "达到", "超过", "不少于", "高于")
AT_MOST = ("低于", "以内")
VERDICTS = {"met": "已完成", "not met": "未完成", "not judged": "未判断", "not reported": "未报告"}


@dataclass(frozen=True)
class Row:
    indicator: str
    year: str
    target_plan: str
    target: Commitment
    outcome_plan: str = ""
    outcome: Commitment | None = None
    verdict: str = "not reported"

    def to_json(self) -> dict:
        return {"indicator": self.indicator, "year": self.year, "verdict": self.verdict,
                "target_plan": self.target_plan, "target": self.target.to_json(),
                "outcome_plan": self.outcome_plan, "outcome": self.outcome.to_json() if self.outcome else None}


def indicator(subject: str) -> str:
    """A subject as an indicator's key: normalised, abbreviations written out."""
    text = normalize(subject)
    for said, term in synonyms():
        if said in text and term not in text:
            text = text.replace(said, term)
    return text


def verdict(target: Commitment, outcome: Commitment) -> str:
    try:
        t, o = float(target.value), float(outcome.value)
    except ValueError:
        return "not judged"
    if target.qualifier in AT_LEAST:
        return "met" if o >= t else "not met"
    if target.qualifier in AT_MOST:
        return "met" if o <= t else "not met"
    return "not judged"


def every_plan(settings) -> list:
    """[(Profile, [Commitment])] of every plan of the corpus, oldest first."""
    return [(found, extract(doc, found)) for doc, found in profile.every(settings)]


def compare(plans: list) -> list:
    """Rows for every target of a plan whose year a later plan reviews; `plans` is [(Profile,
    [Commitment])]."""
    rows = []
    for plan, records in plans:
        later = [(p, r) for p, recs in plans if p.review_year == plan.target_year for r in recs
                 if r.kind == "result"]
        if not later:
            continue
        for t in (r for r in records if r.kind == "target"):
            key = indicator(t.subject)
            found = [(p, o) for p, o in later if o.unit == t.unit and indicator(o.subject) == key]
            row = Row(key, plan.target_year, plan.id, t)
            if len(found) == 1:
                p, o = found[0]
                row = Row(key, plan.target_year, plan.id, t, p.id, o, verdict(t, o))
            if len(found) <= 1:
                rows.append(row)
    return rows


OUTCOME_FIELDS = ("outcome_plan", "outcome_value", "outcome_unit", "outcome_sentence", "outcome_start",
                  "outcome_end", "verdict")


def outcome_columns(row: Row | None) -> dict:
    """The outcome columns of a target's CSV line: empty when no later plan reviews its year."""
    o = row.outcome if row else None
    return {"outcome_plan": row.outcome_plan if row else "", "outcome_value": o.value if o else "",
            "outcome_unit": o.unit if o else "", "outcome_sentence": o.sentence if o else "",
            "outcome_start": o.start if o else "", "outcome_end": o.end if o else "",
            "verdict": row.verdict if row else ""}


def to_csv(records: list, rows: dict) -> str:
    """One plan's commitments `records` as CSV, each target with the outcome columns of its row
    (`rows`: commitment id -> Row; an outcome's offsets are into its own plan's clean text)."""
    return _csv(CSV_FIELDS + OUTCOME_FIELDS, ({**r.to_json(), **outcome_columns(rows.get(r.id))} for r in records))


def rows_csv(rows: list) -> str:
    """Target-against-outcome rows of every plan as CSV (qa commitments --outcomes --format csv)."""
    return _csv(("target_plan",) + CSV_FIELDS + OUTCOME_FIELDS,
                ({"target_plan": r.target_plan, **r.target.to_json(), **outcome_columns(r)} for r in rows))


def _csv(fields: tuple, lines) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    return buf.getvalue()
