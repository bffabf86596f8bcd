"""Every plan of the corpus, answered together (issue 22): one Assistant per plan, each over its own
index, all sharing one loaded model. A question goes to the plan the user picked; otherwise to the
plan that speaks for it (qa.reading.routing: the city or year it names, else the newest plan), and
when two plans speak for its year, to the first of them whose answer is not an abstention."""
from __future__ import annotations

from dataclasses import replace

from .answering.result import Answer
from .assistant import Assistant
from .config import Settings
from .reading.routing import route


class Library:
    def __init__(self, settings: Settings | None = None, embedder=None):
        self.settings = s = settings or Settings.from_env()
        self.plans: dict = {}                          # plan id -> Assistant, oldest first
        for folder in s.plan_dirs():
            assistant = Assistant(replace(s, plan=folder.name), embedder)
            embedder = assistant.embedder
            self.plans[assistant.doc.doc_id] = assistant
        if not self.plans:
            raise FileNotFoundError(f"{s.corpus_dir} 下没有计划（每份计划一个文件夹，内有 {s.page_file}）")
        self.embedder = embedder
        self.picked = s.plan or None                  # QA_PLAN: every question to that plan
        self.calendars = {pid: a.calendar for pid, a in self.plans.items()}
        if self.picked:
            self.plan(self.picked)

    @property
    def default(self) -> Assistant:
        """The plan that 今年/去年 refer to: the one picked in the settings, else the newest."""
        return self.plans[self.picked] if self.picked else list(self.plans.values())[-1]

    def plan(self, plan_id: str) -> Assistant:
        """The assistant of one plan; a plan that is not there is named with those that are."""
        if plan_id not in self.plans:
            raise ValueError(f"没有编号为“{plan_id}”的计划（现有：{'、'.join(self.plans)}）")
        return self.plans[plan_id]

    def ask(self, question: str, mode: str | None = None, depth: int | None = None,
            history: list | None = None, plan: str | None = None) -> Answer:
        """Answer from `plan` (its id) when given, else from the plan the question is routed to.
        Raises ValueError as Assistant.ask does, and for a plan that is not there."""
        plan = plan or self.picked
        if plan:
            return self.plan(plan).ask(question, mode, depth, history)
        first = None
        for pid in route(question, self.calendars, history if isinstance(history, list) else None):
            answer = self.plans[pid].ask(question, mode, depth, history)
            if not answer.abstained:
                return answer
            first = first or answer
        return first
