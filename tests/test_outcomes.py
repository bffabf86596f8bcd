"""Target against outcome (issue 22, 5c): the seed beside itself moved a year on, whose review
reports the seed's target year. Precision and recall against a gold checked by hand in the two
texts: the indicators the seed sets a 2024 figure for that the moved plan's review reports."""
import csv
import io
import json
import shutil
from dataclasses import replace

import pytest
from conftest import SHIFTED_ID, write_shifted_seed

from qa.plan import document, outcomes
from qa.serving import cli

# indicator: (2024 target, its qualifier, reported outcome, verdict)
GOLD = {
    "生产总值增长": ("7", "左右", "5.4", "not judged"),
    "规模以上工业增加值增长": ("8", "以上", "7", "not met"),       # 规上工业增加值增长7%
    "固定资产投资增长": ("10", "左右", "7.2", "not judged"),
    "社会消费品零售总额增长": ("8", "", "7", "not judged"),
    "一般公共预算收入增长": ("5", "", "3.4", "not judged"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, real_settings):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(real_settings.plan_dir, corpus / real_settings.plan_dir.name)
    write_shifted_seed(real_settings.plan_dir, corpus)
    return replace(real_settings, corpus_dir=corpus)


def rows(settings) -> list:
    return outcomes.compare(outcomes.every_plan(settings))


def test_targets_beside_reported_outcomes(corpus):
    found = {r.indicator: (r.target.value, r.target.qualifier, r.outcome.value, r.verdict)
             for r in rows(corpus) if r.outcome is not None}
    right = {k for k, v in found.items() if GOLD.get(k) == v}
    precision, recall = len(right) / len(found), len(right) / len(GOLD)
    print(f"\ntarget against outcome: precision {precision:.2f}, recall {recall:.2f}")
    assert (precision, recall) == (1.0, 1.0), found


def test_each_side_cites_its_own_plan(corpus):
    for r in rows(corpus):
        assert (r.year, r.target_plan, r.target.kind) == ("2024", "luohe-2024", "target")
        if r.outcome is not None:
            assert (r.outcome_plan, r.outcome.kind) == (SHIFTED_ID, "result")
            text = document.load(replace(corpus, plan=SHIFTED_ID)).clean
            assert text[r.outcome.start:r.outcome.end] == r.outcome.sentence


def test_a_plan_alone_has_nothing_to_compare(real_settings):
    assert rows(real_settings) == []


def test_cli_lists_them(corpus, monkeypatch, capsys):
    monkeypatch.setattr(cli.Settings, "from_env", classmethod(lambda cls, **kw: replace(corpus, **kw)))
    assert cli.main(["commitments", "--outcomes", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sum(r["outcome"] is not None for r in listed) == len(GOLD)
    assert cli.main(["commitments", "--outcomes"]) == 0
    assert "2024年 规模以上工业增加值增长：目标 8%以上（luohe-2024 " in capsys.readouterr().out
    assert cli.main(["commitments", "--outcomes", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(listed) and sum(r["outcome_value"] != "" for r in rows) == len(GOLD)
    assert {(r["target_plan"], r["verdict"]) for r in rows} <= {("luohe-2024", v) for v in outcomes.VERDICTS}
