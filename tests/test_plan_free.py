"""Nothing about a particular plan in the code (issue 22): no year, no city of a plan in corpus/,
and no section label in the string literals and names of qa/ and app.py (comments and docstrings
may give examples). What a plan is lives in its folder: corpus/<id>/profile.json."""
import ast
import json
import re

import pytest

from qa.config import ROOT

YEAR = re.compile(r"(?<![\d\\]u)(?<!\d)(?:19|20)\d\d(?!\d)")    # not \u2028
LABEL = re.compile(r"^[(（]?[一二三四五六七八九十]{1,2}[)）]?$")
SOURCES = sorted((ROOT / "qa").rglob("*.py")) + [ROOT / "app.py"]


def places() -> set:
    out = set()
    for path in (ROOT / "corpus").glob("*/profile.json"):
        profile = json.loads(path.read_text(encoding="utf-8"))
        out |= {profile["city"], profile["place"]} - {""}
    return out


def literals(path):
    """(line, text) of every string literal and name of a module, docstrings and escapes ("\\u4e00",
    the first CJK character, as a range bound) left out."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and "\\u" not in (ast.get_source_segment(source, node) or ""):
            yield node.lineno, node.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id


def test_the_seed_plan_has_a_profile_naming_its_place():
    assert "漯河" in places()


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_no_plan_constant_in_the_code(path):
    found = []
    for line, text in literals(path):
        if YEAR.search(text) or LABEL.match(text) or any(p in text for p in places()):
            found.append(f"{path.name}:{line}: {text[:40]!r}")
    assert found == []
