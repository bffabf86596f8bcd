"""One reading of a question, made once per question by `read`: the question as asked, its
normalised text (the only normalisation of it), the follow-up it resolves to against the history,
the form it asks for (one span, an overview, several parts) and the parsed `Query` of each thing to
search. Every later step takes this reading and never reads the raw text again."""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import dialogue, form_model, forms
from .calendar import NO_CALENDAR, Calendar
from .query import Query
from .text import bigram_tokens, expand, normalize

EMPTY_QUESTION = "请输入一个问题，例如：今年要新建多少个公共充电桩？"
NO_WORDS = "请用文字提问（问题里没有汉字、字母或数字），例如：今年要新建多少个公共充电桩？"
TRUNCATED = "问题过长，只按前{n}个字作答。"
WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")
LATIN_RE = re.compile(r"[a-z][a-z0-9.&+\-]*")
FULL_WIDTH = str.maketrans({",": "，", "?": "？", "!": "！", ";": "；", ":": "："})
ENDS = ("？", "。", "！")


@dataclass(frozen=True)
class Part:
    shown: str                  # the sub-question as the user reads it
    query: Query


@dataclass(frozen=True)
class Reading:
    question: str               # as asked (cut to max_question_chars)
    notice: str                 # set when it was cut
    norm: str                   # normalised
    resolved: str               # normalised, read against the earlier questions (== norm if not a follow-up)
    form: str                   # "span", "overview" or "parts"
    query: Query                # the whole question (an overview's: its topic)
    parts: tuple = ()           # Part per sub-question, for "parts"
    subject: frozenset | None = None   # bigrams of the new subject X of a "那X呢" follow-up (synonyms added)
    resolved_question: str = ""        # the follow-up as read, as the user wrote it; "" when not a follow-up


def as_written(text: str, originals: list) -> str:
    """A question the assistant read or rewrote, shown in the user's own words: latin words in the
    casing the user typed them (GDP, not gdp), Chinese punctuation, and a closing question mark."""
    def cased(m):
        for original in originals:
            at = original.lower().find(m.group())
            if at >= 0 and len(original) == len(original.lower()):
                return original[at:at + len(m.group())]
        return m.group()
    text = LATIN_RE.sub(cased, text).translate(FULL_WIDTH)
    return text if text.endswith(ENDS) else text + "？"


def check(question, limit: int) -> tuple:
    """(the question cut to `limit` characters, a notice when it was cut, its normalised text), or
    ValueError with a message for the user."""
    if not isinstance(question, str):
        raise ValueError(EMPTY_QUESTION)
    notice = TRUNCATED.format(n=limit) if len(question) > limit else ""
    question = question[:limit]                      # bounded work, whatever arrives
    norm = normalize(question)
    if not norm:
        raise ValueError(EMPTY_QUESTION)
    if not WORD_RE.search(norm.replace("_", "")):
        raise ValueError(NO_WORDS)
    return question, notice, norm


def read(question, history, settings, cal: Calendar = NO_CALENDAR) -> Reading:
    """The reading of `question` after `history` ([{"question", "answer"}], oldest first; untrusted),
    asked of the plan of `cal`. Raises ValueError for a question with no content or a history of the
    wrong shape."""
    question, notice, norm = check(question, settings.max_question_chars)
    asked = dialogue.check_history(history)
    earlier = [normalize(q) for q in asked]
    resolved = dialogue.resolve(norm, earlier) if earlier else norm
    synonyms, originals = settings.use_synonyms, [question] + asked[::-1]
    subject, shown = None, ""
    if resolved != norm:
        x = dialogue.new_subject(norm)
        subject = None if x is None else frozenset(bigram_tokens(expand(x)))
        shown = as_written(resolved, originals)
    form = form_model.choose(resolved, form_model.load(settings.forms_file))
    if form == "overview":
        return Reading(question, notice, norm, resolved, "overview",
                       Query.parse(forms.topic(resolved), synonyms, cal=cal), subject=subject, resolved_question=shown)
    whole = Query.parse(resolved, synonyms, question, cal)
    split = forms.split_parts(resolved) if form == "parts" else [resolved]
    if len(split) < 2:
        return Reading(question, notice, norm, resolved, "span", whole, subject=subject, resolved_question=shown)
    parts = tuple(Part(as_written(text, originals), Query.parse(text, synonyms, cal=cal)) for text in split)
    return Reading(question, notice, norm, resolved, "parts", whole, parts, subject, shown)
