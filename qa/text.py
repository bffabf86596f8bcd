"""Text normalisation and Chinese-aware tokens for BM25 and answer selection."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
SPACE_RE = re.compile(r"\s+")
# A token: a run of CJK characters, a number (with decimals and %), or a latin word with digits.
TOKEN_RE = re.compile(r"[\u4e00-\u9fff]+|\d+(?:\.\d+)?%?|[a-z]+\d*(?:\.\d+)?")
SCHEMES = ("bigram", "jieba", "jieba+bigram")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC, which also maps ，（） to the page's ASCII forms),
    traditional to simplified, control characters dropped, whitespace folded, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = CONTROL_RE.sub("", text)
    text = SPACE_RE.sub(" ", text).strip().lower()
    return _t2s().convert(text) if text else text


def bigram_tokens(text: str) -> list:
    """CJK runs as overlapping character bigrams (a lone character as itself); numbers whole."""
    out = []
    for tok in TOKEN_RE.findall(normalize(text)):
        if "\u4e00" <= tok[0] <= "\u9fff":
            out += [tok] if len(tok) == 1 else [tok[i:i + 2] for i in range(len(tok) - 1)]
        else:
            out.append(tok)
    return out


@lru_cache(maxsize=1 << 16)
def bigram_set(text: str) -> frozenset:
    """bigram_tokens as a set, cached: the plan's spans are scored for every question."""
    return frozenset(bigram_tokens(text))


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


def word_tokens(text: str) -> list:
    """jieba search-mode words (overlapping sub-words of long words), punctuation dropped."""
    return [w for w in _jieba().lcut_for_search(normalize(text)) if TOKEN_RE.fullmatch(w)]


def tokenize(text: str, scheme: str = "bigram") -> list:
    if scheme == "bigram":
        return bigram_tokens(text)
    if scheme == "jieba":
        return word_tokens(text)
    if scheme == "jieba+bigram":
        return word_tokens(text) + bigram_tokens(text)
    raise ValueError(f"unknown tokenizer scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")


NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> list:
    """Every number written in digits, as it is written."""
    return NUMBER_RE.findall(text)


# The plan's own words for what people say instead. Keep it small: each entry was added for a
# measured miss on the dev split (see eval/HISTORY.md).
SYNONYMS = {
    "gdp": "生产总值",
    "社零": "社会消费品零售总额",
    "规上": "规模以上",
    "r&d": "研发经费",
    "cpi": "居民消费价格",
    "托位": "托育",
    "老破小": "老旧小区",
    "经济增速": "生产总值增长",
    "年轻人": "青年",
    "比重": "占比",
    "固投": "固定资产投资",
    "财政收入": "一般公共预算收入",
}


def search_form(question: str, synonyms: bool = True) -> str:
    """The question as BM25 and answer selection see it: normalised, synonyms appended."""
    text = normalize(question)
    return expand(text) if synonyms else text


def expand(text: str) -> str:
    """Append the plan's wording for any colloquial term in a normalised question."""
    extra = [plan for said, plan in SYNONYMS.items() if said in text and plan not in text]
    return text + " " + " ".join(extra) if extra else text
