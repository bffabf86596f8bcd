"""Gradio app over the qa package: UI only. `python app.py [--host 127.0.0.1] [--port 7860]`."""
from __future__ import annotations

import argparse
import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # before gradio is imported
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("NO_PROXY", "no_proxy"):                         # loopback must never go through a proxy
    os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

import gradio as gr  # noqa: E402

from qa.assistant import EMPTY_QUESTION, Assistant  # noqa: E402

TITLE = "漯河市2024年国民经济和社会发展计划 · 问答助手"
EXAMPLES = ["今年要新建多少个公共充电桩？", "我家娃不到3岁，今年托位能多多少？",
            "2024年全市生产总值预期增长多少？", "去年全市生产总值增长了多少？"]


def sources_html(result: dict) -> str:
    """The citations as escaped HTML, the answer span marked."""
    parts = []
    for c in result["citations"]:
        text = c["text"]
        if "highlight" in c:
            a, b = c["highlight"][0] - c["start"], c["highlight"][1] - c["start"]
            body = html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>" + html.escape(text[b:])
        else:
            body = html.escape(text)
        parts.append(f'<div class="source" id="source-{c["rank"]}"><b>[{c["rank"]}] {html.escape(c["section"])}</b>'
                     f'<p>{body}</p></div>')
    return "".join(parts) or "<p>暂无出处。</p>"


def build(assistant: Assistant) -> gr.Blocks:
    def ask_api(question: str) -> dict:
        """Answer JSON of the contract for one question."""
        try:
            return assistant.ask(question).to_json()
        except ValueError as exc:
            return {"question": question, "error": str(exc)}

    def chat(question: str, history: list):
        history = list(history or [])
        result = ask_api(question)
        if "error" in result:
            reply, sources = result["error"], ""
        else:
            marks = "".join(f"[{c['rank']}]" for c in result["citations"][:1]) if not result["abstained"] else ""
            reply, sources = result["answer"] + marks, sources_html(result)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
        return history, sources, ""

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}")
        chatbot = gr.Chatbot(label="问答", render_markdown=False, height=420)
        box = gr.Textbox(label="你的问题", placeholder=EMPTY_QUESTION)
        sources = gr.HTML(label="出处")
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(chat, [box, chatbot], [chatbot, sources, box], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return demo


def main() -> None:
    p = argparse.ArgumentParser(description=TITLE)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    args = p.parse_args()
    demo = build(Assistant())
    demo.queue(default_concurrency_limit=8).launch(server_name=args.host, server_port=args.port, share=False)


if __name__ == "__main__":
    main()
