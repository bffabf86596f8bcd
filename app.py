"""Gradio app over the qa package: UI only. `python app.py [--host 127.0.0.1] [--port 7860]`.

Tabs: 问答 (chat with numbered citations and a sources panel), 目标清单 (every quantitative commitment,
filterable, as CSV, each row opening its sentence), 浏览计划 (the section tree; citations open here). `/ask` is a named API endpoint returning the answer JSON of the contract.
A 👍/👎 on an answer, and an optional comment on it, is kept by qa.feedback (no IP, no session).
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
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # before gradio is imported
# Before numpy is imported: under load, numpy's BLAS threads fought the encoder's for the 2 cores
# (20 threads x 10 questions in one process: 29 -> 38 questions/s; HISTORY step 29).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("NO_PROXY", "no_proxy"):                         # loopback must never go through a proxy
    os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

import gradio as gr  # noqa: E402

from qa.answering.overview import parts_text, points_text  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.files import write_atomic  # noqa: E402
from qa.plan import commitments  # noqa: E402
from qa.reading import dialogue  # noqa: E402
from qa.serving import feedback  # noqa: E402
from qa.serving.server import serving_assistant  # noqa: E402

TITLE = "漯河市2024年国民经济和社会发展计划 · 问答助手"
CITIZEN_EXAMPLES = ["我家娃不到3岁，今年托位能多多少？", "今年要新建多少个公共充电桩？", "乡村振兴今年有哪些举措？",
                    "我住的老小区今年会改造吗？全市改多少个？", "去年咱们市经济增长了多少？"]
OFFICIAL_EXAMPLES = ["2024年全市生产总值预期增长多少？", "2024年PM2.5年均浓度目标是多少？",
                     "今年城镇新增就业目标是多少？", "2023年一般公共预算收入增速全省排第几？"]
ABSTAINED_NOTE = "（计划中没有直接回答，以下是最相关的段落）"
FEEDBACK_FAILED = "反馈未能保存，请稍后再试。"
CSS = """
.source {border-left: 3px solid #94a3b8; padding: 4px 10px; margin: 8px 0;}
.source mark, .plan mark {background: #fde68a; padding: 0 2px;}
.source .path, .plan .path {color: #475569; font-size: 0.9em;}
.plan p {line-height: 1.8;}
"""
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def marked(text: str, offset: int, span: list | None, more: list = ()) -> str:
    """Escape `text` (which starts at `offset` in the clean text); wrap `span` (and the spans in
    `more`) in <mark>."""
    spans = sorted((max(a - offset, 0), min(b - offset, len(text))) for a, b in ([span] if span else []) + list(more))
    out, pos = [], 0
    for a, b in spans:
        if a >= b or a < pos:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    return "".join(out) + html.escape(text[pos:])


def reply_text(result: dict) -> str:
    """What the chat shows: the reading of a follow-up, then the answer with its citation markers
    (one per point or part)."""
    head = f"按“{result['resolved_question']}”理解\n" if result.get("resolved_question") else ""
    if result.get("points"):
        points = result["points"]
        body = points_text([p["text"] for p in points], [f"[{p['citation']}]" for p in points])
    elif result.get("parts"):
        parts = result["parts"]
        body = parts_text([(p["question"], p["answer"]) for p in parts],
                          [f"[{p['citation']}]" if p["citation"] else "" for p in parts])
    else:
        body = result["answer"] + ("" if result["abstained"] else "[1]")
    return head + body


def sources_html(result: dict, doc) -> str:
    """Each citation: number, section path, passage (answer span marked), its paragraph on demand."""
    if not result.get("citations"):
        return ""
    head = f"<p>{ABSTAINED_NOTE}</p>" if result["abstained"] else ""
    parts = []
    for c in result["citations"]:
        para = doc.paragraph_at(c["start"])
        paragraph = doc.clean[para.start:para.end]
        parts.append(
            f'<div class="source" id="source-{c["rank"]}">'
            f'<div class="path">[{c["rank"]}] {html.escape(c["section"])}</div>'
            f'<p class="passage">{marked(c["text"], c["start"], c.get("highlight"), c.get("highlights", []))}</p>'
            f'<details><summary>展开所在段落</summary><p>{marked(paragraph, para.start, [c["start"], c["end"]])}'
            f"</p></details></div>")
    return head + "".join(parts)


def section_choices(doc) -> list:
    return [("\u3000" * (s.level - 1) + s.path[-1] + ("、" if s.level == 1 else "") +
             (s.title if s.level < 3 else ""), s.path_str) for s in doc.sections]


def section_html(doc, path: str, span: list | None = None) -> str:
    """The text of one section, paragraph by paragraph, escaped; `span` marked."""
    section = next((s for s in doc.sections if s.path_str == path), None)
    if section is None:
        return "<p>请选择一个章节。</p>"
    paras = [p for p in doc.paragraphs if section.start <= p.start < section.end]
    body = "".join(f"<p>{marked(doc.clean[p.start:p.end], p.start, span)}</p>" for p in paras)
    return f'<div class="plan"><div class="path">{html.escape(path)}</div>{body}</div>'


def innermost_section(doc, offset: int) -> str:
    inside = [s for s in doc.sections if s.start <= offset < s.end]
    return max(inside, key=lambda s: s.level).path_str if inside else doc.sections[0].path_str


COMMITMENT_COLUMNS = ["编号", "类型", "章节", "事项", "数值", "单位", "限定", "原文"]
KINDS = {"全部": None, "2024年目标": "target", "2023年结果": "result"}
SECTIONS = ["全部", "一", "二", "(一)", "(二)", "(三)", "(四)", "(五)", "(六)", "(七)", "(八)", "(九)"]


def commitment_rows(records: list) -> list:
    return [[r.id, "目标" if r.kind == "target" else "结果", r.section, r.subject, r.value, r.unit,
             r.qualifier, r.sentence] for r in records]


def build(assistant: Assistant, log_questions: bool = False) -> gr.Blocks:
    doc, settings = assistant.doc, assistant.settings
    all_records = commitments.extract(doc)
    csv_dir = Path(tempfile.mkdtemp(prefix="qa-commitments-"))

    def ask_api(question: str, history: list | None = None) -> dict:
        """Answer JSON of the contract for one question, read after the conversation `history`
        ([{"question", "answer"}], oldest first; optional). An `error` key when the question is
        empty or the history has the wrong shape."""
        if log_questions:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} question: {question!r}", file=sys.stderr, flush=True)
        try:
            return assistant.ask(question, history=history).to_json()
        except ValueError as exc:
            return {"question": question, "error": str(exc)}

    def chat(question: str, shown: list, turns: list, answers: list):
        shown, turns = list(shown or []), list(turns or [])
        result = ask_api(question, turns)
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
        return (shown, sources_html(result, doc) if cites else "", "", cites,
                gr.update(choices=choices, value=choices[0] if choices else None, visible=bool(choices)),
                gr.update(visible=bool(choices)), turns, list(answers or []) + [None, answer])

    def clear():
        return ([], "", "", [], gr.update(choices=[], value=None, visible=False), gr.update(visible=False), [], [],
                None, gr.update(value="", visible=False), gr.update(visible=False), "")

    def save_feedback(answer: dict, vote: str | None, comment: str = "") -> bool:
        rec = feedback.record(answer["question"], answer["result"], vote, comment,
                              limit=settings.feedback_comment_chars, rid=answer["id"])
        try:
            feedback.append(settings, rec)
            return True
        except OSError as exc:
            print(f"feedback not saved: {exc}", file=sys.stderr, flush=True)
            return False

    def vote(answers: list, evt: gr.LikeData):
        """A 👍/👎 on reply `evt.index` (answers runs parallel to the chat's messages); clicking the
        same thumb again withdraws the vote (liked is then "")."""
        i = evt.index if isinstance(evt.index, int) else -1
        answer = answers[i] if 0 <= i < len(answers) else None
        hidden = gr.update(visible=False)
        if answer is None:
            return None, hidden, hidden, ""
        choice = ("up" if evt.liked else "down") if isinstance(evt.liked, bool) else None
        if not save_feedback(answer, choice):
            return None, hidden, hidden, FEEDBACK_FAILED
        if choice is None:
            return None, hidden, hidden, "已撤销评价。"
        return ({"index": i, "vote": choice}, gr.update(value="", visible=True), gr.update(visible=True),
                "已记录，谢谢反馈。可在下方补充意见。")

    def send_comment(answers: list, voted: dict | None, comment: str):
        """The comment joins the last vote: a new line with the same id, the vote and the comment."""
        if not voted or voted["index"] >= len(answers or []) or answers[voted["index"]] is None:
            return gr.update(), gr.update(), "请先对一条回答点 👍 或 👎。"
        if not feedback.clean(comment, settings.feedback_comment_chars):
            return gr.update(), gr.update(), "请先写下意见。"
        if not save_feedback(answers[voted["index"]], voted["vote"], comment):
            return gr.update(), gr.update(), FEEDBACK_FAILED
        return gr.update(value="", visible=False), gr.update(visible=False), "已记录，谢谢反馈。"

    def filter_commitments(section: str, keyword: str, kind: str):
        records = commitments.filter_records(all_records, topic=(keyword or "").strip() or None,
                                             section=None if section == "全部" else section, kind=KINDS[kind])
        path = csv_dir / "luohe_2024_commitments.csv"
        write_atomic(path, commitments.to_csv(records).encode("utf-8-sig"))   # BOM: Excel reads UTF-8
        return commitment_rows(records), records, str(path), f"共 {len(records)} 条"

    def open_commitment(records: list, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not records or row is None or row >= len(records):
            return gr.update(), gr.update(), gr.update()
        r = records[row]
        path = innermost_section(doc, r.start)
        return gr.Tabs(selected="browse"), gr.update(value=path), section_html(doc, path, [r.start, r.end])

    def open_citation(choice: str, cites: list):
        cite = next((c for c in cites if choice and choice.startswith(f"[{c['rank']}]")), None)
        if cite is None:
            return gr.update(), gr.update(), gr.update()
        path = innermost_section(doc, cite["start"])
        return gr.Tabs(selected="browse"), gr.update(value=path), section_html(doc, path, [cite["start"], cite["end"]])

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n答案均摘自计划原文，并标注出处；计划没有写的，助手会直说。")
        cites_state = gr.State([])
        turns_state = gr.State([])     # this browser's conversation: [{"question", "answer"}]
        answers_state = gr.State([])   # per chat message: None, or what a vote on that reply records
        voted_state = gr.State(None)   # the last vote, {"index", "vote"}: a comment joins it
        with gr.Tabs() as tabs:
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
            with gr.Tab("目标清单", id="commitments"):
                gr.Markdown("计划中的每一个量化目标（2024年）和2023年结果，均链接到原文。点击一行，在计划中打开。")
                with gr.Row():
                    c_section = gr.Dropdown(SECTIONS, value="全部", label="章节", elem_id="c-section")
                    c_keyword = gr.Textbox(label="关键词", placeholder="例如：养老、充电桩", elem_id="c-keyword")
                    c_kind = gr.Radio(list(KINDS), value="全部", label="类型", elem_id="c-kind")
                c_count = gr.Markdown(f"共 {len(all_records)} 条", elem_id="c-count")
                c_table = gr.Dataframe(commitment_rows(all_records), headers=COMMITMENT_COLUMNS,
                                       interactive=False, wrap=True, elem_id="c-table", max_height=520)
                c_state = gr.State(all_records)
                c_csv = gr.DownloadButton("下载 CSV", elem_id="c-csv")
            with gr.Tab("浏览计划", id="browse"):
                choices = section_choices(doc)
                tree = gr.Dropdown(choices, value=choices[0][1], label="章节", elem_id="tree")
                plan = gr.HTML(section_html(doc, choices[0][1]), elem_id="plan")
        outputs = [chatbot, sources, box, cites_state, pick, open_btn, turns_state, answers_state]
        box.submit(chat, [box, chatbot, turns_state, answers_state], outputs, api_visibility="private")
        ask_btn.click(chat, [box, chatbot, turns_state, answers_state], outputs, api_visibility="private")
        clear_btn.click(clear, None, outputs + [voted_state, comment, send_btn, note], api_visibility="private")
        chatbot.like(vote, answers_state, [voted_state, comment, send_btn, note], api_visibility="private")
        for event in (send_btn.click, comment.submit):
            event(send_comment, [answers_state, voted_state, comment], [comment, send_btn, note],
                  api_visibility="private")
        open_btn.click(open_citation, [pick, cites_state], [tabs, tree, plan], api_visibility="private")
        tree.input(lambda p: section_html(doc, p), tree, plan, api_visibility="private")
        filters = [c_section, c_keyword, c_kind]
        for f in filters:
            f.change(filter_commitments, filters, [c_table, c_state, c_csv, c_count], api_visibility="private")
        demo.load(filter_commitments, filters, [c_table, c_state, c_csv, c_count], api_visibility="private")
        c_table.select(open_commitment, c_state, [tabs, tree, plan], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return demo


def parse_args(argv: list | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=TITLE)
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
