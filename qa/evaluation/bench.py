"""The benchmark: `python -m qa bench [--json]`, everything measured in one run on this machine.

- cold_start_s: one `python -m qa ask "…"` process, start to exit (start-up, model, index, one
  answer), median of COLD_RUNS processes
- torch_import_s: one `python -c "import torch"` process, median of COLD_RUNS, run in turn with the
  above: the yardstick; cold_start_over_torch = cold_start_s / torch_import_s
- build_s: building the index for the plan (chunks, passage and span vectors) into a temp folder
- {mode}_p50_ms / _p95_ms: end-to-end `Assistant.ask` per question, for bm25, dense and hybrid
- floor_p50_ms: the bare `encode_query` of the same model on the same questions: the one cost no
  design avoids; hybrid_over_floor = hybrid_p50_ms / floor_p50_ms
- overview_p50_ms: end-to-end `Assistant.ask` (hybrid) on the dev overview questions, interleaved with
  the others; overview_over_single = overview_p50_ms / hybrid_p50_ms
- jsonl_total_s: one `python -m qa ask --jsonl` process answering the questions (start-up included);
  jsonl_qps_after_start: questions per second once started (total minus cold start)
- peak_rss_mb: the largest resident set of this process and its children
"""
from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..config import MODES, ROOT, Settings
from ..learning.adapter import trainer
from ..learning.items import load_set
from .evaluate import SPLITS, percentile

N_QUESTIONS = 60
REPEATS = 3
COLD_RUNS = 3


def timed_ms(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


COLD = {"qa": [sys.executable, "-m", "qa", "ask", "今年要新建多少个公共充电桩？"],
        "torch": [sys.executable, "-c", "import torch"]}


def cold_starts() -> dict:
    """Median wall seconds of fresh processes, each command in turn (so drift hits both alike)."""
    runs = {name: [] for name in COLD}
    for _ in range(COLD_RUNS):
        for name, command in COLD.items():
            t0 = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
            runs[name].append(time.perf_counter() - t0)
    return {name: statistics.median(times) for name, times in runs.items()}


def jsonl_run_s(questions: list) -> float:
    """Wall time of one `python -m qa ask --jsonl` process answering all `questions`."""
    data = ("\n".join(questions) + "\n").encode("utf-8")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "qa", "ask", "--jsonl"], cwd=ROOT, input=data,
                         capture_output=True, check=True)
    seconds = time.perf_counter() - t0
    if len(out.stdout.decode("utf-8").splitlines()) != len(questions):
        raise RuntimeError("--jsonl did not answer every question")
    return seconds


def run(settings: Settings) -> dict:
    from ..assistant import Assistant
    from ..index import store
    from ..plan import document

    dev = load_set(SPLITS["dev"])
    questions = [it["question"] for it in dev if "history" not in it][:N_QUESTIONS]
    overviews = [it["question"] for it in dev if it["type"] == "overview"][:N_QUESTIONS]
    cold = cold_starts()
    result = {"machine": machine(), "n_questions": len(questions), "cold_start_s": round(cold["qa"], 2),
              "torch_import_s": round(cold["torch"], 2), "cold_start_over_torch": round(cold["qa"] / cold["torch"], 2)}
    assistant = Assistant(settings)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        t0 = time.perf_counter()
        built = replace(settings, index_dir=Path(tmp), show_progress=False)
        store.build(built, document.load(settings), assistant.embedder, trainer(built))
        result["build_s"] = round(time.perf_counter() - t0, 2)
    for q in questions[:5]:                                   # warm up caches and thread pools
        assistant.ask(q)
    # Interleaved, question by question, so that drift (CPU clock, caches) hits every series alike.
    times = {name: [] for name in ("floor", *MODES, "overview")}
    for _ in range(REPEATS):
        for i, q in enumerate(questions):
            times["floor"].append(timed_ms(assistant.embedder.encode_query, [q]))
            for mode in MODES:
                times[mode].append(timed_ms(assistant.ask, q, mode))
            if i < len(overviews):
                times["overview"].append(timed_ms(assistant.ask, overviews[i]))
    result["floor_p50_ms"] = round(statistics.median(times["floor"]), 2)
    for mode in MODES:
        result[f"{mode}_p50_ms"] = round(statistics.median(times[mode]), 2)
        result[f"{mode}_p95_ms"] = round(percentile(times[mode], 0.95), 2)
    result["hybrid_over_floor"] = round(result["hybrid_p50_ms"] / result["floor_p50_ms"], 3)
    result["overview_p50_ms"] = round(statistics.median(times["overview"]), 2)
    result["overview_over_single"] = round(result["overview_p50_ms"] / result["hybrid_p50_ms"], 3)
    result["jsonl_total_s"] = round(jsonl_run_s(questions), 2)     # start-up included
    result["jsonl_qps_after_start"] = round(len(questions) / max(result["jsonl_total_s"] - result["cold_start_s"], 1e-3), 1)
    rss_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    result["peak_rss_mb"] = round(rss_kb / 1024, 1)
    return result


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(result: dict) -> str:
    rows = [(k, v) for k, v in result.items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(settings: Settings, as_json: bool) -> int:
    import json

    result = run(settings)
    print(json.dumps(result, ensure_ascii=False) if as_json else table(result))
    return 0
