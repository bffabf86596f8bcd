"""`python -m qa ask` through qa.cli.main, with the assistant built on the tiny corpus."""
import io
import json
import sys

import pytest

from qa.config import ROOT
from qa.serving import cli
from qa.reading.question import EMPTY_QUESTION



def feed_stdin(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize("argv", [["ask", ""], ["ask", "   "], ["ask", "\u3000\t"], ["ask"]])
def test_empty_question_exits_2_with_message(tiny_cli, capsys, argv):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "问题不能为空" in err
    assert tiny_cli == []                      # no model or index was loaded for it


def test_ask_json(tiny_cli, capsys):
    assert cli.main(["ask", "--json", "今年新建多少个公共充电桩？"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert (obj["question"], obj["answer"], obj["abstained"]) == ("今年新建多少个公共充电桩？",
                                                                  "新建公共充电桩1000个", False)
    assert obj["citations"][0]["chunk_id"] == "p007.1"


def test_ask_plain_text(tiny_cli, capsys):
    assert cli.main(["ask", "今年新建多少个公共充电桩？"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("答：新建公共充电桩1000个\n")
    assert "[1] 三 › (一) › 突出重点扩大市场消费（第246–306字）" in out


def test_jsonl_answers_each_line_and_reports_bad_ones(tiny_cli, capsys, monkeypatch):
    feed_stdin(monkeypatch, "今年新建多少个公共充电桩？\n".encode() + b"\xff\xfe\xe6\x96\n"
               + "要改造多少个老旧小区？\r\n".encode())
    assert cli.main(["ask", "--jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    first, bad, last = map(json.loads, lines)
    assert (first["question"], first["answer"]) == ("今年新建多少个公共充电桩？", "新建公共充电桩1000个")
    assert bad["question"] is None and "UTF-8" in bad["error"] and "answer" not in bad
    assert (last["question"], last["answer"]) == ("要改造多少个老旧小区？", "改造老旧小区95个")
    assert len(tiny_cli) == 1                  # one assistant for the whole stream


def test_jsonl_blank_line_is_an_error_object(tiny_cli, capsys, monkeypatch):
    feed_stdin(monkeypatch, "\n城镇新增就业目标是多少？\n".encode())
    assert cli.main(["ask", "--jsonl"]) == 0
    blank, good = map(json.loads, capsys.readouterr().out.splitlines())
    assert blank["question"] == "" and blank["error"] == EMPTY_QUESTION
    assert good["answer"] == "城镇新增就业3.5万人。"


def test_unknown_mode_is_rejected(tiny_cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["ask", "--mode", "sparse", "问题"])
    assert exc.value.code == 2
    assert "bm25" in capsys.readouterr().err


def test_jsonl_lines_may_carry_history(tiny_cli, capsys, monkeypatch):
    follow = {"question": "老旧小区呢？", "history": [{"question": "今年新建多少个公共充电桩？", "answer": "新建公共充电桩1000个"}]}
    lines = [json.dumps(follow, ensure_ascii=False), '{"question": "老旧小区呢？", "history": "充电桩"}',
             '{"question": 5}', "{不是JSON", "老旧小区呢？"]
    feed_stdin(monkeypatch, ("\n".join(lines) + "\n").encode())
    assert cli.main(["ask", "--jsonl"]) == 0
    good, bad_history, bad_question, bad_json, alone = map(json.loads, capsys.readouterr().out.splitlines())
    assert (good["resolved_question"], good["answer"]) == ("今年新建多少老旧小区？", "改造老旧小区95个")
    assert bad_history["question"] == "老旧小区呢？" and bad_history["error"].startswith("对话历史格式不对")
    assert bad_question == {"question": None, "error": cli.BAD_LINE}
    assert bad_json == {"question": None, "error": cli.BAD_LINE}
    assert "resolved_question" not in alone                  # a plain line has no history


@pytest.mark.parametrize("content, message", [(None, "对比文件不存在"), ("{not json", "对比文件不是 JSON"),
                                              ('["hybrid"]', "对比文件格式不对")])
def test_eval_compare_rejects_a_bad_file_before_asking_anything(tiny_cli, capsys, tmp_path, content, message):
    path = tmp_path / "before.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    dev = str(ROOT / "eval" / "dev.jsonl")
    assert cli.main(["eval", "--set", dev, "--mode", "hybrid", "--compare", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and message in err and str(path) in err
    assert tiny_cli == []                      # no model or index was loaded for it


@pytest.mark.parametrize("fraction", ["0", "1.5", "-0.25"])
def test_train_rejects_a_fraction_outside_0_1(capsys, fraction):
    assert cli.main(["train", "--fraction", fraction]) == 1
    assert "--fraction 须在 0 和 1 之间" in capsys.readouterr().err
