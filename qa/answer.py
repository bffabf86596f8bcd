"""Extractive answers: pick the span of the retrieved passages that answers the question,
cite the passages, or abstain when the plan does not answer.

Nothing here writes new text about the plan: an answer is a span of its first citation (or,
when the plan names the topic without the asked figure, that span quoted in one fixed
frame), so every number in it occurs verbatim in a cited passage.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .chunking import CLAUSE_RE, Span, clauses, sentence_windows, span_table  # noqa: F401  (clauses: public)
from .text import bigram_set, bigram_tokens, normalize, numbers, search_form

ABSTAIN = "抱歉，这份计划中没有找到这个问题的答案。"     # no digits: nothing to verify
NO_FIGURE = "计划提出“{span}”，但未给出具体数字。"
FIGURE_Q = re.compile(r"多少|(?<!哪)几[个家所条项座万亿千百十]|几成|比例|百分|第几|排名|排老几|多大|多长|多高|多快|幅度|增速|涨了?多|"
                      r"增长了?多|占比|比重|达到多|面积|规模")
FIGURE_RE = re.compile(r"\d|第[一二三四五六七八九十]|[一二两三四五六七八九十百千万]+(?:个|大|项|家|条|类|批|番|倍|所|座|成|届)")
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
OTHER_PERIOD = re.compile(r"明年|后年|前年|十五五|十三五|远景")
COVERED_YEARS = {"2023", "2024"}
ASKED_CLAUSE_RE = re.compile(r"[^,，。;；!！?？]*[?？]")
WH_RE = re.compile(r"什么|啥|哪|几|怎么|咋|如何|多少")
YEAR_RESULT = re.compile(r"去年|2023|实际|完成了|执行情况|上一年|已经")
YEAR_TARGET = re.compile(r"今年|2024|目标|计划|预期|将要|要")
UNITS = ("公里", "千米", "万人", "亿元", "万元", "亿斤", "万亩", "万吨", "场次", "个百分点", "人次",
         "个", "家", "所", "条", "人", "元", "亩", "场", "座", "套", "户", "项", "张", "台", "辆", "处", "名",
         "吨", "%", "位")
OTHER_PLACES = ("郑州", "许昌", "洛阳", "开封", "周口", "驻马店", "平顶山", "信阳", "南阳", "商丘", "新乡",
                "焦作", "安阳", "鹤壁", "濮阳", "三门峡", "济源", "北京", "上海", "广州", "深圳", "武汉")
ASKED_UNIT_RE = re.compile(r"(?<!哪)(?:多少|几)(?P<unit>亿美元|亿元|万元|元|钱|公里|千米|万亩|亩|万人|人次|人|家|所|条|座|项|张|台|"
                           r"辆|处|名|万吨|吨|万头|头|亿斤|斤|场次|场|户|套|栋|块|天|个|倍|万)")
MONEY = r"(?:补贴|奖励|奖金|经费|资金|工资|费用|预算)"
MONEY_Q = re.compile(r"多少[\u4e00-\u9fff]{0,2}" + MONEY + "|" + MONEY + r"(?:有|是|能有|能拿)?多少(?![个家项所条人])")   # 能拿多少补贴 asks 元
POINTS_Q = re.compile(r"(?:几|多少)个?(?:百分)?点")
RATIO_Q = re.compile(r"比重|比例|占比|百分之|百分比")
RANK_Q = re.compile(r"排老几|排第几|第几名|第几位|排名第几|排在第几|排几")
WHEN_Q = re.compile(r"什么时候|啥时候|哪天|何时|能用上|什么程度|啥程度|进度|能开工|能建成|能通车|开班")
TIME_RE = re.compile(r"年底|年内|上半年|下半年|秋季|春季|月底|建成|完成|开工|交付|投用|通车|\d%")
LIST_Q = re.compile(r"哪些|哪几|哪[两三四五六七八九十]|有啥|分别是")
DATE_Q = re.compile(r"哪天|哪一天|几月几[号日]|几号|什么日子|几月份?|哪个月")
YEARS_Q = re.compile(r"哪一?年|几几年|什么年份")
STOCK_Q = re.compile(r"总数|总量|累计|总投资|总额|余额")
STOCK_RE = re.compile(r"总|累计|达到|余额|保持在")
EXPLICIT_TARGET = re.compile(r"今年|2024|预期|预计")
LIST_ITEM_BONUS = 0.05    # per extra 、-separated item, up to 5 items (swept 0.03, 0.05, 0.08 on dev)
WH_HEAD_RE = re.compile(r"(?:什么|啥|哪个|哪种|哪类|何种)([\u4e00-\u9fff]{2})")
WH_HEAD_BONUS = 0.15      # swept 0.1, 0.2, 0.3 on dev
WH_VAGUE = {"时候", "样子", "意思", "程度", "地方", "情况", "内容", "东西", "要求", "事情", "办法", "措施"}
NOVEL_ENOUGH = 4          # new bigrams that make a span more than a restatement
NAME_RE = re.compile(r"\d+-\d+|[a-z]+\d*(?:\.\d+)?")
SPAN_COS_CENTER = 0.8     # e5 cosines of related short texts sit around here
STOP_CHARS = set("今年去明多少几个的了吗呢啥咋么是有要能在和与及等这那什怎哪市全我们咱你他她它一上下到得会还漯河"
                 "新建设实施推进完成开展提升加强快增长高发确保力争达持续"
                 "就都也又很将把被让给对从向为以之其或如果目标计划预期实际大概具体一共总共到底请问")


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    hits: list = field(default_factory=list, repr=False)   # the ranking behind it (not serialised)
    notice: str = ""          # e.g. that the question was cut to max_question_chars

    def to_json(self) -> dict:
        out = {"question": self.question, "answer": self.answer, "abstained": self.abstained,
               "citations": self.citations, "timings_ms": self.timings_ms}
        if self.notice:
            out["notice"] = self.notice
        return out


class Selector:
    """Scores spans against a question: IDF-weighted character bigrams, and (when the span vectors
    and the question's vector are at hand) the cosine between them."""

    def __init__(self, chunks: list, span_vectors=None):
        df = Counter()
        for c in chunks:
            df.update(bigram_set(c.search_text))
        n = max(len(chunks), 1)
        self.idf = {tok: math.log(1 + n / c) for tok, c in df.items()}
        self.default_idf = math.log(1 + n)
        self.span_vectors = span_vectors
        self.span_rows = {(cid, w.start, w.end): i for i, (cid, w) in enumerate(span_table(chunks))}

    def cosine(self, chunk_id: str, span: Span, qvec) -> float | None:
        if qvec is None or self.span_vectors is None:
            return None
        row = self.span_rows.get((chunk_id, span.start, span.end))
        return None if row is None else float(self.span_vectors[row] @ qvec)

    def knows_any(self, q: "Query") -> bool:
        """Does the plan use any content word of the question: a CJK bigram that is not two
        question/function characters, a latin token (gdp, the g of 5g), or a name such as 7-11?
        Bare numbers do not count."""
        words = [t for t in q.tokens if t[0].isascii() and t[0].isalpha()
                 or len(t) == 2 and "\u4e00" <= t[0] <= "\u9fff" and not (t[0] in STOP_CHARS and t[1] in STOP_CHARS)]
        return (any(t in self.idf for t in words)
                or any(all(t in self.idf for t in bigram_tokens(n)) for n in NAME_RE.findall(q.text)))

    def weight(self, tokens: set) -> float:
        return sum(self.idf.get(t, self.default_idf) for t in tokens)

    def overlap(self, q_tokens: set, tokens: set) -> float:
        """IDF share of the question's tokens found among `tokens`."""
        total = self.weight(q_tokens)
        return self.weight(q_tokens & tokens) / total if total else 0.0



def year_scope(question: str) -> str | None:
    """'result' (2023 figures, section 一), 'target' (2024, sections 二/三), 'other' (not covered)."""
    q = normalize(question)
    years = set(YEAR_RE.findall(q))
    if OTHER_PERIOD.search(q) or (years and not years & COVERED_YEARS):
        return "other"
    # A question may name both years ("去年涨了5.4%，今年预期多少？" or "今年定的多少？去年是7%。"):
    # a clause that ends in ？ and names a year decides; otherwise the later cue is the asked one.
    asked = [c for c in ASKED_CLAUSE_RE.findall(q) if YEAR_RESULT.search(c) or EXPLICIT_TARGET.search(c)]
    asked = [c for c in asked if FIGURE_Q.search(c) or WH_RE.search(c)] or asked   # WH_RE's 几 covers 排第几
    if asked:
        q = asked[-1]
    last_result = max((m.start() for m in YEAR_RESULT.finditer(q)), default=-1)
    last_target = max((m.start() for m in EXPLICIT_TARGET.finditer(q)), default=-1)
    if last_result > last_target:
        return "result"
    if last_target >= 0 or YEAR_TARGET.search(q):
        return "target"
    return None


@dataclass(frozen=True)
class Query:
    text: str
    tokens: set
    wants_figure: bool
    units: tuple
    scope: str | None
    asked_unit: str | None      # the unit of the asked figure (多少个 -> 个, 排第几 -> 第), if named
    when: bool                  # asks when / how far along
    enumeration: bool           # asks which ones
    wh_head: str | None = None  # the noun after 什么/哪种… (什么规划 -> 规划), unless vague (什么时候)

    @classmethod
    def parse(cls, question: str, synonyms: bool = True) -> "Query":
        text = search_form(question, synonyms)
        units = tuple(u for u in UNITS if u in text and u != "%")
        m = ASKED_UNIT_RE.search(text)
        if RANK_Q.search(text):
            unit = "第"
        elif POINTS_Q.search(text):
            unit = "点"
        elif DATE_Q.search(text):
            unit = "日"
        elif YEARS_Q.search(text):
            unit = "年"
        elif m:
            unit = "元" if m["unit"] == "钱" else m["unit"]
        elif MONEY_Q.search(text):
            unit = "元"
        else:
            unit = "%" if RATIO_Q.search(text) else None
        head = WH_HEAD_RE.search(text)
        return cls(text, set(bigram_tokens(text)), bool(FIGURE_Q.search(text)) or unit is not None,
                   units, year_scope(question), unit, bool(WHEN_Q.search(text)), bool(LIST_Q.search(text)),
                   head[1] if head and head[1] not in WH_VAGUE else None)


def has_figure(text: str, unit: str | None) -> bool:
    """A figure in `text`, in the asked unit when there is one (digits or Chinese numerals)."""
    if unit is None:
        return bool(FIGURE_RE.search(text))
    if unit == "第":
        return bool(re.search(r"第[\d一二三四五六七八九十]", text))
    if unit == "点":                 # 几个点: a percentage, or percentage points
        return bool(re.search(r"\d(?:\.\d+)?(?:%|个百分点)", text))
    if unit == "日":
        return bool(re.search(r"\d+月(?:\d+日)?", text))
    if unit == "年":
        return bool(re.search(r"(?:19|20)\d\d年", text))
    return bool(re.search(r"(?:\d|[一二两三四五六七八九十百千])(?:\.\d+)?[万亿]?" + re.escape(unit), text))


def figure_overlap(sel: Selector, q: Query, span: Span) -> float:
    """How much the clause that carries the asked figure is about the asked thing."""
    clauses_with_figure = [c for c in CLAUSE_RE.findall(span.text) if has_figure(c, q.asked_unit)]
    return max((sel.overlap(q.tokens, bigram_set(c)) for c in clauses_with_figure), default=0.0)


def figure_about_question(q: Query, span: Span) -> bool:
    """Does a clause carrying the asked figure share a content character with the question?
    Characters, not bigrams, so that 厕所 still meets 户厕; question words and units do not count."""
    content = {ch for ch in q.text if "\u4e00" <= ch <= "\u9fff" and ch not in STOP_CHARS}
    content -= set(q.asked_unit or "")
    names = set(NAME_RE.findall(q.text))             # 7-11, 5g, pm2.5: names written in digits/latin
    return any(content & set(c) or names & set(NAME_RE.findall(c.lower()))
               for c in CLAUSE_RE.findall(span.text) if has_figure(c, q.asked_unit))


def span_score(sel: Selector, q: Query, hit, span: Span, ctx: float) -> float:
    toks = bigram_set(span.text)
    score = sel.overlap(q.tokens, toks) + 0.35 * ctx + 0.25 / hit.rank
    if not q.wants_figure:   # a span that only restates the question answers nothing (a figure is new)
        score += 0.25 * min(len(toks - q.tokens), NOVEL_ENOUGH) / NOVEL_ENOUGH
    score -= 0.002 * len(span.text)
    if span.start == hit.chunk.start and hit.chunk.path and span.text.rstrip("。") == hit.chunk.path[-1]:
        score -= 0.4                      # the paragraph's lead restates the topic, it answers nothing
    if q.wants_figure:
        score += 0.3 if has_figure(span.text, q.asked_unit) else (0.1 if has_figure(span.text, None) else -0.2)
        score += 0.2 * sum(1 for u in q.units if re.search(r"\d" + re.escape(u), span.text))
        score += 0.4 * figure_overlap(sel, q, span)
    if q.when and TIME_RE.search(span.text):
        score += 0.25
    if q.enumeration and "、" in span.text:   # a list answer names things; more of them, more a list
        score += 0.15 + LIST_ITEM_BONUS * (min(span.text.count("、"), 4) - 1)
    if q.wh_head and q.wh_head in span.text:  # 要编一个什么规划 -> a span that names a 规划
        score += WH_HEAD_BONUS
    section = hit.chunk.path[0] if hit.chunk.path else ""
    if q.scope == "result":
        score += 0.3 if section == "一" else -0.2
    elif q.scope == "target":
        score += 0.15 if section in ("二", "三") else -0.3
    return score


def answers_figure(q: Query, span: Span) -> bool:
    """For a figure question: the span ends in a clause that gives the asked figure about the
    asked thing (so no unrelated clause trails the figure), and a figure the question does not
    already state ("新增580个以后总共多少个？" is not answered by 580)."""
    last = CLAUSE_RE.findall(span.text)[-1]
    stated = set(numbers(q.text))
    new_figure = not stated or bool(set(numbers(last)) - stated)
    return new_figure and has_figure(last, q.asked_unit) and figure_about_question(q, Span(0, len(last), last))


def select(sel: Selector, q: Query, hits: list, qvec=None, rank_weight: float = 0.0,
           judge_weight: float = 0.0) -> tuple:
    """The best span across the hits: (hit, span, score). Spans are ranked by span_score plus
    rank_weight x the span's cosine to the question; the score returned, which abstention judges,
    weighs that cosine by judge_weight instead. Ranking leans on meaning (colloquial questions share
    few words with the plan), while a high cosine alone must not carry an off-topic question past
    the abstention floor. For a figure question only spans that answer with a figure compete,
    unless none does (then abstention will say so)."""
    scored = []
    for hit in hits:
        ctx = sel.overlap(q.tokens, bigram_set(hit.chunk.context))
        for span in sentence_windows(hit.chunk.text, hit.chunk.start):
            score = span_score(sel, q, hit, span, ctx)
            cos = sel.cosine(hit.chunk.id, span, qvec)
            shift = 0.0 if cos is None else cos - SPAN_COS_CENTER
            scored.append((hit, span, score + judge_weight * shift, score + rank_weight * shift))
    if q.wants_figure and any(answers_figure(q, t[1]) for t in scored):
        scored = [t for t in scored if answers_figure(q, t[1])]
    return max(scored, key=lambda t: t[3], default=(None, None, -math.inf, None))[:3]


def citation(hit, rank: int, highlight: Span | None = None) -> dict:
    c = hit.chunk
    out = {"rank": rank, "chunk_id": c.id, "doc": c.doc, "section": c.section, "text": c.text,
           "start": c.start, "end": c.end, "score": round(hit.dense if hit.dense is not None else hit.score, 4)}
    if highlight is not None:
        out["highlight"] = [highlight.start, highlight.end]
    return out


def abstain_reason(sel: Selector, q: Query, question: str, hits: list, span: Span | None, score: float,
                   settings, cos: float | None = None) -> str | None:
    """Why the plan does not answer, or None. Order: cheapest and surest first."""
    if not hits or span is None:
        return "no passage"
    if q.scope == "other":
        return "year not covered"
    if not sel.knows_any(q):
        return "the plan uses none of the question's words"
    best_dense = max((h.dense for h in hits if h.dense is not None), default=None)
    if best_dense is not None and best_dense < settings.min_dense_score:
        return "weak similarity"
    if score < settings.min_span_score:
        return "no span matches the question well"
    if q.wants_figure and cos is not None and cos < settings.min_figure_cosine:
        return "the figure's clause is not about the question"
    places = [p for p in OTHER_PLACES if p in question]
    if places and "漯河" not in question and not any(p in span.text for p in places):
        return "another city"
    if q.wants_figure and not has_figure(span.text, q.asked_unit):
        return "no figure"
    if q.wants_figure and not figure_about_question(q, span):
        return "the figure is about something else"
    if STOCK_Q.search(q.text) and not STOCK_RE.search(span.text):
        return "asks a total, the plan gives a flow"
    section = span_section(hits, span)
    if q.wants_figure and q.scope == "result" and section != "一" and "2023" not in span.text:
        return "figure is not a 2023 result"
    if q.wants_figure and EXPLICIT_TARGET.search(q.text) and q.scope != "result" and section == "一":
        return "figure is not a 2024 target"
    return None


def span_section(hits: list, span: Span) -> str:
    hit = next(h for h in hits if h.chunk.start <= span.start < h.chunk.end)
    return hit.chunk.path[0] if hit.chunk.path else ""


def answer(sel: Selector, question: str, hits: list, settings, qvec=None, max_citations: int = 3) -> Answer:
    q = Query.parse(question, settings.use_synonyms)
    hit, span, score = (select(sel, q, hits, qvec, settings.span_dense_weight, settings.abstain_cos_weight)
                        if hits else (None, None, 0.0))
    cos = sel.cosine(hit.chunk.id, span, qvec) if hit is not None else None
    reason = abstain_reason(sel, q, question, hits, span, score, settings, cos)
    if reason is None:
        return Answer(question, span.text, False, cited(hit, span, hits, max_citations))
    if reason == "no figure" and not has_figure(span.text, None):   # topic there, no figure: say so
        return Answer(question, NO_FIGURE.format(span=span.text.rstrip("。")), True,
                      cited(hit, span, hits, max_citations))
    return Answer(question, ABSTAIN, True, [citation(h, i) for i, h in enumerate(hits[:max_citations], start=1)])


def cited(hit, span: Span, hits: list, n: int) -> list:
    """The answer's passage first, its span highlighted, then the other hits in rank order."""
    others = [h for h in hits if h is not hit][:n - 1]
    return [citation(hit, 1, span)] + [citation(h, i) for i, h in enumerate(others, start=2)]
