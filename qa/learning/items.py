"""The Q&A items of every split (train, dev, test): their types and form keys, and reading a split.

Item (JSONL): {"id", "question", "answers": [...], "evidence": [...], "type", "section"}; answers ==
[] marks a question the plan does not answer. Forms add keys: `overview` items carry `key_points`
(plan phrases, "|" between alternatives) and `min_points`; `multi_part` items `parts` (acceptable
answers per part, [] for a part the plan does not answer); `follow_up` items `history` (the earlier
questions). The citizen-worded slice (issue 21) adds two single-answer types: `paraphrase` (one
fact asked in everyday words, sharing no 4-character run with its answering sentence) and `absent`
(a concept the plan never mentions; `concept` names it, answers == [])."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

TYPES = ("numeric", "fact", "list", "colloquial", "commitment", "year_trap", "unanswerable",
         "paraphrase", "absent", "overview", "multi_part", "follow_up")
FORMS = {"overview": {"key_points", "min_points"}, "multi_part": {"parts"}, "follow_up": {"history"}}
SLICE = {"paraphrase": set(), "absent": {"concept"}}   # the citizen-worded slice: reported on its own rows
NOT_ANSWERED = ("unanswerable", "absent")               # single-answer types the plan does not answer
KEYS = {"id", "question", "answers", "evidence", "type", "section"}


def form_of(item: dict) -> str:
    """The answer form an item asks for (qa.reading.form_model.FORMS): its type's, else one span."""
    return {"overview": "overview", "multi_part": "parts"}.get(item["type"], "span")


def keys(item: dict) -> set:
    """The keys an item of its type has."""
    return KEYS | FORMS.get(item.get("type"), set()) | SLICE.get(item.get("type"), set())
WS_RE = re.compile(r"\s+")


def load_set(path: Path) -> list:
    items = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc})") from exc
    return items


def squash(text: str) -> str:
    """Whitespace removed: how an answer is compared with the gold ones."""
    return WS_RE.sub("", text)


def items_plan(settings) -> str | None:
    """The plan the training items were written for: the plan of the corpus whose text holds most of
    their evidence (the newest among equals); None when no plan holds any. The adapter is trained on
    it, the weights fitted on it, and the evaluation asks it, whichever plan is served."""
    from dataclasses import replace

    return _items_plan(replace(settings, plan=""), tuple(d.name for d in settings.plan_dirs()))


@lru_cache(maxsize=4)
def _items_plan(settings, plans: tuple) -> str | None:
    from dataclasses import replace

    from ..plan import document

    evidence = [ev for it in load_set(Path(settings.train_file)) for ev in it["evidence"][:1]]
    found = {p: sum(ev in document.load(replace(settings, plan=p)).clean for ev in evidence) for p in plans}
    best = max(found.values(), default=0)
    return [p for p in plans if found[p] == best][-1] if best else None


def for_items(settings):
    """`settings` asking the items' plan, unless a plan is named (QA_PLAN, --plan)."""
    from dataclasses import replace

    plan = settings.plan or items_plan(settings)
    return replace(settings, plan=plan) if plan else settings
