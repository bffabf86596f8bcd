"""Load the plan page, derive its clean text, and parse its structure with character offsets.

The page as published keeps page chrome (a line of accessibility buttons, a trailing 打印此文)
and lost a few separators in the scrape. The clean text is:

    title, then every body paragraph, separated by blank lines,
    with the repairs of the plan's repairs.json applied, each exactly once.

Structure: top-level sections numbered 一、二、…, their (一)(二)… subsections, and the short lead
sentence that opens a paragraph of a subsection (a sentence of 2-24 characters with no comma). Every node carries [start, end) offsets into
the clean text, so `clean[start:end]` is always the node's own text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..files import write_atomic

CHROME_FIRST_LINE = "字体缩小"     # the accessibility button bar starts so
CHROME_LAST_LINE = "打印此文"
SOURCE_RE = re.compile(r"来源[:：]\s*(?P<source>\S+)\s+时间[:：]\s*(?P<date>\d{4}-\d{2}-\d{2})")
NUMERAL = r"[一二三四五六七八九十]+"
# 一、… or 第一部分 …(章, 篇): the label is the numeral; (一)… or （一）…: the label is "(一)".
SECTION_RE = re.compile(rf"^(?:(?P<num>{NUMERAL})、|第(?P<nth>{NUMERAL})(?:部分|章|篇)[\s:：、]*)(?P<title>.+)$")
SUBSECTION_RE = re.compile(rf"^[(（](?P<num>{NUMERAL})[)）](?P<title>[^。]+。?)")
LEAD_RE = re.compile(r"^(?P<lead>[^。,，;；:：]{2,24})。")   # a short sentence with no comma
PATH_SEP = " › "


@dataclass(frozen=True)
class Repair:
    id: str
    find: str
    replace: str
    why: str
    certain: bool


@dataclass(frozen=True)
class Section:
    """A node of the section tree: level 1 一、, level 2 (一), level 3 a paragraph's lead."""
    level: int
    label: str                 # "三", "(五)", "提升城市品质"
    title: str                 # heading text without its number
    path: tuple                # labels from the root, e.g. ("三", "(五)", "提升城市品质")
    start: int
    end: int

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.path)


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    path: tuple                # path of the innermost section holding it
    context: str               # headings above it, for search (never cited)


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    source: str
    date: str
    clean: str
    sections: tuple
    paragraphs: tuple

    def paragraph_at(self, offset: int) -> Paragraph:
        for p in self.paragraphs:
            if p.start <= offset < p.end:
                return p
        raise ValueError(f"offset {offset} lies in no paragraph")


def load_repairs(path: Path) -> list:
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Repair(r["id"], r["find"], r["replace"], r["why"], bool(r["certain"])) for r in items]


def apply_repairs(text: str, repairs: list) -> str:
    """Apply each certain repair exactly once; a `find` that is missing or ambiguous is an error."""
    for r in repairs:
        count = text.count(r.find)
        if count != 1:
            raise ValueError(f"repair {r.id}: {r.find!r} occurs {count} times, expected exactly once")
        if r.certain:
            text = text.replace(r.find, r.replace, 1)
    return text


def page_parts(page: str) -> tuple:
    """Split the page into (title, source, date, body paragraphs), dropping the chrome. A 来源/时间
    line after the title gives the source and date ("" when there is none)."""
    lines = [ln.strip() for ln in page.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(CHROME_FIRST_LINE) and ln != CHROME_LAST_LINE]
    if len(lines) < 2:
        raise ValueError("the page has no body: expected a title and paragraphs")
    title = lines[0]
    m = SOURCE_RE.search(lines[1])
    body = lines[2:] if m else lines[1:]
    if body and body[0] == title:       # the page repeats its title above the body
        body = body[1:]
    return title, m["source"] if m else "", m["date"] if m else "", body


def clean_text(page: str, repairs: list) -> str:
    title, _, _, body = page_parts(page)
    return apply_repairs("\n\n".join([title, *body]), repairs)


def parse(clean: str, title: str = "", source: str = "", date: str = "", doc_id: str = "") -> Document:
    """Build the section tree and paragraphs of a clean text (title first, blank-line separated)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", clean)]
    if not spans:
        raise ValueError("empty document")
    spans = spans[1:]                   # the first line is the title
    sections, paragraphs = [], []
    open_nodes: dict = {}               # level -> [label, title, start, end]

    def close(level: int):
        for lv in sorted([k for k in open_nodes if k >= level], reverse=True):
            label, ttl, start, end, path = open_nodes.pop(lv)
            sections.append(Section(lv, label, ttl, path, start, end))

    for start, end in spans:
        line = clean[start:end]
        if m := SECTION_RE.match(line):
            close(1)
            num = m["num"] or m["nth"]
            open_nodes[1] = [num, m["title"], start, end, (num,)]
        elif (m := SUBSECTION_RE.match(line)) and 1 in open_nodes:
            close(2)
            label = f"({m['num']})"
            open_nodes[2] = [label, m["title"].rstrip("。"), start, end, (open_nodes[1][0], label)]
        elif (m := LEAD_RE.match(line)) and 2 in open_nodes:
            close(3)
            parent = open_nodes[2][4]
            open_nodes[3] = [m["lead"], m["lead"], start, end, (*parent, m["lead"])]
        else:
            close(3)
        for node in open_nodes.values():
            node[3] = end
        innermost = open_nodes[max(open_nodes)] if open_nodes else None
        path = innermost[4] if innermost else ()
        context = " ".join(open_nodes[lv][1] for lv in sorted(open_nodes))
        paragraphs.append(Paragraph(start, end, path, context))
    close(1)
    sections.sort(key=lambda s: (s.start, s.level))
    return Document(doc_id, title, source, date, clean, tuple(sections), tuple(paragraphs))


def load(settings: Settings | None = None) -> Document:
    """Read the plan's page and repairs (settings.plan_dir), derive the clean text and parse it; the
    document's id is the plan folder's name."""
    settings = settings or Settings.from_env()
    if not settings.page_path.is_file():
        raise FileNotFoundError(f"corpus page not found: {settings.page_path}")
    page = settings.page_path.read_text(encoding="utf-8-sig")   # a BOM is no part of the title
    title, source, date, _ = page_parts(page)
    repairs = load_repairs(settings.repairs_path) if settings.repairs_path.is_file() else []
    return parse(clean_text(page, repairs), title, source, date, settings.plan_dir.name)


def write_clean(settings: Settings | None = None) -> Path:
    """Save the derived clean text beside the page (temp file, then rename)."""
    settings = settings or Settings.from_env()
    doc = load(settings)
    return write_atomic(settings.clean_path, doc.clean.encode("utf-8"))
