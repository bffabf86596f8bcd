"""Gradio app over the qa package: UI only (layout and event wiring; the HTML and text it shows are
qa.serving.views). `python app.py [--host 127.0.0.1] [--port 7860]`.

Tabs: 问答 (chat with numbered citations and a sources panel), 目标清单 (every quantitative commitment,
filterable, as CSV, each row opening its sentence), 浏览计划 (the section tree; citations open here). `/ask` is a named API endpoint returning the answer JSON of the contract.
A 👍/👎 on an answer, and an optional comment on it, is kept by qa.serving.feedback (no IP, no session).
Everything shown from a question or the plan is HTML-escaped; nothing is fetched from the internet.
"""
from __future__ import annotations

import argparse
import html
import os
import sys
import tempfile
import time
import uuid
from collections import namedtuple
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # before gradio is imported
# Before numpy is imported: under load, numpy's BLAS threads fought the encoder's for the 2 cores
# (20 threads x 10 questions in one process: 29 -> 38 questions/s; HISTORY step 29).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("NO_PROXY", "no_proxy"):                         # loopback must never go through a proxy
    os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

import gradio as gr  # noqa: E402

from qa.assistant import Assistant  # noqa: E402
from qa.files import write_atomic  # noqa: E402
from qa.plan import commitments  # noqa: E402
from qa.reading import dialogue  # noqa: E402
from qa.serving import feedback  # noqa: E402
from qa.serving.server import serving_assistant  # noqa: E402
from qa.serving.views import (COMMITMENT_COLUMNS, commitment_rows, innermost_section, reply_text,  # noqa: E402
                              section_choices, section_html, sources_html)

TITLE = "{title} · 问答助手"
CITIZEN_EXAMPLES = ["我家娃不到3岁，今年托位能多多少？", "今年要新建多少个公共充电桩？", "乡村振兴今年有哪些举措？",
                    "我住的老小区今年会改造吗？全市改多少个？", "去年咱们市经济增长了多少？"]
OFFICIAL_EXAMPLES = ["今年全市生产总值预期增长多少？", "今年PM2.5年均浓度目标是多少？",
                     "今年城镇新增就业目标是多少？", "去年一般公共预算收入增速全省排第几？"]
FEEDBACK_FAILED = "反馈未能保存，请稍后再试。"
CSS = """
.source {border-left: 3px solid #94a3b8; padding: 4px 10px; margin: 8px 0;}
.source mark, .plan mark {background: #fde68a; padding: 0 2px;}
.source .path, .plan .path {color: #475569; font-size: 0.9em;}
.plan p {line-height: 1.8;}
"""
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


ALL = "全部"


def kinds(profile) -> dict:
    """The 目标清单 kind filter: its labels (the plan's years) and the kinds they keep."""
    return {ALL: None, f"{profile.target_year}年目标": "target", f"{profile.review_year}年结果": "result"}


def section_labels(doc) -> list:
    """The 目标清单 section filter: every top-level section and subsection label, in text order."""
    return [ALL] + [s.label for s in doc.sections if s.level <= 2]


# The components of each tab, and the per-browser state (the citations shown, the conversation, the
# votable replies, the last vote), as the event wiring takes them.
ChatTab = namedtuple("ChatTab", "chatbot box ask_btn clear_btn comment send_btn note sources pick open_btn")
CommitmentsTab = namedtuple("CommitmentsTab", "section keyword kind count table state csv")
BrowseTab = namedtuple("BrowseTab", "tree plan")
Session = namedtuple("Session", "cites turns answers voted")


class Callbacks:
    """The app's event handlers over one assistant: its plan, settings and commitments, and the
    folder the commitments CSV is written to."""

    def __init__(self, assistant: Assistant, log_questions: bool = False):
        self.assistant, self.log_questions = assistant, log_questions
        self.doc, self.settings = assistant.doc, assistant.settings
        self.profile = assistant.profile
        self.records = commitments.extract(self.doc, self.profile)
        self.kinds = kinds(self.profile)
        self.csv_dir = Path(tempfile.mkdtemp(prefix="qa-commitments-"))

    def ask_api(self, question: str, history: list | None = None) -> dict:
        """Answer JSON of the contract for one question, read after the conversation `history`
        ([{"question", "answer"}], oldest first; optional). An `error` key when the question is
        empty or the history has the wrong shape."""
        if self.log_questions:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} question: {question!r}", file=sys.stderr, flush=True)
        try:
            return self.assistant.ask(question, history=history).to_json()
        except ValueError as exc:
            return {"question": question, "error": str(exc)}

    def chat(self, question: str, shown: list, turns: list, answers: list):
        shown, turns = list(shown or []), list(turns or [])
        result = self.ask_api(question, turns)
        answer = None          # what a vote on this reply records (an error reply takes no vote)
        if "error" in result:
            reply, cites = result["error"], []
        else:
            reply, cites = reply_text(result), result["citations"]
            turns = (turns + [{"question": question, "answer": result["answer"]}])[-dialogue.MAX_TURNS:]
            answer = {"id": uuid.uuid4().hex, "question": question,
                      "result": {k: result.get(k) for k in ("resolved_question", "answer", "citations")}}
        # The chatbot renders HTML even with Markdown off: escape, so text always shows as text.
        shown += [{"role": "user", "content": html.escape(question)},
                  {"role": "assistant", "content": html.escape(reply)}]
        choices = [f"[{c['rank']}] {c['section']}" for c in cites]
        return (shown, sources_html(result, self.doc) if cites else "", "", cites,
                gr.update(choices=choices, value=choices[0] if choices else None, visible=bool(choices)),
                gr.update(visible=bool(choices)), turns, list(answers or []) + [None, answer])

    @staticmethod
    def clear():
        return ([], "", "", [], gr.update(choices=[], value=None, visible=False), gr.update(visible=False), [], [],
                None, gr.update(value="", visible=False), gr.update(visible=False), "")

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
            return None, hidden, hidden, FEEDBACK_FAILED
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
            return gr.update(), gr.update(), FEEDBACK_FAILED
        return gr.update(value="", visible=False), gr.update(visible=False), "已记录，谢谢反馈。"

    def filter_commitments(self, section: str, keyword: str, kind: str):
        records = commitments.filter_records(self.records, topic=(keyword or "").strip() or None,
                                             section=None if section == ALL else section, kind=self.kinds[kind])
        path = self.csv_dir / f"{self.doc.doc_id}_commitments.csv"
        write_atomic(path, commitments.to_csv(records).encode("utf-8-sig"))   # BOM: Excel reads UTF-8
        return commitment_rows(records), records, str(path), f"共 {len(records)} 条"

    def open_in_plan(self, start: int, end: int):
        """Switch to 浏览计划 at the innermost section holding `start`, with [start, end) marked."""
        path = innermost_section(self.doc, start)
        return gr.Tabs(selected="browse"), gr.update(value=path), section_html(self.doc, path, [start, end])

    def open_commitment(self, records: list, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not records or row is None or row >= len(records):
            return gr.update(), gr.update(), gr.update()
        return self.open_in_plan(records[row].start, records[row].end)

    def open_citation(self, choice: str, cites: list):
        cite = next((c for c in cites if choice and choice.startswith(f"[{c['rank']}]")), None)
        if cite is None:
            return gr.update(), gr.update(), gr.update()
        return self.open_in_plan(cite["start"], cite["end"])


def chat_tab(settings) -> ChatTab:
    """The 问答 tab: the chat, its feedback row and examples on the left, the sources on the right."""
    with gr.Tab("问答", id="chat"):
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="对话", render_markdown=False, height=380,
                                     feedback_options=("Like", "Dislike"), elem_id="chatbot")
                box = gr.Textbox(label="你的问题", placeholder="例如：今年要新建多少个公共充电桩？",
                                 elem_id="question", max_length=2000)
                with gr.Row():
                    ask_btn = gr.Button("提问", variant="primary", elem_id="ask")
                    clear_btn = gr.Button("清空对话", elem_id="clear")
                with gr.Row():
                    comment = gr.Textbox(label="补充意见（可选）", elem_id="feedback-comment", visible=False,
                                         max_length=settings.feedback_comment_chars, scale=4,
                                         placeholder="例如：答案不对，应是……")
                    send_btn = gr.Button("提交意见", elem_id="feedback-send", visible=False, scale=1)
                note = gr.Markdown(elem_id="feedback-note")
                gr.Examples(CITIZEN_EXAMPLES, inputs=box, label="市民常问")
                gr.Examples(OFFICIAL_EXAMPLES, inputs=box, label="核对目标")
            with gr.Column(scale=2):
                gr.Markdown("### 出处")
                sources = gr.HTML(elem_id="sources")
                pick = gr.Radio(label="在计划中查看", visible=False, elem_id="pick")
                open_btn = gr.Button("在计划中打开", visible=False, elem_id="open-citation")
    return ChatTab(chatbot, box, ask_btn, clear_btn, comment, send_btn, note, sources, pick, open_btn)


def commitments_tab(cb: Callbacks) -> CommitmentsTab:
    """The 目标清单 tab: filters, the count, the table of the plan's commitments and the CSV download."""
    records, p = cb.records, cb.profile
    with gr.Tab("目标清单", id="commitments"):
        gr.Markdown(f"计划中的每一个量化目标（{p.target_year}年）和{p.review_year}年结果，均链接到原文。点击一行，在计划中打开。")
        with gr.Row():
            section = gr.Dropdown(section_labels(cb.doc), value=ALL, label="章节", elem_id="c-section")
            keyword = gr.Textbox(label="关键词", placeholder="例如：养老、充电桩", elem_id="c-keyword")
            kind = gr.Radio(list(cb.kinds), value=ALL, label="类型", elem_id="c-kind")
        count = gr.Markdown(f"共 {len(records)} 条", elem_id="c-count")
        table = gr.Dataframe(commitment_rows(records), headers=COMMITMENT_COLUMNS,
                             interactive=False, wrap=True, elem_id="c-table", max_height=520)
        state = gr.State(records)
        csv = gr.DownloadButton("下载 CSV", elem_id="c-csv")
    return CommitmentsTab(section, keyword, kind, count, table, state, csv)


def browse_tab(doc) -> BrowseTab:
    """The 浏览计划 tab: the section tree and the chosen section's text (the first at start)."""
    with gr.Tab("浏览计划", id="browse"):
        choices = section_choices(doc)
        tree = gr.Dropdown(choices, value=choices[0][1], label="章节", elem_id="tree")
        plan = gr.HTML(section_html(doc, choices[0][1]), elem_id="plan")
    return BrowseTab(tree, plan)


def wire(demo: gr.Blocks, cb: Callbacks, s: Session, tabs: gr.Tabs, chat: ChatTab, com: CommitmentsTab,
         browse: BrowseTab) -> None:
    """Every event of the page, all private, and the named API endpoint /ask."""
    outputs = [chat.chatbot, chat.sources, chat.box, s.cites, chat.pick, chat.open_btn, s.turns, s.answers]
    feedback_row = [chat.comment, chat.send_btn, chat.note]
    for event in (chat.box.submit, chat.ask_btn.click):
        event(cb.chat, [chat.box, chat.chatbot, s.turns, s.answers], outputs, api_visibility="private")
    chat.clear_btn.click(cb.clear, None, outputs + [s.voted] + feedback_row, api_visibility="private")
    chat.chatbot.like(cb.vote, s.answers, [s.voted] + feedback_row, api_visibility="private")
    for event in (chat.send_btn.click, chat.comment.submit):
        event(cb.send_comment, [s.answers, s.voted, chat.comment], feedback_row, api_visibility="private")
    in_plan = [tabs, browse.tree, browse.plan]
    chat.open_btn.click(cb.open_citation, [chat.pick, s.cites], in_plan, api_visibility="private")
    browse.tree.input(lambda p: section_html(cb.doc, p), browse.tree, browse.plan, api_visibility="private")
    filters, listed = [com.section, com.keyword, com.kind], [com.table, com.state, com.csv, com.count]
    for event in [f.change for f in filters] + [demo.load]:
        event(cb.filter_commitments, filters, listed, api_visibility="private")
    com.table.select(cb.open_commitment, com.state, in_plan, api_visibility="private")
    gr.api(cb.ask_api, api_name="ask")


def build(assistant: Assistant, log_questions: bool = False) -> gr.Blocks:
    cb = Callbacks(assistant, log_questions)
    title = TITLE.format(title=cb.profile.title)
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f"## {title}\n答案均摘自计划原文，并标注出处；计划没有写的，助手会直说。")
        session = Session(cites=gr.State([]),
                          turns=gr.State([]),      # this browser's conversation: [{"question", "answer"}]
                          answers=gr.State([]),    # per chat message: None, or what a vote on that reply records
                          voted=gr.State(None))    # the last vote, {"index", "vote"}: a comment joins it
        with gr.Tabs() as tabs:
            chat, com, browse = chat_tab(cb.settings), commitments_tab(cb), browse_tab(cb.doc)
        wire(demo, cb, session, tabs, chat, com, browse)
    return demo


def parse_args(argv: list | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=TITLE.format(title="国民经济和社会发展计划"))
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--log-questions", action="store_true",
                   help="log each question to stderr (off by default: a question is stored only with a "
                        "👍/👎 on its answer, in settings.feedback_dir)")
    return p.parse_args(argv)


def main() -> None:
    args = parse_args()
    assistant = serving_assistant()
    demo = build(assistant, log_questions=args.log_questions)
    demo.queue(default_concurrency_limit=assistant.settings.concurrency, max_size=256)
    demo.launch(server_name=args.host, server_port=args.port, share=False, theme=THEME, css=CSS,
                footer_links=["api"], show_error=False)


if __name__ == "__main__":
    main()
