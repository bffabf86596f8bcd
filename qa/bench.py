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

`python -m qa bench --load [--json]`: the app as a real server process (`python app.py`), LOAD_CLIENTS
concurrent clients each asking LOAD_PER_CLIENT different dev questions one after another through the
HTTP API of `/ask` (POST /gradio_api/call/ask, then read its event stream), over loopback:
load_errors (a failed request or an answer without "answer"), load_p50_ms / load_p95_ms per question,
load_qps = questions answered / wall time. The same clients as threads calling the assistant of
this process directly (batching queue on, no HTTP) give the ceiling of the design on this machine:
inproc_p50_ms / inproc_p95_ms / inproc_qps.
"""
from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.request import urlopen

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
    from . import document, store
    from .assistant import Assistant

    dev = load_set(SPLITS["dev"])
    questions = [it["question"] for it in dev if "history" not in it][:N_QUESTIONS]
    overviews = [it["question"] for it in dev if it["type"] == "overview"][:N_QUESTIONS]
    cold = cold_starts()
    result = {"machine": machine(), "n_questions": len(questions), "cold_start_s": round(cold["qa"], 2),
              "torch_import_s": round(cold["torch"], 2), "cold_start_over_torch": round(cold["qa"] / cold["torch"], 2)}
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


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


LOAD_CLIENTS = 20
LOAD_PER_CLIENT = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, log, env: dict | None = None, timeout: float = 300) -> subprocess.Popen:
    """`python app.py --port N` on loopback, with `env` added to this environment, its output to the
    file `log`; returns once it serves its page, or kills it and raises."""
    env = {**os.environ, **(env or {}), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"应用启动失败（退出码 {proc.returncode}）")
        try:
            with urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"应用在 {timeout:.0f} 秒内没有启动")


async def ask_over_http(http, base: str, question: str, session: str) -> dict:
    """One question through Gradio's HTTP API of /ask, in the client's own session (as gradio_client
    and the browser keep one): the answer JSON, or an exception."""
    r = await http.post(f"{base}/gradio_api/call/ask", json={"data": [question, None], "session_hash": session})
    r.raise_for_status()
    r = await http.get(f"{base}/gradio_api/call/ask/{r.json()['event_id']}")
    r.raise_for_status()
    events = r.text.split("\n\n")
    done = next((e for e in events if e.startswith("event: complete")), None)
    if done is None:
        raise RuntimeError(f"no answer: {r.text[:200]}")
    answer = json.loads(done.split("data: ", 1)[1])[0]
    if "answer" not in answer:
        raise RuntimeError(f"error answer: {answer}")
    return answer


async def load_clients(base: str, questions: list) -> tuple:
    import httpx

    latencies, errors = [], []

    async def client(n: int, mine: list) -> None:
        session = f"load-{n}-{time.time_ns()}"
        async with httpx.AsyncClient(timeout=60, trust_env=False) as http:
            for q in mine:
                t0 = time.perf_counter()
                try:
                    await ask_over_http(http, base, q, session)
                except Exception as exc:                   # counted, the client goes on
                    errors.append(repr(exc))
                latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i, questions[i::LOAD_CLIENTS]) for i in range(LOAD_CLIENTS)))
    return latencies, errors, time.perf_counter() - t0


def load_questions() -> list:
    dev = [it["question"] for it in load_set(SPLITS["dev"]) if "history" not in it]
    return list(dict.fromkeys(dev))[:LOAD_CLIENTS * LOAD_PER_CLIENT]


def in_process() -> tuple:
    """The load as LOAD_CLIENTS threads calling one serving assistant directly: (latencies, wall)."""
    from concurrent.futures import ThreadPoolExecutor

    from .assistant import Assistant

    questions = load_questions()
    assistant = Assistant.serving()

    def client(mine: list) -> list:
        out = []
        for q in mine:
            t0 = time.perf_counter()
            assistant.ask(q).to_json()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        latencies = [t for ts in pool.map(client, [questions[i::LOAD_CLIENTS] for i in range(LOAD_CLIENTS)]) for t in ts]
    return latencies, time.perf_counter() - t0


def load() -> dict:
    """LOAD_CLIENTS concurrent clients x LOAD_PER_CLIENT questions against a real app process, then
    the same load in a fresh process without HTTP."""
    questions = load_questions()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = serve(port, log)
        try:
            asyncio.run(load_clients(base, questions[:4]))          # warm up: connections, caches
            latencies, errors, wall = asyncio.run(load_clients(base, questions))
        finally:
            proc.terminate()
            proc.wait(30)
    # In a fresh process with the app's environment (one BLAS thread: app.py sets it before numpy loads).
    code = "import json; from qa import bench; print(json.dumps(bench.in_process()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    inproc, inproc_wall = json.loads(out.stdout.strip().splitlines()[-1])
    return {"machine": machine(), "load_clients": LOAD_CLIENTS, "load_questions": len(latencies),
            "load_errors": len(errors), "load_p50_ms": round(statistics.median(latencies), 1),
            "load_p95_ms": round(percentile(latencies, 0.95), 1), "load_qps": round(len(latencies) / wall, 1),
            "load_wall_s": round(wall, 2), **({"load_first_error": errors[0]} if errors else {}),
            "inproc_p50_ms": round(statistics.median(inproc), 1), "inproc_p95_ms": round(percentile(inproc, 0.95), 1),
            "inproc_qps": round(len(inproc) / inproc_wall, 1)}


def table(result: dict) -> str:
    rows = [(k, v) for k, v in result.items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(settings: Settings, as_json: bool, under_load: bool = False) -> int:
    result = load() if under_load else run(settings)
    print(json.dumps(result, ensure_ascii=False) if as_json else table(result))
    return 0
