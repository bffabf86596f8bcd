"""Checks of the Q&A sets: keys and form keys, evidence in the clean text, answers in the
evidence's paragraph, how many questions copy their evidence, and near-duplicates across splits."""
from __future__ import annotations

import re

from ..learning.items import FORMS, NOT_ANSWERED, TYPES, keys

NEAR_DUPLICATE = 0.6             # character-bigram Jaccard at or above which two questions are one
COPY_RUN = 6                     # a question "copies" its evidence when they share 6 characters
MAX_COPIED_SHARE = 1 / 3
PARAPHRASE_RUN = 4               # a paraphrase shares no run this long with its answering sentence
SENTENCE_RE = re.compile(r"[^。；;！？!?]+[。；;！？!?]*")


def question_grams(text: str) -> frozenset:
    """A question's character bigrams, punctuation and spaces dropped."""
    text = re.sub(r"[^\w]", "", text.lower())
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset([text])


def near_duplicates(items: list, others: list, threshold: float = NEAR_DUPLICATE) -> list:
    """(id, other id) for every item whose question is a near-duplicate of one of `others`."""
    theirs = [(o["id"], question_grams(o["question"])) for o in others]
    out = []
    for it in items:
        mine = question_grams(it["question"])
        out += [(it["id"], oid) for oid, g in theirs if len(mine & g) >= threshold * len(mine | g)]
    return out


def shares_run(a: str, b: str, n: int = COPY_RUN) -> bool:
    return any(a[i:i + n] in b for i in range(len(a) - n + 1))


def check_set(items: list, clean: str, paragraphs: list) -> list:
    """Every problem with a set, in words; [] when it is valid."""
    problems, seen = [], set()
    for it in items:
        iid = it.get("id", "?")
        wanted = keys(it)
        if set(it) != wanted:
            problems.append(f"{iid}: keys {sorted(it)} != {sorted(wanted)}")
            continue
        problems += [f"{iid}: {p}" for p in check_form(it, clean)]
        if iid in seen:
            problems.append(f"{iid}: duplicate id")
        seen.add(iid)
        if it["type"] not in TYPES:
            problems.append(f"{iid}: unknown type {it['type']!r}; choose one of {', '.join(TYPES)}")
        if it["type"] not in FORMS and (it["type"] in NOT_ANSWERED) != (it["answers"] == []):
            problems.append(f"{iid}: {' and '.join(NOT_ANSWERED)} items, and only they, have answers == []")
        for ev in it["evidence"]:
            pos = clean.find(ev)
            if pos < 0:
                problems.append(f"{iid}: evidence {ev!r} not in the clean text")
                continue
            para = next(p for p in paragraphs if p.start <= pos < p.end)
            body = clean[para.start:para.end]
            if it["answers"] and not any(a in body for a in it["answers"]):
                problems.append(f"{iid}: no answer of {it['answers']} in the paragraph of {ev!r}")
    copied = [it for it in items if any(shares_run(it["question"], ev) for ev in it.get("evidence", []))]
    if items and len(copied) / len(items) > MAX_COPIED_SHARE:
        problems.append(f"{len(copied)}/{len(items)} questions share a {COPY_RUN}-character run with "
                        f"their evidence (at most {MAX_COPIED_SHARE:.0%} may)")
    return problems


def check_form(it: dict, clean: str) -> list:
    """Problems with the form-specific keys of one item."""
    kind, out = it["type"], []
    if kind == "overview":
        alts = [a for k in it["key_points"] for a in k.split("|")]
        out += [f"key point {a!r} not in the clean text" for a in alts if a not in clean]
        if it["answers"] != alts:
            out.append("answers must list the key points' alternatives")
        if not 0 <= it["min_points"] <= len(it["key_points"]) or bool(it["key_points"]) != (it["min_points"] > 0):
            out.append(f"min_points {it['min_points']} for {len(it['key_points'])} key points")
    elif kind == "multi_part":
        if len(it["parts"]) < 2 or it["answers"] != [a for p in it["parts"] for a in p]:
            out.append("parts: two or more answer lists, and answers is them in one list")
    elif kind == "follow_up":
        if not it["history"] or not all(isinstance(h, str) and h.strip() for h in it["history"]):
            out.append("history: one or more earlier questions")
    elif kind == "absent":
        if not it["concept"] or it["concept"].lower() in clean.lower() or it["concept"] not in it["question"]:
            out.append(f"concept {it['concept']!r}: named in the question and nowhere in the plan")
    elif kind == "paraphrase":
        out += [f"shares a {PARAPHRASE_RUN}-character run with its sentence {s[:30]!r}"
                for s in answering_sentences(it, clean) if shares_run(it["question"], s, PARAPHRASE_RUN)]
    return out


def answering_sentences(it: dict, clean: str) -> list:
    """The sentences of the plan that hold an item's evidence."""
    starts = [clean.find(ev) for ev in it["evidence"]]
    return [m.group() for m in SENTENCE_RE.finditer(clean) if any(m.start() <= p < m.end() for p in starts if p >= 0)]
