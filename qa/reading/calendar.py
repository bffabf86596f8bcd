"""What reading a question needs to know of the plan it is asked of: the year the plan reviews (its
results: 去年), the year it sets targets for (今年), and the names of its own place, which name no
subject. Made from the plan's profile (qa.plan.profile); nothing here is about one plan."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Calendar:
    review_year: str = ""       # "" when unknown: a question that names a year is then out of scope
    target_year: str = ""
    places: tuple = ()          # the plan's place as a question may name it (全称 first): 某某市, 某某

    @property
    def covered(self) -> set:
        return {y for y in (self.review_year, self.target_year) if y}

    @cached_property
    def home_chars(self) -> frozenset:
        """The characters of the plan's own place names: like 全市, they name no subject."""
        return frozenset("".join(self.places))

    def years(self, role: str) -> str:
        """A regex alternative matching the year of `role` ("review" or "target"), or one never matching."""
        year = self.review_year if role == "review" else self.target_year
        return re.escape(year) if year else r"(?!x)x"


NO_CALENDAR = Calendar()
