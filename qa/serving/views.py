"""HTML and text views of answers, sources and the plan for the app (app.py); no gradio import.
Everything taken from a question or the plan is HTML-escaped; answers span-mark the plan's text."""
from __future__ import annotations

import html
import re

from ..answering.overview import parts_text, points_text
from ..plan.outcomes import VERDICTS

ABSTAINED_NOTE = "（计划中没有直接回答，以下是最相关的段落）"
COMMITMENT_COLUMNS = ["类型", "章节", "事项", "数值", "单位", "限定", "原文", "后一年计划报告的结果", "是否完成"]
LABEL_WORDS = 14                    # a source's label ends with up to this many of its first words
# A citation marker while the reply is escaped: private-use characters no plan or question holds.
MARK, MARK_RE = "\ue000{}\ue001", re.compile("\ue000(\\d+)\ue001")
FIRST_WORDS = re.compile(r"[^，。；：,.;:！？!?、]+")


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


def reply_text(result: dict, mark: str = "[{}]") -> str:
    """What the chat shows: the reading of a follow-up, then the answer with its citation markers
    (`mark` formatted with the citation's number; one per point or part)."""
    head = f"按“{result['resolved_question']}”理解\n" if result.get("resolved_question") else ""
    if result.get("points"):
        points = result["points"]
        body = points_text([p["text"] for p in points], [mark.format(p["citation"]) for p in points])
    elif result.get("parts"):
        parts = result["parts"]
        body = parts_text([(p["question"], p["answer"]) for p in parts],
                          [mark.format(p["citation"]) if p["citation"] else "" for p in parts])
    else:
        body = result["answer"] + ("" if result["abstained"] else mark.format(1))
    return head + body


def reply_html(result: dict, docs: dict, k: int) -> str:
    """The chat message of answer number `k` (unique in the conversation): the reply escaped, each
    [n] a link to source n of this answer, then its sources, collapsible (`docs`: plan id -> plan)."""
    text = html.escape(reply_text(result, MARK))
    text = MARK_RE.sub(lambda m: f'<a class="cite" href="#s{k}-{m.group(1)}">[{m.group(1)}]</a>', text)
    return f'<div class="reply">{text}</div>' + sources_html(result, docs, k)


def first_words(text: str) -> str:
    m = FIRST_WORDS.search(text)
    words = m.group() if m else text
    return words[:LABEL_WORDS] + ("…" if len(words) > LABEL_WORDS else "")


def source_label(cite: dict, doc) -> str:
    """Section › subsection › the first words of the cited span (of the passage without one): a
    top-level section alone is named with its title, and the words repeat no part of the path."""
    path = cite["section"]
    top = next((s for s in doc.sections if s.path_str == path and s.level == 1), None)
    if top is not None:
        path = f"{path}、{top.title}"
    h = cite.get("highlight")
    words = first_words(cite["text"][h[0] - cite["start"]:] if h else cite["text"])
    return path if not words or path.endswith(words) else f"{path} › {words}"


def sources_html(result: dict, docs: dict, k: int) -> str:
    """The sources of answer `k`, open, under a summary that folds them: each citation's number,
    plan (when several are served), label, passage (answer span marked), its paragraph on demand,
    and a link that opens it in 浏览计划 (the page's script sends the link's id, open-k-n, to the
    server)."""
    if not result.get("citations"):
        return ""
    cites = result["citations"]
    parts = [f"<p>{ABSTAINED_NOTE}</p>"] if result["abstained"] else []
    for c in cites:
        doc = docs[c["plan"]] if c.get("plan") in docs else next(iter(docs.values()))
        para = doc.paragraph_at(c["start"])
        paragraph = doc.clean[para.start:para.end]
        parts.append(
            f'<div class="source" id="s{k}-{c["rank"]}">'
            + (f'<div class="plan-name">{html.escape(c["plan_title"])}</div>' if c.get("plan_title") and len(docs) > 1 else "") +
            f'<div class="path">[{c["rank"]}] {html.escape(source_label(c, doc))}</div>'
            f'<p class="passage">{marked(c["text"], c["start"], c.get("highlight"), c.get("highlights", []))}</p>'
            f'<details><summary>展开所在段落</summary><p>{marked(paragraph, para.start, [c["start"], c["end"]])}'
            f'</p></details><a class="open-plan" id="open-{k}-{c["rank"]}" href="#s{k}-{c["rank"]}">在计划中查看 ›</a>'
            f"</div>")
    return (f'<details class="sources" open><summary>出处（{len(cites)} 条）</summary>'
            + "".join(parts) + "</details>")


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


def commitment_rows(records: list, outcomes: dict | None = None) -> list:
    """The 目标清单 table; a target whose year a later plan reviews shows the outcome it reports
    (`outcomes`: commitment id -> qa.plan.outcomes.Row) and the verdict."""
    return [["目标" if r.kind == "target" else "结果", r.section, r.subject, r.value, r.unit,
             r.qualifier, r.sentence, *outcome_cells((outcomes or {}).get(r.id))] for r in records]


def outcome_cells(row) -> list:
    if row is None:
        return ["", ""]
    o = row.outcome
    return [f"{o.value}{o.unit}：{o.sentence}" if o else "", VERDICTS[row.verdict]]
