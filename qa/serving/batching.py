"""A batching queue in front of an encoder: concurrent callers share forward passes.

One worker thread takes every request waiting, encodes their texts in one call, and hands each
caller its rows. Nothing waits on a timer: a caller alone is encoded at once, and callers who arrive
while a pass runs form the next one. The encoder releases the GIL while it computes, so the other
threads go on retrieving and selecting meanwhile.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import numpy as np


class Batcher:
    def __init__(self, encode, max_batch: int = 32):
        self.encode, self.max_batch = encode, max_batch
        self.calls = 0                      # encoder calls made: fewer than requests under load
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="query-batcher", daemon=True).start()

    def __call__(self, texts: list) -> np.ndarray:
        future: Future = Future()
        self._pending.put((list(texts), future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self._pending.get()]
            size = len(batch[0][0])
            while size < self.max_batch:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
                size += len(batch[-1][0])
            self._serve(batch)

    def _serve(self, batch: list) -> None:
        try:
            self.calls += 1
            vectors = self.encode([t for texts, _ in batch for t in texts])
        except BaseException as exc:        # every caller of this pass gets the error, the worker lives on
            for _, future in batch:
                future.set_exception(exc)
            return
        start = 0
        for texts, future in batch:
            future.set_result(vectors[start:start + len(texts)])
            start += len(texts)
