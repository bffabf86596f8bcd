"""The app as a real process: its /ask API through gradio_client, and the page in headless Chromium."""
from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

import pytest

from qa.serving.server import free_port, serve

pytestmark = [pytest.mark.model, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
INJECTION = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
             '[点我](http://evil.example) 今年要新建多少个公共充电桩？')
GOLDEN = [  # question, text the answer must hold, text the first citation must hold
    ("今年要新建多少个公共充电桩？", "580", "新建公共充电桩580个"),
    ("2024年全市生产总值预期增长多少？", "7%", "生产总值增长7%左右"),
    ("我家娃不到3岁，今年托位能多多少？", "1900", "托位数1900个"),
]


@pytest.fixture(scope="module")
def app_log(tmp_path_factory):
    return tmp_path_factory.mktemp("app") / "app.log"


@pytest.fixture(scope="module")
def feedback_dir(tmp_path_factory):
    """Where the app process writes its 👍/👎 records (QA_FEEDBACK_DIR), never the repository's."""
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="module")
def app_url(app_log, feedback_dir):
    """`python app.py --port N` as a real server process, on loopback."""
    port = free_port()
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "QA_STRICT_INDEX": "1", "QA_FEEDBACK_DIR": str(feedback_dir)}
    with open(app_log, "w") as out:
        try:
            proc = serve(port, out, env, timeout=180)
        except RuntimeError as exc:                  # exited, or no page within 180 s
            pytest.fail(f"{exc}:\n{app_log.read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


@pytest.mark.parametrize("question, answer_part, cited", GOLDEN)
def test_ask_endpoint_answers_with_citation(client, question, answer_part, cited):
    result = client.predict(question, api_name="/ask")
    assert set(result) == {"question", "answer", "abstained", "citations", "timings_ms", "kind"}
    assert {c["plan"] for c in result["citations"]} == {"luohe-2024"}
    assert result["abstained"] is False and answer_part in result["answer"]
    assert cited in result["citations"][0]["text"]
    assert result["answer"] in result["citations"][0]["text"]


def test_ask_endpoint_takes_a_history(client):
    history = [{"question": "今年新增技能人才多少？", "answer": "新增技能人才3.8万人、高技能人才2.8万人。"}]
    result = client.predict("高技能人才呢？", history, api_name="/ask")
    assert result["resolved_question"] == "今年新增高技能人才多少？"
    assert "2.8万人" in result["answer"] and not result["abstained"]
    bad = client.predict("高技能人才呢？", [{"q": 1}], api_name="/ask")
    assert bad["error"].startswith("对话历史格式不对")


def test_ask_endpoint_reports_an_empty_question(client):
    result = client.predict("   ", api_name="/ask")
    assert result["question"] == "   " and result["error"].startswith("请输入一个问题")


def test_ask_endpoint_takes_a_plan(client):
    result = client.predict("今年要新建多少个公共充电桩？", None, "luohe-2024", api_name="/ask")
    assert {(c["plan"], c["plan_title"]) for c in result["citations"]} == {
        ("luohe-2024", "漯河市2024年国民经济和社会发展计划")}
    bad = client.predict("今年要新建多少个公共充电桩？", None, "nope", api_name="/ask")
    assert bad["error"] == "没有编号为“nope”的计划（现有：luohe-2024）"


def test_eight_concurrent_asks_all_succeed(app_url):
    from gradio_client import Client

    questions = [GOLDEN[i % len(GOLDEN)] for i in range(8)]

    def ask(item):
        return item, Client(app_url, verbose=False).predict(item[0], api_name="/ask")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, questions))
    assert [answer_part in r["answer"] for (_, answer_part, _), r in results] == [True] * 8


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the README's test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """Where the tests write their screenshots (tests/screenshots/ keeps the copies the README shows)."""
    return tmp_path_factory.mktemp("screenshots")


def open_page(browser, app_url, viewport=DESKTOP, locale="zh-CN"):
    page = browser.new_page(viewport=viewport, locale=locale)
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(app_url, wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


@pytest.fixture
def page(browser, app_url):
    page = open_page(browser, app_url)
    yield page
    page.close()


BOT = "#chatbot [data-testid=bot]"


def ask(page, question: str) -> None:
    """Ask in the chat and wait for the answer to this question (one more bot message)."""
    before = page.locator(BOT).count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length > {before}", timeout=30_000)


def last_reply(page) -> str:
    return page.locator(BOT).last.inner_text()


def last_bot(page):
    return page.locator(BOT).last


def test_question_answer_citation_and_plan(page, app_url, screenshots):
    ask(page, "今年要新建多少个公共充电桩？")
    reply = last_bot(page)
    assert reply.locator(".reply").inner_text() == "新建公共充电桩580个[1]"
    assert reply.locator(".source .passage mark").first.inner_text() == "新建公共充电桩580个"
    labels = reply.locator(".source .path").all_inner_texts()
    assert labels[0] == "[1] 三 › (五) › 提升城市品质 › 新建公共充电桩580个" and len(set(labels)) == len(labels)
    page.screenshot(path=str(screenshots / "app_answer.png"), full_page=True)
    # [1] is a link to its source; the source's link opens the same place in the plan, highlighted
    reply.locator("a.cite").click()
    assert page.evaluate("location.hash") == "#s1-1"
    reply.locator("a.open-plan").first.click()
    page.wait_for_selector("#plan mark", timeout=30_000)
    assert "新建公共充电桩580个" in page.inner_text("#plan mark")
    assert "三 › (五) › 提升城市品质" in page.inner_text("#plan .path")
    page.screenshot(path=str(screenshots / "app_plan.png"), full_page=True)
    outside = [u for u in page.requests if not u.startswith(app_url)]
    assert outside == []


def test_each_answer_keeps_its_own_sources(page):
    ask(page, "今年要新建多少个公共充电桩？")
    ask(page, "今年PM2.5年均浓度目标是多少？")
    first, second = page.locator(BOT).first, page.locator(BOT).last
    assert first.locator(".source .passage mark").first.inner_text() == "新建公共充电桩580个"
    assert "PM2.5" in second.locator(".source .passage mark").first.inner_text()
    # every [n] of every answer links to a source of that same answer
    for bot in (first, second):
        targets = bot.locator("a.cite").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        ids = bot.locator(".source").evaluate_all("s => s.map(e => '#' + e.id)")
        assert targets and set(targets) <= set(ids)
    # the earlier answer's source still opens its own passage
    first.locator("a.open-plan").first.click()
    page.wait_for_selector("#plan mark", timeout=30_000)
    assert "新建公共充电桩580个" in page.inner_text("#plan mark")


def test_overview_answer_lists_cited_points_with_distinct_sources(page, screenshots):
    ask(page, "乡村振兴今年有哪些举措？")
    reply = last_bot(page)
    lines = reply.locator(".reply").inner_text().splitlines()
    assert lines[0] == "计划中与此相关的要点："
    points = lines[1:]
    assert 3 <= len(points) <= 6 and all(line[0] in "①②③④⑤⑥" and line.endswith("]") for line in points)
    marks = reply.locator(".source .passage mark").all_inner_texts()
    assert sorted(marks) == sorted(line[1:line.rindex("[")] for line in points)    # each point highlighted
    labels = reply.locator(".source .path").all_inner_texts()
    assert len(set(labels)) == len(labels)
    page.screenshot(path=str(screenshots / "app_overview.png"), full_page=True)


RECT = "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_layout_shows_the_newest_question_and_its_answer_with_nothing_over_them(browser, app_url, screenshots,
                                                                                viewport):
    page = open_page(browser, app_url, viewport)
    try:
        assert not page.get_by_role("button", name="我家娃不到3岁，今年托位能多多少？").is_visible()   # examples folded
        ask(page, "今年要新建多少个公共充电桩？")
        ask(page, "乡村振兴今年有哪些举措？")
        height = viewport["height"]
        page.wait_for_function(f"""(() => {{ const q = [...document.querySelectorAll('#chatbot [data-testid=user]')].pop();
            const top = q.getBoundingClientRect().top; return top >= -2 && top < {height} / 2; }})()""", timeout=10_000)
        page.wait_for_timeout(300)
        at = page.evaluate(f"""(() => {{ const rect = {RECT}; const bot = [...document.querySelectorAll('{BOT}')].pop();
            const controls = [...document.querySelectorAll('#chatbot button, #chatbot label, #chatbot .scroll-down-button-container')];
            return {{question: rect([...document.querySelectorAll('#chatbot [data-testid=user]')].pop()),
                     text: rect(bot.querySelector('.reply')), sources: rect(bot.querySelector('details.sources')),
                     controls: controls.filter(e => e.offsetParent !== null).map(rect)}}; }})()""")
        question, text = at["question"], at["text"]
        assert -2 <= question[1] < question[3] <= text[1] < height * 0.5        # the question, then the answer's start
        page.screenshot(path=str(screenshots / f"app_{viewport['width']}x{viewport['height']}.png"))
        # the sources sit right under the answer, folded by one click
        assert -2 <= at["sources"][1] - text[3] < 40
        sources = last_bot(page).locator("details.sources")
        assert sources.evaluate("d => d.open") is True
        sources.locator("summary").first.click()
        assert sources.evaluate("d => d.open") is False
        # no visible control of the chat is drawn over the answer's text
        assert [r for r in at["controls"] if overlaps(r, text)] == []
    finally:
        page.close()


ENGLISH = re.compile(r"[A-Za-z]{3,}")
ALLOWED = {"CSV", "API", "PM2"}


def test_the_page_is_chinese_whatever_the_browser_language(browser, app_url):
    page = open_page(browser, app_url, locale="en-US")
    try:
        ask(page, "今年要新建多少个公共充电桩？")
        labels = page.locator("#chatbot button").evaluate_all(
            "bs => bs.filter(b => b.offsetParent !== null).map(b => b.getAttribute('aria-label'))")
        assert "复制" in labels and not [a for a in labels if a and ENGLISH.search(a)]
        seen = set()
        for tab in ("问答", "目标清单", "浏览计划"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(800)
            seen |= set(page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.offsetParent !== null)
                .flatMap(e => [e.getAttribute('title') || '', e.getAttribute('placeholder') || '',
                               ...[...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim())])
                .filter(t => t && !t.includes('{'))"""))
        english = {w for t in seen for w in ENGLISH.findall(t)} - ALLOWED
        assert english == set()
    finally:
        page.close()


def test_two_questions_in_one_get_two_answers(page):
    ask(page, "今年新培育省级专精特新中小企业多少家？城镇新增就业目标是多少？")
    reply = last_bot(page).locator(".reply").inner_text()
    assert reply.startswith("①") and "②" in reply
    assert "20家" in reply and "3万人以上" in reply


def visible_clear_controls(page) -> int:
    return page.evaluate("""[...document.querySelectorAll('button')].filter(b => b.offsetParent !== null &&
        ((b.getAttribute('aria-label') || '') + b.innerText).includes('清空')).length""")


def test_two_turn_conversation_then_one_clear_clears_everything(page):
    ask(page, "今年新增技能人才多少？")
    ask(page, "高技能人才呢？")
    reply = last_reply(page)
    assert reply.startswith("按“今年新增高技能人才多少？”理解") and "2.8万人" in reply
    assert visible_clear_controls(page) == 1
    page.click("#clear")
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length === 0", timeout=30_000)
    assert page.locator("#chatbot .source").count() == 0
    ask(page, "高技能人才呢？")                  # no history any more: read on its own
    assert "按“" not in last_reply(page)


def feedback_records(feedback_dir) -> list:
    path = feedback_dir / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def wait_for_records(feedback_dir, n: int) -> list:
    deadline = time.time() + 10
    while time.time() < deadline and len(feedback_records(feedback_dir)) < n:
        time.sleep(0.2)
    return feedback_records(feedback_dir)


def test_feedback_dislike_with_a_comment_is_recorded(page, feedback_dir):
    before = len(feedback_records(feedback_dir))
    ask(page, "今年要新建多少个公共充电桩？")
    page.locator("#chatbot button[aria-label=踩]").last.click()
    page.wait_for_selector("#feedback-comment textarea", timeout=10_000)
    assert page.inner_text("#feedback-note").startswith("已记录，谢谢反馈。")
    vote = wait_for_records(feedback_dir, before + 1)[before]
    page.fill("#feedback-comment textarea", "应该写明\n哪年建成 <b>")
    page.click("#feedback-send")
    records = wait_for_records(feedback_dir, before + 2)[before:]
    assert len(records) == 2
    assert [(r["vote"], r["question"], r["answer"], r["comment"]) for r in records] == [
        ("down", "今年要新建多少个公共充电桩？", "新建公共充电桩580个", ""),
        ("down", "今年要新建多少个公共充电桩？", "新建公共充电桩580个", "应该写明 哪年建成 <b>")]
    assert records[1]["id"] == vote["id"] and records[1]["resolved_question"] is None
    assert records[1]["citations"][0]["span"] == "新建公共充电桩580个"
    assert set(records[1]) == {"id", "time", "question", "resolved_question", "answer", "citations", "vote", "comment"}
    page.wait_for_function("document.querySelector('#feedback-note').innerText.trim() === '已记录，谢谢反馈。'",
                           timeout=10_000)
    page.click("#clear")                     # a new conversation: no vote, no comment box, no note
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length === 0", timeout=30_000)
    assert (page.locator("#feedback-comment textarea").count(), page.inner_text("#feedback-note").strip()) == (0, "")


def test_browse_to_a_section(page):
    page.get_by_role("tab", name="浏览计划").click()
    page.click("#tree input")
    page.get_by_role("option", name="提高公共服务水平").click()
    page.wait_for_function("document.querySelector('#plan').innerText.includes('托位数1900个')", timeout=30_000)
    assert "三 › (九) › 提高公共服务水平" in page.inner_text("#plan .path")


def test_injection_renders_as_text(page, app_url):
    ask(page, INJECTION)
    page.wait_for_function("document.querySelector('#chatbot').innerText.includes('[1]')", timeout=30_000)
    chat = page.locator("#chatbot")
    assert INJECTION in chat.inner_text()
    assert (chat.locator("img").count(), chat.locator("script").count(),
            chat.locator("a[href*='evil']").count()) == (0, 0, 0)
    assert page.evaluate("window.__pwned") is None
    assert [u for u in page.requests if not u.startswith(app_url)] == []


def test_commitments_tab_filters_downloads_and_opens_the_plan(page, tmp_path):
    page.get_by_role("tab", name="目标清单").click()
    page.fill("#c-keyword textarea", "充电桩")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#c-count').innerText.includes('共 1 条')", timeout=30_000)
    page.wait_for_function("document.querySelector('#c-table [data-testid=cell-0-3]')?.innerText === '580'",
                           timeout=30_000)
    assert page.inner_text("#c-table [data-testid=cell-0-2]") == "新建公共充电桩"
    headers = page.locator("#c-table th").all_inner_texts()
    assert headers[0].strip() == "类型" and not any(h.strip() == "编号" for h in headers)
    sentence = page.locator("#c-table [data-testid=cell-0-6]")
    assert "新建公共充电桩580个" in sentence.inner_text()
    assert sentence.evaluate("e => e.scrollWidth <= e.clientWidth + 1")        # the whole sentence, not cut
    with page.expect_download() as download:
        page.click("#c-csv")
    csv_path = tmp_path / "commitments.csv"
    download.value.save_as(csv_path)
    rows = csv_path.read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and "580" in rows[1]
    page.click("#c-table [data-testid=cell-0-2]")
    page.wait_for_selector("#plan mark", timeout=30_000)
    assert "新建公共充电桩580个" in page.inner_text("#plan mark")


def test_binds_loopback_unless_told_otherwise():
    import app
    assert app.parse_args([]).host == "127.0.0.1"
    assert app.parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"
    assert app.parse_args([]).log_questions is False


def test_no_endpoint_serves_a_path_the_user_names(app_url):
    from urllib.error import HTTPError
    for path in ("gradio_api/file=/etc/passwd", "file=/etc/passwd", "gradio_api/file=../../etc/passwd"):
        try:
            with urlopen(app_url + path, timeout=10) as r:
                body = r.read().decode("utf-8", "replace")
            assert "root:" not in body, path
        except HTTPError as exc:
            assert exc.code in (403, 404, 405), path


def test_questions_are_not_logged_by_default(client, app_log):
    marker = "日志测试问题一二三今年新建多少个公共充电桩"
    client.predict(marker, api_name="/ask")
    assert marker not in app_log.read_text(encoding="utf-8")


def test_load_twenty_clients_ten_questions_each(app_url):
    """Bounded load over loopback: 20 concurrent clients x 10 questions, zero errors."""
    from gradio_client import Client

    questions = [q for q, _, _ in GOLDEN] + ["今年城镇新增就业目标是多少？", "2024年PM2.5年均浓度目标是多少？"]

    def client_run(i):
        c, times = Client(app_url, verbose=False), []
        for j in range(10):
            t0 = time.perf_counter()
            result = c.predict(questions[(i + j) % len(questions)], api_name="/ask")
            times.append((time.perf_counter() - t0) * 1000)
            assert "error" not in result and result["citations"]
        return times

    with ThreadPoolExecutor(max_workers=20) as pool:
        times = sorted(t for ts in pool.map(client_run, range(20)) for t in ts)
    assert len(times) == 200
    print(f"\nload: 200 requests, p50 {times[100]:.0f} ms, p95 {times[190]:.0f} ms")
