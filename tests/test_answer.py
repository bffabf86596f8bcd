"""Extractive answers: abstention, year scope, numbers and offsets that check out."""
import copy
import re
from dataclasses import replace

import pytest

from qa.answering.decide import NO_SHARED_WORD, knows_none
from qa.answering.result import ABSTAIN, MISSING, NO_PLAN_FOR
from qa.answering.span import answer_span
from qa.plan.chunking import Span, clauses
from qa.reading.calendar import Calendar
from qa.reading.query import Query, year_scope
from qa.reading.question import read
from qa.reading.text import normalize, numbers

ANSWERABLE = {
    "今年新建多少个公共充电桩？": "新建公共充电桩1000个",
    "2024年生产总值预期增长多少？": "生产总值增长7%左右",
    "城镇新增就业目标是多少？": "城镇新增就业3.5万人。",
    "2023年生产总值增长了多少？": "全年生产总值增长5.4%、居全省第2位",
}

TINY_YEARS = Calendar("2023", "2024", ("示例市", "示例"))     # the tiny plan's (tests/conftest.py)


def answer(sel, q, hits, settings, qvec=None):
    """The single answer with `settings` in force (the matcher's settings swapped)."""
    sel = copy.copy(sel)
    sel.settings = settings
    return answer_span(sel, q, hits, qvec)


@pytest.mark.parametrize("question, expected", ANSWERABLE.items())
def test_answer_is_a_verifiable_span_of_the_first_citation(tiny_assistant, question, expected):
    result = tiny_assistant.ask(question)
    assert (result.abstained, result.answer) == (False, expected)
    first = result.citations[0]
    clean = tiny_assistant.doc.clean
    assert result.answer in first["text"]
    assert clean[first["start"]:first["end"]] == first["text"]
    start, end = first["highlight"]
    assert clean[start:end] == result.answer and first["start"] <= start < end <= first["end"]
    for n in numbers(result.answer):
        assert n in first["text"], n
    assert [c["rank"] for c in result.citations] == [1, 2, 3]


def test_abstains_exactly_below_min_dense_score(tiny_assistant):
    question = "今年新建多少个公共充电桩？"
    q = Query.parse(normalize(question))
    hits = tiny_assistant.retriever.search(q)
    best = max(h.dense for h in hits)
    settings = tiny_assistant.settings
    below = answer(tiny_assistant.selector, q, hits, replace(settings, min_dense_score=best + 1e-6))
    above = answer(tiny_assistant.selector, q, hits, replace(settings, min_dense_score=best - 1e-6))
    assert (below.abstained, below.answer) == (True, ABSTAIN)
    assert [c["chunk_id"] for c in below.citations] == [h.chunk.id for h in hits[:3]]
    assert all("highlight" not in c for c in below.citations)
    assert (above.abstained, above.answer) == (False, "新建公共充电桩1000个")


def test_figure_question_abstains_when_the_figure_clause_is_not_close_in_meaning(tiny_assistant):
    question = "今年新建多少个公共充电桩？"
    q = Query.parse(normalize(question))
    hits = tiny_assistant.retriever.search(q)
    qvec = tiny_assistant.embedder.encode_query([q.text])[0]
    settings = tiny_assistant.settings
    kept = answer(tiny_assistant.selector, q, hits, settings, qvec)
    start, end = kept.citations[0]["highlight"]
    cos = tiny_assistant.selector.cosine(kept.citations[0]["chunk_id"], Span(start, end, kept.answer), qvec)
    below = answer(tiny_assistant.selector, q, hits, replace(settings, min_figure_cosine=cos + 1e-6), qvec)
    assert (kept.abstained, kept.answer) == (False, "新建公共充电桩1000个")
    assert (below.abstained, below.answer) == (True, ABSTAIN)


def test_no_hits_abstains(tiny_assistant):
    result = answer(tiny_assistant.selector, Query.parse(normalize("问题")), [], tiny_assistant.settings)
    assert (result.abstained, result.answer, result.citations) == (True, ABSTAIN, [])


@pytest.mark.parametrize("question", [
    "2025年全市生产总值增长多少？",
    "2022年全市生产总值增长了多少？",
    "明年生产总值预期增长多少？",
    "2021年全市生产总值增长了多少？",
    "2030年全市生产总值增长多少？",
    "2035年远景目标是什么？",
])
def test_question_about_a_year_the_plan_does_not_cover_abstains(tiny_assistant, question):
    assert year_scope(normalize(question), TINY_YEARS) == "other"
    result = tiny_assistant.ask(question)
    year = re.search(r"20\d\d", question)
    expected = NO_PLAN_FOR.format(year=year.group()) if year else MISSING.format(detail="所问年份的安排")
    assert (result.abstained, result.answer) == (True, expected)


@pytest.mark.parametrize("question, scope", [
    ("去年生产总值增长了多少？", "result"), ("2023年实际完成了多少？", "result"),
    ("今年的目标是多少？", "target"), ("2024年计划新建多少？", "target"), ("充电桩有多少个？", None),
    ("去年GDP涨了5.4%，那今年预期要涨多少？", "target"),            # the later cue
    ("2024年规上工业增加值打算涨多少？去年实际是7%。", "target"),    # the clause that asks
    ("今年投资增速定的多少？跟去年实际的7.2%比高了不少吧？", "target"),
    ("去年税收占了多大份额？在河南排第几？", "result"),
])
def test_year_scope(question, scope):
    assert year_scope(normalize(question), TINY_YEARS) == scope


@pytest.mark.parametrize("question, figure, enumeration, wh_head", [
    ("今年要新建多少个公共充电桩？", True, False, None),
    ("国家级绿色食品原料基地在哪几个县区？", False, True, None),      # names asked, not a count
    ("今年要加快建设的“三城”分别是哪三座城？", False, True, None),
    ("为了对接郑州，市里要编一个什么规划？", False, False, "规划"),
    ("新漯上路什么时候开工？", False, False, None),                  # 什么时候 asks when, not a thing
])
def test_query_cues(question, figure, enumeration, wh_head):
    q = Query.parse(normalize(question))
    assert (q.wants_figure, q.enumeration, q.wh_head) == (figure, enumeration, wh_head)


@pytest.mark.parametrize("question, unit", [
    ("今年种粮农民每亩能拿多少补贴？", "元"),           # money asked: a count does not answer it
    ("引进的博士人才能拿多少安家补贴？", "元"),
    ("2024年预算目标是多少？", None),
    ("中央预算内的钱，今年准备报多少个项目？", "个"),
    ("今年城镇化率提高多少？", None),
    ("去年全市固投比前年多了几个点？", "点"),                        # a percentage or percentage points
])
def test_asked_unit(question, unit):
    assert Query.parse(normalize(question)).asked_unit == unit


def test_clauses_keep_offsets():
    text = "实施城市更新项目50个,改造老旧小区95个,新建口袋公园10个。"
    spans = clauses(text, offset=100)
    assert [s.text for s in spans] == ["实施城市更新项目50个", "改造老旧小区95个", "新建口袋公园10个。"]
    assert all(text[s.start - 100:s.end - 100] == s.text for s in spans)


def test_answer_json_contract(tiny_assistant):
    obj = tiny_assistant.ask("今年新建多少个公共充电桩？").to_json()
    assert set(obj) == {"question", "answer", "abstained", "citations", "timings_ms", "kind"}
    assert obj["kind"] == "span"
    assert set(obj["timings_ms"]) == {"total", "retrieve", "answer"}
    assert set(obj["citations"][0]) == {"rank", "chunk_id", "doc", "section", "text", "start", "end",
                                        "score", "highlight", "plan", "plan_title"}
    assert obj["citations"][0]["section"] == "三 › (一) › 突出重点扩大市场消费"
    assert [(c["doc"], c["plan"], c["plan_title"]) for c in obj["citations"]] == \
        [("tiny", "tiny", tiny_assistant.profile.title)] * len(obj["citations"])


def test_a_question_sharing_no_word_with_the_plan_abstains(tiny_assistant):
    sel = tiny_assistant.selector
    assert sel.knows_any(Query.parse(normalize("今年新建多少个公共充电桩？")))
    assert sel.knows_any(Query.parse(normalize("GDP今年涨多少？")))           # via the synonym 生产总值
    for question in ("火星探测器什么时候发射？", "如何做红烧肉？", "2024年世界杯冠军是谁？"):
        q = Query.parse(normalize(question))
        assert not sel.knows_any(q), question                      # 什么/如何/2024 are not content
        assert knows_none(sel, q) == NO_SHARED_WORD
        result = tiny_assistant.ask(question)
        named = re.fullmatch("计划中没有提到“(.+)”。", result.answer)
        assert result.abstained and named and all(w in question for w in named[1].split("”“")), result.answer


@pytest.mark.parametrize("question, concept", [("示例市今年要建地铁吗？", "地铁"), ("今年水费要涨吗？", "水费"),
                                               ("地铁今年有哪些举措？", "地铁")])
def test_a_concept_the_plan_never_mentions_is_named(tiny_assistant, question, concept):
    result = tiny_assistant.ask(question)
    assert (result.abstained, result.answer) == (True, f"计划中没有提到“{concept}”。")
    assert result.citations and all("highlight" not in c for c in result.citations)   # related, not the answer


def test_a_question_in_the_plans_words_has_no_unknown_concept(tiny_assistant):
    q = read("今年新建多少个公共充电桩？", None, tiny_assistant.settings).query
    assert tiny_assistant.selector.unknown_words(q) == []
    rare = tiny_assistant.selector.unknown_words(read("市里今年扫雪吗？", None, tiny_assistant.settings).query)
    assert [w for _, w in rare] == ["扫雪"]


def test_an_everyday_phrase_for_a_term_the_plan_uses_is_no_unknown_concept(tiny_assistant):
    """小公园 -> 口袋公园 (the genre lexicon): the plan speaks of it in its own word."""
    words = lambda question: [w for _, w in tiny_assistant.selector.unknown_words(
        read(question, None, tiny_assistant.settings).query)]
    assert words("今年要建多少个小公园？") == []
    assert words("今年要建多少个小球场？") == ["球场"]
