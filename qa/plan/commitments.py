"""Commitments tracker: every quantitative statement of the plan as a record with offsets.

A record is one figure: its value, unit, qualifier (以上/左右/达到…), a short subject, the
sentence holding it and [start, end) offsets into `Document.clean`. Its kind is "result" in the
section that reviews the year before (the profile's "review" role), else "target". Ids c001….

How a figure is read, in order (each span is used once):
  1. 分别 lists: `A、B、C分别增长7%、7.2%、7%` and `分别低于42.5、74微克/立方米` give one record per
     value, the subject taken from the matching 、-list before 分别 (a head noun written once
     after the last item, e.g. 年均浓度, is shared by every item).
  2. Rankings: `居全省第4、第5、第5位` (unit 位; subject = the ranked figure's subject + 全省排名)
     and `前120名` (unit 名, qualifier 前).
  3. 翻一番 (value and qualifier "翻一番", no unit).
  4. Chinese-numeral counts only with an explicit bound: `三级以内` (value "三", unit 级); bare ones
     (七大文旅提升项目, 十大战略, 两个试点) name programmes: plans write targets in Arabic digits.
  5. Arabic numbers followed by a known unit (UNITS) or %.

Decisions: what is NOT a figure.
  - Years and dates (2024年, 5月底) and ages (3岁以下): no unit from UNITS follows them.
  - Names and brands: 7-11 (digits joined by -), 3515 (brand), 107国道, 12345热线, 500强
    (no unit), 5G, PM2.5, PM10 (digits touching latin letters), “11+8”, “1+3+N” (digits
    touching +), ordinals 第二十一届 / 第N (a 第 before the digits; 第N位 is read as a ranking).
  - 全国168个重点城市: the reference set of a ranking, not a commitment (the ranking 前120名 is).
  - N条(硬/具体)措施/举措 (108条举措, 15条硬措施, 50条具体措施): titles of provincial and
    national policy packages that the city carries out, not counts it commits to.
  - 9个方面: the plan's own structure.
  - Money thresholds that define a set: 5000万元以上企业, 20万元以上的村 (the target is the
    count or share that follows them).
  - 70002万余名 (repairs.json r06, left unrepaired): two figures ran together in the scrape and
    the original cannot be read, so no record is made from it.

Subjects are short labels built by rule (the words before the figure in its clause, or after
it when only a verb precedes it); the sentence is always given for the full context.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from itertools import groupby

from .document import PATH_SEP, Document
from .profile import Profile

NUM = r"\d+(?:\.\d+)?"
# Longest first so 万平方米 wins over 平方米 and 场次 over 场.
UNITS = ("微克/立方米", "万平方米", "平方米", "个百分点", "万亿元", "亿元", "万元", "万人次", "人次",
         "万人", "万亩", "万吨", "亿斤", "套(间)", "场次", "公里", "%",
         "个", "家", "项", "条", "座", "户", "人", "处", "套", "栋", "所", "种", "名", "天", "支")
UNIT = "|".join(re.escape(u) for u in UNITS)
PRE_QUAL = r"达到|达|超过|超|不少于|低于|高于|保持在|控制在"
POST_QUAL = r"以上|以下|左右|以内"
QUAL_NAMES = {"达": "达到", "超": "超过"}
MONEY = ("万亿元", "亿元", "万元")
DELIMS = ",，、;；。:：\n"

FIGURE_RE = re.compile(rf"(?P<preq>{PRE_QUAL})?(?<![A-Za-z0-9.+\-第])(?P<value>{NUM})"
                       rf"(?![0-9.+\-A-Za-z])(?P<unit>{UNIT})(?P<postq>{POST_QUAL})?")
LIST_RE = re.compile(rf"分别(?P<verb>[^\d{DELIMS}]*?)(?P<vals>{NUM}(?:{UNIT})?(?:{POST_QUAL})?"
                     rf"(?:、{NUM}(?:{UNIT})?(?:{POST_QUAL})?)+)")
LIST_ITEM_RE = re.compile(rf"(?P<value>{NUM})(?P<unit>{UNIT})?(?P<postq>{POST_QUAL})?")
RANK_RE = re.compile(r"第\d+(?:、第\d+)*位")
TOP_RE = re.compile(r"前(?P<value>\d+)名")
DOUBLE_RE = re.compile(r"翻一番")
CN_BOUND_RE = re.compile(r"(?P<value>[一二三四五六七八九十两]+)(?P<unit>级|个|项|家|条)(?P<postq>以内|以上|左右)")
SENTENCE_RE = re.compile(r"[^。;；\n]+[。;；]?")

NOT_FIGURE_AFTER = re.compile(r"方面|(硬|具体)?措施|举措|重点城市")   # 9个方面, 108条举措, 168个重点城市
SHARED_TAILS = ("年均浓度", "企业年产值")
LEAD_FILLERS = re.compile(r"^(全年|确保|力争|全力|其中|同时|初步核算|实现|推动|持续|进一步|加快|抓好|建强|年底前|\d+月底?前|对)")
TRAIL_FILLERS = re.compile(r"(始终|稳定|持续|均|保持在|控制在|达到|达|超过|超|不少于|低于|高于|至|的|为)$")
BARE_VERBS = {"实施", "先期实施", "谋划实施", "完成", "开展", "抓好", "全力抓好", "统筹推进", "高质量推进", "建成"}


@dataclass(frozen=True)
class Commitment:
    id: str
    section: str
    subject: str
    value: str
    unit: str
    qualifier: str
    kind: str
    sentence: str
    start: int
    end: int
    value_start: int
    value_end: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Hit:
    """A figure found in a sentence, before its subject is resolved (offsets are sentence-relative)."""
    vs: int
    ve: int
    value: str
    unit: str
    qualifier: str
    how: str                     # plain | list | rank | top
    group: tuple                 # figures read by one rule match (a 分别 list, 第4、第5位) share it
    subject: str = ""            # preset for 分别 items; the others are resolved in text order
    head: str = ""               # what a ranking right after this figure ranks


def _qualifier(pre: str | None, post: str | None) -> str:
    return post or QUAL_NAMES.get(pre or "", pre or "")


def _strip_subject(text: str) -> str:
    """Drop leading fillers (确保, 全年…) and trailing bound words (达到, 的…) around a subject."""
    prev = None
    while prev != text:
        prev, text = text, LEAD_FILLERS.sub("", TRAIL_FILLERS.sub("", text.strip()))
    return text.strip()


def _pre_text(sent: str, pos: int) -> str:
    """Words before `pos` in its comma clause: the 、-item holding it, plus earlier 、-items
    without digits (口袋公园、街头游园12个 -> both)."""
    clause = re.split(r"[,，;；:：]", sent[:pos])[-1]
    items = clause.split("、")
    keep = [items.pop()]
    while items and not re.search(r"\d", items[-1]):
        keep.insert(0, items.pop())
    return "、".join(keep)


def _post_text(sent: str, pos: int) -> str:
    """Words after a figure up to the clause end, a digit or 分别 (实施22个…项目 -> …项目)."""
    words = re.match(r"[^\d,，;；。:：]*", sent[pos:]).group(0)
    if "分别" in words or re.match(r"\d", sent[pos + len(words):]):
        words = words.split("分别")[0].split("、")[0]  # the clause goes on to another figure
    return words[:30]


def _list_subjects(sent: str, at: int, n: int, verb: str) -> list:
    """Subjects of a 分别 list: the last clause before 分别 that holds a 、-list of n items."""
    clauses = re.split(r"[,，;；:：]", sent[:at])
    items = next((c.split("、") for c in reversed(clauses) if c.count("、") == n - 1), None)
    if not items:
        return [""] * n
    items = [_strip_subject(re.sub(rf"^{NUM}(?:{UNIT})", "", _strip_subject(i))) for i in items]
    items[-1] = items[-1].split("等")[0]
    tail = next((t for t in SHARED_TAILS if items[-1].endswith(t)), "")
    items = [i if i.endswith(tail) else i + tail for i in items]
    return [i + verb for i in items]


def _find_hits(sent: str) -> list:
    hits, used = [], []

    def add(m, span, *args):
        hits.append(_Hit(*args, group=(m.re.pattern, m.start())))
        used.append(span)

    for m in LIST_RE.finditer(sent):
        preq = re.search(rf"({PRE_QUAL})$", m["verb"])
        verb = TRAIL_FILLERS.sub("", m["verb"][:preq.start()] if preq else m["verb"])
        items = list(LIST_ITEM_RE.finditer(m["vals"]))
        subjects = _list_subjects(sent, m.start(), len(items), verb)
        for it, subject in zip(items, subjects):
            vs, ve = m.start("vals") + it.start("value"), m.start("vals") + it.end("value")
            add(m, (vs, ve), vs, ve, it["value"], it["unit"] or items[-1]["unit"] or "",
                _qualifier(preq and preq.group(1), it["postq"]), "list")
            hits[-1].subject = subject
    for m in RANK_RE.finditer(sent):                        # 居全省第4、第5、第5位
        for d in re.finditer(r"\d+", m.group(0)):
            vs, ve = m.start() + d.start(), m.start() + d.end()
            add(m, (vs, ve), vs, ve, d.group(0), "位", "", "rank")
    for m in TOP_RE.finditer(sent):                         # 前120名
        add(m, m.span("value"), *m.span("value"), m["value"], "名", "前", "top")
    for m in DOUBLE_RE.finditer(sent):                      # 翻一番
        add(m, m.span(), *m.span(), m.group(0), "", "翻一番", "plain")
    for m in CN_BOUND_RE.finditer(sent):                    # 三级以内
        add(m, m.span("value"), *m.span("value"), m["value"], m["unit"], m["postq"], "plain")
    for m in FIGURE_RE.finditer(sent):
        vs, ve = m.span("value")
        if any(vs < b and ve > a for a, b in used) or _not_a_figure(sent, m):
            continue
        add(m, (vs, ve), vs, ve, m["value"], m["unit"], _qualifier(m["preq"], m["postq"]), "plain")
    return sorted(hits, key=lambda h: h.vs)


def _not_a_figure(sent: str, m: re.Match) -> bool:
    after = sent[m.end():]
    if NOT_FIGURE_AFTER.match(after):
        return True                      # 9个方面, 108条举措, 168个重点城市
    return bool(m["unit"] in MONEY and m["postq"] and after[:1] not in DELIMS)  # 5000万元以上企业


def _resolve_subjects(sent: str, hits: list) -> None:
    """Fill in subjects group by group in text order; rankings rank the group before them."""
    prev_heads: list = []
    for _, group in groupby(hits, key=lambda h: h.group):
        group = list(group)
        if group[0].how in ("rank", "top"):
            _rank_subjects(sent, group, prev_heads)
        for h in group:
            if not h.subject:
                h.subject = h.head = _plain_subject(sent, h, prev_heads)
            h.head = h.head or h.subject
        prev_heads = [h.head for h in group]


def _plain_subject(sent: str, h: _Hit, prev_heads: list) -> str:
    pre = _strip_subject(re.sub(rf"({PRE_QUAL})$", "", _pre_text(sent, h.vs)))
    end = h.ve + len(h.unit)
    end += len(h.qualifier) if sent.startswith(h.qualifier, end) else 0
    post = _post_text(sent, end)
    subject = post if pre in BARE_VERBS or not pre else pre + post
    if not subject and prev_heads:           # 新增托位数1900个、达到9000个 -> 托位数 (total)
        subject = re.sub(r"^(新增|新建)", "", prev_heads[-1])
    return subject


def _rank_subjects(sent: str, group: list, prev_heads: list) -> None:
    """居全省第2位 -> <ranked figure's subject>全省排名; 排名跻身全国…前120名 -> 空气质量全国…排名."""
    first = group[0]
    start = sent.rfind("第", 0, first.vs) if first.how == "rank" else first.vs - 1
    m = re.match(r"^(?P<head>.*?)(均)?(居|跻身|进入)?(?P<scope>全省|全国.*)?$", _pre_text(sent, start))
    head, scope = _strip_subject(m["head"]).removesuffix("排名"), m["scope"] or ""
    for k, h in enumerate(group):
        if head:
            h.head = head
        elif len(prev_heads) == len(group):
            h.head = prev_heads[k]
        else:
            h.head = prev_heads[-1] if prev_heads else ""
        h.subject = f"{h.head}{scope}排名"


def extract(doc: Document, profile: Profile) -> list:
    """Every quantitative statement of the plan, in text order, ids c001…; a result in a section
    that reviews the year before, else a target (the plan's profile)."""
    found = []
    for para in doc.paragraphs:
        if not para.path:
            continue                         # the title
        kind = profile.kind(para.path[0])
        text = doc.clean[para.start:para.end]
        for s in SENTENCE_RE.finditer(text):
            sent = s.group(0)
            hits = _find_hits(sent)
            _resolve_subjects(sent, hits)
            base = para.start + s.start()
            for h in hits:
                found.append((base + h.vs, base + h.ve, h, kind, para.path, sent, base))
    found.sort(key=lambda f: f[0])
    return [Commitment(f"c{n:03d}", PATH_SEP.join(path), h.subject, h.value, h.unit, h.qualifier, kind,
                       sent, base, base + len(sent), vs, ve)
            for n, (vs, ve, h, kind, path, sent, base) in enumerate(found, 1)]


def filter_records(records, topic=None, section=None, kind=None) -> list:
    """Keep records whose subject mentions `topic` (or, when no subject does, whose sentence
    does), whose section path has the component `section` (e.g. "(九)", "（九）", "三"), and whose
    kind is `kind`; None means any."""
    if section is not None:
        section = section.strip().replace("（", "(").replace("）", ")")
    kept = [r for r in records if (section is None or section in r.section.split(PATH_SEP))
            and (kind is None or r.kind == kind)]
    if topic is None:
        return kept
    by_subject = [r for r in kept if topic in r.subject]
    return by_subject or [r for r in kept if topic in r.sentence]


CSV_FIELDS = tuple(f.name for f in fields(Commitment))


def to_csv(records) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.to_json() for r in records)
    return buf.getvalue()


KIND_NAMES = {"target": "目标", "result": "完成"}
TABLE_HEAD = ("编号", "类型", "章节", "数值", "限定", "事项")


def _width(text: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_table(records) -> str:
    """Aligned columns with Chinese headings; the subject comes last so it never needs padding."""
    rows = [TABLE_HEAD] + [(r.id, KIND_NAMES[r.kind], r.section, r.value + r.unit, r.qualifier, r.subject)
                           for r in records]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(TABLE_HEAD) - 1)]
    lines = ["  ".join([*(c + " " * (w - _width(c)) for c, w in zip(row, widths)), row[-1]]).rstrip()
             for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths) + "  ----", *lines[1:]])
