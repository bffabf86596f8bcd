"""The benchmark: `python -m qa bench [--json]`, everything measured in one run on this machine.

- cold_start_s: a fresh process importing qa and loading model + index (what the CLI and app pay),
  median of COLD_RUNS processes
- cold_start_floor_s: a fresh process that only imports sentence-transformers and loads the same
  model folder with SentenceTransformer(path): the start-up no design on this stack avoids
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

import json
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

from .config import MODES, ROOT, Settings
from .evaluate import SPLITS, load_set

N_QUESTIONS = 60
REPEATS = 3
COLD_RUNS = 3


def percentile(values: list, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed_ms(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


COLD_CODE = {
    "qa": "from qa.assistant import Assistant; Assistant()",
    "floor": "from qa.config import Settings; from qa.embedding import resolve_model; p = str(resolve_model("
             "Settings.from_env())); t = time.perf_counter(); from sentence_transformers import SentenceTransformer; "
             "SentenceTransformer(p, device='cpu')",
}


def cold_start_s(what: str) -> float:
    """Median seconds, over COLD_RUNS fresh processes, from the first import to ready."""
    code = f"import time; t = time.perf_counter(); {COLD_CODE[what]}; print(time.perf_counter() - t)"
    runs = []
    for _ in range(COLD_RUNS):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


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
    from . import document, store
    from .assistant import Assistant

    dev = load_set(SPLITS["dev"])
    questions = [it["question"] for it in dev if "history" not in it][:N_QUESTIONS]
    overviews = [it["question"] for it in dev if it["type"] == "overview"][:N_QUESTIONS]
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "n_questions": len(questions), "cold_start_s": round(cold_start_s("qa"), 2),
              "cold_start_floor_s": round(cold_start_s("floor"), 2)}
    assistant = Assistant(settings)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        t0 = time.perf_counter()
        store.build(replace(settings, index_dir=Path(tmp), show_progress=False), document.load(settings),
                    assistant.embedder)
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


def table(result: dict) -> str:
    rows = [(k, v) for k, v in result.items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(settings: Settings, as_json: bool) -> int:
    result = run(settings)
    print(json.dumps(result, ensure_ascii=False) if as_json else table(result))
    return 0
