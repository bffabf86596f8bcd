"""The learned choice of answer form (issue 21): one span, an overview, or several parts, read
from a normalised question's wording.

A multinomial logistic regression over the question's characters and character pairs plus a few
cues (the overview wording rule of qa.reading.forms, a figure asked, how many asks it splits
into, an 各/分别, a yes/no ending); the overview rule is a feature here, not a gate. `python -m qa
fit` fits it on the train split (qa.learning.forms) and writes settings.forms_file; without that
file the cue rules decide, as before the fit.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from .forms import END, FIGURE_ASK, is_overview, split_asks

FORMS = ("span", "overview", "parts")
CUES = ("overview_rule", "figure_ask", "asks", "each", "yes_no", "marks", "length")
EACH = re.compile(r"各|分别|各自|和.{1,8}都")
YES_NO = re.compile(r"(?:吗|不|没|没有|么)$")
MARKS = re.compile(r"[?？]")


def cues(text: str) -> dict:
    """The cue features of a normalised question (numbers, roughly 0-3)."""
    q = END.sub("", text)
    return {"overview_rule": float(is_overview(text)), "figure_ask": float(bool(FIGURE_ASK.search(q))),
            "asks": float(min(len(split_asks(text)), 4) - 1), "each": float(bool(EACH.search(q))),
            "yes_no": float(bool(YES_NO.search(q))), "marks": float(min(len(MARKS.findall(text)), 4)),
            "length": len(q) / 30}


def grams(text: str) -> set:
    """The characters and character pairs of a normalised question."""
    q = END.sub("", text)
    return set(q) | {q[i:i + 2] for i in range(len(q) - 1)}


def rule_form(text: str) -> str:
    """The form the cue rules alone choose."""
    if is_overview(text):
        return "overview"
    return "parts" if len(split_asks(text)) > 1 else "span"


def scores(model: dict, text: str, cued: dict | None = None) -> list:
    """The model's score of each form (FORMS order); `cued`: the question's cues, when at hand."""
    total = list(model["bias"])
    for name, value in (cued or cues(text)).items():
        for k, w in enumerate(model["cues"][name]):
            total[k] += w * value
    for g in grams(text):
        for k, w in enumerate(model["grams"].get(g, ())):
            total[k] += w
    return total


def choose(text: str, model: dict | None) -> str:
    """The form a normalised question asks for. The fitted model decides whether it asks for an
    overview; whether it asks one thing or several is read from its asks (split_asks), which
    measured better on dev than the model's own parts class (multi-part 0.85 against 0.75).
    Without a model the rules decide both."""
    if model is None:
        return rule_form(text)
    cued = cues(text)
    s = scores(model, text, cued)
    if s[1] > max(s[0], s[2]):
        return "overview"
    return "parts" if cued["asks"] > 0 else "span"


@lru_cache(maxsize=4)
def load(path: Path) -> dict | None:
    """The fitted form model at `path`, or None when there is none (or it is not for these features)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("forms") != list(FORMS) or sorted(data.get("cues", {})) != sorted(CUES):
        return None
    return data
