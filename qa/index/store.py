"""Build, save and load the FAISS index with its chunks and manifest; detect staleness.

Each plan has its own folder, so adding a plan embeds only its own chunks:

index/<plan id>/
  faiss.index     IndexFlatIP over L2-normalised passage vectors (inner product = cosine)
  chunks.jsonl    one Chunk per line, row i = vector i
  spans.npy       passage vectors of every candidate answer span (qa.plan.chunking.span_table order)
  words.txt       the plan's words as a jieba dictionary, which BM25 cuts questions with
                  (qa.reading.text.plan_words: loads in milliseconds, jieba's full one in about a second)
  adapter.npy     the query adapter for span selection, trained on eval/train.jsonl over the plan the
                  items were written for, and shared by every plan's index (qa.learning.adapter)
  manifest.json   what the index was built from, and the sha256 of the files above

The adapter is trained by whoever builds (an object with `key` and `train(embedder, chunks, clean,
span_vectors, plan)`, qa.learning.adapter.Adapter), so the store needs nothing of learning.

Files are written to temp names in the same folder and renamed, the manifest last. A build
that dies before the renames leaves the old index untouched; one that dies between renames
leaves files whose hashes disagree with the manifest, which loading detects and rebuilds.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from ..config import Settings
from ..files import stage
from ..plan.chunking import SEPARATORS, Chunk, chunk_document, span_table
from ..plan.document import Document
from ..reading.text import plan_words

FORMAT_VERSION = 4
FAISS_FILE, CHUNKS_FILE, SPANS_FILE, WORDS_FILE, ADAPTER_FILE, MANIFEST_FILE = (
    "faiss.index", "chunks.jsonl", "spans.npy", "words.txt", "adapter.npy", "manifest.json")
DATA_FILES = (FAISS_FILE, CHUNKS_FILE, SPANS_FILE, WORDS_FILE, ADAPTER_FILE)
# Fields that must match for an index to be current, with the words used to report a change.
CHECKED = {
    "format_version": "index format", "model": "model", "model_fingerprint": "model weights",
    "passage_prefix": "passage prefix", "chunking": "chunking parameters", "corpus_sha256": "corpus text",
    "plan": "plan", "adapter": "training data or adapter recipe",
}


class IndexProblem(RuntimeError):
    """The index on disk is missing, broken or stale."""


@dataclass
class Index:
    chunks: list
    vectors: object       # the faiss index
    manifest: dict
    span_vectors: np.ndarray   # one row per qa.chunking.span_table(chunks) entry
    words: str | None = None   # path of the jieba dictionary of the plan's words
    adapter: np.ndarray | None = None   # the query adapter (d x d), None when settings.adapter is off


def folder(settings: Settings, doc: Document):
    """The index folder of the plan of `doc`."""
    return settings.index_dir / doc.doc_id


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_manifest(settings: Settings, doc: Document, embedder, adapter=None) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "model": embedder.name,
        "model_fingerprint": embedder.fingerprint,
        "passage_prefix": embedder.passage_prefix,
        "chunking": {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
                     "separators": SEPARATORS,
                     "embedded": "context + newline + passage" if settings.search_context else "passage"},
        "corpus_sha256": sha256_bytes(doc.clean.encode("utf-8")),
        "plan": doc.doc_id,
        "adapter": adapter.key if adapter is not None else None,
    }


def library_versions() -> dict:
    names = ("sentence-transformers", "transformers", "torch", "faiss-cpu", "langchain-text-splitters", "bm25s")
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def build(settings: Settings, doc: Document, embedder, adapter=None) -> Index:
    """Build the index for `doc` and write it atomically (the manifest last); `adapter` trains the
    query adapter stored with it (None: no adapter)."""
    import faiss

    t0 = time.perf_counter()
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    texts = [c.indexed_text(settings.search_context) for c in chunks]
    vecs = embedder.encode_document(texts, progress=settings.show_progress)
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    # Candidate answer spans are embedded too, so answer selection can match meaning, not only words.
    span_vecs = embedder.encode_document([w.text for _, w in span_table(chunks)], progress=settings.show_progress)
    t1 = time.perf_counter()
    trained = adapter.train(embedder, chunks, doc.clean, span_vecs, doc.doc_id) if adapter is not None \
        else np.zeros((0, 0), np.float32)
    adapter_seconds = time.perf_counter() - t1
    faiss_bytes = faiss.serialize_index(index).tobytes()
    chunk_bytes = "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in chunks).encode("utf-8")
    span_bytes, adapter_bytes = npy_bytes(span_vecs), npy_bytes(trained)
    words_bytes = plan_words(texts).encode("utf-8")
    manifest = {
        **expected_manifest(settings, doc, embedder, adapter), "dim": int(vecs.shape[1]), "n_chunks": len(chunks),
        "n_spans": len(span_vecs),
        "files": {FAISS_FILE: sha256_bytes(faiss_bytes), CHUNKS_FILE: sha256_bytes(chunk_bytes),
                  SPANS_FILE: sha256_bytes(span_bytes), WORDS_FILE: sha256_bytes(words_bytes),
                  ADAPTER_FILE: sha256_bytes(adapter_bytes)},
        "libraries": library_versions(), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - t0, 3), "adapter_seconds": round(adapter_seconds, 3),
    }
    out = folder(settings, doc)
    out.mkdir(parents=True, exist_ok=True)
    staged = [(stage(out / FAISS_FILE, faiss_bytes), out / FAISS_FILE),
              (stage(out / CHUNKS_FILE, chunk_bytes), out / CHUNKS_FILE),
              (stage(out / SPANS_FILE, span_bytes), out / SPANS_FILE),
              (stage(out / WORDS_FILE, words_bytes), out / WORDS_FILE),
              (stage(out / ADAPTER_FILE, adapter_bytes), out / ADAPTER_FILE),
              (stage(out / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2).encode()),
               out / MANIFEST_FILE)]
    for tmp, final in staged:          # manifest last: it vouches for the files before it
        os.replace(tmp, final)
    return Index(chunks, index, manifest, span_vecs, str(out / WORDS_FILE), trained if trained.size else None)


def problems(settings: Settings, doc: Document, embedder, adapter=None) -> list:
    """What is wrong with the index on disk, in words; [] when it is current and intact."""
    out = folder(settings, doc)
    if not (out / MANIFEST_FILE).is_file():
        return [f"no index at {out}"]
    try:
        manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"unreadable manifest ({exc})"]
    found = []
    for name in DATA_FILES:
        path = out / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif sha256_bytes(path.read_bytes()) != manifest.get("files", {}).get(name):
            found.append(f"{name} does not match the manifest (edited or half-written)")
    want = expected_manifest(settings, doc, embedder, adapter)
    found += [f"{CHECKED[k]} changed" for k in CHECKED if manifest.get(k) != want[k]]
    return found


def load(settings: Settings, doc: Document, embedder, adapter=None) -> Index:
    """Load the index; rebuild it when stale or broken, or raise when settings.strict_index."""
    issues = problems(settings, doc, embedder, adapter)
    if issues:
        if settings.strict_index:
            raise IndexProblem("index is stale or broken: " + "; ".join(issues) + " (run: python -m qa build)")
        print("索引需要重建：" + "；".join(issues), file=sys.stderr)
        return build(settings, doc, embedder, adapter)
    import faiss

    out = folder(settings, doc)
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    vectors = faiss.deserialize_index(np.frombuffer((out / FAISS_FILE).read_bytes(), dtype=np.uint8))
    with open(out / CHUNKS_FILE, encoding="utf-8") as f:
        chunks = [Chunk.from_json(json.loads(line)) for line in f]
    if vectors.ntotal != len(chunks):
        raise IndexProblem(f"index holds {vectors.ntotal} vectors for {len(chunks)} chunks")
    span_vecs = np.load(out / SPANS_FILE, allow_pickle=False)
    n_spans = len(span_table(chunks))
    if len(span_vecs) != n_spans:
        raise IndexProblem(f"{SPANS_FILE} holds {len(span_vecs)} vectors for {n_spans} spans")
    adapter = np.load(out / ADAPTER_FILE, allow_pickle=False)
    return Index(chunks, vectors, manifest, span_vecs, str(out / WORDS_FILE), adapter if adapter.size else None)
