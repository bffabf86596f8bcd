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
