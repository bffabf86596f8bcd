"""Writing files so that none is ever half-written: the bytes go to a temp file beside the target,
are fsynced, and the temp file is renamed onto the target; readers see the old file or the new one."""
from __future__ import annotations

import os
import threading
from pathlib import Path


def stage(target: Path, data: bytes) -> Path:
    """`data` in a fsynced temp file beside `target` (named for this process and thread); the caller
    renames it into place, e.g. after staging the other files of one set."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(target: Path, data: bytes) -> Path:
    """Replace `target` by `data` atomically; on any failure the temp file is removed."""
    target = Path(target)
    tmp = stage(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
