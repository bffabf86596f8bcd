"""A plan's profile: what the assistant must know of a plan beyond its sentences, derived from its
text and kept beside it as corpus/<id>/profile.json, for a person to check and edit.

    id, title, city, place (the city without its 市/县), target_year (the year the plan sets targets
    for, from its title), review_year (the year its first part reviews), and each top-level
    section's role: "review" (上一年…执行情况), "targets" (…总体要求和主要目标), "tasks" (…主要任务).

Roles are read from the headings' words, whatever their numbering. What cannot be read is listed
as a problem; a text with no year in its title or headings is no plan (ValueError).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..files import write_atomic
from ..reading.calendar import Calendar
from . import document
from .document import Document

ROLES = (("review", re.compile(r"执行情况|完成情况|回顾|工作总结")),
         ("targets", re.compile(r"目标|总体要求")),
         ("tasks", re.compile(r"任务|重点工作|主要工作|工作安排|重点")))
PLACE_RE = re.compile(r"^(?P<city>(?P<place>[\u4e00-\u9fff]{2,8}?)(?:市|县|区|州|盟))")
YEAR_RE = re.compile(r"((?:19|20)\d\d)年")
NOT_A_PLAN = "这不是一份年度计划：标题和一级标题里都没有年份（如“某某市某年国民经济和社会发展计划”）。"
RESULT, TARGET = "result", "target"   # a commitment's kind by its section's role


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    city: str
    place: str
    target_year: str
    review_year: str
    sections: tuple             # ({"label", "heading", "role"}, ...) of the top-level sections

    def role(self, label: str) -> str | None:
        """The role of the top-level section `label` (a chunk's path[0])."""
        return next((s["role"] for s in self.sections if s["label"] == label), None)

    def kind(self, label: str) -> str:
        """A commitment's kind in section `label`: a result when the section reviews, else a target."""
        return RESULT if self.role(label) == "review" else TARGET

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.review_year, self.target_year, tuple(p for p in (self.city, self.place) if p))

    def to_json(self) -> dict:
        return {**asdict(self), "sections": list(self.sections)}


def section_role(heading: str) -> str | None:
    return next((role for role, cue in ROLES if cue.search(heading)), None)


def derive(doc: Document, plan_id: str) -> tuple:
    """(Profile, problems): the profile read from the document, and what could not be read."""
    problems = []
    tops = [s for s in doc.sections if s.level == 1]
    sections = tuple({"label": s.label, "heading": s.title, "role": section_role(s.title)} for s in tops)
    problems += [f"一级标题“{s['label']}、{s['heading']}”的作用（回顾/目标/任务）无法判断" for s in sections if not s["role"]]
    title_year = YEAR_RE.search(doc.title)
    review = next((s for s in sections if s["role"] == "review"), None)
    review_year = YEAR_RE.search(review["heading"]) if review else None
    if not title_year and not any(YEAR_RE.search(s["heading"]) for s in sections):
        raise ValueError(NOT_A_PLAN)
    target = title_year[1] if title_year else str(int(review_year[1]) + 1) if review_year else ""
    if not target:
        problems.append("计划年份无法判断")
    if review_year:
        reviewed = review_year[1]
    else:
        reviewed = str(int(target) - 1) if target else ""
        problems.append(f"没有找到回顾上一年的一级标题，按{reviewed or '未知'}年处理")
    m = PLACE_RE.match(doc.title)
    if not m:
        problems.append("标题里没有城市名")
    return Profile(plan_id, doc.title, m["city"] if m else "", m["place"] if m else "", target, reviewed,
                   sections), problems


def load(path: Path) -> Profile:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Profile(data["id"], data["title"], data["city"], data["place"], data["target_year"],
                   data["review_year"], tuple(data["sections"]))


def write(profile: Profile, path: Path) -> Path:
    text = json.dumps(profile.to_json(), ensure_ascii=False, indent=1) + "\n"
    return write_atomic(Path(path), text.encode("utf-8"))


def ensure(doc: Document, settings) -> Profile:
    """The plan's profile: its profile.json when there is one (a person's edits win), else derived
    from the document and written there."""
    if settings.profile_path.is_file():
        return load(settings.profile_path)
    profile, _ = derive(doc, settings.plan_dir.name)
    write(profile, settings.profile_path)
    return profile


def every(settings) -> list:
    """[(Document, Profile)] of every plan of the corpus, oldest first."""
    out = []
    for folder in settings.plan_dirs():
        one = replace(settings, plan=folder.name)
        doc = document.load(one)
        out.append((doc, ensure(doc, one)))
    return out
