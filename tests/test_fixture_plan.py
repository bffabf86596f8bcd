"""A plan that is not the seed (issue 22, 5a): tests/fixtures/qingchuan-2031, a fictional city's
2031 plan written for these tests, headings numbered 第一部分 with full-width （一） subsections and
no source line. Added with `qa add`, it answers its own questions (single answers, abstentions,
overviews) and lists its commitments with nothing in qa/ changed for it. The real model."""
import json
from dataclasses import replace

import pytest

from qa.assistant import Assistant
from qa.config import ROOT
from qa.learning.items import load_set, squash
from qa.plan import adding, commitments

pytestmark = pytest.mark.model
FIXTURE = ROOT / "tests" / "fixtures" / "qingchuan-2031"
ITEMS = load_set(FIXTURE / "items.jsonl")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, real_settings, real_embedder):
    corpus = tmp_path_factory.mktemp("corpus")
    settings = replace(real_settings, corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index"),
                       adapter=False, strict_index=False)
    found, problems, _ = adding.add(FIXTURE / "page.txt", settings, "qingchuan-2031")
    assert (found.city, found.target_year, found.review_year, problems) == ("青川市", "2031", "2030", [])
    return Assistant(settings, embedder=real_embedder)


def right(assistant, item) -> bool:
    """An overview holds min_points key points; an unanswerable item abstains; else the answer holds
    a gold answer and cites this plan only."""
    a = assistant.ask(item["question"]).to_json()
    if item["type"] == "overview":
        return a["kind"] == "points" and sum(squash(k) in squash(a["answer"]) for k in item["key_points"]) >= item["min_points"]
    if not item["answers"]:
        return a["abstained"]
    return (not a["abstained"] and any(squash(x) in squash(a["answer"]) for x in item["answers"])
            and {c["doc"] for c in a["citations"]} == {"qingchuan-2031"})


def test_its_questions(assistant):
    """Measured 14 of 16 with the hand-set weights (the seed's fitted ones, made with the adapter over
    the seed's text, score 11 there): 青川大道东延工程全长多少公里？ abstains, and 城市轨道交通2号线 is
    answered with the 1号线 sentence."""
    wrong = [it["id"] for it in ITEMS if not right(assistant, it)]
    assert len(wrong) <= 2, wrong
    assert {it["type"] for it in ITEMS} == {"numeric", "fact", "unanswerable", "overview"}


def test_commitments_take_their_kind_from_the_section_role(assistant):
    records = commitments.extract(assistant.doc, assistant.profile)
    by_value = {(r.value, r.unit): r.kind for r in records}
    assert by_value[("198.7", "亿元")] == "result" and by_value[("800", "个")] == "target"
    outcomes = [json.loads(line) for line in (FIXTURE / "outcomes.jsonl").read_text(encoding="utf-8").splitlines()]
    for o in outcomes:                      # every indicator's target and outcome sentence holds a record
        for text, kind in ((o["target_2031_sentence_substring"], "target"), (o["outcome_2030_sentence_substring"], "result")):
            assert any(text in r.sentence or r.sentence in text for r in records if r.kind == kind), (o["indicator"], kind)
