"""The matcher: scores the plan's spans against a question by IDF-weighted character bigrams and,
when the span vectors and the question's vector are at hand, by their cosine. It also holds the
span-ranking weights and the abstainer in use (fitted, or None for the hand-set ones)."""
from __future__ import annotations

import math
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..plan.chunking import Span, sentence_windows, span_table
from ..reading.lexicon import PLAN_ASK_NOUNS, STOP_CHARS
from ..reading.query import WH_VAGUE, Query
from ..reading.text import CJK_RUN_RE, bigram_tokens, jieba_tokenizer, normalize, plan_grams, synonyms

NAME_RE = re.compile(r"\d+-\d+|[a-z]+\d*(?:\.\d+)?")   # 7-11, 5g, pm2.5: names in digits/latin


LOADER = ThreadPoolExecutor(1, thread_name_prefix="jieba")


def full_dictionary():
    """jieba with its full dictionary, initialised (its words and frequencies)."""
    jb = jieba_tokenizer()
    jb.initialize()
    return jb


def rarest(unknown: list) -> tuple:
    """The (surprisal, word) of the rarest of the question's unknown words; (0.0, "") for none."""
    return max(unknown, default=(0.0, ""))


def concepts(unknown: list, most: int = 3) -> tuple:
    """The words an abstention names: the question's unknown words, rarest first, at most `most`,
    without the nouns a question asks with (打算, 举措, 时候…), which name no concept."""
    asking = set(PLAN_ASK_NOUNS.split("|")) | WH_VAGUE
    return tuple([w for _, w in sorted(unknown, reverse=True) if w not in asking][:most])


def content_bigrams(q: Query) -> list:
    """The question's CJK bigrams that are not two question/function characters."""
    stop = STOP_CHARS | q.home_chars
    return [t for t in q.tokens if len(t) == 2 and "\u4e00" <= t[0] <= "\u9fff"
            and not (t[0] in stop and t[1] in stop)]


class Selector:
    def __init__(self, chunks: list, settings, span_vectors=None, weights: dict | None = None,
                 abstainer: dict | None = None, adapter=None, profile=None):
        self.settings = settings
        self.profile = profile      # the plan's profile (qa.plan.profile): its sections' roles and years
        self.plan_text = "\n".join(normalize(c.text) for c in chunks)
        self.words = LOADER.submit(full_dictionary)   # about 1 s: loaded beside the model's start
        self.weights = weights      # fitted span-ranking weights by feature name, else None (hand-set)
        self.abstainer = abstainer  # fitted {"weights", "bias", "threshold"} over ABSTAIN_FEATURES, else None
        self.adapter = adapter      # the query adapter (qa.learning.adapter) span selection reads through
        df = Counter()
        for c in chunks:
            df.update(plan_grams(c.search_text))
        n = max(len(chunks), 1)
        self.idf = {tok: math.log(1 + n / c) for tok, c in df.items()}
        self.default_idf = math.log(1 + n)
        self.span_vectors = span_vectors
        self.span_rows = {(cid, w.start, w.end): i for i, (cid, w) in enumerate(span_table(chunks))}

    def role(self, chunk) -> str | None:
        """The role of the top-level section holding `chunk` ("review", "targets", "tasks"), if known."""
        return self.profile.role(chunk.path[0]) if self.profile and chunk.path else None

    def names_review_year(self, text: str) -> bool:
        return bool(self.profile and self.profile.review_year and self.profile.review_year in text)

    def cosine(self, chunk_id: str, span: Span, qvec) -> float | None:
        if qvec is None or self.span_vectors is None:
            return None
        row = self.span_rows.get((chunk_id, span.start, span.end))
        return None if row is None else float(self.span_vectors[row] @ qvec)

    def adapt(self, qvec):
        """The question's vector as span selection reads it: through the adapter, renormalised."""
        if qvec is None or self.adapter is None:
            return qvec
        v = qvec @ self.adapter
        return v / (np.linalg.norm(v) or 1.0)

    def best_cosine(self, hits: list, qvec) -> float | None:
        """The highest cosine to the question of any candidate span of `hits`."""
        cos = [self.cosine(h.chunk.id, w, qvec) for h in hits for w in sentence_windows(h.chunk.text, h.chunk.start)]
        return max((c for c in cos if c is not None), default=None)

    def knows_any(self, q: Query) -> bool:
        """Does the plan use any content word of the question: a CJK bigram that is not two
        question/function characters, a latin token (gdp, the g of 5g), or a name such as 7-11?
        Bare numbers do not count."""
        words = [t for t in q.tokens if t[0].isascii() and t[0].isalpha()] + content_bigrams(q)
        return (any(t in self.idf for t in words)
                or any(all(t in self.idf for t in bigram_tokens(n)) for n in NAME_RE.findall(q.text)))

    def known_share(self, q: Query) -> float:
        """The share of the question's content bigrams (as knows_any counts them) that the plan uses."""
        words = content_bigrams(q)
        return sum(1 for t in words if t in self.idf) / len(words) if words else 0.0

    def unknown_words(self, q: Query) -> list:
        """(surprisal, word) for every word of the question, as jieba's full dictionary cuts it, that
        occurs nowhere in the plan, neither starts nor ends with a question or function character and is
        no part of a phrase the genre lexicon maps to a term the plan uses (托位 -> 托育); surprisal is
        -log of the word's share of jieba's corpus (rare words, the likelier concepts, score high)."""
        jb = self.words.result()
        named = [said for said, term in synonyms(None) if said in q.norm and term in self.plan_text]
        stop, out = STOP_CHARS | q.home_chars, []
        for w in jb.lcut(q.norm):
            if len(w) >= 2 and CJK_RUN_RE.fullmatch(w) and w[0] not in stop and w[-1] not in stop \
                    and w not in self.plan_text and not any(w in said for said in named):
                out.append((math.log(jb.total / (jb.FREQ.get(w) or 1)), w))
        return out

    def unknown_concepts(self, q: Query) -> tuple:
        """The question's words an abstention names (concepts): what the plan never mentions (地铁 of
        今年要建地铁吗), rarest first; () when every word of the question is the plan's."""
        return concepts(self.unknown_words(q))

    def weight(self, tokens: set) -> float:
        return sum(self.idf.get(t, self.default_idf) for t in tokens)

    def overlap(self, q_tokens: set, tokens: set) -> float:
        """IDF share of the question's tokens found among `tokens`."""
        total = self.weight(q_tokens)
        return self.weight(q_tokens & tokens) / total if total else 0.0
