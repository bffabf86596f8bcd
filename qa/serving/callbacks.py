"""The app's event handlers (app.py lays out the page and wires them): answering over the library of
plans, the sources panel, votes and comments, the 目标清单 filters and CSV, and opening a passage
in 浏览计划. Everything shown from a question or the plan is HTML-escaped (qa.serving.views)."""
from __future__ import annotations

import html
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr

from ..files import write_atomic
from ..library import Library
from ..plan import commitments, outcomes
from ..reading import dialogue
from . import feedback
from .views import commitment_rows, innermost_section, reply_html, section_choices, section_html

ALL = "全部"


def kinds(profile) -> dict:
    """The 目标清单 kind filter: its labels (the plan's years) and the kinds they keep."""
    return {ALL: None, f"{profile.target_year}年目标": "target", f"{profile.review_year}年结果": "result"}


def section_labels(doc) -> list:
    """The 目标清单 section filter: every top-level section and subsection label, in text order."""
    return [ALL] + [s.label for s in doc.sections if s.level <= 2]


class Callbacks:
    """The app's event handlers over the library of plans: the default plan's commitments (each
    target with its outcome, where a later plan reports one), the settings, and the folder the
    commitments CSV is written to."""

    def __init__(self, library: Library, log_questions: bool = False):
        self.library, self.log_questions = library, log_questions
        default = library.default
        self.doc, self.settings, self.profile = default.doc, library.settings, default.profile
        self.records = commitments.extract(self.doc, self.profile)
        self.outcomes = {r.target.id: r for r in outcomes.compare(outcomes.every_plan(self.settings))
                         if r.target_plan == self.profile.id}
        self.kinds = kinds(self.profile)
        self.docs = {pid: a.doc for pid, a in library.plans.items()}      # plan id -> its document
        self.csv_dir = Path(tempfile.mkdtemp(prefix="qa-commitments-"))

    def ask_api(self, question: str, history: list | None = None, plan: str | None = None) -> dict:
        """Answer JSON of the contract for one question, read after the conversation `history`
        ([{"question", "answer"}], oldest first; optional), asked of `plan` (its id; optional: by
        default the plan the question speaks of). An `error` key when the question is empty, the
        history has the wrong shape or the plan is not there."""
        if self.log_questions:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} question: {question!r}", file=sys.stderr, flush=True)
        try:
            return self.library.ask(question, history=history, plan=None if plan in (None, "", ALL) else plan).to_json()
        except ValueError as exc:
            return {"question": question, "error": str(exc)}

    def doc_of(self, plan_id: str | None):
        return self.docs.get(plan_id, self.doc)

    def chat(self, question: str, plan: str, shown: list, turns: list, answers: list):
        """One question of the chat: the messages with this reply (its sources under it), the box
        emptied, the conversation it joins, and what a vote on each message records."""
        shown, turns = list(shown or []), list(turns or [])
        result = self.ask_api(question, turns, plan)
        answer = None          # what a vote on this reply records (an error reply takes no vote)
        if "error" in result:
            reply = html.escape(result["error"])
        else:
            reply = reply_html(result, self.docs, len(shown) + 1)
            turns = (turns + [{"question": question, "answer": result["answer"]}])[-dialogue.MAX_TURNS:]
            answer = {"id": uuid.uuid4().hex, "question": question,
                      "result": {k: result.get(k) for k in ("resolved_question", "answer", "citations")}}
        # The chatbot renders HTML even with Markdown off: everything from the question or the plan is escaped.
        shown += [{"role": "user", "content": html.escape(question)}, {"role": "assistant", "content": reply}]
        return shown, "", turns, list(answers or []) + [None, answer]

    @staticmethod
    def clear():
        """A new conversation: no messages (their sources with them), no history, no vote, no note."""
        return [], "", [], [], None, gr.update(value="", visible=False), gr.update(visible=False), ""

    def save_feedback(self, answer: dict, vote: str | None, comment: str = "") -> bool:
        rec = feedback.record(answer["question"], answer["result"], vote, comment,
                              limit=self.settings.feedback_comment_chars, rid=answer["id"])
        try:
            feedback.append(self.settings, rec)
            return True
        except OSError as exc:
            print(f"feedback not saved: {exc}", file=sys.stderr, flush=True)
            return False

    def vote(self, answers: list, evt: gr.LikeData):
        """A 👍/👎 on reply `evt.index` (answers runs parallel to the chat's messages); clicking the
        same thumb again withdraws the vote (liked is then "")."""
        i = evt.index if isinstance(evt.index, int) else -1
        answer = answers[i] if 0 <= i < len(answers) else None
        hidden = gr.update(visible=False)
        if answer is None:
            return None, hidden, hidden, ""
        choice = ("up" if evt.liked else "down") if isinstance(evt.liked, bool) else None
        if not self.save_feedback(answer, choice):
            return None, hidden, hidden, feedback.FAILED
        if choice is None:
            return None, hidden, hidden, "已撤销评价。"
        return ({"index": i, "vote": choice}, gr.update(value="", visible=True), gr.update(visible=True),
                "已记录，谢谢反馈。可在下方补充意见。")

    def send_comment(self, answers: list, voted: dict | None, comment: str):
        """The comment joins the last vote: a new line with the same id, the vote and the comment."""
        if not voted or voted["index"] >= len(answers or []) or answers[voted["index"]] is None:
            return gr.update(), gr.update(), "请先对一条回答点 👍 或 👎。"
        if not feedback.clean(comment, self.settings.feedback_comment_chars):
            return gr.update(), gr.update(), "请先写下意见。"
        if not self.save_feedback(answers[voted["index"]], voted["vote"], comment):
            return gr.update(), gr.update(), feedback.FAILED
        return gr.update(value="", visible=False), gr.update(visible=False), "已记录，谢谢反馈。"

    def filter_commitments(self, section: str, keyword: str, kind: str):
        records = commitments.filter_records(self.records, topic=(keyword or "").strip() or None,
                                             section=None if section == ALL else section, kind=self.kinds[kind])
        path = self.csv_dir / f"{self.doc.doc_id}_commitments.csv"
        write_atomic(path, outcomes.to_csv(records, self.outcomes).encode("utf-8-sig"))   # BOM: Excel reads UTF-8
        return commitment_rows(records, self.outcomes), records, str(path), f"共 {len(records)} 条"

    def show_plan(self, plan_id: str, path: str | None = None, span: list | None = None):
        """浏览计划 on plan `plan_id`: its section tree, at `path` (default: its first section)."""
        doc = self.doc_of(plan_id)
        choices = section_choices(doc)
        path = path or choices[0][1]
        return gr.update(choices=choices, value=path), section_html(doc, path, span)

    def open_in_plan(self, start: int, end: int, plan_id: str | None = None):
        """Switch to 浏览计划 at the innermost section of plan `plan_id` (default: the default plan)
        holding `start`, with [start, end) marked."""
        plan_id = plan_id if plan_id in self.library.plans else self.doc.doc_id
        path = innermost_section(self.doc_of(plan_id), start)
        return (gr.Tabs(selected="browse"), gr.update(value=plan_id), *self.show_plan(plan_id, path, [start, end]))

    def open_commitment(self, records: list, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not records or row is None or row >= len(records):
            return gr.update(), gr.update(), gr.update(), gr.update()
        return self.open_in_plan(records[row].start, records[row].end)

    def open_source(self, ref: str, answers: list):
        """A source's 在计划中查看 link (its id, open-k-n: source n of chat message k) opens it in 浏览计划."""
        m = re.fullmatch(r"open-(\d+)-(\d+)", ref or "")
        k, n = (int(m.group(1)), int(m.group(2))) if m else (-1, 0)
        answer = answers[k] if 0 <= k < len(answers or []) else None
        cite = next((c for c in (answer or {}).get("result", {}).get("citations") or [] if c["rank"] == n), None)
        if cite is None:
            return gr.update(), gr.update(), gr.update(), gr.update()
        return self.open_in_plan(cite["start"], cite["end"], cite.get("plan"))
