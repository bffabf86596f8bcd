"""Adding a plan (`python -m qa add PATH [--id ID]`): a UTF-8 text file, one paragraph per line
(the title first, as the seed's page), checked and copied verbatim into a new folder of the corpus
with its clean text and derived profile. A file that is not a plan (empty, binary, not UTF-8, no
year in its title or headings) is refused with the reason, and nothing is written: the folder is
staged beside its place and renamed into it whole."""
from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

from ..files import stage
from . import profile
from .document import clean_text, page_parts, parse

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
BAD_ID = "计划编号“{id}”不可用：请用 --id 指定，只含小写字母、数字和连字符，如 shi-jihua。"
TAKEN = "已有编号为“{id}”的计划：{path}。请用 --id 换一个编号。"
NOT_FOUND = "找不到文件：{path}"
BINARY = "文件不是文本（含有二进制内容）：{path}"
NOT_UTF8 = "文件不是 UTF-8 编码的文本：{path}"
EMPTY = "文件是空的：{path}"
README = """# {title}

Added by `python -m qa add {source}` on {day}. `page.txt` is that file as given (verbatim);
`clean.txt` and `profile.json` are derived from it (check the profile: the years and each section's
role). Record the plan's provenance (publisher, address, date) here.
"""


def read_page(path: Path) -> str:
    """The file's text, or ValueError saying why it is not a plan's text."""
    if not path.is_file():
        raise ValueError(NOT_FOUND.format(path=path))
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError(BINARY.format(path=path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(NOT_UTF8.format(path=path)) from None
    if not text.strip():
        raise ValueError(EMPTY.format(path=path))
    return text


def add(path: Path, settings, plan_id: str | None = None) -> tuple:
    """(Profile, problems, folder) of the plan added from `path` to settings.corpus_dir."""
    path = Path(path)
    text = read_page(path)
    plan_id = plan_id or path.stem.lower()
    if not ID_RE.match(plan_id):
        raise ValueError(BAD_ID.format(id=plan_id))
    target = Path(settings.corpus_dir) / plan_id
    if target.exists():
        raise ValueError(TAKEN.format(id=plan_id, path=target))
    title, source, day, _ = page_parts(text)
    clean = clean_text(text, [])
    found, problems = profile.derive(parse(clean, title, source, day, plan_id), plan_id)
    staging = target.with_name(f".{plan_id}.{os.getpid()}.adding")
    staging.mkdir(parents=True)
    try:
        readme = README.format(title=title, source=path.name, day=date.today().isoformat())
        files = {settings.page_file: path.read_bytes(), settings.clean_file: clean.encode("utf-8"),
                 "README.md": readme.encode("utf-8")}
        for name, content in files.items():
            os.replace(stage(staging / name, content), staging / name)
        profile.write(found, staging / settings.profile_file)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return found, problems, target
