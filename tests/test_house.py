"""The house rules, held against the code: rooms that import only the rooms below them and no
circles, short modules and functions, no copied blocks, and a question normalised once."""
from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from qa.config import ROOT
from qa.reading import text

# The rooms from the bottom up: a module may import its own room and the rooms before it.
LAYERS = ("config", "files", "reading", "plan", "index", "search", "answering", "learning", "assistant", "library",
          "evaluation", "serving", "__main__")
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MIN_COPIED_LINES = 300, 60, 6


def modules() -> dict:
    """{dotted module name: path} for every module of qa/."""
    out = {}
    for path in sorted((ROOT / "qa").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set:
    """The qa modules `name` imports anywhere in its file (functions included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def graph() -> dict:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "qa"


def test_the_import_graph_is_read_as_the_code_has_it():
    g = graph()
    assert {"qa.reading.text", "qa.reading.query", "qa.reading.dialogue", "qa.reading.forms"} <= g["qa.reading.question"]
    assert "qa.answering.decide" in g["qa.learning.abstainer"] and "qa.index.store" in g["qa.learning.finetune"]


def test_no_module_imports_itself_round_a_loop():
    g = graph()
    state, stack, loops = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == "open":
                loops.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"
    for m in sorted(g):
        if m not in state:
            visit(m)
    assert loops == []


def test_rooms_import_only_the_rooms_below_them():
    g = graph()
    upward = [(m, n) for m, targets in g.items() for n in targets
              if room(m) != "qa" and room(n) != "qa" and LAYERS.index(room(n)) > LAYERS.index(room(m))]
    assert upward == []


def test_every_room_says_what_it_holds_and_may_import():
    for init in sorted((ROOT / "qa").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower() and len(doc.splitlines()) == 2, init


def source_files() -> list:
    return sorted((ROOT / "qa").rglob("*.py")) + [ROOT / "app.py"]


def test_modules_and_functions_are_short():
    long = []
    for path in source_files():
        src = path.read_text(encoding="utf-8")
        if len(src.splitlines()) > MAX_MODULE_LINES:
            long.append(f"{path.name}: {len(src.splitlines())} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long.append(f"{path.name}:{node.lineno} {node.name}")
    assert long == []


THIN = re.compile(r"^(?:[\s\)\]\}\(\[\{,:;.]*|#.*|(?:from|import) .*|@.*|\"\"\"|pass|return|else:|try:)$")


def kept_lines(path: Path) -> list:
    """(line number, line with white space folded) for the lines that can make a copied block."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = " ".join(line.split())
        if line and not THIN.match(line):
            out.append((n, line))
    return out


def test_no_block_of_lines_stands_twice():
    places = defaultdict(list)
    for path in source_files() + sorted((ROOT / "tests").glob("*.py")):
        lines = kept_lines(path)
        for i in range(len(lines) - MIN_COPIED_LINES + 1):
            block = tuple(line for _, line in lines[i:i + MIN_COPIED_LINES])
            places[block].append(f"{path.relative_to(ROOT)}:{lines[i][0]}")
    copies = [where for where in places.values() if len(where) > 1]
    assert copies == []


def test_the_rule_finds_a_copied_block(tmp_path):
    body = "\n".join(f"x{i} = compute({i})" for i in range(MIN_COPIED_LINES))
    path = tmp_path / "m.py"
    path.write_text(body + "\n\n" + body + "\n", encoding="utf-8")
    lines = [line for _, line in kept_lines(path)]
    assert lines[:MIN_COPIED_LINES] == lines[MIN_COPIED_LINES:]


@pytest.fixture
def normalised(monkeypatch):
    """Every call of qa.reading.text.normalize, under whatever name a module imported it."""
    calls, real = [], text.normalize

    def counting(s):
        calls.append(s)
        return real(s)
    for name, module in list(sys.modules.items()):
        if name.startswith("qa") and getattr(module, "normalize", None) is real:
            monkeypatch.setattr(module, "normalize", counting)
    return calls


@pytest.mark.parametrize("question, history", [
    ("今年新建多少个公共充电桩？", None),
    ("乡村振兴今年有哪些举措？", None),
    ("今年新建多少个公共充电桩？改造多少个老旧小区？", None),
    ("老旧小区呢？", [{"question": "今年新建多少个公共充电桩？", "answer": ""}]),
])
def test_a_question_is_normalised_once(tiny_assistant, normalised, question, history):
    tiny_assistant.ask(question, history=history)            # the plan's own text is normalised as it is first scored
    normalised.clear()
    tiny_assistant.ask(question, history=history)
    assert normalised == [question] + [h["question"] for h in history or []]
