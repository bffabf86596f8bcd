"""A plan's profile (qa.plan.profile): read from its headings, whatever their numbering; what it
cannot read is listed; a text with no year is no plan; and the assistant reads questions with it."""
import json
from dataclasses import replace

import pytest

from qa.plan import document, profile
from qa.serving import cli

OTHER = """青山县2031年国民经济和社会发展计划

一、关于2030年计划执行情况

全年地区生产总值增长6.1%。

二、2031年经济社会发展的总体要求和主要目标

地区生产总值增长6%左右。

三、2031年重点工作

(一)扩大有效投资。

新开工项目120个。"""


def test_the_seed_profile(real_settings, real_doc):
    p = profile.ensure(real_doc, real_settings)
    assert (p.id, p.city, p.place, p.target_year, p.review_year) == ("luohe-2024", "漯河市", "漯河", "2024", "2023")
    assert [(s["label"], s["role"]) for s in p.sections] == [("一", "review"), ("二", "targets"), ("三", "tasks")]
    assert profile.derive(real_doc, "luohe-2024") == (p, [])      # the file is the derived profile


def test_another_plan_is_read_from_its_own_headings():
    p, problems = profile.derive(document.parse(OTHER, "青山县2031年国民经济和社会发展计划"), "qingshan-2031")
    assert (p.city, p.place, p.target_year, p.review_year) == ("青山县", "青山", "2031", "2030")
    assert [s["role"] for s in p.sections] == ["review", "targets", "tasks"] and problems == []
    assert (p.kind("一"), p.kind("三")) == ("result", "target")
    assert p.calendar.covered == {"2030", "2031"}


def test_headings_numbered_as_parts_with_full_width_subsections():
    text = (OTHER.replace("一、关于", "第一部分 关于").replace("二、2031年", "第二部分 2031年")
            .replace("三、2031年", "第三部分 2031年").replace("(一)", "（一）"))
    doc = document.parse(text, "青山县2031年国民经济和社会发展计划")
    assert [(s.level, s.label) for s in doc.sections if s.level < 3] == [(1, "一"), (1, "二"), (1, "三"), (2, "(一)")]
    p, problems = profile.derive(doc, "qingshan-2031")
    assert [s["role"] for s in p.sections] == ["review", "targets", "tasks"] and problems == []


def test_what_cannot_be_read_is_listed():
    text = "2031年工作安排\n\n一、总体思路\n\n稳中求进。\n\n二、2031年主要任务\n\n新开工项目120个。"
    p, problems = profile.derive(document.parse(text, "2031年工作安排"), "x")
    assert (p.target_year, p.review_year, p.city) == ("2031", "2030", "")
    assert problems == ["一级标题“一、总体思路”的作用（回顾/目标/任务）无法判断",
                        "没有找到回顾上一年的一级标题，按2030年处理", "标题里没有城市名"]


def test_a_text_without_a_year_is_no_plan():
    with pytest.raises(ValueError, match="这不是一份年度计划"):
        profile.derive(document.parse("会议纪要\n\n一、会议内容\n\n讨论了工作。", "会议纪要"), "x")


def test_a_persons_edit_of_the_profile_wins(tiny_settings, tiny_doc):
    derived = profile.ensure(tiny_doc, tiny_settings)            # written on first load
    data = json.loads(tiny_settings.profile_path.read_text(encoding="utf-8"))
    data["city"] = "示例新区"
    tiny_settings.profile_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert profile.ensure(tiny_doc, tiny_settings) == replace(derived, city="示例新区")


def test_plans_lists_every_plan_folder(tiny_settings, monkeypatch, capsys):
    second = tiny_settings.corpus_dir / "other"
    second.mkdir()
    (second / "page.txt").write_text(OTHER, encoding="utf-8")
    monkeypatch.setattr(cli.Settings, "from_env", classmethod(lambda cls, **kw: replace(tiny_settings, **kw)))
    assert cli.main(["plans", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["target_year"], r["served"]) for r in rows] == [("tiny", "2024", False), ("other", "2031", True)]


# ---- python -m qa add ---------------------------------------------------------------------------

from qa.plan import adding     # noqa: E402


def corpus_listing(settings) -> list:
    return sorted(str(p.relative_to(settings.corpus_dir)) for p in settings.corpus_dir.rglob("*"))


def test_add_copies_the_page_verbatim_with_its_profile(tiny_settings, tmp_path):
    src = tmp_path / "qingshan-2031.txt"
    src.write_bytes("\ufeff".encode() + OTHER.encode("utf-8"))
    found, problems, folder = adding.add(src, tiny_settings)
    assert (found.id, found.target_year, problems, folder.name) == ("qingshan-2031", "2031", [], "qingshan-2031")
    assert (folder / "page.txt").read_bytes() == src.read_bytes()
    assert profile.load(folder / "profile.json") == found
    assert document.load(replace(tiny_settings, plan="qingshan-2031")).clean == (folder / "clean.txt").read_text(encoding="utf-8")
    assert tiny_settings.plan_dir == folder                       # the newest plan is the one served


@pytest.mark.parametrize("content, message", [
    (b"", "文件是空的"), (b"  \n\n", "文件是空的"), (b"\x89PNG\x00\x00", "不是文本"),
    ("标题\n正文".encode("gbk"), "不是 UTF-8"), ("会议纪要\n\n一、会议内容\n\n讨论了工作。".encode(), "不是一份年度计划"),
])
def test_add_refuses_what_is_not_a_plan_and_writes_nothing(tiny_settings, tmp_path, capsys, monkeypatch, content, message):
    profile.ensure(document.load(tiny_settings), tiny_settings)
    before = corpus_listing(tiny_settings)
    src = tmp_path / "plan.txt"
    src.write_bytes(content)
    monkeypatch.setattr(cli.Settings, "from_env", classmethod(lambda cls, **kw: replace(tiny_settings, **kw)))
    assert cli.main(["add", str(src)]) == 1
    assert message in capsys.readouterr().err
    assert corpus_listing(tiny_settings) == before


def test_add_refuses_a_taken_or_unusable_id(tiny_settings, tmp_path):
    src = tmp_path / "Plan 2031.txt"
    src.write_text(OTHER, encoding="utf-8")
    with pytest.raises(ValueError, match="不可用"):
        adding.add(src, tiny_settings)
    with pytest.raises(ValueError, match="已有编号为“tiny”的计划"):
        adding.add(src, tiny_settings, "tiny")


@pytest.mark.model
def test_adding_an_older_plan_builds_only_its_index(tiny_settings, tmp_path, monkeypatch, capsys):
    src = tmp_path / "old.txt"
    src.write_text(OTHER.replace("2031", "2021").replace("2030", "2020"), encoding="utf-8")
    monkeypatch.setattr(cli.Settings, "from_env", classmethod(lambda cls, **kw: replace(tiny_settings, **kw)))
    assert cli.main(["add", str(src), "--id", "qingshan-2021"]) == 0
    out = capsys.readouterr().out
    assert "已加入计划 qingshan-2021" in out and "计划年份：2021，回顾：2020" in out
    assert sorted(p.name for p in tiny_settings.index_dir.iterdir()) == ["qingshan-2021"]
    assert tiny_settings.plan_dir.name == "tiny"         # the newest stays the one 今年 refers to


def test_asking_a_plan_that_is_not_there_names_the_plans_there(capsys):
    assert cli.main(["ask", "--plan", "nope", "今年要新建多少个公共充电桩？"]) == 1
    assert "没有编号为“nope”的计划（现有：luohe-2024）" in capsys.readouterr().err
