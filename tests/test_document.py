"""Page → clean text → section tree, with offsets that always slice back to the node."""
import pytest

from qa.plan import document
from qa.plan.document import Repair, apply_repairs, clean_text, load_repairs, page_parts

HEADING = {1: "{label}、{title}", 2: "{label}{title}", 3: "{title}。"}


def paragraphs_under(doc, section):
    return [p for p in doc.paragraphs if p.path[:len(section.path)] == section.path]


@pytest.fixture(params=["tiny_doc", "real_doc"])
def doc(request):
    return request.getfixturevalue(request.param)


def test_paragraphs_tile_the_clean_text(doc):
    texts = [doc.clean[p.start:p.end] for p in doc.paragraphs]
    assert "\n\n".join([doc.title, *texts]) == doc.clean
    assert all(t and "\n" not in t for t in texts)


def test_section_offsets_slice_to_heading_and_body(doc):
    for s in doc.sections:
        node = doc.clean[s.start:s.end]
        assert node.startswith(HEADING[s.level].format(label=s.label, title=s.title)), s
        assert node == "\n\n".join(doc.clean[p.start:p.end] for p in paragraphs_under(doc, s)), s


def test_tiny_section_tree(tiny_doc):
    assert [s.path for s in tiny_doc.sections] == [
        ("一",), ("二",), ("三",),
        ("三", "(一)"), ("三", "(一)", "突出重点扩大市场消费"), ("三", "(一)", "强化企业跟踪服务"),
        ("三", "(二)"), ("三", "(二)", "提升城市品质"), ("三", "(二)", "推动城乡融合发展"),
        ("三", "(三)"), ("三", "(三)", "推动高质量就业"),
    ]
    assert [p.path for p in tiny_doc.paragraphs][:6] == [("一",), ("一",), ("二",), ("二",), ("三",), ("三",)]


def test_real_section_tree(real_doc):
    levels = {lv: [s for s in real_doc.sections if s.level == lv] for lv in (1, 2, 3)}
    assert [s.label for s in levels[1]] == ["一", "二", "三"]
    assert [s.path for s in levels[2]] == [("三", f"({n})") for n in "一二三四五六七八九"]
    assert [s.label for s in levels[3] if s.path[1] == "(五)"] == [
        "积极融入郑州都市圈", "优化城市发展布局", "提升城市品质", "推进重大交通基础设施建设", "推动城乡融合发展"]
    assert len(levels[3]) == 33
    assert levels[2][4].title == "扎实推进新型城镇化,增强城市综合承载能力"


@pytest.mark.parametrize("name, source, plan", [("tiny_doc", "示例市发改委网站", "tiny"),
                                                ("real_doc", "漯河市发改委网站", "luohe-2024")])
def test_metadata_parsed_and_chrome_dropped(request, name, source, plan):
    doc = request.getfixturevalue(name)
    assert (doc.source, doc.date, doc.doc_id) == (source, "2024-03-07", plan)
    assert doc.title.endswith("2024年国民经济和社会发展计划")
    assert doc.clean.startswith(doc.title + "\n\n一、2023年")
    assert doc.clean.count(doc.title) == 1          # the repeated title line is dropped
    for chrome in ("字体缩小", "打印此文", "来源:", "时间:"):
        assert chrome not in doc.clean


def test_committed_clean_text_equals_derived(real_settings, real_doc):
    assert real_settings.clean_path.read_text(encoding="utf-8") == real_doc.clean


def test_real_repairs_each_applied_exactly_once(real_settings, real_doc):
    page = real_settings.page_path.read_text(encoding="utf-8")
    repairs = load_repairs(real_settings.repairs_path)
    unrepaired = clean_text(page, [])
    certain = [r for r in repairs if r.certain]
    assert (len(repairs), len(certain)) == (15, 14)
    for r in repairs:
        assert page.count(r.find) == 1, r.id
    for r in certain:
        assert real_doc.clean.count(r.replace) == 1, r.id
        # a find that is part of its own replace (r11, r15 append 。) survives once, inside it
        assert real_doc.clean.count(r.find) == (1 if r.find in r.replace else 0), r.id
    for r in repairs:
        if not r.certain:
            assert r.replace == r.find and real_doc.clean.count(r.find) == 1, r.id
    growth = sum(len(r.replace) - len(r.find) for r in certain)
    assert len(real_doc.clean) == len(unrepaired) + growth


def test_tiny_repairs_applied(tiny_doc):
    assert "分别增长7%、7.2%," in tiny_doc.clean and "7%7.2%" not in tiny_doc.clean
    assert tiny_doc.clean.count("全年新增市场主体2万户。") == 1
    assert "2万户。。" not in tiny_doc.clean


@pytest.mark.parametrize("text, times", [("甲丙甲丙", 0), ("甲乙丙甲乙", 2)])
def test_apply_repairs_rejects_missing_or_ambiguous_find(text, times):
    with pytest.raises(ValueError, match=f"r9.*occurs {times} times"):
        apply_repairs(text, [Repair("r9", "甲乙", "甲、乙", "why", True)])


def test_uncertain_repair_is_checked_but_changes_nothing():
    assert apply_repairs("甲乙丙", [Repair("r1", "乙", "乙", "unsure", False)]) == "甲乙丙"
    with pytest.raises(ValueError):
        apply_repairs("甲丙", [Repair("r1", "乙", "乙", "unsure", False)])


def test_page_without_source_line_has_no_source():
    assert page_parts("标题\n没有来源的一行\n正文。\n") == ("标题", "", "", ["没有来源的一行", "正文。"])
    with pytest.raises(ValueError, match="no body"):
        page_parts("标题\n")


def test_paragraph_at(tiny_doc):
    p = tiny_doc.paragraph_at(tiny_doc.clean.index("新建公共充电桩"))
    assert p.path == ("三", "(一)", "突出重点扩大市场消费")
    with pytest.raises(ValueError):
        tiny_doc.paragraph_at(0)                       # the title is no paragraph


def test_write_clean_writes_the_derived_text(tiny_settings, tiny_doc):
    path = document.write_clean(tiny_settings)
    assert path == tiny_settings.clean_path
    assert path.read_text(encoding="utf-8") == tiny_doc.clean
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "clean.txt", "page.txt", "repairs.json"]
