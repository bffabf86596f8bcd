"""The index on disk: round trip, staleness detection, strict mode, interrupted builds."""
import os
from dataclasses import replace

import numpy as np
import pytest

from conftest import FakeEmbedder
from qa.index import store
from qa.plan import document
from qa.assistant import Assistant
from qa.plan.chunking import chunk_document

QUESTION = "今年新建多少个公共充电桩？"
EDITED = "chunks.jsonl does not match the manifest (edited or half-written)"


def test_build_then_load_round_trips(tiny_settings, tiny_doc, fake_embedder):
    built = store.build(tiny_settings, tiny_doc, fake_embedder)
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == []
    loaded = store.load(replace(tiny_settings, strict_index=True), tiny_doc, fake_embedder)
    assert loaded.chunks == built.chunks == chunk_document(tiny_doc, 60, 0)
    expected = fake_embedder.encode_document([c.search_text for c in built.chunks])
    np.testing.assert_array_equal(loaded.vectors.reconstruct_n(0, loaded.vectors.ntotal), expected)
    assert loaded.manifest["n_chunks"] == len(built.chunks) and loaded.manifest["dim"] == 256


def test_build_is_byte_reproducible(tiny_settings, tiny_doc, fake_embedder):
    files = ("faiss.index", "chunks.jsonl", "words.txt")
    store.build(tiny_settings, tiny_doc, fake_embedder)
    first = [((tiny_settings.index_dir / "tiny") / f).read_bytes() for f in files]
    store.build(tiny_settings, tiny_doc, fake_embedder)
    assert [((tiny_settings.index_dir / "tiny") / f).read_bytes() for f in files] == first


def test_missing_index(tiny_settings, tiny_doc, fake_embedder):
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == [f"no index at {(tiny_settings.index_dir / 'tiny')}"]


class RenamedEmbedder(FakeEmbedder):
    name = "other/model"


class RetrainedEmbedder(FakeEmbedder):
    fingerprint = "fake-bigram-hash-v2"


@pytest.mark.parametrize("change, problem", [
    (lambda s, d, e: (replace(s, chunk_size=80), d, e), "chunking parameters changed"),
    (lambda s, d, e: (replace(s, chunk_overlap=10), d, e), "chunking parameters changed"),
    (lambda s, d, e: (s, document.parse(d.clean.replace("1000个", "1200个"), d.title, doc_id=d.doc_id), e),
     "corpus text changed"),
    (lambda s, d, e: (s, d, RenamedEmbedder()), "model changed"),
    (lambda s, d, e: (s, d, RetrainedEmbedder()), "model weights changed"),
], ids=["chunk_size", "chunk_overlap", "corpus", "model", "weights"])
def test_stale_index_is_named_then_rebuilt(change, problem, tiny_settings, tiny_doc, fake_embedder, capsys):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    settings, doc, embedder = change(tiny_settings, tiny_doc, fake_embedder)
    assert store.problems(settings, doc, embedder) == [problem]
    with pytest.raises(store.IndexProblem, match=problem):
        store.load(replace(settings, strict_index=True), doc, embedder)
    index = store.load(settings, doc, embedder)
    assert problem in capsys.readouterr().err
    assert index.chunks == chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    assert store.problems(settings, doc, embedder) == []


def test_each_plan_has_its_own_folder(tiny_settings, tiny_doc, fake_embedder):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    before = {p.name: p.read_bytes() for p in (tiny_settings.index_dir / "tiny").iterdir()}
    other = document.parse(tiny_doc.clean.replace("1000个", "1200个"), tiny_doc.title, doc_id="another")
    assert store.problems(tiny_settings, other, fake_embedder) == [f"no index at {tiny_settings.index_dir / 'another'}"]
    store.build(tiny_settings, other, fake_embedder)
    assert sorted(p.name for p in tiny_settings.index_dir.iterdir()) == ["another", "tiny"]
    assert {p.name: p.read_bytes() for p in (tiny_settings.index_dir / "tiny").iterdir()} == before
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == store.problems(tiny_settings, other, fake_embedder) == []


def test_changed_corpus_file_is_detected(tiny_settings, tiny_doc, fake_embedder):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    page = tiny_settings.page_path.read_text(encoding="utf-8")
    tiny_settings.page_path.write_text(page.replace("改造老旧小区95个", "改造老旧小区96个"), encoding="utf-8")
    assert store.problems(tiny_settings, document.load(tiny_settings), fake_embedder) == ["corpus text changed"]


def test_edited_chunks_file_is_detected_and_repaired(tiny_settings, tiny_doc, fake_embedder):
    built = store.build(tiny_settings, tiny_doc, fake_embedder)
    path = (tiny_settings.index_dir / "tiny") / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("1000个", "9999个"), encoding="utf-8")
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == [EDITED]
    with pytest.raises(store.IndexProblem, match="chunks.jsonl"):
        store.load(replace(tiny_settings, strict_index=True), tiny_doc, fake_embedder)
    assert store.load(tiny_settings, tiny_doc, fake_embedder).chunks == built.chunks
    assert "9999个" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["faiss.index", "words.txt"])
def test_missing_data_file_is_detected(name, tiny_settings, tiny_doc, fake_embedder):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    ((tiny_settings.index_dir / "tiny") / name).unlink()
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == [f"{name} is missing"]


def answer_strictly(settings, embedder):
    return Assistant(replace(settings, strict_index=True), embedder=embedder).ask(QUESTION).answer


class DyingEmbedder(FakeEmbedder):
    def encode_document(self, texts, progress=False):
        raise RuntimeError("killed while embedding")


def test_build_dying_while_embedding_keeps_old_index(tiny_settings, tiny_doc, fake_embedder):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    before = {p.name: p.read_bytes() for p in (tiny_settings.index_dir / "tiny").iterdir()}
    with pytest.raises(RuntimeError, match="killed"):
        store.build(replace(tiny_settings, chunk_size=80), tiny_doc, DyingEmbedder())
    assert {p.name: p.read_bytes() for p in (tiny_settings.index_dir / "tiny").iterdir()} == before
    assert answer_strictly(tiny_settings, fake_embedder) == "新建公共充电桩1000个"


def dying_replace(monkeypatch, index_dir, after: int):
    """os.replace that succeeds `after` times inside index_dir, then dies (elsewhere it works)."""
    real, calls = os.replace, []

    def replace_(src, dst, *args, **kwargs):
        if os.path.dirname(os.fspath(dst)) == os.fspath(index_dir):
            calls.append(dst)
            if len(calls) > after:
                raise OSError("disk died")
        return real(src, dst, *args, **kwargs)
    monkeypatch.setattr(os, "replace", replace_)


def test_build_dying_before_renames_keeps_old_index(tiny_settings, tiny_doc, fake_embedder, monkeypatch):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    dying_replace(monkeypatch, (tiny_settings.index_dir / "tiny"), after=0)
    with pytest.raises(OSError):
        store.build(replace(tiny_settings, chunk_size=80), tiny_doc, fake_embedder)
    monkeypatch.undo()
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == []
    assert answer_strictly(tiny_settings, fake_embedder) == "新建公共充电桩1000个"


def test_build_dying_between_renames_is_detected_and_rebuilt(tiny_settings, tiny_doc, fake_embedder,
                                                             monkeypatch):
    store.build(tiny_settings, tiny_doc, fake_embedder)
    dying_replace(monkeypatch, (tiny_settings.index_dir / "tiny"), after=1)      # new faiss.index, old rest
    with pytest.raises(OSError):
        store.build(replace(tiny_settings, chunk_size=80), tiny_doc, fake_embedder)
    monkeypatch.undo()
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == [
        "faiss.index does not match the manifest (edited or half-written)"]
    assistant = Assistant(tiny_settings, embedder=fake_embedder)     # rebuilds
    assert assistant.ask(QUESTION).answer == "新建公共充电桩1000个"
    assert store.problems(tiny_settings, tiny_doc, fake_embedder) == []
