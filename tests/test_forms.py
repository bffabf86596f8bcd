"""Answers shaped like the question: follow-ups read against history, several questions in one,
overviews. Pure string rules first, then the tiny assistant end to end."""
import pytest

from qa.answering.overview import parts_text, points_text
from qa.reading import dialogue, forms
from qa.reading.question import as_written
from qa.answering.result import ABSTAIN, MISSING
from qa.reading.text import normalize, numbers


@pytest.mark.parametrize("history, question, resolved", [
    (["今年新增技能人才多少？"], "高技能人才呢？", "今年新增高技能人才多少？"),
    (["今年GDP预期增长多少？"], "去年呢？", "去年GDP增长多少？"),
    (["今年粮食产量要稳在多少？"], "种植面积呢？", "今年粮食种植面积要稳在多少？"),
    (["今年要新建多少个公共充电桩？"], "那换电站呢？", "今年要新建多少换电站？"),
    (["今年固定资产投资预期增长多少？"], "工业投资呢？", "今年工业投资预期增长多少？"),
    (["去年全市生产总值增长了多少？"], "在全省排第几？", "去年全市生产总值增长了在全省排第几？"),
    (["今年新增城镇就业多少人？", "那农村劳动力转移呢？"], "去年呢？", "去年新增农村劳动力转移多少？"),
    (["今年GDP预期增长多少？"], "那明年呢？", "明年GDP增长多少？"),
    (["今年在养老方面有什么打算？"], "那托育呢？", "今年在托育方面有什么打算？"),   # an overview's ask stays
])
def test_follow_up_is_read_against_the_question_before(history, question, resolved):
    read = dialogue.resolve(normalize(question), [normalize(h) for h in history])
    assert as_written(read, [question] + history[::-1]) == resolved


@pytest.mark.parametrize("question", ["今年要改造多少个老旧小区？", "漯河职业技术学院要跟哪所大学合作？"])
def test_a_question_with_its_own_subject_stands_alone(question):
    norm = normalize(question)
    assert dialogue.resolve(norm, [normalize("今年要新建多少个公共充电桩？")]) == norm
    assert dialogue.resolve(norm, []) == norm


@pytest.mark.parametrize("history", ["今年新建多少？", [1], [{"q": "x"}], [{"question": 1, "answer": ""}],
                                     [{"question": "a", "answer": "b", "extra": 1}], {"question": "a"}])
def test_history_of_the_wrong_shape_is_refused(history):
    with pytest.raises(ValueError, match="对话历史格式不对"):
        dialogue.check_history(history)


def test_history_is_capped_and_cut():
    turns = [{"question": f"问题{i}" + "长" * 600, "answer": "答"} for i in range(25)]
    kept = dialogue.check_history(turns)
    assert len(kept) == dialogue.MAX_TURNS and kept[0].startswith("问题15")
    assert {len(q) for q in kept} == {dialogue.MAX_TURN_CHARS}
    assert dialogue.check_history(None) == [] and dialogue.check_history([{"question": "a"}]) == ["a"]


@pytest.mark.parametrize("question, parts", [
    ("今年新培育省级专精特新企业和小巨人企业各多少家？", ["今年新培育省级专精特新企业多少家", "今年新培育小巨人企业多少家"]),
    ("今年要新建多少充电桩，以及改造多少老旧小区？", ["今年要新建多少充电桩", "改造多少老旧小区"]),
    ("今年GDP要增长多少，和去年比呢？", ["今年gdp要增长多少", "去年gdp要增长多少?"]),
    ("去年GDP增长了多少？今年的目标是多少？", ["去年gdp增长了多少", "今年gdp增长目标是多少?"]),
    ("我家娃不到3岁，今年托位能多多少？", ["我家娃不到3岁,今年托位能多多少?"]),
    ("去年涨了5.4%，今年预期多少？", ["去年涨了5.4%,今年预期多少?"]),
])
def test_split_parts(question, parts):
    assert forms.split_parts(normalize(question)) == parts


@pytest.mark.parametrize("question, overview", [
    ("乡村振兴今年有哪些举措？", True), ("科技创新今年有什么安排？", True), ("城市建设今年怎么做？", True),
    ("去年在稳经济方面做了哪些事？", True), ("今年要新建多少个公共充电桩？", False),
    ("为了对接郑州，市里要编一个什么规划？", False), ("今天天气怎么样？", False), ("今年收入目标是怎么定的？", False),
])
def test_overview_cues(question, overview):
    assert forms.is_overview(normalize(question)) is overview


def test_overview_points_are_cited_spans_of_the_plan(tiny_assistant):
    result = tiny_assistant.ask("今年在消费和城市建设方面有哪些举措？")
    obj, clean = result.to_json(), tiny_assistant.doc.clean
    assert obj["kind"] == "points" and not obj["abstained"]
    s = tiny_assistant.settings
    assert s.min_points <= len(obj["points"]) <= s.max_points
    assert obj["answer"] == points_text([p["text"] for p in obj["points"]])
    assert len(obj["answer"]) <= s.max_answer_chars
    assert len({p["start"] for p in obj["points"]}) == len(obj["points"])              # no duplicates
    by_rank = {c["rank"]: c for c in obj["citations"]}
    for p in obj["points"]:
        assert clean[p["start"]:p["end"]] == p["text"]
        cite = by_rank[p["citation"]]
        assert cite["start"] <= p["start"] < p["end"] <= cite["end"] and [p["start"], p["end"]] in \
            cite.get("highlights", [cite["highlight"]])
    cited = " ".join(c["text"] for c in obj["citations"])
    assert all(n in cited for n in numbers(obj["answer"]))          # the numbering adds no digit


def test_overview_of_a_topic_the_plan_does_not_treat_abstains(tiny_assistant):
    obj = tiny_assistant.ask("航天卫星今年有哪些举措？").to_json()
    assert (obj["kind"], obj["abstained"], obj["answer"]) == ("abstain", True, "计划中没有提到“航天”“卫星”。")


def test_two_questions_in_one_get_two_cited_answers(tiny_assistant):
    obj = tiny_assistant.ask("今年新建多少个公共充电桩？改造多少个老旧小区？").to_json()
    clean = tiny_assistant.doc.clean
    assert obj["kind"] == "parts" and not obj["abstained"]
    assert [p["answer"] for p in obj["parts"]] == ["新建公共充电桩1000个", "改造老旧小区95个"]
    for p in obj["parts"]:
        assert clean[p["start"]:p["end"]] == p["answer"]
        assert p["answer"] in obj["citations"][p["citation"] - 1]["text"]
    assert obj["answer"] == parts_text([(p["question"], p["answer"]) for p in obj["parts"]])


NO_YEAR = MISSING.format(detail="所问年份的安排")


def test_a_part_the_plan_does_not_answer_says_so_alone(tiny_assistant):
    obj = tiny_assistant.ask("今年新建多少个公共充电桩？明年呢？").to_json()
    assert obj["kind"] == "parts" and not obj["abstained"]
    first, second = obj["parts"]
    assert (first["abstained"], first["answer"]) == (False, "新建公共充电桩1000个")
    assert (second["abstained"], second["answer"], second["citation"]) == (True, NO_YEAR, None)
    assert second["question"].startswith("明年")


def test_follow_up_carries_its_reading(tiny_assistant):
    history = [{"question": "今年新建多少个公共充电桩？", "answer": "新建公共充电桩1000个"}]
    obj = tiny_assistant.ask("老旧小区呢？", history=history).to_json()
    assert obj["resolved_question"] == "今年新建多少老旧小区？"
    assert (obj["abstained"], obj["answer"]) == (False, "改造老旧小区95个")
    alone = tiny_assistant.ask("今年新建多少个公共充电桩？", history=history).to_json()
    assert "resolved_question" not in alone


def test_follow_up_about_a_year_the_plan_does_not_cover_abstains(tiny_assistant):
    history = [{"question": "今年新建多少个公共充电桩？", "answer": "新建公共充电桩1000个"}]
    obj = tiny_assistant.ask("明年呢？", history=history).to_json()
    assert (obj["abstained"], obj["answer"], obj["resolved_question"]) == (True, NO_YEAR, "明年新建多少个公共充电桩？")


def test_follow_up_about_something_the_span_does_not_name_abstains(tiny_assistant):
    history = [{"question": "今年新建多少个公共充电桩？", "answer": "新建公共充电桩1000个"}]
    obj = tiny_assistant.ask("那加氢站呢？", history=history).to_json()
    assert (obj["abstained"], obj["answer"]) == (True, ABSTAIN)
    assert all("highlight" not in c for c in obj["citations"])
    assert dialogue.new_subject("那加氢站呢？") == "加氢站" and dialogue.new_subject("去年呢？") is None


@pytest.mark.parametrize("text, originals, shown", [
    ("今年gdp增长目标是多少?", ["今年的目标是多少？", "去年GDP增长了多少？"], "今年GDP增长目标是多少？"),
    ("去年gdp增长了多少", ["去年Gdp增长了多少？今年呢"], "去年Gdp增长了多少？"),
    ("今年r&d投入多少,占比多大", ["今年R&D投入多少，占比多大"], "今年R&D投入多少，占比多大？"),
    ("今年pm2.5降到多少。", ["问别的"], "今年pm2.5降到多少。"),
])
def test_a_rewritten_question_is_shown_in_the_users_words(text, originals, shown):
    assert as_written(text, originals) == shown


def test_parts_and_follow_ups_keep_the_users_casing(tiny_assistant):
    obj = tiny_assistant.ask("今年新建多少个公共充电桩？GDP呢？").to_json()
    assert [p["question"] for p in obj["parts"]][0] == "今年新建多少个公共充电桩？"
    history = [{"question": "今年GDP预期增长多少？", "answer": ""}]
    assert tiny_assistant.ask("去年呢？", history=history).resolved_question == "去年GDP增长多少？"


# ---- the learned choice of form (qa.reading.form_model) --------------------------------------

from qa.config import Settings
from qa.reading import form_model


def test_the_fitted_form_model_is_the_one_reading_uses():
    model = form_model.load(Settings().forms_file)
    assert model is not None and model["forms"] == ["span", "overview", "parts"]
    assert sorted(model["cues"]) == sorted(form_model.CUES)


@pytest.mark.parametrize("question, form", [
    ("今年在养老方面有什么打算？", "overview"),
    ("今年要新建多少个公共充电桩？", "span"),
    ("去年GDP增长了多少？今年的目标是多少？", "parts"),
])
def test_clear_questions_get_their_form(question, form):
    model = form_model.load(Settings().forms_file)
    assert form_model.choose(normalize(question), model) == form
    assert form_model.choose(normalize(question), None) == form


def test_a_form_file_for_other_features_is_not_used(tmp_path):
    path = tmp_path / "forms.json"
    path.write_text('{"forms": ["span", "overview", "parts"], "cues": {"old": [0, 0, 0]}}', encoding="utf-8")
    assert form_model.load(path) is None
    assert form_model.load(tmp_path / "missing.json") is None


def test_the_model_scores_cues_and_character_pairs():
    model = {"forms": list(form_model.FORMS), "bias": [1.0, 0.0, 0.0],
             "cues": {c: [0.0, 0.0, 0.0] for c in form_model.CUES}, "grams": {"举措": [0.0, 5.0, 0.0]}}
    assert form_model.choose(normalize("养老有啥举措"), model) == "overview"
    assert form_model.choose(normalize("养老有啥变化"), model) == "span"
