"""Gradio app over the qa package: UI only (layout and event wiring; the handlers are
qa.serving.callbacks, the HTML and text they show qa.serving.views). `python app.py [--host
127.0.0.1] [--port 7860]`.

Every plan of the corpus is served (qa.library): the 问答 tab's plan selector picks one, or 全部 (the
default) lets each question go to the plan that speaks for it. Tabs: 问答 (the chat, one column on
every screen: each answer's [n] link to its own sources, folded under it, each of which opens in
浏览计划), 目标清单 (the default plan's quantitative commitments, filterable, as CSV, each row opening
its sentence, each target beside the outcome a later plan reports), 浏览计划 (a plan's section tree).
The page is served by uvicorn under the JSON API (qa.serving.api: POST /api/ask, GET /api/health,
/docs); `/ask` is also a named Gradio endpoint returning the answer JSON of the contract.
A 👍/👎 on an answer, and an optional comment on it, is kept by qa.serving.feedback (no IP, no session).
Everything shown from a question or the plan is HTML-escaped; nothing is fetched from the internet.
"""
from __future__ import annotations

import argparse
import os
from collections import namedtuple

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # before gradio is imported
# Before numpy is imported: under load, numpy's BLAS threads fought the encoder's for the 2 cores
# (20 threads x 10 questions in one process: 29 -> 38 questions/s; HISTORY step 29).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("NO_PROXY", "no_proxy"):                         # loopback must never go through a proxy
    os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402

from qa.library import Library  # noqa: E402
from qa.serving import api, page  # noqa: E402
from qa.serving.callbacks import ALL, Callbacks, section_labels  # noqa: E402
from qa.serving.server import serving_library  # noqa: E402
from qa.serving.views import COMMITMENT_COLUMNS, commitment_rows, section_choices, section_html  # noqa: E402

TITLE = "{title} · 问答助手"
CITIZEN_EXAMPLES = ["我家娃不到3岁，今年托位能多多少？", "今年要新建多少个公共充电桩？", "乡村振兴今年有哪些举措？",
                    "我住的老小区今年会改造吗？全市改多少个？", "去年咱们市经济增长了多少？"]
OFFICIAL_EXAMPLES = ["今年全市生产总值预期增长多少？", "今年PM2.5年均浓度目标是多少？",
                     "今年城镇新增就业目标是多少？", "去年一般公共预算收入增速全省排第几？"]
CSS = """
#chatbot .icon-button-wrapper.top-panel {display: none !important;}  /* one clear: the 清空对话 button */
#chatbot .scroll-down-button-container {display: none !important;}  /* it floated over the answer */
.reply {white-space: pre-line;}
#chatbot [data-testid=user] {scroll-margin-top: 8px;}  /* the newest question is scrolled to the top */
a.cite {text-decoration: none; font-weight: 600;}
details.sources {margin-top: 8px;}
details.sources > summary {cursor: pointer; color: #475569;}
.source:target {background: #fef9c3;}
.source a.open-plan {font-size: 0.9em;}
.source {border-left: 3px solid #94a3b8; padding: 4px 10px; margin: 8px 0;}
.source mark, .plan mark {background: #fde68a; padding: 0 2px;}
.source .path, .plan .path {color: #475569; font-size: 0.9em;}
.source .plan-name {color: #64748b; font-size: 0.8em;}
.plan p {line-height: 1.8;}
"""
# Gradio's Chinese lacks these (they showed in English); the page is Chinese whatever the browser's language.
I18N = gr.I18n(**{"zh-CN": {"chatbot.copy_message": "复制", "chatbot.copied_message": "已复制", "common.complete": "完成"}})
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


# The components of each tab, and the per-browser state (the conversation, the votable replies and
# the citations each holds, the last vote), as the event wiring takes them.
ChatTab = namedtuple("ChatTab", "chatbot box plan ask_btn clear_btn comment send_btn note open_ref open_go")
CommitmentsTab = namedtuple("CommitmentsTab", "section keyword kind count table state csv")
BrowseTab = namedtuple("BrowseTab", "which tree plan")
Session = namedtuple("Session", "turns answers voted")


def plan_choices(library: Library, every: bool) -> list:
    """(label, value) of each plan, newest first; with 全部 first when `every`."""
    plans = [(a.profile.title, pid) for pid, a in reversed(library.plans.items())]
    return ([(f"{ALL}（按问题自动选择计划）", ALL)] if every else []) + plans


def chat_tab(settings, library: Library) -> ChatTab:
    """The 问答 tab, one column on every screen: the chat (each answer with its sources under it),
    the question, the feedback row, and the examples folded away."""
    with gr.Tab("问答", id="chat"):
        chatbot = gr.Chatbot(label="对话", show_label=False, render_markdown=False, height="62vh", autoscroll=False,
                             buttons=["copy"], feedback_options=("Like", "Dislike"), elem_id="chatbot")
        box = gr.Textbox(label="你的问题", placeholder="例如：今年要新建多少个公共充电桩？",
                         elem_id="question", max_length=2000)
        plan = gr.Dropdown(plan_choices(library, every=True), value=ALL, label="回答哪份计划",
                           elem_id="plan-pick", visible=len(library.plans) > 1)
        with gr.Row():
            ask_btn = gr.Button("提问", variant="primary", elem_id="ask")
            clear_btn = gr.Button("清空对话", elem_id="clear")
        with gr.Row():
            comment = gr.Textbox(label="补充意见（可选）", elem_id="feedback-comment", visible=False,
                                 max_length=settings.feedback_comment_chars, scale=4,
                                 placeholder="例如：答案不对，应是……")
            send_btn = gr.Button("提交意见", elem_id="feedback-send", visible=False, scale=1)
        note = gr.Markdown(elem_id="feedback-note")
        with gr.Accordion("示例问题", open=False, elem_id="examples"):
            gr.Examples(CITIZEN_EXAMPLES, inputs=box, label="市民常问")
            gr.Examples(OFFICIAL_EXAMPLES, inputs=box, label="核对目标")
        # A source's 在计划中查看 link sends its id here (qa.serving.page's script), then presses open.
        open_ref = gr.Textbox(visible="hidden", elem_id="open-ref")
        open_go = gr.Button(visible="hidden", elem_id="open-go")
    return ChatTab(chatbot, box, plan, ask_btn, clear_btn, comment, send_btn, note, open_ref, open_go)


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
        table = gr.Dataframe(commitment_rows(records, cb.outcomes), headers=COMMITMENT_COLUMNS, buttons=[],
                             interactive=False, wrap=True, elem_id="c-table", max_height=520,
                             column_widths=["6%", "11%", "14%", "7%", "5%", "6%", "31%", "14%", "6%"])
        state = gr.State(records)
        csv = gr.DownloadButton("下载 CSV", elem_id="c-csv")
    return CommitmentsTab(section, keyword, kind, count, table, state, csv)


def browse_tab(cb: Callbacks) -> BrowseTab:
    """The 浏览计划 tab: the plan (when there are several), its section tree and the chosen section's
    text (the default plan's first section at start)."""
    with gr.Tab("浏览计划", id="browse"):
        which = gr.Dropdown(plan_choices(cb.library, every=False), value=cb.doc.doc_id, label="计划",
                            elem_id="browse-plan", visible=len(cb.library.plans) > 1)
        choices = section_choices(cb.doc)
        tree = gr.Dropdown(choices, value=choices[0][1], label="章节", elem_id="tree")
        plan = gr.HTML(section_html(cb.doc, choices[0][1]), elem_id="plan")
    return BrowseTab(which, tree, plan)


def wire(demo: gr.Blocks, cb: Callbacks, s: Session, tabs: gr.Tabs, chat: ChatTab, com: CommitmentsTab,
         browse: BrowseTab) -> None:
    """Every event of the page, all private, and the named API endpoint /ask."""
    outputs = [chat.chatbot, chat.box, s.turns, s.answers]
    feedback_row = [chat.comment, chat.send_btn, chat.note]
    for event in (chat.box.submit, chat.ask_btn.click):
        event(cb.chat, [chat.box, chat.plan, chat.chatbot, s.turns, s.answers], outputs, api_visibility="private") \
            .then(None, js=page.SHOW_NEWEST_QUESTION)
    chat.clear_btn.click(cb.clear, None, outputs + [s.voted] + feedback_row, api_visibility="private")
    chat.chatbot.like(cb.vote, s.answers, [s.voted] + feedback_row, api_visibility="private")
    for event in (chat.send_btn.click, chat.comment.submit):
        event(cb.send_comment, [s.answers, s.voted, chat.comment], feedback_row, api_visibility="private")
    in_plan = [tabs, browse.which, browse.tree, browse.plan]
    chat.open_go.click(cb.open_source, [chat.open_ref, s.answers], in_plan, api_visibility="private")
    browse.which.input(cb.show_plan, browse.which, [browse.tree, browse.plan], api_visibility="private")
    browse.tree.input(lambda w, p: section_html(cb.doc_of(w), p), [browse.which, browse.tree], browse.plan,
                      api_visibility="private")
    filters, listed = [com.section, com.keyword, com.kind], [com.table, com.state, com.csv, com.count]
    for event in [f.change for f in filters] + [demo.load]:
        event(cb.filter_commitments, filters, listed, api_visibility="private")
    com.table.select(cb.open_commitment, com.state, in_plan, api_visibility="private")
    gr.api(cb.ask_api, api_name="ask")


def build(library: Library, log_questions: bool = False) -> gr.Blocks:
    cb = Callbacks(library, log_questions)
    title = TITLE.format(title=cb.profile.title)
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f"## {title}\n答案均摘自计划原文，并标注出处；计划没有写的，助手会直说。")
        session = Session(turns=gr.State([]),      # this browser's conversation: [{"question", "answer"}]
                          answers=gr.State([]),    # per chat message: None, or what a vote on that reply records
                          voted=gr.State(None))    # the last vote, {"index", "vote"}: a comment joins it
        with gr.Tabs() as tabs:
            chat, com, browse = chat_tab(cb.settings, library), commitments_tab(cb), browse_tab(cb)
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
    library = serving_library()
    demo = build(library, log_questions=args.log_questions)
    demo.queue(default_concurrency_limit=library.settings.concurrency, max_size=256)
    server = gr.mount_gradio_app(api.create(library), demo, path="/", server_name=args.host, server_port=args.port,
                                 theme=THEME, css=CSS, i18n=I18N, footer_links=["api"], show_error=False)
    server.add_middleware(page.WithScript)
    print(f"问答助手已启动：http://{args.host}:{args.port}/ （JSON API 文档：/docs）", flush=True)
    uvicorn.run(server, host=args.host, port=args.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5)          # open event streams of browsers do not hold the exit


if __name__ == "__main__":
    main()
