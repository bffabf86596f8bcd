"""The app's HTML and text views (qa.serving.views): exact output for small inputs."""
from __future__ import annotations

from types import SimpleNamespace

from qa.serving.views import (COMMITMENT_COLUMNS, commitment_rows, innermost_section, marked, reply_text, section_html,
                              sources_html)

CITY = "提升城市品质。实施城市更新项目50个,改造老旧小区95个,新建口袋公园10个。"   # tiny plan's 三 › (二) › 提升城市品质


def test_marked_escapes_and_marks_the_span_at_its_offset():
    assert marked("a<b>c&d", 10, [11, 14]) == "a<mark>&lt;b&gt;</mark>c&amp;d"
    assert marked("<i>", 0, None) == "&lt;i&gt;"


def test_marked_wraps_more_spans_clips_to_the_text_and_skips_overlaps():
    assert marked("一二三四五", 100, [101, 102], [[103, 105]]) == "一<mark>二</mark>三<mark>四五</mark>"
    assert marked("abc", 10, [8, 11]) == "<mark>a</mark>bc"                  # starts before the text
    assert marked("abcdef", 0, [1, 4], [[2, 5]]) == "a<mark>bcd</mark>ef"    # the overlapping span is dropped


def test_reply_text_of_a_span_answer_cites_one_passage():
    assert reply_text({"answer": "新建公共充电桩1000个", "abstained": False}) == "新建公共充电桩1000个[1]"
    assert reply_text({"answer": "计划中没有", "abstained": True}) == "计划中没有"
    follow_up = {"answer": "新增城镇人口1.2万人", "abstained": False, "resolved_question": "今年新增城镇人口多少？"}
    assert reply_text(follow_up) == "按“今年新增城镇人口多少？”理解\n新增城镇人口1.2万人[1]"


def test_reply_text_of_a_points_answer_numbers_and_cites_each_point():
    result = {"answer": "ignored", "abstained": False,
              "points": [{"text": "新建公共充电桩1000个", "citation": 1}, {"text": "改造老旧小区95个", "citation": 2},
                         {"text": "新建口袋公园10个", "citation": 2}]}
    assert reply_text(result) == ("计划中与此相关的要点：\n①新建公共充电桩1000个[1]\n②改造老旧小区95个[2]"
                                  "\n③新建口袋公园10个[2]")


def test_reply_text_of_a_parts_answer_cites_only_the_answered_parts():
    result = {"answer": "ignored", "abstained": False,
              "parts": [{"question": "充电桩建多少？", "answer": "新建公共充电桩1000个", "citation": 1},
                        {"question": "地铁修多长？", "answer": "计划中没有", "citation": None}]}
    assert reply_text(result) == "①充电桩建多少？\n新建公共充电桩1000个[1]\n②地铁修多长？\n计划中没有"


def test_innermost_section_picks_the_deepest_section_holding_the_offset(tiny_doc):
    assert innermost_section(tiny_doc, tiny_doc.clean.index("新建公共充电桩")) == "三 › (一) › 突出重点扩大市场消费"
    assert innermost_section(tiny_doc, tiny_doc.clean.index("着力稳定经济增长")) == "三 › (一)"
    assert innermost_section(tiny_doc, tiny_doc.clean.index("统筹做好")) == "三"
    assert innermost_section(tiny_doc, 0) == "一"                      # before every section: the first


def test_section_html_marks_the_span_and_escapes(tiny_doc):
    start = tiny_doc.clean.index("改造老旧小区95个")
    assert section_html(tiny_doc, "三 › (二) › 提升城市品质", [start, start + 9]) == (
        '<div class="plan"><div class="path">三 › (二) › 提升城市品质</div>'
        "<p>提升城市品质。实施城市更新项目50个,<mark>改造老旧小区95个</mark>,新建口袋公园10个。</p></div>")
    assert section_html(tiny_doc, "<四>") == "<p>请选择一个章节。</p>"


def test_sources_html_marks_the_answer_and_its_paragraph(tiny_doc):
    start = tiny_doc.clean.index(CITY)
    span = [start + CITY.index("改造"), start + CITY.index("改造") + 9]
    cite = {"rank": 1, "section": "三 › (二) › 提升城市品质", "text": CITY[7:], "start": start + 7,
            "end": start + len(CITY), "highlight": span}
    assert sources_html({"abstained": False, "citations": [cite]}, tiny_doc) == (
        '<div class="source" id="source-1"><div class="path">[1] 三 › (二) › 提升城市品质</div>'
        '<p class="passage">实施城市更新项目50个,<mark>改造老旧小区95个</mark>,新建口袋公园10个。</p>'
        "<details><summary>展开所在段落</summary><p>提升城市品质。<mark>实施城市更新项目50个,改造老旧小区95个,"
        "新建口袋公园10个。</mark></p></details></div>")
    abstained = sources_html({"abstained": True, "citations": [cite]}, tiny_doc)
    assert abstained.startswith("<p>（计划中没有直接回答，以下是最相关的段落）</p><div class=\"source\"")
    assert sources_html({"abstained": True, "citations": []}, tiny_doc) == ""


def test_commitment_rows_follow_the_columns():
    r = SimpleNamespace(id="c001", kind="target", section="(一)", subject="新建公共充电桩", value="1000", unit="个",
                        qualifier="", sentence="新建公共充电桩1000个")
    assert commitment_rows([r, SimpleNamespace(**{**vars(r), "kind": "result"})]) == [
        ["c001", "目标", "(一)", "新建公共充电桩", "1000", "个", "", "新建公共充电桩1000个", "", ""],
        ["c001", "结果", "(一)", "新建公共充电桩", "1000", "个", "", "新建公共充电桩1000个", "", ""]]
    assert len(COMMITMENT_COLUMNS) == 10


def test_a_target_shows_the_outcome_a_later_plan_reports():
    r = SimpleNamespace(id="c001", kind="target", section="(一)", subject="新建公共充电桩", value="1000", unit="个",
                        qualifier="以上", sentence="新建公共充电桩1000个以上")
    got = SimpleNamespace(**{**vars(r), "value": "1200", "qualifier": "", "sentence": "新建公共充电桩1200个"})
    found = {"c001": SimpleNamespace(outcome=got, verdict="met")}
    assert commitment_rows([r], found)[0][-2:] == ["1200个：新建公共充电桩1200个", "已完成"]
    assert commitment_rows([r], {"c001": SimpleNamespace(outcome=None, verdict="not reported")})[0][-2:] == ["", "未报告"]
