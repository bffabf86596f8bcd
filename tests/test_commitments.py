"""Commitments tracker on the real plan: offsets, care points, CLI, and precision/recall
against the hand-checked gold list eval/commitments_gold.jsonl (run with -s to see them)."""
import csv
import io
import json
import re
import subprocess
import sys

import pytest

from qa.plan import commitments, document, profile
from qa.serving import cli
from qa.config import ROOT, Settings

GOLD = ROOT / "eval" / "commitments_gold.jsonl"
MIN_PRECISION, MIN_RECALL = 0.97, 0.95


@pytest.fixture(scope="module")
def doc():
    return document.load(Settings())


def doc_and_profile() -> tuple:
    doc = document.load(Settings())
    return doc, profile.ensure(doc, Settings())


@pytest.fixture(scope="module")
def records(doc):
    return commitments.extract(doc, profile.ensure(doc, Settings()))


@pytest.fixture(scope="module")
def gold():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def find(records, value, unit, sentence_has):
    return [r for r in records if (r.value, r.unit) == (value, unit) and sentence_has in r.sentence]


def spans_of(text, needle):
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]


# --- records and offsets -------------------------------------------------------------------

def test_every_record_round_trips_its_offsets(doc, records):
    for r in records:
        assert doc.clean[r.start:r.end] == r.sentence, r.id
        assert doc.clean[r.value_start:r.value_end] == r.value, r.id
        assert r.start <= r.value_start < r.value_end <= r.end, r.id
        assert r.section == document.PATH_SEP.join(doc.paragraph_at(r.value_start).path), r.id


def test_count_ids_order_and_json_shape(records):
    assert len(records) >= 120
    assert [r.id for r in records] == [f"c{n:03d}" for n in range(1, len(records) + 1)]
    assert [r.value_start for r in records] == sorted(r.value_start for r in records)
    assert set(records[0].to_json()) == {"id", "section", "subject", "value", "unit", "qualifier", "kind",
                                         "sentence", "start", "end", "value_start", "value_end"}
    assert all(r.subject for r in records)


def test_kind_follows_the_section(records):
    for r in records:
        assert r.kind == ("result" if r.section == "一" else "target"), r.id
    assert {r.section.split(document.PATH_SEP)[0] for r in records} == {"一", "二", "三"}


def test_extract_is_deterministic(doc, records):
    assert commitments.extract(doc, profile.ensure(doc, Settings())) == records


@pytest.mark.parametrize("value, unit, kind, sentence_has, subject_has", [
    ("580", "个", "target", "新建公共充电桩580个", "公共充电桩"),
    ("1900", "个", "target", "托位数1900个", "托位"),
    ("4600", "个", "target", "5G基站达到4600个", "5G基站"),
    ("42.5", "微克/立方米", "target", "分别低于42.5", "PM2.5"),
])
def test_named_records(records, value, unit, kind, sentence_has, subject_has):
    [r] = find(records, value, unit, sentence_has)
    assert r.kind == kind
    assert subject_has in r.subject


def test_named_record_details(records):
    [charger] = find(records, "580", "个", "新建公共充电桩580个")
    assert charger.subject == "新建公共充电桩"
    assert charger.section == "三 › (五) › 提升城市品质"
    [total] = find(records, "9000", "个", "达到9000个")
    assert "托位" in total.subject and total.qualifier == "达到"


@pytest.mark.parametrize("not_a_figure", [
    "7-11", "2024年", "2023年", "5G", "第二十一届", "3515", "107国道", "PM2.5", "PM10", "“11+8”",
    "“1+3+N”", "12345", "168个", "3岁", "5月底", "108条", "500强", "5000万元以上企业", "20万元以上的村",
    "9个方面", "70002万余名",
])
def test_names_years_and_references_are_not_figures(doc, records, not_a_figure):
    spans = spans_of(doc.clean, not_a_figure)
    assert spans, f"{not_a_figure!r} is not in the plan: fix the test"
    for s, e in spans:
        hits = [r for r in records if s <= r.value_start < e]
        assert hits == [], f"{not_a_figure!r} gave {[(h.id, h.value, h.unit) for h in hits]}"


def test_brand_next_to_a_real_figure(records):
    [shops] = find(records, "5", "家", "7-11便利店5家以上")
    assert (shops.qualifier, shops.subject) == ("以上", "新开业7-11便利店")


def test_enumerations_give_one_record_per_value(records):
    growth = [r for r in find(records, "7", "%", "分别增长7%、7.2%、7%") + find(records, "7.2", "%", "分别增长")
              if r.kind == "result"]
    growth.sort(key=lambda r: r.value_start)
    assert [(r.value, r.subject) for r in growth] == [
        ("7", "规上工业增加值增长"), ("7.2", "固定资产投资增长"), ("7", "社会消费品零售总额增长")]
    pm = sorted(find(records, "42.5", "微克/立方米", "分别低于") + find(records, "74", "微克/立方米", "分别低于"),
                key=lambda r: r.value_start)
    assert [(r.value, r.qualifier) for r in pm] == [("42.5", "低于"), ("74", "低于")]
    assert pm[0].subject.startswith("PM2.5") and pm[1].subject.startswith("PM10")
    works = find(records, "30", "%", "全年分别完成总工程量") + find(records, "80", "%", "全年分别完成总工程量")
    assert sorted(r.subject for r in works) == sorted(["周漯平高速完成总工程量", "平漯周高铁完成总工程量",
                                                       "漯舞快速通道完成总工程量"])


def test_rankings(records):
    ranks = [r for r in records if r.unit == "位"]
    assert [r.value for r in ranks] == ["2", "4", "5", "5", "7", "4", "1", "3"]
    assert ranks[0].subject == "生产总值增长全省排名"
    assert [r.subject for r in ranks[1:4]] == ["规上工业增加值增长全省排名", "固定资产投资增长全省排名",
                                               "社会消费品零售总额增长全省排名"]
    [top] = find(records, "120", "名", "前120名")
    assert top.qualifier == "前" and "空气质量" in top.subject


def test_doubling_and_bounded_chinese_numeral(records):
    [double] = [r for r in records if r.value == "翻一番"]
    assert (double.unit, double.qualifier, double.subject) == ("", "翻一番", "港口吞吐量")
    [levels] = find(records, "三", "级", "压缩至三级以内")
    assert levels.qualifier == "以内"
    assert not [r for r in records if r.value in ("七", "十", "两")]   # 七大文旅提升项目 etc. are names


# --- filter, CSV ---------------------------------------------------------------------------

def test_filter_records(records):
    elderly = commitments.filter_records(records, topic="养老")
    assert elderly and all("养老" in r.subject for r in elderly)
    charging = commitments.filter_records(records, topic="充电桩")
    assert [(r.value, r.unit) for r in charging] == [("580", "个")]       # subject first, not the sentence
    by_sentence = commitments.filter_records(records, topic="三区一村")   # in no subject: sentence match
    assert by_sentence and all("三区一村" in r.sentence for r in by_sentence)
    ninth = commitments.filter_records(records, section="(九)")
    assert ninth and all(r.section.split(" › ")[1] == "(九)" for r in ninth)
    assert commitments.filter_records(records, section="(九)", topic="养老") == elderly
    assert commitments.filter_records(records, section="（九）") == ninth          # full-width brackets
    assert len(commitments.filter_records(records, section="三")) + len(
        commitments.filter_records(records, section="二")) == len(commitments.filter_records(records, kind="target"))
    assert commitments.filter_records(records, kind="result") == [r for r in records if r.section == "一"]
    assert commitments.filter_records(records, section="九") == []     # a component, not a substring
    assert commitments.filter_records(records, topic="火星") == []
    assert commitments.filter_records([], topic="养老") == []


def test_to_csv_round_trips(records):
    rows = list(csv.DictReader(io.StringIO(commitments.to_csv(records))))
    assert len(rows) == len(records)
    assert rows[0] == {k: str(v) for k, v in records[0].to_json().items()}
    assert commitments.to_csv([]).strip() == ",".join(commitments.CSV_FIELDS)


# --- gold precision / recall ---------------------------------------------------------------

def match_gold(records, gold, clean):
    """One-to-one matching (augmenting paths). A gold record may pair with an extracted record of
    the same value and unit whose value lies inside the evidence, or whose sentence contains it."""
    options = []
    for g in gold:
        spans = spans_of(clean, g["evidence"])
        same = [i for i, r in enumerate(records) if (r.value, r.unit) == (g["value"], g["unit"])]
        inside = [i for i in same if any(s <= records[i].value_start and records[i].value_end <= e for s, e in spans)]
        options.append(inside or [i for i in same if g["evidence"] in records[i].sentence])
    owner = {}                                   # record index -> gold index

    def assign(gi, seen):
        for ri in options[gi]:
            if ri not in seen:
                seen.add(ri)
                if ri not in owner or assign(owner[ri], seen):
                    owner[ri] = gi
                    return True
        return False

    for gi in range(len(gold)):
        assign(gi, set())
    return owner


def test_gold_file_is_well_formed(doc, gold):
    assert len(gold) >= 90
    for g in gold:
        assert set(g) == {"value", "unit", "kind", "subject", "evidence"}
        assert 8 <= len(g["evidence"]) <= 40 and g["value"] in g["evidence"], g
        assert doc.clean.count(g["evidence"]) == 1, g
        para = doc.paragraph_at(doc.clean.index(g["evidence"]))
        assert g["kind"] == ("result" if para.path[0] == "一" else "target"), g
    covered = {doc.paragraph_at(doc.clean.index(g["evidence"])).path[:2] for g in gold}
    assert {("一",), ("二",)} | {("三", f"({n})") for n in "一二三四五六七八九"} <= {p[:2] for p in covered}


def test_gold_precision_and_recall(doc, records, gold):
    owner = match_gold(records, gold, doc.clean)
    gold_spans = [s for g in gold for s in spans_of(doc.clean, g["evidence"])]
    in_region = [i for i, r in enumerate(records) if any(r.start <= s and e <= r.end for s, e in gold_spans)]
    recall = len(owner) / len(gold)
    precision = sum(i in owner for i in in_region) / len(in_region)
    missed = [g for gi, g in enumerate(gold) if gi not in owner.values()]
    extra = [records[i] for i in in_region if i not in owner]
    print(f"\ncommitments: {len(records)} extracted, gold {len(gold)}; "
          f"precision {precision:.3f} ({len(in_region) - len(extra)}/{len(in_region)} in gold-covered sentences), "
          f"recall {recall:.3f} ({len(owner)}/{len(gold)}); "
          f"whole-plan precision {len(owner) / len(records):.3f} ({len(owner)}/{len(records)})")
    for g in missed:
        print("  missed:", g["value"], g["unit"], g["evidence"])
    for r in extra:
        print("  unmatched:", r.id, r.value, r.unit, r.subject)
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL


# --- CLI -----------------------------------------------------------------------------------

def test_cli_json(capsys, records):
    assert cli.main(["commitments", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [r.to_json() for r in records]


def test_cli_filters_and_csv(capsys):
    assert cli.main(["commitments", "--section", "(九)", "--topic", "养老", "--kind", "target", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(r["section"].startswith("三 › (九)") and r["kind"] == "target" for r in rows)


def test_cli_table(capsys):
    assert cli.main(["commitments", "--topic", "充电桩"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["编号", "类型", "章节", "数值", "限定", "事项"]
    assert any("580个" in ln and "新建公共充电桩" in ln for ln in lines)
    assert f"共 {len(commitments.filter_records(commitments.extract(*doc_and_profile()), topic='充电桩'))} 条" in out
    assert cli.main(["commitments", "--topic", "火星"]) == 0
    assert "没有符合条件的承诺" in capsys.readouterr().out


def test_cli_table_columns_line_up(capsys):
    """The subject column starts at the same display column (CJK counts two) on every row."""
    assert cli.main(["commitments", "--section", "(五)"]) == 0
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(("编号", "c"))]
    starts = {commitments._width(ln[:ln.rindex("  ") + 2]) for ln in rows}
    assert len(rows) > 20 and len(starts) == 1


@pytest.mark.parametrize("argv, choices", [
    (["commitments", "--kind", "foo"], "target"),
    (["commitments", "--format", "xml"], "table"),
])
def test_cli_bad_choice_exits_2_listing_choices(capsys, argv, choices):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "invalid choice" in (err := capsys.readouterr().err) and choices in err


def test_cli_commitments_imports_no_model_code():
    code = ("import io, contextlib, sys\nfrom qa.serving import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['commitments', '--format', 'json'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'sentence_transformers', 'faiss', 'numpy', 'jieba', 'gradio', 'bm25s'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
