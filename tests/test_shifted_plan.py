"""The seed plan moved one year forward and renamed to another city (issue 22, 5b): built in a
temporary folder, its own questions (the dev split's single answers, moved the same way) are
answered from it as well as the seed's are from the seed, each citing it; the seed's questions that
name one of its years stay out of the shifted plan's scope. Both without the adapter and fitted
weights, which are fitted for the seed's text; the real model."""
from dataclasses import replace

import pytest
from conftest import shift, write_shifted_seed

from qa.assistant import Assistant
from qa.learning.items import FORMS, load_set, squash

pytestmark = pytest.mark.model


def shifted_item(it: dict) -> dict:
    return {**it, "question": shift(it["question"]), "answers": [shift(a) for a in it["answers"]],
            "evidence": [shift(e) for e in it["evidence"]]}


def accuracy(assistant, items) -> tuple:
    right, cited = 0, set()
    for it in items:
        a = assistant.ask(it["question"])
        right += bool(it["answers"]) != a.abstained and (not it["answers"] or any(
            squash(x) in squash(a.answer) for x in it["answers"]))
        cited |= {c["doc"] for c in a.to_json()["citations"]}
    return right / len(items), cited


@pytest.fixture(scope="module")
def assistants(tmp_path_factory, real_settings, real_embedder):
    base = replace(real_settings, adapter=False, fitted_weights=False, strict_index=False)
    corpus = tmp_path_factory.mktemp("corpus")
    write_shifted_seed(real_settings.plan_dir, corpus)
    seed = Assistant(replace(base, index_dir=tmp_path_factory.mktemp("seed-index")), embedder=real_embedder)
    other = Assistant(replace(base, corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("shifted-index")),
                      embedder=real_embedder)
    return seed, other


def test_the_shifted_plan_reads_its_own_years(assistants):
    _, other = assistants
    p = other.profile
    assert (p.id, p.city, p.target_year, p.review_year) == ("chuanjiang-2025", "川江市", "2025", "2024")


def test_its_questions_are_answered_as_well_and_cite_it(assistants):
    seed, other = assistants
    items = [it for it in load_set(seed.settings.train_file.parent / "dev.jsonl") if it["type"] not in FORMS]
    seed_acc, seed_cited = accuracy(seed, items)
    other_acc, other_cited = accuracy(other, [shifted_item(it) for it in items])
    print(f"\nseed {seed_acc:.3f}, shifted {other_acc:.3f} on {len(items)} dev questions")
    assert abs(other_acc - seed_acc) <= 0.02
    assert (seed_cited, other_cited) == ({"luohe-2024"}, {"chuanjiang-2025"})


@pytest.mark.parametrize("question", ["2023年全市生产总值增长了多少？", "2023年一般公共预算收入增速全省排第几？"])
def test_a_year_the_shifted_plan_does_not_cover_is_out_of_its_scope(assistants, question):
    seed, other = assistants
    assert not seed.ask(question).abstained
    assert other.ask(question).answer == "没有2023年的计划，无法回答这个问题。"
