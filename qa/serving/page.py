"""The page's own script (app.py): Chinese whatever the browser's language, and the links the chat's
HTML cannot wire itself. It is put at the top of the page's <head> by WithScript, because Gradio
chooses its language from navigator.language before any `head` or `js` it is given has run."""
from __future__ import annotations

SCRIPT = """<script>
(() => {
  // Gradio's own labels (copy, like, table, upload) follow the browser's language: the app is Chinese.
  for (const [key, value] of [["language", "zh-CN"], ["languages", ["zh-CN", "zh"]]]) {
    try { Object.defineProperty(navigator, key, {get: () => value, configurable: true}); } catch (e) {}
  }
  // A source's 在计划中查看 link: its id (open-k-n) goes to the server through the hidden #open-ref box.
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.open-plan") : null;
    const box = document.querySelector("#open-ref textarea");
    if (!link || !box) return;
    event.preventDefault();
    box.value = link.id;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    setTimeout(() => document.querySelector("#open-go").click(), 0);
  });
})();
</script>"""

# After an answer: the newest question at the top of the view, its answer below it (not the end of
# the chat, where a long answer's sources would be all that shows on a phone).
SHOW_NEWEST_QUESTION = """() => {
  const asked = document.querySelectorAll("#chatbot [data-testid=user]");
  if (asked.length) asked[asked.length - 1].scrollIntoView({block: "start"});
}"""


class WithScript:
    """Pure ASGI middleware: the page at / gets SCRIPT first thing in its <head>."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            return await self.app(scope, receive, send)
        start, body = None, []

        async def held(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            headers = dict(start["headers"])
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                page = page.replace(b"<head>", b"<head>" + SCRIPT.encode("utf-8"), 1)
            start["headers"] = [(k, v) for k, v in start["headers"] if k != b"content-length"] + \
                [(b"content-length", str(len(page)).encode())]
            await send(start)
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, held)
