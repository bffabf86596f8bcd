"""The parsed question: search form (synonyms appended), year scope, asked unit, list/when cues,
parsed from the normalised text once (qa.reading.read). One `Query` flows to retrieval, answer
selection and citation."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .calendar import NO_CALENDAR, Calendar
from .lexicon import ASKED_UNITS, NAMED_UNITS, OTHER_PLACES, WH_WORDS
from .text import bigram_tokens, expand

FIGURE_Q = re.compile(r"多少|(?<!哪)几[个家所条项座万亿千百十]|几成|比例|百分|第几|排名|排老几|多大|多长|多高|多快|幅度|增速|涨了?多|"
                      r"增长了?多|占比|比重|达到多|面积|规模")
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
OTHER_PERIOD = re.compile(r"明年|后年|前年|十五五|十三五|远景")
ASKED_CLAUSE_RE = re.compile(r"[^,，。;；!！?？]*[?？]")
WH_RE = re.compile(WH_WORDS + "|几")
YEAR_RESULT = r"去年|{review}|实际|完成了|执行情况|上一年|已经"     # {review}, {target}: the plan's years
YEAR_TARGET = r"今年|{target}|目标|计划|预期|将要|要"
ASKED_UNIT_RE = re.compile(rf"(?<!哪)(?:多少|几)(?P<unit>{ASKED_UNITS})")
MONEY = r"(?:补贴|奖励|奖金|经费|资金|工资|费用|预算)"
MONEY_Q = re.compile(r"多少[\u4e00-\u9fff]{0,2}" + MONEY + "|" + MONEY + r"(?:有|是|能有|能拿)?多少(?![个家项所条人])")   # 能拿多少补贴 asks 元
POINTS_Q = re.compile(r"(?:几|多少)个?(?:百分)?点")
RATIO_Q = re.compile(r"比重|比例|占比|百分之|百分比")
RANK_Q = re.compile(r"排老几|排第几|第几名|第几位|排名第几|排在第几|排几")
WHEN_Q = re.compile(r"什么时候|啥时候|哪天|何时|能用上|什么程度|啥程度|进度|能开工|能建成|能通车|开班")
LIST_Q = re.compile(r"哪些|哪几|哪[两三四五六七八九十]|有啥|分别是")
DATE_Q = re.compile(r"哪天|哪一天|几月几[号日]|几号|什么日子|几月份?|哪个月")
YEARS_Q = re.compile(r"哪一?年|几几年|什么年份")
WHERE_Q = re.compile(r"在哪|哪里|哪儿|什么地方|啥地方|哪条[路街]|哪个(?:位置|地段|街道|小区|路口)|地址|选址")
STOCK_Q = re.compile(r"总数|总量|累计|总投资|总额|余额")
EXPLICIT_TARGET = r"今年|{target}|预期|预计"
WH_HEAD_RE = re.compile(r"(?:什么|啥|哪个|哪种|哪类|何种)([\u4e00-\u9fff]{2})")
WH_VAGUE = {"时候", "样子", "意思", "程度", "地方", "情况", "内容", "东西", "要求", "事情", "办法", "措施"}


@lru_cache(maxsize=8)
def year_patterns(cal: Calendar) -> tuple:
    """(result cue, target cue, explicit target cue) regexes naming the calendar's years."""
    years = {"review": cal.years("review"), "target": cal.years("target")}
    return tuple(re.compile(p.format(**years)) for p in (YEAR_RESULT, YEAR_TARGET, EXPLICIT_TARGET))


def year_scope(q: str, cal: Calendar = NO_CALENDAR) -> str | None:
    """'result' (the reviewed year's figures), 'target' (the plan's year), 'other' (not covered),
    of a normalised question."""
    years = set(YEAR_RE.findall(q))
    if OTHER_PERIOD.search(q) or (years and not years & cal.covered):
        return "other"
    year_result, year_target, explicit_target = year_patterns(cal)
    # A question may name both years ("去年涨了5.4%，今年预期多少？" or "今年定的多少？去年是7%。"):
    # a clause that ends in ？ and names a year decides; otherwise the later cue is the asked one.
    asked = [c for c in ASKED_CLAUSE_RE.findall(q) if year_result.search(c) or explicit_target.search(c)]
    asked = [c for c in asked if FIGURE_Q.search(c) or WH_RE.search(c)] or asked   # WH_RE's 几 covers 排第几
    if asked:
        q = asked[-1]
    last_result = max((m.start() for m in year_result.finditer(q)), default=-1)
    last_target = max((m.start() for m in explicit_target.finditer(q)), default=-1)
    if last_result > last_target:
        return "result"
    if last_target >= 0 or year_target.search(q):
        return "target"
    return None


@dataclass(frozen=True)
class Query:
    text: str                   # the search form: normalised, synonyms appended
    tokens: frozenset
    wants_figure: bool
    units: tuple
    scope: str | None
    asked_unit: str | None      # the unit of the asked figure (多少个 -> 个, 排第几 -> 第), if named
    when: bool                  # asks when / how far along
    enumeration: bool           # asks which ones
    wh_head: str | None = None  # the noun after 什么/哪种… (什么规划 -> 规划), unless vague (什么时候)
    question: str = ""          # as asked
    norm: str = ""              # normalised, without synonyms
    places: tuple = ()          # other cities named (and the plan's own not)
    explicit_target: bool = False   # names 今年, the plan's year or 预期
    asks_stock: bool = False    # asks a total (总数, 累计…)
    asks_where: bool = False    # asks a place (在哪, 哪条路…)
    home_chars: frozenset = frozenset()   # the characters of the plan's own place names (no subject)

    @classmethod
    def parse(cls, norm: str, synonyms: bool = True, question: str | None = None,
              cal: Calendar = NO_CALENDAR) -> "Query":
        """Parse a normalised question (`question`: as asked, when it differs) asked of the plan of
        `cal`: everything below reads the fields, never the raw text again."""
        text = expand(norm) if synonyms else norm
        units = tuple(u for u in NAMED_UNITS if u in text and u != "%")
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
        return cls(text, frozenset(bigram_tokens(text)), bool(FIGURE_Q.search(text)) or unit is not None,
                   units, year_scope(norm, cal), unit, bool(WHEN_Q.search(text)), bool(LIST_Q.search(text)),
                   head[1] if head and head[1] not in WH_VAGUE else None, norm if question is None else question, norm,
                   () if any(p in norm for p in cal.places) else tuple(p for p in OTHER_PLACES if p in norm),
                   bool(year_patterns(cal)[2].search(text)), bool(STOCK_Q.search(text)), bool(WHERE_Q.search(text)),
                   cal.home_chars)
