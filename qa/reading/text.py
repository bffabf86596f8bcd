"""Text normalisation and Chinese-aware tokens for BM25 and answer selection.

`normalize` is the one normaliser: a question is normalised once (qa.reading.read), the plan's text
once when it is indexed or first scored (plan_grams). The tokenisers take normalised text."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .lexicon import load_lexicon

CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
SPACE_RE = re.compile(r"\s+")
# A token: a run of CJK characters, a number (with decimals and %), or a latin word with digits.
TOKEN_RE = re.compile(r"[\u4e00-\u9fff]+|\d+(?:\.\d+)?%?|[a-z]+\d*(?:\.\d+)?")
SCHEMES = ("bigram", "jieba", "jieba+bigram")
CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
MAX_WORD = 8
PAD_WORD = "\ue000"     # never in a question: normalize() keeps it, but no TOKEN_RE token holds it


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
    """CJK runs of normalised `text` as overlapping character bigrams (a lone character as itself);
    numbers whole."""
    out = []
    for tok in TOKEN_RE.findall(text):
        if "\u4e00" <= tok[0] <= "\u9fff":
            out += [tok] if len(tok) == 1 else [tok[i:i + 2] for i in range(len(tok) - 1)]
        else:
            out.append(tok)
    return out


@lru_cache(maxsize=1 << 16)
def plan_grams(text: str) -> frozenset:
    """The bigram set of a piece of the plan (normalised here), cached: the plan's spans are scored
    for every question. Questions are never passed here: they are normalised once, by their reading."""
    return frozenset(bigram_tokens(normalize(text)))


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


def jieba_tokenizer(dictionary: str | None = None):
    """jieba with its full dictionary (shared; about 1 s to load here), or a new one over a
    dictionary file such as an index's words.txt."""
    jieba = _jieba()
    return jieba.Tokenizer(dictionary) if dictionary else jieba.dt


def word_tokens(text: str, tokenizer=None) -> list:
    """jieba search-mode words of normalised `text` (overlapping sub-words of long words), punctuation
    dropped."""
    return [w for w in (tokenizer or jieba_tokenizer()).lcut_for_search(text) if TOKEN_RE.fullmatch(w)]


def plan_words(texts: list) -> str:
    """A jieba dictionary ("word freq" lines) of just the full dictionary's words that occur in
    `texts` (up to MAX_WORD characters), at its frequencies. A last line of one private-use
    character carries the rest of the full dictionary's total, so every word keeps its
    probability and `texts` are cut exactly as before. Loading it
    takes milliseconds instead of a second; a question's words that the plan never uses could not
    match a passage in BM25 anyway."""
    jb = jieba_tokenizer()
    jb.initialize()
    words = set()
    for text in texts:
        for run in CJK_RUN_RE.findall(normalize(text)):   # every dictionary word of the text
            words.update(run[i:j] for i in range(len(run)) for j in range(i + 1, min(i + MAX_WORD, len(run)) + 1))
    freq = {w: jb.FREQ[w] for w in words if jb.FREQ.get(w)}    # jieba's HMM finds the others again
    lines = [f"{w} {f}\n" for w, f in sorted(freq.items())]
    return "".join(lines) + f"{PAD_WORD} {max(jb.total - sum(freq.values()), 1)}\n"


def check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tokenizer scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    return scheme


def tokenize(text: str, scheme: str = "bigram", tokenizer=None) -> list:
    """BM25 tokens of normalised `text` by scheme; `tokenizer` is the jieba to cut words with (default:
    the full dictionary)."""
    if check_scheme(scheme) == "bigram":
        return bigram_tokens(text)
    if scheme == "jieba":
        return word_tokens(text, tokenizer)
    return word_tokens(text, tokenizer) + bigram_tokens(text)


NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> list:
    """Every number written in digits, as it is written."""
    return NUMBER_RE.findall(text)


# The lexicon kinds a question is expanded with for search. Expanding with the genre's general
# entries too lost on dev against the measured entries alone: all of them 5 won / 13 lost, those
# whose term the plan uses 4 / 7 (HISTORY step 32). They serve the answerability check instead
# (qa.answering.matcher.unknown_words).
SEARCH_KINDS = ("measured",)


@lru_cache(maxsize=2)
def synonyms(kinds: tuple | None = SEARCH_KINDS) -> tuple:
    """(said, term) of the lexicon entries of `kinds` (None: every entry), both normalised; the first
    entry of a phrase wins."""
    out = {}
    for entry in load_lexicon():
        if kinds is None or entry["kind"] in kinds:
            out.setdefault(normalize(entry["say"]), normalize(entry["term"]))
    return tuple(out.items())


def expand(text: str) -> str:
    """Append the genre's term for any everyday phrase of a normalised question (the lexicon's
    SEARCH_KINDS entries)."""
    extra = [plan for said, plan in synonyms() if said in text and plan not in text]
    return text + " " + " ".join(extra) if extra else text
