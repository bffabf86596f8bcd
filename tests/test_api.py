"""The JSON API (qa.serving.api) in this process over the tiny plan: the answer JSON, the 4xx of bad
bodies (which never reach the assistant), the bounded queue's 503 and votes; then as part of the
real server (`python app.py`) under 100 clients at once."""
from __future__ import annotations

import asyncio
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urlparse

import httpx
import pytest

from qa.library import Library
from qa.serving import api, feedback
from qa.serving.server import free_port, serve

QUESTION = "今年新建多少个公共充电桩？"


@pytest.fixture
def library(tiny_settings, fake_embedder, tmp_path):
    lib = Library(replace(tiny_settings, feedback_dir=tmp_path / "feedback"), fake_embedder)
    lib.asked = []
    ask = lib.ask

    def spy(question, *args, **kwargs):
        lib.asked.append(question)
        return ask(question, *args, **kwargs)
    lib.ask = spy
    return lib


def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.request(method, path, **kwargs)
    return asyncio.run(go())


def without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def test_ask_returns_the_answer_json_of_qa_ask(library):
    r = call(api.create(library), "POST", "/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    assert without_timings(r.json()) == without_timings(library.ask(QUESTION).to_json())
    assert r.json()["answer"] == "新建公共充电桩1000个"


def test_ask_takes_a_history_and_a_plan(library):
    body = {"question": "老旧小区呢？", "history": [{"question": QUESTION, "answer": "新建公共充电桩1000个"}],
            "plan": "tiny"}
    r = call(api.create(library), "POST", "/api/ask", json=body)
    assert r.status_code == 200 and "95" in r.json()["answer"] and r.json()["resolved_question"]


@pytest.mark.parametrize("body, field", [
    ({"question": 5}, "question"),
    ({"question": QUESTION, "history": "earlier"}, "history"),
    ({"question": QUESTION, "history": [{"q": "a"}]}, "history.0.question"),
    ({"question": QUESTION, "history": [["a", "b"]]}, "history.0"),
    ({"question": QUESTION, "plan": 3}, "plan"),
    ({"question": QUESTION, "mode": "dense"}, "mode"),
    ({"question": ""}, "question"),
    ({"question": "问" * 2001}, "question"),
    ({}, "question"),
])
def test_a_bad_body_is_a_422_naming_the_field_and_never_reaches_the_assistant(library, body, field):
    r = call(api.create(library), "POST", "/api/ask", json=body)
    assert (r.status_code, r.json()["error"]) == (422, api.BAD_BODY)
    assert field in [d["field"] for d in r.json()["detail"]]
    assert library.asked == []


def test_not_json_an_unknown_plan_and_a_blank_question_are_422(library):
    app = api.create(library)
    r = call(app, "POST", "/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (422, api.BAD_BODY)
    r = call(app, "POST", "/api/ask", json={"question": QUESTION, "plan": "nope"})
    assert (r.status_code, r.json()) == (422, {"error": "没有编号为“nope”的计划（现有：tiny）"})
    assert library.asked == []
    r = call(app, "POST", "/api/ask", json={"question": "   "})
    assert (r.status_code, r.json()) == (422, {"error": "请输入一个问题，例如：今年要新建多少个公共充电桩？"})


def test_an_oversize_body_is_a_413_unread(library):
    limit = library.settings.api_body_bytes
    r = call(api.create(library), "POST", "/api/ask", json={"question": QUESTION, "history": [
        {"question": "问", "answer": "答" * limit}]})
    assert (r.status_code, r.json()) == (413, {"error": api.TOO_LARGE.format(n=limit)})
    assert library.asked == []


def test_past_the_queue_bound_the_api_answers_503_with_retry_after_at_once(library):
    library.settings = replace(library.settings, api_queue=2)
    release, started = threading.Event(), threading.Semaphore(0)
    ask = library.ask

    def slow(question, *args, **kwargs):
        started.release()
        release.wait(10)
        return ask(question, *args, **kwargs)
    library.ask = slow
    app = api.create(library)

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            held = [asyncio.create_task(client.post("/api/ask", json={"question": QUESTION})) for _ in range(2)]
            for _ in range(2):
                await asyncio.to_thread(started.acquire, timeout=10)
            busy = await client.post("/api/ask", json={"question": QUESTION})
            health = await client.get("/api/health")
            release.set()
            return busy, health, [await t for t in held]
    busy, health, held = asyncio.run(go())
    assert (busy.status_code, busy.headers["retry-after"], busy.json()) == (503, "1", {"error": api.BUSY})
    assert health.json()["in_server"] == 2
    assert [r.status_code for r in held] == [200, 200]


def test_health_names_the_plans(library):
    r = call(api.create(library), "GET", "/api/health")
    assert r.json() == {"status": "ok", "plans": [{"id": "tiny", "title": library.plans["tiny"].profile.title}],
                        "in_server": 0, "queue_bound": library.settings.api_queue}


def test_a_vote_is_kept_and_a_later_comment_joins_it(library):
    app = api.create(library)
    answer = call(app, "POST", "/api/ask", json={"question": QUESTION}).json()
    first = call(app, "POST", "/api/feedback", json={"question": QUESTION, "answer": answer, "vote": "down"})
    rid = first.json()["id"]
    again = call(app, "POST", "/api/feedback", json={"question": QUESTION, "answer": answer, "vote": "down",
                                                      "comment": "应写明\n年份", "id": rid})
    assert (first.status_code, again.json()) == (200, {"id": rid})
    records, bad = feedback.load(library.settings)
    assert bad == 0 and [(r["id"], r["vote"], r["comment"]) for r in records] == [(rid, "down", ""),
                                                                                  (rid, "down", "应写明 年份")]
    wrong = call(app, "POST", "/api/feedback", json={"question": QUESTION, "answer": {"citations": [1]}, "vote": "up"})
    assert (wrong.status_code, wrong.json()) == (422, {"error": api.BAD_ANSWER})


def test_docs_describe_the_endpoints(library):
    app = api.create(library)
    assert call(app, "GET", "/docs").status_code == 200
    paths = call(app, "GET", "/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/feedback", "/api/health"} <= set(paths)


# The real server: `python app.py` with the model, 100 clients at once.

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    port = free_port()
    with open(folder / "app.log", "w") as log:
        try:
            proc = serve(port, log, {"QA_STRICT_INDEX": "1", "QA_FEEDBACK_DIR": str(folder / "feedback")}, timeout=180)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{(folder / 'app.log').read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}", folder / "feedback" / feedback.FILE
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.model
def test_a_request_without_content_length_is_a_411(server):
    url = urlparse(server[0])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", "/api/ask", body=iter([json.dumps({"question": QUESTION}).encode()]),
                 headers={"content-type": "application/json"}, encode_chunked=True)
    r = conn.getresponse()
    assert (r.status, json.loads(r.read())) == (411, {"error": api.NO_LENGTH})


@pytest.mark.model
def test_overload_gets_only_answers_and_503s_and_every_vote_lands_whole(server):
    base, votes_file = server
    questions = ["今年要新建多少个公共充电桩？", "今年城镇新增就业目标是多少？", "今年PM2.5年均浓度目标是多少？"]

    def client(i: int) -> list:
        out = []
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as http_:
            for j in range(3):
                q = questions[(i + j) % 3]
                r = http_.post("/api/ask", json={"question": q})
                out.append(("ask", r.status_code, r.headers.get("retry-after")))
                if r.status_code == 200:
                    v = http_.post("/api/feedback", json={"question": q, "answer": r.json(), "vote": "up",
                                                           "comment": f"客户{i}-{j}"})
                    out.append(("vote", v.status_code, v.headers.get("retry-after")))
        return out

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = [r for rs in pool.map(client, range(100)) for r in rs]
    statuses = {(kind, status) for kind, status, _ in results}
    assert statuses <= {("ask", 200), ("ask", 503), ("vote", 200), ("vote", 503)}
    assert ("ask", 200) in statuses
    assert all(after == "1" for _, status, after in results if status == 503)
    # the server lives on and answers
    assert httpx.get(f"{base}/api/health", trust_env=False).json()["status"] == "ok"
    after = httpx.post(f"{base}/api/ask", json={"question": questions[0]}, timeout=30, trust_env=False)
    assert after.status_code == 200 and "580" in after.json()["answer"]
    # every vote answered 200 is one whole line of the feedback file
    lines = votes_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(1 for kind, status, _ in results if (kind, status) == ("vote", 200))
    assert all(set(json.loads(line)) == set(feedback.KEYS) for line in lines)
    print(f"\noverload: {sum(s == 503 for _, s, _ in results)} of {len(results)} requests answered 503")
