"""Chunks cover every body character, stay inside one paragraph, and are reproducible."""
import pytest

from qa.plan.chunking import Chunk, chunk_document


@pytest.fixture(params=[("tiny_doc", 60), ("real_doc", 200)], ids=["tiny", "real"])
def doc_and_size(request):
    name, size = request.param
    return request.getfixturevalue(name), size


def test_chunk_offsets_slice_to_chunk_text(doc_and_size):
    doc, size = doc_and_size
    for c in chunk_document(doc, size, 0):
        assert doc.clean[c.start:c.end] == c.text, c.id


def test_every_body_character_is_in_a_chunk(doc_and_size):
    doc, size = doc_and_size
    covered = set()
    for c in chunk_document(doc, size, 0):
        covered.update(range(c.start, c.end))
    body = {i for p in doc.paragraphs for i in range(p.start, p.end)}
    assert body - covered == set()
    assert covered - body == set()


def test_chunks_do_not_overlap_and_respect_size(doc_and_size):
    doc, size = doc_and_size
    chunks = sorted(chunk_document(doc, size, 0), key=lambda c: c.start)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))
    assert max(len(c.text) for c in chunks) <= size


def test_chunk_never_crosses_a_paragraph(doc_and_size):
    doc, size = doc_and_size
    for c in chunk_document(doc, size, 0):
        para = doc.paragraph_at(c.start)
        assert c.end <= para.end and c.path == para.path and c.context == para.context, c.id


def test_overlapping_chunks_still_cover_and_slice(tiny_doc):
    chunks = chunk_document(tiny_doc, 30, 10)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert {i for p in tiny_doc.paragraphs for i in range(p.start, p.end)} <= covered
    assert all(tiny_doc.clean[c.start:c.end] == c.text for c in chunks)


def test_chunk_ids_are_stable_across_runs(doc_and_size):
    doc, size = doc_and_size
    first, second = chunk_document(doc, size, 0), chunk_document(doc, size, 0)
    assert first == second
    assert len({c.id for c in first}) == len(first)


def test_tiny_chunks(tiny_doc):
    chunks = {c.id: c for c in chunk_document(tiny_doc, 60, 0)}
    assert list(chunks)[:3] == ["p000.0", "p001.0", "p002.0"]
    assert chunks["p007.1"].text.startswith("擦亮中国(示例)食品博览会品牌")
    assert chunks["p007.1"].section == "三 › (一) › 突出重点扩大市场消费"
    assert chunks["p007.1"].search_text == chunks["p007.1"].context + "\n" + chunks["p007.1"].text


def test_chunk_json_round_trip(tiny_doc):
    for c in chunk_document(tiny_doc, 60, 0):
        assert Chunk.from_json(c.to_json()) == c
