"""Leave-one-out ablation: the default settings against variants that undo one choice each,
on the dev and test splits, hybrid mode. Each variant builds its own index in a temp folder.

    python -m qa eval --ablation    -> eval/ablation.md (folded into eval/REPORT.md)
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from .evaluate import evaluate

VARIANTS = [
    ("defaults (as shipped)", {}),
    ("fusion: RRF k=60, equal weights", {"fusion": "rrf", "dense_weight": 1.0, "rrf_k": 60}),
    ("fusion: convex, dense weight 0.5", {"dense_weight": 0.5}),
    ("fusion: convex, dense weight 0.9", {"dense_weight": 0.9}),
    ("chunks ranked by their own cosine only (not their best span's)", {"span_max_weight": 0.0}),
    ("BM25 tokens: character bigrams only", {"bm25_scheme": "bigram"}),
    ("BM25 tokens: jieba words only", {"bm25_scheme": "jieba"}),
    ("chunks of 200 characters", {"chunk_size": 200}),
    ("chunks of 300 characters", {"chunk_size": 300}),
    ("no synonym expansion", {"use_synonyms": False}),
    ("passage only (no headings/lead in search text)", {"search_context": False}),
    ("no e5 prefixes", {"query_prefix": "", "passage_prefix": ""}),
    ("no span-cosine abstention for figure questions", {"min_figure_cosine": 0.0}),
    ("span ranking: span cosine weight 1, as abstention weighs it", {"span_dense_weight": 1.0}),
    ("no span vectors in answer selection", {"span_dense_weight": 0.0, "abstain_cos_weight": 0.0}),
]
COLUMNS = ("recall@1", "recall@5", "answer_accuracy", "abstention_f1", "false_abstention_rate")


def run(base: Settings, splits: dict, embedder) -> list:
    """[(variant name, {split: hybrid metrics})] for every variant."""
    from ..assistant import Assistant

    rows = []
    for name, overrides in VARIANTS:
        with tempfile.TemporaryDirectory(prefix="qa-ablation-") as tmp:
            settings = replace(base, index_dir=Path(tmp), show_progress=False, **overrides)
            embedder.query_prefix, embedder.passage_prefix = settings.query_prefix, settings.passage_prefix
            assistant = Assistant(settings, embedder)
            rows.append((name, {split: evaluate(assistant, items, ("hybrid",))["modes"]["hybrid"]
                                for split, items in splits.items()}))
    embedder.query_prefix, embedder.passage_prefix = base.query_prefix, base.passage_prefix
    return rows


def markdown(rows: list) -> str:
    splits = list(rows[0][1])
    head = "| variant | " + " | ".join(f"{s} {c}" for s in splits for c in COLUMNS) + " |"
    lines = [head, "|---|" + "---|" * len(splits) * len(COLUMNS)]
    for name, by_split in rows:
        cells = [by_split[s].get(c) for s in splits for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join("–" if v is None else f"{v:.3f}" for v in cells) + " |")
    return "\n".join(lines)
