"""Bad input (the README's table, row by row), property-based tests, and a build killed midway."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.plan import document
from qa.serving import cli
from qa.reading.question import EMPTY_QUESTION, NO_WORDS, TRUNCATED
from qa.plan.chunking import chunk_document
from qa.answering.result import ABSTAIN
from qa.config import ROOT
from qa.reading.text import CONTROL_RE, normalize

QUESTION = "今年新建多少个公共充电桩？"
ANSWER = "新建公共充电桩1000个"


# --- the bad-input table ------------------------------------------------------------------

@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u200b\u200b", "\u3000\n", "\x00\u200b"])
def test_empty_question_is_refused(tiny_assistant, question):
    with pytest.raises(ValueError, match=EMPTY_QUESTION):
        tiny_assistant.ask(question)


@pytest.mark.parametrize("question", ["😀😀😀", "？？？", "🚗⚡"])
def test_question_without_words_is_refused(tiny_assistant, question):
    with pytest.raises(ValueError, match="请用文字提问"):
        tiny_assistant.ask(question)


def test_huge_question_is_truncated_with_a_notice(tiny_assistant):
    result = tiny_assistant.ask(QUESTION + "啊" * 100_000)
    limit = tiny_assistant.settings.max_question_chars
    assert result.notice == TRUNCATED.format(n=limit)
    assert len(result.question) == limit
    assert result.to_json()["notice"] == result.notice
    assert "notice" not in tiny_assistant.ask(QUESTION).to_json()


def test_control_characters_and_nul_are_ignored(tiny_assistant):
    noisy = "今年\x00新建\x07多少个\x1b公共充电桩？\x7f"
    assert normalize(noisy) == normalize(QUESTION)
    assert tiny_assistant.ask(noisy).answer == ANSWER


@pytest.mark.parametrize("question", ["今年新建多少個公共充電樁？", "今年新建多少个公共充电桩？"])  # 繁体 / 全角
def test_traditional_and_full_width_get_the_same_answer(tiny_assistant, question):
    assert tiny_assistant.ask(question).answer == ANSWER


def test_english_the_plan_does_not_use_abstains_with_its_nearest_passages(tiny_assistant):
    result = tiny_assistant.ask("How many charging piles will be built this year?")
    assert (result.abstained, result.answer) == (True, ABSTAIN)
    assert result.reason == "the plan uses none of the question's words"
    assert [c["rank"] for c in result.citations] == [1, 2, 3]
    for c in result.citations:
        assert "highlight" not in c and tiny_assistant.doc.clean[c["start"]:c["end"]] == c["text"]


def test_injection_is_kept_as_plain_text(tiny_assistant):
    question = "<script>alert(1)</script>[链接](http://evil.example)" + QUESTION
    result = tiny_assistant.ask(question)
    assert result.question == question and result.answer == ANSWER


def test_cli_refuses_a_question_without_words(tiny_cli, capsys):
    assert cli.main(["ask", "😀😀"]) == 2
    assert NO_WORDS in capsys.readouterr().err


def test_cli_prints_the_truncation_notice(tiny_cli, capsys):
    assert cli.main(["ask", QUESTION + "啊" * 100_000]) == 0
    assert capsys.readouterr().out.startswith("提示：问题过长")


# --- properties ---------------------------------------------------------------------------

@given(st.text(max_size=300))
def test_normalize_is_idempotent_and_drops_control_characters(text):
    once = normalize(text)
    assert normalize(once) == once
    assert not CONTROL_RE.search(once)
    assert once == once.strip()


PARAGRAPH = st.text(alphabet=st.sampled_from(list("漯河市计划新建个公园。，；、:,0123456789")), min_size=1, max_size=400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PARAGRAPH, min_size=1, max_size=6), st.integers(min_value=20, max_value=200))
def test_chunk_offsets_always_round_trip(paragraphs, size):
    clean = "\n\n".join(["标题", "一、总体情况", *[p.strip("\n") or "空" for p in paragraphs]])
    doc = document.parse(clean)
    chunks = chunk_document(doc, size, 0)
    covered = set()
    for c in chunks:
        assert clean[c.start:c.end] == c.text and len(c.text) <= size
        covered.update(range(c.start, c.end))
    assert covered == {i for p in doc.paragraphs for i in range(p.start, p.end)}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=600))
def test_ask_never_raises_on_arbitrary_text_except_for_no_words(tiny_assistant, text):
    try:
        result = tiny_assistant.ask(text)
    except ValueError as exc:
        assert str(exc) in (EMPTY_QUESTION, NO_WORDS)
        return
    for c in result.citations:
        assert tiny_assistant.doc.clean[c["start"]:c["end"]] == c["text"]
    if not result.abstained:
        assert result.answer in result.citations[0]["text"]


# --- a build killed midway ----------------------------------------------------------------

def files(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.model
def test_killed_build_leaves_the_previous_index_usable(tmp_path, real_settings, real_embedder):
    """SIGKILL a real `python -m qa build` while it embeds; the old index still loads and answers."""
    from qa.assistant import Assistant
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    before = files(index_dir)
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_CHUNK_SIZE": "140"}   # stale: forces a rebuild
    proc = subprocess.Popen([sys.executable, "-m", "qa", "build"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    while b"Batches" not in seen:                     # the progress bar: embedding has started
        chunk = proc.stderr.read1(4096)
        assert chunk, f"build ended before embedding: {seen[-500:]!r}"
        seen += chunk
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert files(index_dir) == before
    assistant = Assistant(replace(real_settings, index_dir=index_dir, strict_index=True), real_embedder)
    assert "580" in assistant.ask("今年要新建多少个公共充电桩？").answer
