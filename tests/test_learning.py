"""Learning from data (issue 13): training triplets, the matcher's cache key, fitted weights,
and the paired comparison of two evaluation runs."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qa.evaluation import evaluate
from qa.learning import adapter, finetune, fit
from qa.answering.weights import ABSTAIN_FEATURES, FEATURES, MATCH_FEATURES, hand_weights, load_fitted
from qa.plan.chunking import chunk_document
from qa.index.store import IndexProblem


def _train_file(tmp_path, items):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
    return path


ITEMS = [
    {"id": "x1", "question": "今年充电桩建几个？", "answers": ["1000个"], "evidence": ["新建公共充电桩1000个"],
     "type": "colloquial", "section": "(一)"},
    {"id": "x2", "question": "老小区改多少？", "answers": ["95个"], "evidence": ["改造老旧小区95个"],
     "type": "colloquial", "section": "(二)"},
    {"id": "x3", "question": "2023年GDP总量多少亿？", "answers": [], "evidence": [], "type": "unanswerable",
     "section": "一"},
]


def test_triplets_pair_the_evidence_span_with_a_wrong_clause_of_its_paragraph(tiny_settings, tiny_doc):
    chunks = chunk_document(tiny_doc, tiny_settings.chunk_size, tiny_settings.chunk_overlap)
    rows = adapter.triplets(ITEMS[:2], chunks, tiny_doc.clean)
    assert [r[:2] for r in rows] == [("今年充电桩建几个？", "新建公共充电桩1000个"), ("老小区改多少？", "改造老旧小区95个")]
    for (_, positive, negative), it in zip(rows, ITEMS):
        assert not any(a in negative for a in it["answers"])
        para = next(p for p in tiny_doc.paragraphs if tiny_doc.clean.find(positive) in range(p.start, p.end))
        assert negative in tiny_doc.clean[para.start:para.end]       # a hard negative: same paragraph


def test_load_items_keeps_answerable_items_and_a_seeded_fraction(tiny_settings, tmp_path):
    more = [dict(ITEMS[0], id=f"y{i}") for i in range(8)]
    s = replace(tiny_settings, train_file=_train_file(tmp_path, ITEMS + more))
    assert [it["id"] for it in adapter.load_items(s)] == ["x1", "x2"] + [f"y{i}" for i in range(8)]
    half = adapter.load_items(replace(s, train_fraction=0.5))
    assert len(half) == 5 and half == adapter.load_items(replace(s, train_fraction=0.5))


def test_the_matcher_key_follows_data_base_model_and_recipe(tiny_settings, tmp_path):
    s = replace(tiny_settings, train_file=_train_file(tmp_path, ITEMS))
    key = finetune.fingerprint(s, "base-a", "plan")
    assert key == finetune.fingerprint(s, "base-a", "plan")
    assert key != finetune.fingerprint(s, "base-b", "plan")
    assert key != finetune.fingerprint(s, "base-a", "plan, edited")
    assert key != finetune.fingerprint(replace(s, train_seed=1), "base-a", "plan")
    assert key != finetune.fingerprint(replace(s, train_fraction=0.5), "base-a", "plan")
    s2 = replace(s, train_file=_train_file(tmp_path / "..", ITEMS[:2]))
    assert key != finetune.fingerprint(s2, "base-a", "plan")


def test_a_strict_setup_never_trains_at_run_time(tiny_settings, tmp_path):
    s = replace(tiny_settings, train_file=_train_file(tmp_path, ITEMS), model_cache=tmp_path / "models",
                strict_index=True)
    with pytest.raises(IndexProblem, match="not trained"):
        finetune.ensure_matcher(s, tmp_path / "base", "base-a")


def test_fit_weights_learn_which_feature_marks_the_gold_span():
    rng = np.random.default_rng(0)
    probs = []
    for _ in range(60):
        x = rng.normal(size=(8, len(FEATURES)))
        gold = np.zeros(8, bool)
        gold[int(np.argmax(x[:, 0] - x[:, 3]))] = True         # gold: high feature 0, low feature 3
        probs.append((x, gold))
    w = fit.fit_weights(probs, 0.001)
    assert w[0] > 0 and w[3] < 0 and abs(w[0]) > 3 * np.abs(np.delete(w, [0, 3])).max()
    assert fit.top1(w, probs) >= 0.95
    assert np.array_equal(w, fit.fit_weights(probs, 0.001))       # deterministic


def test_weights_are_used_only_for_the_model_they_were_fitted_for(tmp_path):
    path = tmp_path / "w.json"
    abstainer = {"features": list(ABSTAIN_FEATURES), "weights": [1.0] * len(ABSTAIN_FEATURES), "bias": 0.0,
                 "threshold": 0.5}
    data = {"model_fingerprint": "m1", "features": list(FEATURES), "weights": [0.5] * len(FEATURES),
            "abstainer": abstainer}
    fit.write(data, path)
    assert load_fitted(path, "m1") == (dict.fromkeys(FEATURES, 0.5), abstainer)
    assert load_fitted(path, "m2") == (None, None)
    fit.write({**data, "features": list(FEATURES[:-1])}, path)
    assert load_fitted(path, "m1") == (None, None)
    fit.write({**data, "abstainer": {**abstainer, "features": ["cosine"]}}, path)
    assert load_fitted(path, "m1") == (None, None)
    assert load_fitted(tmp_path / "missing.json", "m1") == (None, None)
    assert not list(tmp_path.glob(".*tmp"))


def test_hand_weights_put_the_cosine_last():
    w = hand_weights(4.0)
    assert FEATURES[-1] == "cosine" and list(w) == list(FEATURES)
    assert (w["cosine"], w["overlap"]) == (4.0, 1.0)


def test_paired_comparison_counts_wins_losses_and_a_sign_test():
    before = {"hybrid": {"a": True, "b": False, "c": False, "d": True, "e": False, "f": False, "g": False,
                         "only_before": True}}
    after = {"hybrid": {"a": True, "b": True, "c": True, "d": False, "e": True, "f": True, "g": True,
                        "only_after": False}}
    c = evaluate.paired(before, after)["hybrid"]
    assert c["paired"] == 7 and c["won"] == ["b", "c", "e", "f", "g"] and c["lost"] == ["d"]
    assert c["sign_test_p"] == round(2 * (1 + 6) / 2 ** 6, 4)      # P(X <= 1), X ~ Bin(6, 1/2), two-sided
    assert evaluate.paired(before, before)["hybrid"]["sign_test_p"] == 1.0


def test_outcomes_score_unanswerable_items_by_abstention():
    result = {"records": {"hybrid": [
        {"id": "a", "type": "numeric", "answerable": True, "correct": True, "abstained": False},
        {"id": "u", "type": "unanswerable", "answerable": False, "correct": False, "abstained": True},
        {"id": "v", "type": "unanswerable", "answerable": False, "correct": False, "abstained": False}]}}
    assert evaluate.outcomes(result) == {"hybrid": {"a": True, "u": True, "v": False}}


def test_the_adapter_trains_deterministically_and_pulls_questions_to_their_spans(tiny_settings):
    rng = np.random.default_rng(0)
    spans = rng.normal(size=(40, 16)).astype(np.float32)
    spans /= np.linalg.norm(spans, axis=1, keepdims=True)
    # questions: their positive span's vector under a fixed linear distortion (as colloquial wording
    # shifts a question away from the plan's); the hard negative is another span
    distortion = (np.eye(16) + 0.8 * rng.normal(size=(16, 16))).astype(np.float32)
    rows = [(f"q{i}", i, (i + 1) % 40) for i in range(40)]
    questions = spans[[r[1] for r in rows]] @ distortion
    s = replace(tiny_settings, adapter_epochs=500, adapter_penalty=0.0)
    w = adapter.train_adapter(s, questions, spans, rows)
    assert np.array_equal(w, adapter.train_adapter(s, questions, spans, rows))

    def top1(mapped):
        mapped = mapped / np.linalg.norm(mapped, axis=1, keepdims=True)
        return np.mean(np.argmax(mapped @ spans.T, axis=1) == np.arange(40))
    assert top1(questions) < 0.5 and top1(questions @ w) >= top1(questions) + 0.3


def test_selection_reads_the_question_through_the_adapter(tiny_assistant):
    sel = tiny_assistant.selector
    v = np.ones(4, np.float32) / 2
    assert sel.adapt(v) is v and sel.adapt(None) is None        # no adapter: the vector itself
    sel.adapter = np.diag([2.0, 0.0, 0.0, 0.0]).astype(np.float32)
    assert np.allclose(sel.adapt(v), [1.0, 0.0, 0.0, 0.0])


@pytest.mark.model
def test_the_committed_weights_were_fitted_for_this_model_and_adapter(real_assistant):
    """qa/weights.json must be refitted (python -m qa fit) whenever the model, the training data or
    the adapter recipe changes; else the assistant silently falls back to the hand-set weights."""
    sel = real_assistant.selector
    assert sel.adapter is not None and sel.adapter.shape == (384, 384)
    assert sel.weights is not None and sel.abstainer is not None
    data = json.loads(real_assistant.settings.weights_file.read_text(encoding="utf-8"))
    assert data["model_fingerprint"] == real_assistant.fingerprint
    assert all(w >= 0 for name, w in zip(data["abstainer"]["features"], data["abstainer"]["weights"])
               if name in MATCH_FEATURES)
