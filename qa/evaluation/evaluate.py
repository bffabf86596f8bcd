"""The evaluation harness: run the assistant on Q&A items (qa.learning.items), compute metrics,
pair two runs, and gate on thresholds.

An answer is right when it contains a gold answer (whitespace removed) and did not abstain; a
citation is right when its text contains an evidence string; an item with answers == [] is right
when the assistant abstains. The headline metrics are over the seven single-answer types; each form
has its own (form_metrics), and so has the citizen-worded slice (slice_metrics).
"""
from __future__ import annotations

import math
import re
import statistics
import time

from ..config import MODES, ROOT
from ..learning.items import FORMS, SLICE, TYPES, form_of, squash
from ..reading.question import read
from ..reading.text import numbers

SPLITS = {"dev": ROOT / "eval" / "dev.jsonl", "test": ROOT / "eval" / "test.jsonl"}
MAX_K = 10


def run_item(assistant, item: dict, mode: str) -> dict:
    """Ask one item and record what the metrics need."""
    history = [{"question": h, "answer": ""} for h in item.get("history", [])]
    t0 = time.perf_counter()
    result = assistant.ask(item["question"], mode, depth=MAX_K, history=history)
    form = read(item["question"], history, assistant.settings, assistant.calendar).form
    ms = (time.perf_counter() - t0) * 1000
    ranked = [h.chunk.text for h in result.hits]
    evidence_rank = next((r for r, text in enumerate(ranked, start=1)
                          if any(ev in text for ev in item["evidence"])), None)
    cited = " ".join(c["text"] for c in result.citations)
    given = squash(result.answer)
    clean = assistant.doc.clean
    shown = [p["answer"] for p in result.parts] if result.parts else [result.answer]   # not the sub-questions
    spans = [p for p in (result.points or result.parts or []) if p.get("start") is not None]
    record = {
        "id": item["id"], "type": item["type"], "section": item["section"],
        "question": item["question"], "expected": item["answers"], "answer": result.answer,
        "abstained": result.abstained, "answerable": bool(item["answers"]),
        "correct": bool(item["answers"]) and not result.abstained
                   and any(squash(a) in given for a in item["answers"]),
        "evidence_rank": evidence_rank,
        "numbers_cited": result.abstained or all(n in cited for s in shown for n in numbers(s)),
        "offsets_ok": all(clean[c["start"]:c["end"]] == c["text"] for c in result.citations)
                      and all(clean[p["start"]:p["end"]] == p.get("text", clean[p["start"]:p["end"]]) for p in spans),
        "answer_chars": len(result.answer), "ms": ms,
        "first_citation": result.citations[0]["section"] if result.citations else "",
        "kind": result.to_json()["kind"], "resolved": result.resolved_question,
        "form_right": form == form_of(item),
    }
    if item["type"] in FORMS:
        record.update(form_record(item, result, assistant.doc))
    if "concept" in item:
        record["concept_named"] = result.abstained and item["concept"] in result.answer
    return record


def form_record(item: dict, result, doc) -> dict:
    """Whether a form item is right: overview (enough key points, within 600 characters; point
    precision), multi-part (every part right), follow-up (right answer, or abstained when due)."""
    given, kind = squash(result.answer), item["type"]
    if kind == "overview":
        if not item["key_points"]:
            return {"correct": result.abstained, "points_total": 0, "points_good": 0}
        covered = sum(1 for k in item["key_points"] if any(squash(a) in given for a in k.split("|")))
        places = [doc.paragraph_at(m.start()) for k in item["key_points"] for a in k.split("|")
                  for m in re.finditer(re.escape(a), doc.clean)]
        points = result.points or []
        good = sum(1 for p in points if doc.paragraph_at(p["start"]) in places)
        return {"correct": not result.abstained and covered >= item["min_points"] and len(result.answer) <= 600,
                "covered": covered, "points_total": len(points), "points_good": good}
    if kind == "multi_part":
        gold, parts = item["parts"], result.parts
        if parts is not None and len(parts) == len(gold):
            ok = [(p["abstained"] if not g else not p["abstained"] and any(squash(a) in squash(p["answer"]) for a in g))
                  for g, p in zip(gold, parts)]
        else:              # one answer for the whole question: it must hold every part's answer
            ok = [bool(g) and not result.abstained and any(squash(a) in given for a in g) for g in gold]
        return {"correct": all(ok)}
    if not item["answers"]:
        return {"correct": result.abstained}
    return {}


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def percentile(values: list, q: float) -> float | None:
    """The nearest-rank `q` quantile of `values` (None for none)."""
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def ms_percentile(values: list, q: float) -> float | None:
    p = percentile(values, q)
    return None if p is None else round(p, 1)


def metrics(records: list) -> dict:
    answerable = [r for r in records if r["answerable"]]
    out = {"n": len(records)}
    for k in (1, 3, 5, 10):
        out[f"recall@{k}"] = ratio(sum(1 for r in answerable if r["evidence_rank"] and r["evidence_rank"] <= k),
                                   len(answerable))
    out["recall_curve"] = [ratio(sum(1 for r in answerable if r["evidence_rank"] and r["evidence_rank"] <= k),
                                 len(answerable)) for k in range(1, MAX_K + 1)]
    reciprocal = sum(1 / r["evidence_rank"] for r in answerable if r["evidence_rank"])
    out["mrr"] = round(reciprocal / len(answerable), 4) if answerable else None
    out["answer_accuracy"] = ratio(sum(r["correct"] for r in answerable), len(answerable))
    positives = [r for r in records if not r["answerable"]]
    predicted = [r for r in records if r["abstained"]]
    true_pos = sum(1 for r in predicted if not r["answerable"])
    p, rec = ratio(true_pos, len(predicted)), ratio(true_pos, len(positives))
    out["abstention_precision"], out["abstention_recall"] = p, rec
    out["abstention_f1"] = round(2 * p * rec / (p + rec), 4) if p and rec else (0.0 if positives else None)
    out["false_abstention_rate"] = ratio(sum(1 for r in answerable if r["abstained"]), len(answerable))
    answered = [r for r in records if not r["abstained"]]
    out["faithful_numbers"] = ratio(sum(r["numbers_cited"] for r in answered), len(answered))
    out["faithful_offsets"] = ratio(sum(r["offsets_ok"] for r in records), len(records))
    out["median_answer_chars"] = statistics.median([r["answer_chars"] for r in answered]) if answered else None
    out["p50_ms"], out["p95_ms"] = ms_percentile([r["ms"] for r in records], 0.5), ms_percentile(
        [r["ms"] for r in records], 0.95)
    return out


def breakdown(records: list, key: str) -> dict:
    groups: dict = {}
    for r in records:
        groups.setdefault(r[key], []).append(r)
    return {g: {k: v for k, v in metrics(rs).items() if k != "recall_curve"} for g, rs in sorted(groups.items())}


def form_metrics(records: list) -> dict:
    """Per form: the share of its items that are right (unanswerable ones right when abstained);
    over all items, the share read as asking for the form their type asks for (form_accuracy); and for overviews the share of shown points that lie in a paragraph holding a key point."""
    out = {}
    for kind in FORMS:
        rs = [r for r in records if r["type"] == kind]
        out[f"{kind}_accuracy"] = ratio(sum(r["correct"] for r in rs), len(rs))
    ov = [r for r in records if r["type"] == "overview"]
    out["overview_point_precision"] = ratio(sum(r["points_good"] for r in ov), sum(r["points_total"] for r in ov))
    out["form_accuracy"] = ratio(sum(r["form_right"] for r in records), len(records))
    forms = [r for r in records if r["type"] in FORMS]
    out["form_p50_ms"] = ms_percentile([r["ms"] for r in forms], 0.5)
    return out


def slice_metrics(records: list) -> dict:
    """The citizen-worded slice, on its own rows: paraphrase accuracy, the share of absent concepts
    abstained on and named, and false abstentions over every answerable single-answer type."""
    para = [r for r in records if r["type"] == "paraphrase"]
    absent = [r for r in records if r["type"] == "absent"]
    answerable = [r for r in records if r["type"] not in FORMS and r["answerable"]]
    return {"paraphrase_accuracy": ratio(sum(r["correct"] for r in para), len(para)),
            "absent_abstention": ratio(sum(r["abstained"] for r in absent), len(absent)),
            "absent_named": ratio(sum(r["concept_named"] for r in absent), len(absent)),
            "all_false_abstention_rate": ratio(sum(r["abstained"] for r in answerable), len(answerable))}


def evaluate(assistant, items: list, modes: tuple = MODES) -> dict:
    """Run every item in every mode; the harness's one JSON object, plus per-item records. The
    headline metrics are over the seven single-answer types, the form metrics over the forms, the
    slice metrics over the citizen-worded slice (SLICE)."""
    result = {"n_items": len(items), "by_type": {t: sum(1 for i in items if i["type"] == t) for t in TYPES},
              "modes": {}, "records": {}}
    for mode in modes:
        records = [run_item(assistant, it, mode) for it in items]
        single = [r for r in records if r["type"] not in FORMS and r["type"] not in SLICE]
        result["modes"][mode] = {**metrics(single), **form_metrics(records), **slice_metrics(records),
                                 "by_type": breakdown(records, "type"), "by_section": breakdown(single, "section")}
        result["records"][mode] = records
    return result


def outcomes(result: dict) -> dict:
    """{mode: {item id: right?}}: what `--save` writes and `--compare` pairs."""
    return {mode: {r["id"]: bool(r["correct"] if r["answerable"] or r["type"] in FORMS else r["abstained"])
                   for r in records} for mode, records in result["records"].items()}


def paired(before: dict, after: dict) -> dict:
    """Per mode, the items right now and wrong before (won) and the reverse (lost), over the ids
    both runs share, with a two-sided exact sign test: the chance of a split at least this uneven
    if a change helped and hurt alike."""
    out = {}
    for mode in sorted(set(before) & set(after)):
        ids = sorted(set(before[mode]) & set(after[mode]))
        won = [i for i in ids if after[mode][i] and not before[mode][i]]
        lost = [i for i in ids if before[mode][i] and not after[mode][i]]
        n, k = len(won) + len(lost), min(len(won), len(lost))
        p = min(1.0, 2 * sum(math.comb(n, j) for j in range(k + 1)) / 2 ** n) if n else 1.0
        out[mode] = {"paired": len(ids), "won": won, "lost": lost, "sign_test_p": round(p, 4)}
    return out


def gate(report: dict, thresholds: dict) -> list:
    """Metrics outside their bounds, in words; [] when the gate passes.
    thresholds = {"min": {mode: {metric: floor}}, "max": {mode: {metric: ceiling}}}"""
    failures = []
    for bound, worse in (("min", lambda v, t: v < t), ("max", lambda v, t: v > t)):
        for mode, limits in thresholds.get(bound, {}).items():
            for name, limit in limits.items():
                value = report["modes"][mode].get(name)
                if value is None or worse(value, limit):
                    failures.append(f"{mode} {name} = {value}, {bound} {limit}")
    return failures
