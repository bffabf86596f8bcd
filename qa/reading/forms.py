"""The form a question asks for, read from its normalised wording: an overview of what is planned
about a topic (is_overview, topic), or several questions in one (split_parts)."""
from __future__ import annotations

import re

from .dialogue import GENERIC, content, follow
from .lexicon import ASK_WORDS, YEAR_WORD

ASKS = re.compile(ASK_WORDS + "|(?<!好)几|呢")
PIECE_END = re.compile(r"([?？!！。;；,，、:：]+|以及|另外|同时)")
COORD = re.compile(r"^(?P<l>.+?)(?:和|与|跟|及)(?P<r>[^和与跟及]+?)(?P<each>各|分别|各自)(?P<t>.+)$")
LEAD_WORDS = re.compile(rf"^(?:{YEAR_WORD}|{GENERIC.pattern})*")
PLAN_NOUNS = (r"打算|举措|措施|安排|政策|动作|招|扶持|支持|计划|规划|办法|要求|改善|改革|保障|门路|布局|重点|方面|领域|事|"
              r"实事|工作|部署|行动|主线|思路|方向|项目|路子|任务|变化|进展|新变化|说法|内容|目标和举措")
PLURAL_NOUNS = (r"打算|举措|措施|安排|政策|动作|大动作|新动作|招|新招|扶持|计划|部署|行动|门路|路子|布局|实事|改善|保障|工作安排|"
                r"任务|变化|进展|重点工作|重点任务|工作部署|工作计划|推动办法")
OVERVIEW_Q = re.compile(
    rf"(?:哪些|哪几项|哪几件事?|哪方面的?)[\u4e00-\u9fff]{{0,6}}?(?:{PLAN_NOUNS})"
    rf"|(?:什么|啥|些什么|些啥)(?:样的)?(?:新的?)?(?:推动|推广|培育|发展|支持|保障|具体|重点)?(?:{PLURAL_NOUNS})"
    rf"|(?:{PLURAL_NOUNS})(?:是|有)(?:什么|啥|哪些|怎样的|怎么样的)"
    r"|(?:打算|准备|要|该|会)?(?:怎么|如何|怎样|咋)(?!样|办|定|说)[\u4e00-\u9fff]{1,4}$"
    r"|(?:打算|计划|安排|政策|规划)吗$|(?:干|做|改|搞|弄)(?:些|点)(?:啥|什么)|(?:推进|做|抓|干)哪些$|都有哪些$"
    r"|(?:部署|安排|规划|计划)是?(?:怎样|怎么样)的?"
    r"|(?:完成|做|干|搞)得?怎么样|(?:做|干|办|搞)了?(?:哪些|什么|啥|些什么|些啥)(?:事|工作)?"
    r"|(?:说|讲|写)了(?:些|哪些)?(?:什么|啥)|都?有(?:哪些|啥|什么)(?:安排|任务|变化)"
    r"|重点(?:抓|做|干|推进|盯)(?:什么|啥|哪些|哪几件事)|(?:准备|打算)(?:干|做|搞|动)点?(?:什么|啥|哪些)")
END = re.compile(r"[?？!！。.\s]+$")
FIGURE_ASK = re.compile(r"多少|几[个家所条项座万亿千百十成]|第几|排名")


def is_overview(question: str) -> bool:
    """A normalised question that asks what is planned or done about a topic (有哪些举措, 怎么做…),
    not for a figure."""
    q = END.sub("", question)
    return any(OVERVIEW_Q.search(part) for part in PIECE_END.split(q)[0::2]) and not FIGURE_ASK.search(q)


def topic(question: str) -> str:
    """An overview question without its 'what are the measures' words: what to search for."""
    parts = [OVERVIEW_Q.sub("", p).strip() for p in PIECE_END.split(END.sub("", question))[0::2]]
    return " ".join(p for p in parts if p) or question


# ---- several questions in one -------------------------------------------------------------

def pieces(question: str) -> list:
    """The asks of a question, in order. A clause that asks nothing joins the next ask (or the
    last), with its own mark; a bare ask after several such clauses ("A、B各是多少") is asked of each."""
    tokens = PIECE_END.split(question)
    parts, pending = [], []
    for piece, mark in zip(tokens[0::2], tokens[1::2] + [""]):
        if not piece.strip():
            continue
        if not ASKS.search(piece):
            pending.append((piece, mark))
        elif len(pending) >= 2 and not content(piece):
            parts += [p + piece for p, _ in pending]
            pending = []
        else:
            parts.append("".join(p + m for p, m in pending) + piece)
            pending = []
    if pending and parts:
        parts[-1] += "，" + "".join(p + m for p, m in pending).rstrip("，,、")
    return parts or [question]


def coordinated(ask: str) -> list:
    """'今年新培育A和B各多少家' -> ['今年新培育A多少家', '今年新培育B多少家']; else [ask]."""
    m = COORD.match(ask)
    if not m or not ASKS.search(m["t"]):
        return [ask]
    lead = LEAD_WORDS.match(m["l"]).group()
    items = [i for i in m["l"][len(lead):].split("、") + [m["r"]] if i]
    if len(items) < 2 or any(len(i) < 2 for i in items):
        return [ask]
    return [lead + item + m["t"] for item in items]


def split_asks(question: str) -> list:
    """The asks of a question as written, coordinated subjects split (A和B各多少 -> A多少, B多少)."""
    return [sub for ask in pieces(question) for sub in coordinated(ask)]


def split_parts(question: str) -> list:
    """The sub-questions of a normalised question that asks several things, each read as a whole
    question (a later ask is read against the one before, as a follow-up is); [question] when it
    asks one."""
    asks = split_asks(question)
    if len(asks) < 2:
        return [question]
    out, previous = [], None
    for ask in asks:
        previous = follow(ask, previous)
        out.append(previous)
    return out
