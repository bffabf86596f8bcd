"""The hand-built Q&A sets are valid, and the evaluation gate holds on the test split."""
import json
from collections import Counter

import pytest

from qa import evaluate
from qa.config import ROOT

THRESHOLDS = ROOT / "eval" / "thresholds.json"
SECTIONS = {"一", "二", "(一)", "(二)", "(三)", "(四)", "(五)", "(六)", "(七)", "(八)", "(九)"}


@pytest.fixture(scope="module")
def sets():
    return {name: evaluate.load_set(path) for name, path in evaluate.SPLITS.items()}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_set_is_valid(real_doc, sets, split):
    assert evaluate.check_set(sets[split], real_doc.clean, real_doc.paragraphs) == []


def test_sets_cover_what_the_evaluation_needs(sets):
    items = sets["dev"] + sets["test"]
    types = Counter(it["type"] for it in items)
    assert len(items) >= 150
    assert set(types) == set(evaluate.TYPES)
    assert types["unanswerable"] / len(items) >= 0.15
    assert types["year_trap"] >= 10 and types["colloquial"] >= 20
    assert len({it["id"] for it in items}) == len(items)
    for split in ("dev", "test"):
        assert SECTIONS <= {it["section"] for it in sets[split]}, split
    assert 0.28 <= len(sets["test"]) / len(items) <= 0.38


def test_checker_catches_bad_items(real_doc):
    good = {"id": "x1", "question": "今年新建多少个充电桩？", "answers": ["580个"],
            "evidence": ["新建公共充电桩580个"], "type": "numeric", "section": "(五)"}
    bad = [
        {**good, "id": "x2", "evidence": ["这句话不在计划里"]},
        {**good, "id": "x3", "answers": ["4600个以上"]},
        {**good, "id": "x4", "type": "guess"},
        {**good, "id": "x1"},
    ]
    problems = evaluate.check_set([good] + bad, real_doc.clean, real_doc.paragraphs)
    assert [p.split(":")[0] for p in problems] == ["x2", "x3", "x4", "x1"]


def test_metrics_on_hand_made_records():
    def rec(answerable, correct, abstained, rank):
        return {"answerable": answerable, "correct": correct, "abstained": abstained, "evidence_rank": rank,
                "numbers_cited": True, "offsets_ok": True, "answer_chars": 10, "ms": 5.0}
    records = [rec(True, True, False, 1), rec(True, False, False, 3), rec(True, False, True, None),
               rec(False, False, True, None), rec(False, False, False, None)]
    m = evaluate.metrics(records)
    assert (m["recall@1"], m["recall@3"], m["mrr"]) == (round(1 / 3, 4), round(2 / 3, 4), round((1 + 1 / 3) / 3, 4))
    assert m["answer_accuracy"] == round(1 / 3, 4)
    assert (m["abstention_precision"], m["abstention_recall"], m["abstention_f1"]) == (0.5, 0.5, 0.5)
    assert m["false_abstention_rate"] == round(1 / 3, 4)


@pytest.mark.model
def test_evaluation_gate_on_test_split(real_assistant, sets):
    """Fails the build when a metric of the test split falls below its floor in eval/thresholds.json."""
    thresholds = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    report = evaluate.evaluate(real_assistant, sets[thresholds["split"]])
    assert evaluate.gate(report, thresholds) == []
