"""The answer JSON contract: one `Answer`, whatever the form."""
from __future__ import annotations

from dataclasses import dataclass, field

ABSTAIN = "抱歉，这份计划中没有找到这个问题的答案。"     # no digits: nothing to verify
NO_FIGURE = "计划提出“{span}”，但未给出具体数字。"
NOT_MENTIONED = "计划中没有提到“{concept}”。"   # an abstention that names the concept the plan never uses
MISSING = "计划中没有给出{detail}。"   # a detail asked that the plan does not give
NO_PLAN_FOR = "没有{year}年的计划，无法回答这个问题。"   # a year named that no plan covers (the question's digits)


@dataclass
class Answer:
    question: str
    answer: str                # the whole display text, whatever the form
    abstained: bool
    citations: list = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    hits: list = field(default_factory=list, repr=False)   # the ranking behind it (not serialised)
    notice: str = ""          # e.g. that the question was cut to max_question_chars
    kind: str = ""            # span | points | parts | abstain ("" = span or abstain, by `abstained`)
    points: list | None = None      # overview: [{text, start, end, citation}]
    parts: list | None = None       # several questions: [{question, answer, abstained, start, end, citation}]
    resolved_question: str = ""     # set when the history changed how the question is read
    reason: str = field(default="", repr=False)   # why it abstained (qa.answering.decide), not serialised

    def to_json(self) -> dict:
        out = {"question": self.question, "answer": self.answer, "abstained": self.abstained,
               "citations": self.citations, "timings_ms": self.timings_ms,
               "kind": self.kind or ("abstain" if self.abstained else "span")}
        for key in ("points", "parts"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.resolved_question:
            out["resolved_question"] = self.resolved_question
        if self.notice:
            out["notice"] = self.notice
        return out
