"""The load benchmark, `python -m qa bench --load [--api] [--json]`: the app as a real server process
(`python app.py`), LOAD_CLIENTS concurrent clients each asking LOAD_PER_CLIENT different dev
questions one after another over loopback, LOAD_RUNS times: through the JSON API (`--api`: POST
/api/ask) or Gradio's HTTP API of `/ask` (POST /gradio_api/call/ask, then read its event stream).
Reported as medians over the runs: load_errors (a failed request or an answer without "answer"),
load_p50_ms / load_p95_ms per question, load_qps = questions answered / wall time. The same clients
as threads calling the assistant of this process directly (batching queue on, no HTTP) give the
ceiling of the design on this machine: inproc_p50_ms / inproc_p95_ms / inproc_qps.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from ..config import ROOT
from ..evaluation.bench import machine
from ..evaluation.evaluate import SPLITS, percentile
from ..learning.items import load_set
from .server import free_port, serve, serving_library

LOAD_CLIENTS = 20
LOAD_PER_CLIENT = 10
LOAD_RUNS = 3


JSON = {"content-type": "application/json"}


def send(conn, method: str, path: str, body: dict | None = None) -> bytes:
    """One request on the client's kept-alive connection: the response body, or an exception."""
    conn.request(method, path, body=None if body is None else json.dumps(body).encode("utf-8"), headers=JSON)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {data[:200]!r}")
    return data


def ask_over_gradio(conn, question: str, session: str) -> dict:
    """One question through Gradio's HTTP API of /ask, in the client's own session (as gradio_client
    and the browser keep one): the answer JSON, or an exception."""
    event = json.loads(send(conn, "POST", "/gradio_api/call/ask",
                            {"data": [question, None, None], "session_hash": session}))["event_id"]
    text = send(conn, "GET", f"/gradio_api/call/ask/{event}").decode("utf-8")
    done = next((e for e in text.split("\n\n") if e.startswith("event: complete")), None)
    if done is None:
        raise RuntimeError(f"no answer: {text[:200]}")
    return checked(json.loads(done.split("data: ", 1)[1])[0])


def ask_over_api(conn, question: str, session: str) -> dict:
    """One question through the JSON API: the answer JSON, or an exception."""
    return checked(json.loads(send(conn, "POST", "/api/ask", {"question": question})))


def checked(answer: dict) -> dict:
    if "answer" not in answer:
        raise RuntimeError(f"error answer: {answer}")
    return answer


def load_clients(port: int, questions: list, ask=ask_over_gradio) -> tuple:
    """LOAD_CLIENTS threads, each a client with its own connection and session asking its share of
    `questions` one after another: (latencies in ms, errors, wall seconds). The standard library's
    client: the load generator shares the 2 cores, and httpx's took 6 ms of CPU a request to its 0.5."""
    from concurrent.futures import ThreadPoolExecutor
    from http.client import HTTPConnection

    def client(n: int) -> tuple:
        conn, session = HTTPConnection("127.0.0.1", port, timeout=60), f"load-{n}-{time.time_ns()}"
        latencies, errors = [], []
        for q in questions[n::LOAD_CLIENTS]:
            t0 = time.perf_counter()
            try:
                ask(conn, q, session)
            except Exception as exc:                   # counted, the client goes on on a new connection
                errors.append(repr(exc))
                conn.close()
            latencies.append((time.perf_counter() - t0) * 1000)
        conn.close()
        return latencies, errors

    t0 = time.perf_counter()
    with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        done = list(pool.map(client, range(LOAD_CLIENTS)))
    return [t for ts, _ in done for t in ts], [e for _, es in done for e in es], time.perf_counter() - t0


def load_questions() -> list:
    dev = [it["question"] for it in load_set(SPLITS["dev"]) if "history" not in it]
    return list(dict.fromkeys(dev))[:LOAD_CLIENTS * LOAD_PER_CLIENT]


def in_process() -> tuple:
    """The load as LOAD_CLIENTS threads calling the serving library directly: (latencies, wall)."""
    from concurrent.futures import ThreadPoolExecutor

    questions = load_questions()
    library = serving_library()

    def client(mine: list) -> list:
        out = []
        for q in mine:
            t0 = time.perf_counter()
            library.ask(q).to_json()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        latencies = [t for ts in pool.map(client, [questions[i::LOAD_CLIENTS] for i in range(LOAD_CLIENTS)]) for t in ts]
    return latencies, time.perf_counter() - t0


def over_http(api: bool) -> list:
    """LOAD_RUNS runs of LOAD_CLIENTS concurrent clients x LOAD_PER_CLIENT questions against one real
    app process (after a warm-up): [(latencies, errors, wall)] per run."""
    questions, ask = load_questions(), (ask_over_api if api else ask_over_gradio)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = serve(port, log)
        try:
            load_clients(port, questions[:LOAD_CLIENTS], ask)          # warm up: connections, caches
            return [load_clients(port, questions, ask) for _ in range(LOAD_RUNS)]
        finally:
            proc.terminate()
            proc.wait(30)


def load(api: bool = False) -> dict:
    """The load over HTTP (medians of LOAD_RUNS), then the same load in a fresh process without HTTP."""
    runs = over_http(api)
    # In a fresh process with the app's environment (one BLAS thread: app.py sets it before numpy loads).
    code = "import json; from qa.serving import load; print(json.dumps(load.in_process()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    inproc, inproc_wall = json.loads(out.stdout.strip().splitlines()[-1])
    errors = [e for _, errs, _ in runs for e in errs]

    def median(fn) -> float:
        return round(statistics.median(fn(*run) for run in runs), 1)
    return {"machine": machine(), "load_path": "/api/ask" if api else "/gradio_api/call/ask",
            "load_clients": LOAD_CLIENTS, "load_questions": len(runs[0][0]), "load_runs": len(runs),
            "load_errors": len(errors), "load_p50_ms": median(lambda lat, e, w: statistics.median(lat)),
            "load_p95_ms": median(lambda lat, e, w: percentile(lat, 0.95)),
            "load_qps": median(lambda lat, e, w: len(lat) / w),
            "load_qps_runs": [round(len(lat) / w, 1) for lat, _, w in runs],
            **({"load_first_error": errors[0]} if errors else {}),
            "inproc_p50_ms": round(statistics.median(inproc), 1), "inproc_p95_ms": round(percentile(inproc, 0.95), 1),
            "inproc_qps": round(len(inproc) / inproc_wall, 1)}


def main(as_json: bool, api: bool = False) -> int:
    from ..evaluation.bench import table

    result = load(api)
    print(json.dumps(result, ensure_ascii=False) if as_json else table(result))
    return 0
