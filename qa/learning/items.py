"""The Q&A items of every split (train, dev, test): their types and form keys, and reading a split.

Item (JSONL): {"id", "question", "answers": [...], "evidence": [...], "type", "section"}; answers ==
[] marks a question the plan does not answer. Forms add keys: `overview` items carry `key_points`
(plan phrases, "|" between alternatives) and `min_points`; `multi_part` items `parts` (acceptable
answers per part, [] for a part the plan does not answer); `follow_up` items `history` (the earlier
questions)."""
from __future__ import annotations

import json
import re
from pathlib import Path

TYPES = ("numeric", "fact", "list", "colloquial", "commitment", "year_trap", "unanswerable",
         "overview", "multi_part", "follow_up")
FORMS = {"overview": {"key_points", "min_points"}, "multi_part": {"parts"}, "follow_up": {"history"}}
KEYS = {"id", "question", "answers", "evidence", "type", "section"}
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
