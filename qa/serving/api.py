"""The JSON API beside the app, on the same server process and the same assistant (app.py mounts the
Gradio page under it, so questions from both share the encoder's batching queue):

- POST /api/ask {"question", "history"?, "plan"?}: the answer JSON of `qa ask --json`
- POST /api/feedback {"question", "answer", "vote", "comment"?, "id"?}: a 👍/👎 on an answer
- GET /api/health: the plans served and the questions in the server now
- GET /docs: the OpenAPI docs (/openapi.json)

Bodies are checked before any work: a wrong type, an unknown key, a bad history shape, an over-long
field or a body over settings.api_body_bytes gets a 4xx JSON {"error": "<Chinese message>",
"detail"?} and never reaches the model. The queue is bounded: with settings.api_queue requests
already in the server (answering, or waiting for one of settings.api_threads threads), the next gets
503 with Retry-After at once, instead of a latency that grows without limit.
"""
from __future__ import annotations

from typing import Literal

import anyio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..library import Library
from ..reading.dialogue import MAX_TURN_CHARS, MAX_TURNS
from . import feedback

QUESTION_CHARS = feedback.QUESTION_CHARS          # the app's question box holds no more
ANSWER_CHARS = 20_000
BUSY = "服务繁忙，请稍后再试。"
BAD_BODY = "请求格式不对：请发送 JSON，如 {\"question\": \"今年要新建多少个公共充电桩？\"}。"
TOO_LARGE = "请求太大：请求体不能超过 {n} 字节。"
NO_LENGTH = "请求缺少 Content-Length。"
BAD_ANSWER = "answer 应是 /api/ask 返回的回答 JSON。"


# Bounds that refuse absurd bodies only: the reading keeps the last MAX_TURNS turns, each question cut
# to MAX_TURN_CHARS (qa.reading.dialogue).
class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(max_length=MAX_TURN_CHARS * 10, description="an earlier question")
    answer: str | None = Field(default=None, max_length=ANSWER_CHARS, description="the answer it got")


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"question": "那托育呢？", "history": [{"question": "今年要新建多少个公共充电桩？",
                                                          "answer": "新建公共充电桩580个"}]}]})
    question: str = Field(min_length=1, max_length=QUESTION_CHARS, description="the question, in Chinese")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_TURNS * 5,
                                description="the conversation so far, oldest first (the last turns are read)")
    plan: str | None = Field(default=None, description="a plan id (GET /api/health lists them); "
                                                       "default: the plan the question speaks of")


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(min_length=1, max_length=QUESTION_CHARS)
    answer: dict = Field(description="the answer JSON as /api/ask returned it")
    vote: Literal["up", "down"] | None = Field(description="None withdraws an earlier vote with this id")
    comment: str = Field(default="", max_length=2000)
    id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8,32}$",
                           description="the id an earlier vote on this answer returned")


def error(status: int, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


class BodyLimit:
    """Pure ASGI: a POST to /api/ without Content-Length, or with more than `limit` bytes, is
    answered 411/413 before its body is read."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].startswith("/api/"):
            length = dict(scope["headers"]).get(b"content-length")
            reply = (error(411, NO_LENGTH) if length is None or not length.isdigit() else
                     error(413, TOO_LARGE.format(n=self.limit)) if int(length) > self.limit else None)
            if reply is not None:
                return await reply(scope, receive, send)
        await self.app(scope, receive, send)


def unknown_plan(library: Library, plan: str | None) -> JSONResponse | None:
    """422 naming the plans there are, for a plan that is not there (Library.plan's message)."""
    try:
        if plan is not None:
            library.plan(plan)
    except ValueError as exc:
        return error(422, str(exc))
    return None


def create(library: Library) -> FastAPI:
    s = library.settings
    app = FastAPI(title="国民经济和社会发展计划问答 API", version="1", docs_url="/docs", redoc_url=None,
                  description="答案均摘自计划原文，并标注出处；计划没有写的，直说没有。")
    limiter = anyio.CapacityLimiter(s.api_threads)
    load = {"in_server": 0}                  # touched only on the event loop: no lock needed
    app.add_middleware(BodyLimit, limit=s.api_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def bad_body(request, exc: RequestValidationError):
        detail = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()]
        return error(422, BAD_BODY, detail=detail)

    async def in_threads(fn):
        """Run `fn` on a worker thread unless api_queue requests are in already (then 503)."""
        if load["in_server"] >= s.api_queue:
            return error(503, BUSY, headers={"Retry-After": "1"})
        load["in_server"] += 1
        try:
            return await anyio.to_thread.run_sync(fn, limiter=limiter)
        finally:
            load["in_server"] -= 1

    @app.post("/api/ask", summary="回答一个问题（JSON 同 qa ask --json）")
    async def ask(body: Ask):
        if (missing := unknown_plan(library, body.plan)) is not None:
            return missing
        history = [t.model_dump(exclude_none=True) for t in body.history]

        def answer():
            try:
                # Serialised here, on the worker thread: FastAPI's encoder would walk the answer on the event loop.
                return JSONResponse(library.ask(body.question, history=history, plan=body.plan).to_json())
            except ValueError as exc:            # an empty question, one without words
                return error(422, str(exc))
        return await in_threads(answer)

    @app.post("/api/feedback", summary="对一条回答点 👍/👎（可附意见）")
    async def vote(body: Vote):
        try:
            rec = feedback.record(body.question, body.answer, body.vote, body.comment,
                                  limit=s.feedback_comment_chars, rid=body.id)
        except (KeyError, TypeError, IndexError, AttributeError):
            return error(422, BAD_ANSWER)

        def save():
            try:
                feedback.append(s, rec)
                return {"id": rec["id"]}
            except OSError:
                return error(500, feedback.FAILED)
        return await in_threads(save)

    @app.get("/api/health", summary="服务状态")
    async def health():
        return {"status": "ok", "plans": [{"id": pid, "title": a.profile.title} for pid, a in library.plans.items()],
                "in_server": load["in_server"], "queue_bound": s.api_queue}

    return app
