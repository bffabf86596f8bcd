"""The word lists the assistant reads questions and the plan with, in one place. Facts of the
language and of the genre (Chinese development plans), not of one plan's sentences."""
from __future__ import annotations

import json
from pathlib import Path

# What people say -> the genre's official term (GDP -> 生产总值, 社零 -> 社会消费品零售总额, 托位 ->
# 托育): lexicon.jsonl beside this module, one {"say", "term", "kind", "source"} per line. Kind
# "measured" entries were each added for a measured miss on the dev split (eval/HISTORY.md); the
# others are the genre's general vocabulary (everyday words, abbreviations, english), each with
# its source. A question is expanded with the term of every phrase it says (qa.reading.text.expand).
LEXICON_FILE = Path(__file__).with_name("lexicon.jsonl")


def load_lexicon(path: Path = LEXICON_FILE) -> list:
    """The lexicon's entries, in file order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# Question and function characters: a bigram of two of them names nothing.
STOP_CHARS = set("今年去明多少几个的了吗呢啥咋么是有要能在和与及等这那什怎哪市全我们咱你他她它一上下到得会还"
                 "新建设实施推进完成开展提升加强快增长高发确保力争达持续"
                 "就都也又很将把被让给对从向为以之其或如果目标计划预期实际大概具体一共总共到底请问")

# Units a question may name (Query.units: a span giving a figure in one of them scores higher).
NAMED_UNITS = ("公里", "千米", "万人", "亿元", "万元", "亿斤", "万亩", "万吨", "场次", "个百分点", "人次",
               "个", "家", "所", "条", "人", "元", "亩", "场", "座", "套", "户", "项", "张", "台", "辆", "处", "名",
               "吨", "%", "位")
# The unit written right after 多少/几: the asked figure's unit (多少个 -> 个).
ASKED_UNITS = ("亿美元|亿元|万元|元|钱|公里|千米|万亩|亩|万人|人次|人|家|所|条|座|项|张|台|辆|处|名|万吨|吨|万头|头|"
               "亿斤|斤|场次|场|户|套|栋|块|天|个|倍|万")
# The unit after 多少 in a follow-up's previous question, which goes with its old subject.
FOLLOW_UNITS = "个百分点|个|家|所|条|项|座|人次|人|万人|亿元|万元|元|公里|万亩|亩|吨|万吨|天|场|户|套|张|台|辆|处|名"

# Cities a question may name: a figure of theirs is not the plan's, unless it is the plan's own
# (qa.reading.calendar.Calendar.places).
OTHER_PLACES = ("郑州", "许昌", "洛阳", "开封", "周口", "驻马店", "平顶山", "信阳", "南阳", "商丘", "新乡",
                "焦作", "安阳", "鹤壁", "濮阳", "三门峡", "济源", "北京", "上海", "广州", "深圳", "武汉")

# Words that ask: the wh-words, and those plus the yes/no asks.
WH_WORDS = "多少|什么|啥|哪|怎么|咋|如何"
ASK_WORDS = WH_WORDS + "|吗|是否|有没有|排第"

# Year words of a question, and the cues of a past result or of this year's target.
YEAR_WORD = r"今年|去年|明年|前年|后年|上一年|(?:20\d\d)年?"
# The nouns an overview asks with (有什么打算, 有哪些举措): what is asked, never the subject of a question.
PLAN_ASK_NOUNS = "打算|举措|措施|安排|动作|新招|招数|部署|行动|变化|进展"
