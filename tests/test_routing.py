"""Which plan a question goes to when several are served (qa.reading.routing): the city or year it
names, what its words ask of that year (a target, or a result a later plan reviews), else the newest."""
import pytest

from qa.reading.calendar import Calendar
from qa.reading.routing import route

OLD = Calendar("2023", "2024", ("漯河市", "漯河"))
NEW = Calendar("2024", "2025", ("川江市", "川江"))
PLANS = {"old": OLD, "new": NEW}


@pytest.mark.parametrize("question, order", [
    ("今年要新建多少个公共充电桩？", ["new"]),                      # 今年: the newest plan's year
    ("去年全市生产总值增长了多少？", ["new"]),
    ("2023年全市生产总值增长了多少？", ["old"]),                    # only the older plan reviews 2023
    ("2024年全市生产总值预期增长多少？", ["old", "new"]),            # the plan for 2024 sets its target
    ("2024年新建多少个公共充电桩？", ["old", "new"]),               # no result word: a target
    ("2024年全市生产总值实际增长了多少？", ["new", "old"]),          # a result: the plan reviewing 2024
    ("2025年要新建多少个公共充电桩？", ["new"]),
    ("2026年要新建多少个公共充电桩？", ["new"]),                    # no plan covers it: the newest says so
    ("漯河今年要新建多少个公共充电桩？", ["old"]),                   # a city named: its plan
    ("漯河2025年要新建多少个公共充电桩？", ["old"]),                  # its plan, which says it has no 2025
])
def test_a_question_goes_to_the_plan_that_speaks_for_it(question, order):
    assert route(question, PLANS) == order


def test_a_follow_up_goes_where_the_question_before_it_went():
    history = [{"question": "2023年全市生产总值增长了多少？", "answer": "…"}]
    assert route("那一般公共预算收入呢？", PLANS, history) == ["old"]
    assert route("那2025年呢？", PLANS, history) == ["new"]       # its own year first
    assert route("那一般公共预算收入呢？", PLANS, "not a list") == ["new"]


def test_one_plan_takes_every_question():
    assert route("2026年要新建多少个公共充电桩？", {"old": OLD}) == ["old"]
    assert route("川江今年要新建多少个公共充电桩？", {"old": OLD}) == ["old"]
