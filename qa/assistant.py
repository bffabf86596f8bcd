"""The assistant: document, model, index, retriever and matcher loaded once; `ask` reads the
question once (qa.reading.read) and answers it in the form it asks for: one span, an overview of
points, or one answer per part, each decided by qa.answering.decide."""
from __future__ import annotations

import time

from .answering.cite import cite_spans, ranked_citations, unhighlighted
from .answering.decide import follow_up_reason, overview_reason
from .answering.matcher import Selector
from .answering.overview import choose_points, parts_text, point_candidates, points_text
from .answering.result import ABSTAIN, Answer
from .answering.span import MAX_CITATIONS, abstention, answer_span
from .answering.weights import load_fitted
from .config import Settings
from .index import store
from .index.embedding import load_embedder
from .learning.adapter import trainer
from .plan import document, profile
from .reading.query import Query
from .reading.question import Reading, read
from .search.retrieval import Retriever


class Assistant:
    def __init__(self, settings: Settings | None = None, embedder=None):
        self.settings = s = settings or Settings.from_env()
        self.doc = document.load(s)
        self.profile = profile.ensure(self.doc, s)
        self.calendar = self.profile.calendar     # how questions to this plan are read (years, place)
        self.embedder = embedder or load_embedder(s)
        self.index = store.load(s, self.doc, self.embedder, trainer(s))
        self.retriever = Retriever(self.index.chunks, self.index.vectors, self.embedder, s,
                                   self.index.words, self.index.span_vectors)
        weights, abstainer = load_fitted(s.weights_file, self.fingerprint) if s.fitted_weights else (None, None)
        self.selector = Selector(self.index.chunks, s, self.index.span_vectors, weights,
                                 abstainer if s.fitted_abstainer else None, self.index.adapter, self.profile)

    @property
    def fingerprint(self) -> str:
        """What fitted weights depend on: the model's weights, the adapter's data, recipe and plan,
        and the text of the plan served. They are fitted on the plan the items were written for, so
        another plan is judged by the hand-set weights (which transfer better: HISTORY step 33)."""
        m = self.index.manifest
        return f"{self.embedder.fingerprint}+adapter:{m.get('adapter')}+corpus:{m.get('corpus_sha256', '')[:16]}"

    def ask(self, question: str, mode: str | None = None, depth: int | None = None,
            history: list | None = None) -> Answer:
        """Answer one question from the top_k hits; `depth` retrieves more for evaluation; `history`
        is the conversation so far ([{"question", "answer"}], oldest first).
        Raises ValueError for a question with no content or a history of the wrong shape."""
        t0 = time.perf_counter()
        reading = read(question, history, self.settings, self.calendar)
        return self.answer(reading, mode or self.settings.mode, depth, t0)

    def answer(self, reading: Reading, mode: str, depth: int | None = None, t0: float | None = None) -> Answer:
        """The answer to a question already read."""
        t0 = time.perf_counter() if t0 is None else t0
        if reading.form == "overview":
            result = self.overview(reading.query, mode)
        elif reading.form == "parts":
            result = self.several(reading, mode, depth)
        else:
            result = self.single(reading.query, mode, depth)
        result.question, result.notice = reading.question, reading.notice
        for c in result.citations:                 # every citation names its plan
            c["plan"], c["plan_title"] = self.profile.id, self.profile.title
        if reading.resolved_question:
            result.resolved_question = reading.resolved_question
            result = self.about_new_subject(result, reading)
        result.timings_ms = {"total": round((time.perf_counter() - t0) * 1000, 2), **result.timings_ms}
        return result

    def vectors(self, queries: list, mode: str) -> list:
        """The model reads each question as BM25 does (normalised, synonyms appended), in one batch."""
        if mode == "bm25":
            return [None] * len(queries)
        return list(self.embedder.encode_query([q.text for q in queries]))

    def search(self, q: Query, mode: str, depth: int | None, qvec) -> list:
        return self.retriever.search(q, mode, max(depth or 0, self.settings.top_k), qvec)

    def single(self, q: Query, mode: str, depth: int | None = None, qvec=None) -> Answer:
        t0 = time.perf_counter()
        if qvec is None:
            qvec = self.vectors([q], mode)[0]
        hits = self.search(q, mode, depth, qvec)
        t1 = time.perf_counter()
        result = answer_span(self.selector, q, hits[: self.settings.top_k], qvec)
        result.hits = hits
        result.timings_ms = {"retrieve": round((t1 - t0) * 1000, 2),
                             "answer": round((time.perf_counter() - t1) * 1000, 2)}
        return result

    def several(self, reading: Reading, mode: str, depth: int | None) -> Answer:
        """One single answer per part. When every part is answered by the same span, the question
        is answered as one (it names two things of one measure: 周漯平高速和平漯周高铁分别…)."""
        whole = reading.query
        vectors = self.vectors([whole] + [p.query for p in reading.parts], mode)   # one encoder call
        answers = [self.single(p.query, mode, depth, v) for p, v in zip(reading.parts, vectors[1:])]
        spans = {tuple(a.citations[0].get("highlight", ())) for a in answers if not a.abstained}
        if len(spans) == 1 and not any(a.abstained for a in answers):
            return self.single(whole, mode, depth, vectors[0])
        cites, rows = {}, []
        for part, a in zip(reading.parts, answers):
            rows.append(part_row(part.shown, a, cites))
        abstained = all(a.abstained for a in answers)
        return Answer("", parts_text([(r["question"], r["answer"]) for r in rows]), abstained,
                      cite_spans(cites), hits=self.search(whole, mode, depth, vectors[0]),
                      kind="abstain" if abstained else "parts", parts=rows, timings_ms=answers[0].timings_ms)

    def overview(self, q: Query, mode: str) -> Answer:
        """3-6 cited sentences about the topic, or abstention when the plan does not treat it."""
        qvec = self.vectors([q], mode)[0]
        gate = self.single(q, mode, self.settings.overview_depth, qvec)
        reason = overview_reason(self.selector, q, gate.reason, gate.hits, qvec)
        if reason is not None:
            text = abstention(reason, self.selector.unknown_concepts(q), q)
            return Answer(q.question, text, True, ranked_citations(gate.hits, MAX_CITATIONS), hits=gate.hits,
                          timings_ms=gate.timings_ms, reason=reason)
        chosen = choose_points(point_candidates(self.selector, q, gate.hits, qvec), self.settings)
        if len(chosen) < self.settings.min_points:
            return gate                                  # too little for an overview: the single answer
        cites = {}
        for _, hit, span in chosen:
            cites.setdefault(hit.chunk.id, (hit, []))[1].append([span.start, span.end])
        order = list(cites)
        points = [{"text": s.text, "start": s.start, "end": s.end, "citation": order.index(h.chunk.id) + 1}
                  for _, h, s in chosen]
        return Answer("", points_text([p["text"] for p in points]), False, cite_spans(cites),
                      hits=gate.hits, kind="points", points=points, timings_ms=gate.timings_ms)

    def about_new_subject(self, result: Answer, reading: Reading) -> Answer:
        """A "那X呢？" answer that does not name X is withdrawn (qa.answering.decide.follow_up_reason)."""
        if result.abstained or result.kind not in ("", "span"):
            return result
        reason = follow_up_reason(reading.subject, result.citations)
        if reason is None:
            return result
        return Answer(result.question, ABSTAIN, True, unhighlighted(result.citations), result.timings_ms,
                      result.hits, result.notice, resolved_question=result.resolved_question, reason=reason)


def part_row(shown: str, a: Answer, cites: dict) -> dict:
    """One part of a several-part answer; its span joins `cites` (chunk id -> (hit, spans))."""
    first = a.citations[0] if a.citations and "highlight" in a.citations[0] else None
    row = {"question": shown, "answer": a.answer, "abstained": a.abstained, "start": None, "end": None,
           "citation": None}
    if first is not None:
        hit = next(h for h in a.hits if h.chunk.id == first["chunk_id"])
        cites.setdefault(hit.chunk.id, (hit, []))[1].append(first["highlight"])
        row.update(start=first["highlight"][0], end=first["highlight"][1],
                   citation=list(cites).index(hit.chunk.id) + 1)
    return row
