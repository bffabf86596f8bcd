"""The batching queue in front of the encoder (qa.batching): callers share passes, each gets its rows."""
import threading
import time

import numpy as np
import pytest

from qa.serving.batching import Batcher


class SlowEncoder:
    """One row per text ([length, first code point]); each call takes `seconds` (the GIL released)."""

    def __init__(self, seconds: float = 0.05, fail_on: str | None = None):
        self.seconds, self.fail_on, self.sizes = seconds, fail_on, []

    def __call__(self, texts: list) -> np.ndarray:
        self.sizes.append(len(texts))
        time.sleep(self.seconds)
        if self.fail_on in texts:
            raise RuntimeError("encoder failed")
        return np.array([[len(t), ord(t[0])] for t in texts], np.float32)


def run_together(batcher, requests: list) -> list:
    """Every request from its own thread, all released at once; the results in request order."""
    results, start = [None] * len(requests), threading.Barrier(len(requests))

    def call(i):
        start.wait()
        try:
            results[i] = batcher(requests[i])
        except RuntimeError as exc:
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_concurrent_callers_share_passes_and_get_their_own_rows():
    encoder = SlowEncoder()
    batcher = Batcher(encoder, max_batch=32)
    requests = [[chr(0x4e00 + i) * (i + 1)] for i in range(12)] + [["甲", "乙乙"]]
    results = run_together(batcher, requests)
    for texts, rows in zip(requests, results):
        np.testing.assert_array_equal(rows, [[len(t), ord(t[0])] for t in texts])
    assert sum(encoder.sizes) == 14 and len(encoder.sizes) < 13 and batcher.calls == len(encoder.sizes)


def test_a_pass_holds_at_most_max_batch_texts_unless_one_request_is_larger():
    encoder = SlowEncoder()
    batcher = Batcher(encoder, max_batch=4)
    run_together(batcher, [["一"]] * 12)
    assert max(encoder.sizes) <= 4 and sum(encoder.sizes) == 12
    assert batcher(["二"] * 9).shape == (9, 2) and encoder.sizes[-1] == 9


def test_a_lone_caller_is_encoded_at_once():
    encoder = SlowEncoder(seconds=0)
    batcher = Batcher(encoder)
    for text in ("漯河", "今年要新建多少个公共充电桩？"):
        np.testing.assert_array_equal(batcher([text]), [[len(text), ord(text[0])]])
    assert encoder.sizes == [1, 1]


def test_an_error_reaches_every_caller_of_that_pass_and_the_queue_lives_on():
    encoder = SlowEncoder(seconds=0.2, fail_on="坏")
    batcher = Batcher(encoder)
    first = threading.Thread(target=batcher, args=(["先"],))   # occupies the worker, so the rest queue
    first.start()
    time.sleep(0.05)
    results = run_together(batcher, [["坏"], ["好"]])
    first.join()
    assert encoder.sizes == [1, 2]                             # the two waiting requests shared a pass
    assert [str(r) for r in results] == ["encoder failed"] * 2
    np.testing.assert_array_equal(batcher(["好"]), [[1, ord("好")]])


def test_the_real_embedder_batches_through_the_queue(fake_embedder):
    """Embedder.encode_query goes through the queue once batch_queries is called (the app's path)."""
    pytest.importorskip("torch")
    from qa.index.embedding import Embedder

    e = Embedder("/nonexistent", "fake", "fp", "query: ", "passage: ", fast_queries=False)
    e.encode_now = fake_embedder.encode_query
    e.batch_queries(Batcher(e.encode_now, 8), threads=1)
    texts = ["今年新建多少个公共充电桩？", "托位"]
    np.testing.assert_array_equal(e.encode_query(texts), fake_embedder.encode_query(texts))
    assert e._batcher.calls == 1
