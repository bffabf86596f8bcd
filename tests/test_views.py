"""The app's HTML and text views (qa.serving.views): exact output for small inputs."""
from __future__ import annotations

from types import SimpleNamespace

from qa.serving.views import (COMMITMENT_COLUMNS, commitment_rows, innermost_section, marked, reply_html, reply_text,
                              section_html, source_label, sources_html)

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


def city_cite(tiny_doc) -> dict:
    start = tiny_doc.clean.index(CITY)
    span = [start + CITY.index("改造"), start + CITY.index("改造") + 9]
    return {"rank": 1, "section": "三 › (二) › 提升城市品质", "text": CITY[7:], "start": start + 7,
            "end": start + len(CITY), "highlight": span, "plan": "tiny", "plan_title": "<小>市计划"}


def test_sources_html_marks_the_answer_and_its_paragraph_and_links_to_the_plan(tiny_doc):
    cite = city_cite(tiny_doc)
    assert sources_html({"abstained": False, "citations": [cite]}, {"tiny": tiny_doc}, 3) == (
        '<details class="sources" open><summary>出处（1 条）</summary>'
        '<div class="source" id="s3-1">'
        '<div class="path">[1] 三 › (二) › 提升城市品质 › 改造老旧小区95个</div>'
        '<p class="passage">实施城市更新项目50个,<mark>改造老旧小区95个</mark>,新建口袋公园10个。</p>'
        "<details><summary>展开所在段落</summary><p>提升城市品质。<mark>实施城市更新项目50个,改造老旧小区95个,"
        '新建口袋公园10个。</mark></p></details><a class="open-plan" id="open-3-1" href="#s3-1">在计划中查看 ›</a>'
        "</div></details>")
    two_plans = sources_html({"abstained": False, "citations": [cite]}, {"tiny": tiny_doc, "other": None}, 3)
    assert '<div class="source" id="s3-1"><div class="plan-name">&lt;小&gt;市计划</div><div class="path">' in two_plans
    abstained = sources_html({"abstained": True, "citations": [cite]}, {"tiny": tiny_doc}, 3)
    assert abstained.startswith('<details class="sources" open><summary>出处（1 条）</summary>'
                                "<p>（计划中没有直接回答，以下是最相关的段落）</p><div class=\"source\"")
    assert sources_html({"abstained": True, "citations": []}, {"tiny": tiny_doc}, 3) == ""


def test_reply_html_links_each_marker_to_its_source_and_escapes(tiny_doc):
    cite = {**city_cite(tiny_doc), "rank": 2}
    result = {"answer": "x", "abstained": False, "citations": [city_cite(tiny_doc), cite],
              "points": [{"text": "<b>改造</b>[2]", "citation": 1}, {"text": "新建口袋公园10个", "citation": 2}]}
    html_ = reply_html(result, {"tiny": tiny_doc}, 5)
    assert html_.startswith('<div class="reply">计划中与此相关的要点：\n①&lt;b&gt;改造&lt;/b&gt;[2]'
                            '<a class="cite" href="#s5-1">[1]</a>\n②新建口袋公园10个<a class="cite" href="#s5-2">[2]</a>'
                            '</div><details class="sources" open>')
    assert 'id="s5-1"' in html_ and 'id="s5-2"' in html_


def test_source_labels_name_a_top_section_by_its_title_and_end_with_the_span_first_words(tiny_doc):
    cite = city_cite(tiny_doc)
    assert source_label(cite, tiny_doc) == "三 › (二) › 提升城市品质 › 改造老旧小区95个"
    assert source_label({**cite, "highlight": None}, tiny_doc) == "三 › (二) › 提升城市品质 › 实施城市更新项目50个"
    top = next(s for s in tiny_doc.sections if s.level == 1)
    one = {**cite, "section": top.path_str, "text": "一二三四五六七八九十一二三四五六", "highlight": None}
    assert source_label(one, tiny_doc) == f"{top.path_str}、{top.title} › 一二三四五六七八九十一二三四…"


def test_commitment_rows_follow_the_columns():
    r = SimpleNamespace(id="c001", kind="target", section="(一)", subject="新建公共充电桩", value="1000", unit="个",
                        qualifier="", sentence="新建公共充电桩1000个")
    assert commitment_rows([r, SimpleNamespace(**{**vars(r), "kind": "result"})]) == [
        ["目标", "(一)", "新建公共充电桩", "1000", "个", "", "新建公共充电桩1000个", "", ""],
        ["结果", "(一)", "新建公共充电桩", "1000", "个", "", "新建公共充电桩1000个", "", ""]]
    assert COMMITMENT_COLUMNS[0] == "类型" and len(COMMITMENT_COLUMNS) == 9        # no internal ids shown


def test_a_target_shows_the_outcome_a_later_plan_reports():
    r = SimpleNamespace(id="c001", kind="target", section="(一)", subject="新建公共充电桩", value="1000", unit="个",
                        qualifier="以上", sentence="新建公共充电桩1000个以上")
    got = SimpleNamespace(**{**vars(r), "value": "1200", "qualifier": "", "sentence": "新建公共充电桩1200个"})
    found = {"c001": SimpleNamespace(outcome=got, verdict="met")}
    assert commitment_rows([r], found)[0][-2:] == ["1200个：新建公共充电桩1200个", "已完成"]
    assert commitment_rows([r], {"c001": SimpleNamespace(outcome=None, verdict="not reported")})[0][-2:] == ["", "未报告"]
