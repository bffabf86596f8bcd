"""Reciprocal-rank fusion, dense search against a numpy brute force, and the Retriever."""
import faiss
import numpy as np
import pytest

from qa.reading.query import Query
from qa.reading.text import normalize

from qa.search.fusion import rrf
from qa.search.retrieval import Retriever, dense_search


def test_rrf_hand_made_rankings():
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [doc for doc, _ in fused] == ["b", "c", "a", "d"]
    assert [s for _, s in fused] == pytest.approx([1 / 62 + 1 / 61, 1 / 63 + 1 / 62, 1 / 61, 1 / 63])


def test_rrf_k_and_ties_by_first_seen():
    assert rrf([["x", "y"]], k=0) == [("x", 1.0), ("y", 0.5)]
    assert [doc for doc, _ in rrf([["a", "b"], ["b", "a"]])] == ["a", "b"]   # equal scores


def test_rrf_weights_change_the_order():
    fused = rrf([["a", "b"], ["b", "a"]], k=60, weights=[1.0, 2.0])
    assert fused == [("b", pytest.approx(1 / 62 + 2 / 61)), ("a", pytest.approx(1 / 61 + 2 / 62))]


def test_rrf_mismatched_weights_raise():
    with pytest.raises(ValueError):
        rrf([["a"], ["b"]], weights=[1.0])
    with pytest.raises(ValueError):
        rrf([["a"]], weights=[1.0, 1.0])


def test_rrf_empty_weights_for_two_rankings_raise():
    with pytest.raises(ValueError):
        rrf([["a"], ["b"]], weights=[])


def test_rrf_empty_input():
    assert rrf([]) == []
    assert rrf([[], []]) == []


def random_unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("k", [1, 7, 50, 80])
def test_dense_search_equals_numpy_brute_force(k):
    rng = np.random.default_rng(k)
    vecs, query = random_unit(rng, 50, 16), random_unit(rng, 1, 16)[0]
    index = faiss.IndexFlatIP(16)
    index.add(vecs)
    scores = vecs @ query
    expected = np.argsort(-scores)[:k]
    got = dense_search(index, query, k)
    assert [i for i, _ in got] == expected.tolist()          # k=80 > n gives all 50
    np.testing.assert_allclose([s for _, s in got], scores[expected], rtol=1e-5, atol=1e-6)


def test_dense_search_empty_index_and_bad_input():
    assert dense_search(faiss.IndexFlatIP(8), np.ones(8, np.float32), 5) == []
    index = faiss.IndexFlatIP(8)
    index.add(random_unit(np.random.default_rng(0), 3, 8))
    assert dense_search(index, np.ones(8, np.float32), 0) == []
    with pytest.raises(ValueError, match="dims"):
        dense_search(index, np.ones(4, np.float32), 2)


def test_retriever_modes(tiny_assistant):
    r = tiny_assistant.retriever
    q = Query.parse(normalize("今年新建多少个公共充电桩？"))
    for mode in ("dense", "bm25", "hybrid"):
        hits = r.search(q, mode, k=3)
        assert [h.rank for h in hits] == [1, 2, 3], mode
        assert hits[0].chunk.id == "p007.1", mode
        assert (hits[0].dense is None) == (mode == "bm25"), mode
    dense = r.search(q, "dense", k=5)
    assert [h.score for h in dense] == sorted((h.score for h in dense), reverse=True)
    with pytest.raises(ValueError, match="bm25, dense, hybrid"):
        r.search(Query.parse(normalize("问题")), "sparse")


def test_retriever_rejects_mismatched_chunks(tiny_assistant):
    a = tiny_assistant
    with pytest.raises(ValueError):
        Retriever(a.index.chunks[:-1], a.index.vectors, a.embedder, a.settings)


def test_meaning_mixes_chunk_cosine_with_best_span_cosine(tiny_assistant):
    from dataclasses import replace

    from qa.plan.chunking import span_table

    a = tiny_assistant
    chunks, spans = a.index.chunks, a.index.span_vectors
    qvec = a.embedder.encode_query(["今年新建多少个公共充电桩？"])[0]
    chunk_cos = np.array([float(a.index.vectors.reconstruct(i) @ qvec) for i in range(len(chunks))])
    best = {c.id: -1.0 for c in chunks}
    for row, (cid, _) in enumerate(span_table(chunks)):
        best[cid] = max(best[cid], float(spans[row] @ qvec))
    expected = 0.75 * chunk_cos + 0.25 * np.array([best[c.id] for c in chunks])
    mixed = Retriever(chunks, a.index.vectors, a.embedder, replace(a.settings, span_max_weight=0.25),
                      span_vectors=spans)
    plain = Retriever(chunks, a.index.vectors, a.embedder, a.settings, span_vectors=spans)   # weight 0
    np.testing.assert_allclose(mixed.meaning(qvec), expected, atol=1e-5)
    np.testing.assert_allclose(plain.meaning(qvec), chunk_cos, atol=1e-5)
    assert not np.allclose(expected, chunk_cos)     # the spans do move the ranking's input
    with pytest.raises(ValueError, match="span vectors"):
        Retriever(chunks, a.index.vectors, a.embedder, replace(a.settings, span_max_weight=0.25),
                  span_vectors=spans[:-1])
