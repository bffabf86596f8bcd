"""The app's 👍/👎 votes on answers, kept to grow the eval set (`python -m qa feedback`).

One JSON line per event in settings.feedback_dir / feedback.jsonl, holding only
{"id", "time", "question", "resolved_question", "answer", "citations", "vote", "comment"}:
no IP, no session, nothing about the person. `id` names one answered message: a changed vote,
a withdrawn one (vote None) or a later comment appends a new line with the same id, and the last
line per id is the one that counts (latest). Appends rewrite the file atomically (append).
"""
from __future__ import annotations

import fcntl
import json
import threading
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path

from ..config import Settings
from ..files import write_atomic

FILE = "feedback.jsonl"
KEYS = ("id", "time", "question", "resolved_question", "answer", "citations", "vote", "comment")
VOTES = ("up", "down")
QUESTION_CHARS = 2000          # the app's question box holds no more
FAILED = "反馈未能保存，请稍后再试。"   # what the app and the API say when a line could not be written
_LOCK = threading.Lock()       # threads of one process; fcntl.flock below serves processes


def path(settings: Settings) -> Path:
    return settings.feedback_dir / FILE


def clean(text, limit: int) -> str:
    """Whitespace runs collapsed to one space; control, format and surrogate characters dropped;
    at most `limit` characters."""
    text = "".join(ch for ch in str(text or "") if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return " ".join(text.split())[:limit].strip()


def record(question: str, result: dict, vote: str | None, comment: str = "",
           limit: int = Settings.feedback_comment_chars, rid: str | None = None) -> dict:
    """One feedback line: the answer as given (`result`, the answer JSON), the vote ("up", "down",
    or None for a withdrawn one) and the cleaned comment; `rid` ties it to earlier lines."""
    if vote not in (*VOTES, None):
        raise ValueError(f"vote must be one of {VOTES} or None, not {vote!r}")
    cites = []
    for c in result.get("citations", []):
        h = c.get("highlight")
        span = c["text"][h[0] - c["start"]:h[1] - c["start"]] if h else None
        cites.append({"rank": c["rank"], "section": c["section"], "start": c["start"], "end": c["end"],
                      "span": span})
    return {"id": rid or uuid.uuid4().hex, "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "question": clean(question, QUESTION_CHARS), "resolved_question": result.get("resolved_question"),
            "answer": result.get("answer", ""), "citations": cites, "vote": vote, "comment": clean(comment, limit)}


def append(settings: Settings, rec: dict) -> Path:
    """Add one line to the feedback file: under a thread lock and an flock on a lock file, the old
    bytes plus the new line are written to a temp file and renamed onto the file (qa.files).
    The whole file is rewritten each time, which is fine at feedback volumes."""
    target = path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
    with _LOCK, open(target.parent / ".feedback.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # released when the lock file is closed
        old = target.read_bytes() if target.exists() else b""
        write_atomic(target, old + line)
    return target


def load(settings: Settings) -> tuple:
    """(records, number of lines skipped as malformed), in file order; ([], 0) with no file."""
    if not path(settings).is_file():
        return [], 0
    records, bad = [], 0
    for raw in path(settings).read_bytes().splitlines():
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except ValueError:                         # UnicodeDecodeError is a ValueError
            rec = None
        if isinstance(rec, dict) and set(rec) == set(KEYS) and rec["vote"] in (*VOTES, None) \
                and isinstance(rec["id"], str) and isinstance(rec["question"], str):
            records.append(rec)
        else:
            bad += 1
    return records, bad


def latest(records: list) -> list:
    """The last line per id, in the order the ids first appear; withdrawn votes left out."""
    last = {}
    for rec in records:
        last[rec["id"]] = rec
    return [rec for rec in last.values() if rec["vote"] is not None]


def draft_items(records: list) -> list:
    """Eval items (eval/dev.jsonl's keys) for the 👎 answers, one per distinct question, as drafts:
    `answers`, `evidence`, `section` empty and `type` "" for a person to fill in (the cited spans
    are not copied in as evidence: a 👎 says they are likely wrong). The id is "fb-" plus the
    record's id prefix, so the answer given, the resolved question and the comment can be read
    beside it in `python -m qa feedback --json`."""
    items, seen = [], set()
    for rec in latest(records):
        if rec["vote"] != "down" or rec["question"] in seen:
            continue
        seen.add(rec["question"])
        items.append({"id": f"fb-{rec['id'][:8]}", "question": rec["question"], "answers": [], "evidence": [],
                      "type": "", "section": ""})
    return items
