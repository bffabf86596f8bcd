"""qa.feedback and `python -m qa feedback`: no model, temp feedback dirs."""
import json
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

from qa import files
from qa.serving import cli, feedback
from qa.config import ROOT, Settings
from qa.learning.items import KEYS

RESULT = {"question": "今年要新建多少个公共充电桩？", "answer": "新建公共充电桩580个", "abstained": False,
          "resolved_question": None, "kind": "span", "timings_ms": {"total": 12},
          "citations": [{"rank": 1, "chunk_id": "p1.1", "doc": "plan", "section": "三 › (五)", "score": 0.9,
                         "text": "提升城市品质。新建公共充电桩580个，改造老旧小区。", "start": 100, "end": 125,
                         "highlight": [107, 118]},
                        {"rank": 2, "chunk_id": "p1.2", "doc": "plan", "section": "三 › (六)", "score": 0.8,
                         "text": "另一段。", "start": 200, "end": 204}]}


@pytest.fixture
def settings(tmp_path):
    return replace(Settings(), feedback_dir=tmp_path / "fb")


def vote(question="今年要新建多少个公共充电桩？", v="down", comment="", rid=None):
    return feedback.record(question, RESULT, v, comment, rid=rid)


def test_record_holds_only_the_allowed_keys():
    rec = vote(comment="答案不对")
    assert set(rec) == {"id", "time", "question", "resolved_question", "answer", "citations", "vote", "comment"}
    assert (rec["question"], rec["resolved_question"], rec["answer"], rec["vote"], rec["comment"]) == \
        ("今年要新建多少个公共充电桩？", None, "新建公共充电桩580个", "down", "答案不对")
    assert rec["citations"] == [
        {"rank": 1, "section": "三 › (五)", "start": 100, "end": 125, "span": "新建公共充电桩580个"},
        {"rank": 2, "section": "三 › (六)", "start": 200, "end": 204, "span": None}]
    assert len(rec["id"]) == 32 and rec["time"][10] == "T" and len(rec["time"]) == 25   # seconds + UTC offset


def test_record_rejects_an_unknown_vote():
    with pytest.raises(ValueError):
        feedback.record("问题", RESULT, "meh")


def test_comment_is_cleaned_and_bounded():
    rec = feedback.record("问题", RESULT, "up", " 答案\n\n不对\x07\u202e <b>x</b>\t\ud800 \x00 好", limit=300)
    assert rec["comment"] == "答案 不对 <b>x</b> 好"
    assert feedback.record("问题", RESULT, "up", "长" * 400, limit=300)["comment"] == "长" * 300
    assert feedback.record("问题", RESULT, "up", "一二三四五", limit=3)["comment"] == "一二三"


def test_append_adds_lines_and_keeps_what_was_there(settings):
    first, second = vote(v="up"), vote(comment="第二条")
    feedback.append(settings, first)
    feedback.append(settings, second)
    lines = feedback.path(settings).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [first, second]
    assert sorted(p.name for p in settings.feedback_dir.iterdir()) == [".feedback.lock", "feedback.jsonl"]


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_a_failed_append_leaves_the_file_intact_and_no_temp_file(settings, monkeypatch, broken):
    feedback.append(settings, vote(v="up"))
    before = feedback.path(settings).read_bytes()

    def fail(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, broken, fail)            # the writer all of qa shares
    with pytest.raises(OSError):
        feedback.append(settings, vote())
    assert feedback.path(settings).read_bytes() == before
    assert sorted(p.name for p in settings.feedback_dir.iterdir()) == [".feedback.lock", "feedback.jsonl"]


def test_concurrent_appends_all_land(settings):
    def worker(n):
        for i in range(10):
            feedback.append(settings, vote(question=f"问题{n}-{i}"))
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records, bad = feedback.load(settings)
    assert (len(records), bad) == (80, 0)
    assert sorted(r["question"] for r in records) == sorted(f"问题{n}-{i}" for n in range(8) for i in range(10))


def test_load_skips_and_counts_malformed_lines(settings):
    good = vote()
    settings.feedback_dir.mkdir()
    feedback.path(settings).write_bytes(b"\n".join([
        json.dumps(good, ensure_ascii=False).encode(), b"{not json", b"\xff\xfe", b"[1, 2]",
        json.dumps({**good, "vote": "meh"}).encode(), json.dumps({**good, "ip": "1.2.3.4"}).encode(), b""]))
    assert feedback.load(settings) == ([good], 5)


def test_load_without_a_file_is_empty(settings):
    assert feedback.load(settings) == ([], 0)


def test_latest_keeps_the_last_line_per_id_and_drops_withdrawn_votes():
    a1, b1 = vote(v="up", rid="a" * 32), vote(question="别的问题", rid="b" * 32)
    a2, b2 = vote(comment="补充", rid="a" * 32), vote(question="别的问题", v=None, rid="b" * 32)
    assert feedback.latest([a1, b1, a2, b2]) == [a2]


def test_draft_items_are_the_down_votes_in_the_eval_shape():
    records = [vote(v="up", question="好问题", rid="1" * 32), vote(question="坏问题", rid="2" * 32),
               vote(question="坏问题", rid="3" * 32), vote(question="改了主意", rid="4" * 32),
               vote(question="改了主意", v="up", rid="4" * 32), vote(question="另一个坏问题", rid="5" * 32)]
    items = feedback.draft_items(records)
    assert items == [{"id": "fb-22222222", "question": "坏问题", "answers": [], "evidence": [], "type": "",
                      "section": ""},
                     {"id": "fb-55555555", "question": "另一个坏问题", "answers": [], "evidence": [], "type": "",
                      "section": ""}]
    assert all(set(it) == KEYS for it in items)


@pytest.fixture
def feedback_env(settings, monkeypatch):
    monkeypatch.setenv("QA_FEEDBACK_DIR", str(settings.feedback_dir))
    return settings


def test_cli_without_feedback_says_so(feedback_env, capsys):
    assert cli.main(["feedback"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("还没有反馈：") and str(feedback.path(feedback_env)) in out and err == ""


def test_cli_lists_votes_with_control_characters_escaped(feedback_env, capsys):
    feedback.append(feedback_env, vote(v="up", rid="a" * 32))
    raw = {**vote(comment="应是600个", rid="b" * 32), "question": "坏\x1b[31m问题\n"}   # a line written by hand
    feedback.append(feedback_env, raw)
    feedback.path(feedback_env).write_bytes(feedback.path(feedback_env).read_bytes() + b"{broken\n")
    assert cli.main(["feedback"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("  👍  fb-aaaaaaaa  今年要新建多少个公共充电桩？")
    assert lines[1].endswith("  👎  fb-bbbbbbbb  坏\\x1b[31m问题\\n  意见：应是600个")
    assert lines[2] == "共 2 条反馈：👍 1 条，👎 1 条（另有 1 行无法读取，已跳过）"


def test_cli_json_prints_the_latest_records(feedback_env, capsys):
    first, last = vote(rid="c" * 32), vote(comment="补充", rid="c" * 32)
    feedback.append(feedback_env, first)
    feedback.append(feedback_env, last)
    assert cli.main(["feedback", "--json"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [last]


def test_cli_export_writes_draft_items(feedback_env, capsys, tmp_path):
    feedback.append(feedback_env, vote(v="up", question="好问题", rid="1" * 32))
    feedback.append(feedback_env, vote(question="坏问题", rid="2" * 32))
    target = tmp_path / "drafts.jsonl"
    assert cli.main(["feedback", "--export", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"已把 1 条 👎 反馈导出为评测草稿：{target}\n")
    assert [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] == [
        {"id": "fb-22222222", "question": "坏问题", "answers": [], "evidence": [], "type": "", "section": ""}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drafts.jsonl", "fb"]     # no temp file left


@pytest.mark.parametrize("where", ["missing_dir", "under_a_file", "a_directory"])
def test_cli_export_to_an_unwritable_path_fails_in_chinese(feedback_env, capsys, tmp_path, where):
    feedback.append(feedback_env, vote())
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    target = {"missing_dir": tmp_path / "nope" / "drafts.jsonl", "under_a_file": tmp_path / "a_file" / "drafts.jsonl",
              "a_directory": tmp_path / "fb"}[where]
    before = feedback.path(feedback_env).read_bytes()
    assert cli.main(["feedback", "--export", str(target)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"错误：无法写入 {target}（")
    assert feedback.path(feedback_env).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "fb"]            # no temp file left
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == [".feedback.lock", "feedback.jsonl"]


def test_cli_feedback_loads_no_model(feedback_env):
    """The command stays fast: neither torch nor the embedding code is imported."""
    feedback.append(feedback_env, vote())
    code = ("import sys; from qa.serving import cli; rc = cli.main(['feedback']); "
            "print(rc, [m for m in ('torch', 'qa.index.embedding', 'qa.assistant', 'gradio') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert out.splitlines()[-1] == "0 []"
