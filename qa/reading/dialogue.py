"""Follow-ups: read a short question against the one before it.

A follow-up that lacks its own subject or measure ("高技能人才呢？", "去年呢？", "在全省排第几？",
"种植面积呢？") is rewritten into a whole question from the previous one's subject, measure and
year; a question with its own subject and ask is left as it is. Pure string work over the
normalised questions (never the answers), so a conversation is re-read the same way every time.
A rewritten question ends in ASKED ("?", as normalised); qa.reading.question shows it as the user wrote.
"""
from __future__ import annotations

import re

from .lexicon import ASK_WORDS, FOLLOW_UNITS, PLAN_ASK_NOUNS, YEAR_WORD

MAX_TURNS = 10            # history kept: the most recent turns
MAX_TURN_CHARS = 500      # per earlier question (answers are not read)
BAD_HISTORY = "对话历史格式不对：应为 [{\"question\": \"…\", \"answer\": \"…\"}, …] 的列表。"

YEAR_CUES = re.compile(rf"{YEAR_WORD}|预期|预计|实际")
ASK = re.compile(rf"(?:是|有|为|能有|达到|要)?(?:多少|几)(?:{FOLLOW_UNITS})?|什么|啥|哪些|哪个|怎么样|如何|吗|呢|么")
WH = re.compile(ASK_WORDS + "|几")
# Words that name no subject: verbs of the plan's targets, function words, places that are the whole plan.
GENERIC = re.compile(r"新增|新建|新培育|新开业|培育|建设|建成|改造|完成|实施|推进|开工|达到|增长|增加|提高|提升|下降|减少|"
                     r"累计|一共|总共|合计|全市|全省|全国|咱们|我们|市里|在|排|第|名|位|的|了|是|有|要|能|会|将|"
                     r"和|跟|与|同|比|相比|比较|那么|那|还有|再|又|呢|吧|啊|情况|具体|大概|到底|数字|目标|计划|"
                     r"么|吗|这个|那个|这些|其中|它们|方面|实际|预期|处于|处在|各|分别|都")
MEASURE = (r"面积|产量|人数|数量|投资额?|增速|增幅|收入|比重|占比|规模|总量|总数|产值|增加值|排名|位次|标准|金额|资金|个数|"
           r"[\u4e00-\u9fff]{0,4}率|浓度|天数|里程|长度|产能|销售额|营收|税收|利润|总额|进度|工程量")
MEASURE_END = re.compile(rf"(?:{MEASURE})(?:目标)?$")
UNIT_AFTER_ASK = re.compile(rf"(多少|几)(?:{FOLLOW_UNITS})")
ANAPHORA = re.compile(r"^(?:那)?(?:这些|其中|它们|它|这个|那些)")
# Where a question's subject runs end: generic words, but only the single characters that seldom sit
# inside a word (能 of 技能, 位 of 单位, 比 of 比重 do).
SPLIT_WORDS = "|".join(w for w in GENERIC.pattern.split("|") if len(w) > 1) + "|的|了|在|和|跟|与|呢|吗|么|吧|啊|要|将|是"
SPLIT = re.compile(rf"[^\u4e00-\u9fffa-z0-9.\-“”\"]+|{YEAR_WORD}|{SPLIT_WORDS}|{PLAN_ASK_NOUNS}|"
                   r"(?:多少|几|什么|啥|哪些|哪个|怎么样|怎么|如何)")
YEAR_ONLY = re.compile(rf"^(?:那|那么|还有)?(?:和|跟|与|同|比)?(?P<year>{YEAR_WORD})(?:的)?(?:比|相比|比较)?"
                       r"(?:呢|的呢|情况呢|怎么样|咋样|如何|多少|是多少|的情况)?$")
X_ONLY = re.compile(r"^(?:那么|那|还有|再问一下|另外)?(?P<x>.+?)(?:的)?(?:呢|怎么样|咋样|如何|情况呢|的情况)$")
END_PUNCT = re.compile(r"[?？!！。.,，;；\s]+$")
ASKED = "?"               # the mark a rewritten question ends in (normalised)


def check_history(history) -> list:
    """The question strings of a history, oldest first, the last MAX_TURNS kept, each cut to
    MAX_TURN_CHARS. `history` is untrusted: None or [] is no history; anything but a list of
    {"question": str, "answer": str (optional)} raises ValueError with BAD_HISTORY."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise ValueError(BAD_HISTORY)
    questions = []
    for turn in history:
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str) \
                or not isinstance(turn.get("answer", ""), (str, type(None))) or set(turn) - {"question", "answer"}:
            raise ValueError(BAD_HISTORY)
        questions.append(turn["question"][:MAX_TURN_CHARS])
    return questions[-MAX_TURNS:]


def core(text: str) -> str:
    """A normalised question without its closing punctuation."""
    return END_PUNCT.sub("", text)



def content(text: str) -> str:
    """What is left of a question once year, ask, generic and measure words are gone: its own subject."""
    return re.sub(MEASURE, "", GENERIC.sub("", ASK.sub("", YEAR_CUES.sub("", text))))


def with_year(prev: str, year: str) -> str:
    """The previous question asked of another year: its year words (and 预期/实际) replaced."""
    return year + YEAR_CUES.sub("", prev)


def segments(text: str) -> list:
    """The runs of a question between its year, generic, ask words and punctuation: (start, end)."""
    out, pos = [], 0
    for m in SPLIT.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = max(pos, m.end())
    return out + ([(pos, len(text))] if pos < len(text) else [])


def with_subject(prev: str, x: str) -> str:
    """The previous question with `x` in place of its subject, or of its measure when `x` names one.
    The unit after 多少 goes with the old subject, so it is dropped."""
    prev = UNIT_AFTER_ASK.sub(r"\1", prev)
    segs = [(a, b) for a, b in segments(prev) if b - a >= 2]
    same_head = [(a, b) for a, b in segs if prev[a:b].endswith(x[-2:])]
    if same_head:                                  # 技能人才 -> 高技能人才, 固定资产投资 -> 工业投资
        a, b = same_head[-1]
        return prev[:a] + x + prev[b:]
    measures = [(a, b) for a, b in segs if MEASURE_END.search(prev[a:b])]
    if MEASURE_END.search(x) and measures:
        a, b = measures[-1]
        m = MEASURE_END.search(prev[a:b])
        if len(x) <= 4 and m.start() > 0:          # 粮食产量 -> 粮食种植面积
            a += m.start()
        return prev[:a] + x + prev[b:]
    subjects = [(a, b) for a, b in segs if (a, b) not in measures]
    if subjects:
        a, b = subjects[-1]
        return prev[:a] + x + prev[b:]
    ask = ASK.search(prev)
    return prev[:ask.start()] + x + prev[ask.start():] if ask else x + prev


def follow(question: str, previous: str | None) -> str:
    """Normalised `question` as a whole question, read against the (already resolved) previous one."""
    if not previous:
        return question
    q, prev = core(question), core(previous)
    year = YEAR_ONLY.match(q)
    if year:                                              # 去年呢？ / 和去年比呢？
        return with_year(prev, year["year"]) + ASKED
    own = content(q)
    if ANAPHORA.search(q):                                # 这些项目…, 其中…: about the previous subject
        return ASK.sub("", prev) + q + ASKED
    if WH.search(q.rstrip("呢")):
        if len(own) >= 2 and not q.startswith("那"):       # its own subject and ask: answered alone
            return question
        # a new ask of the same subject (一共多少？ 在全省排第几？): the previous one without its ask
        asked_year = re.search(YEAR_WORD, q)
        base = with_year(prev, asked_year.group()) if asked_year else prev
        if asked_year and asked_year.start() == 0:         # 今年的目标是多少: the year is the base's now
            return ASK.sub("", base).rstrip("了的") + q[asked_year.end():].lstrip("的") + ASKED
        return ASK.sub("", base) + q + ASKED
    x = X_ONLY.match(q)
    if x:                                                 # 那高技能人才呢？ / 种植面积呢？
        subject = x["x"]
        asked_year = re.match(rf"(?P<y>{YEAR_WORD})的?(?P<rest>.*)", subject)
        if asked_year and asked_year["rest"]:
            prev, subject = with_year(prev, asked_year["y"]), asked_year["rest"]
        if not content(subject) and not MEASURE_END.search(subject):   # 全省排名呢？ 今年的目标呢？
            return ASK.sub("", prev) + subject + ASKED
        return with_subject(prev, subject) + ASKED
    return question


def new_subject(question: str) -> str | None:
    """The new thing a follow-up asks about: X of "那X呢？" (without year words) or of "其中X有多少？";
    None for other questions."""
    q = core(question)
    among = re.match(rf"^(?:那)?其中(?P<x>.+?)(?:{ASK.pattern}|占|有|是)", q)
    x = among or X_ONLY.match(q)
    if not x or YEAR_ONLY.match(q):
        return None
    subject = re.sub(rf"^(?:{YEAR_WORD})的?", "", x["x"])
    return subject if content(subject) else None


def resolve(question: str, history: list) -> str:
    """The normalised question as understood after the earlier (normalised) questions, oldest first,
    each read in turn."""
    previous = None
    for earlier in history:
        previous = follow(earlier, previous)
    return follow(question, previous)
