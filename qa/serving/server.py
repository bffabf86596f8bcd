"""Serving: the assistant as a server runs it, and starting the app as a process (the load bench and
the browser tests start it so)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from urllib.request import urlopen

from ..config import ROOT, Settings
from ..library import Library
from .batching import Batcher

WARM_UP = "今年要新建多少个公共充电桩？"


def serving_library(settings: Settings | None = None) -> Library:
    """Every plan as a server answers them (the app, qa bench --load): concurrent questions share
    encoder passes (qa.serving.batching) on serve_threads torch threads, and the model is loaded and
    warmed before the first user arrives."""
    library = Library(settings)
    s, embedder = library.settings, library.embedder
    embedder.batch_queries(Batcher(embedder.encode_now, s.query_batch), s.serve_threads)
    library.ask(WARM_UP)
    return library


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
