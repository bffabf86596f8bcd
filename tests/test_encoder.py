"""The fast query encoder (qa.encoder) against SentenceTransformer over the same model folder:
the same vectors, and so the same retrieval, on every question of the eval set."""
import os
import subprocess
import sys

import numpy as np
import pytest

from qa.config import ROOT
from qa.index.embedding import Embedder
from qa.index.encoder import readable
from qa.evaluation.evaluate import SPLITS
from qa.learning.items import load_set
from qa.reading.query import Query
from qa.reading.text import normalize

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def st_embedder(real_embedder):
    """The same folder with every query through SentenceTransformer (the fast encoder off)."""
    e = real_embedder
    return Embedder(e.path, e.name, e.fingerprint, e.query_prefix, e.passage_prefix, fast_queries=False)


def strings(doc, train_file) -> list:
    """200 Chinese strings: questions of the training split (short, colloquial) and sentences and
    whole sections of the plan (long: they run past the model's 512 tokens)."""
    train = [it["question"] for it in load_set(train_file)]
    questions = list(dict.fromkeys(train))[::5][:120]
    sentences = [s for s in doc.clean.split("。") if len(s) > 10][::3][:77]
    sections = sorted((doc.clean[s.start:s.end][:3000] for s in doc.sections), key=len)[-3:]
    return questions + sentences + sections


def test_fast_encoder_agrees_with_sentence_transformers(real_settings, real_doc, real_embedder, st_embedder):
    texts = strings(real_doc, real_settings.train_file)
    assert len(texts) == 200
    assert real_embedder.queries is not None and st_embedder.queries is None
    cut = [len(e.ids) for e in real_embedder.queries.tokenizer.encode_batch(texts[-3:])]
    assert cut == [512] * 3                                  # the sections are truncated, as ST does
    ours, theirs = real_embedder.encode_query(texts), st_embedder.encode_query(texts)
    assert ours.shape == theirs.shape == (200, 384) and ours.dtype == np.float32
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.9999, [(t[:20], c) for t, c in zip(texts, cosines) if c < 0.9999]
    one_by_one = np.stack([real_embedder.encode_query([t])[0] for t in texts[:20]])   # no padding
    assert (one_by_one * theirs[:20]).sum(axis=1).min() >= 0.9999


def test_fast_encoder_retrieves_the_same_top5_on_the_eval_set(real_assistant, st_embedder):
    items = load_set(SPLITS["dev"]) + load_set(SPLITS["test"])
    queries = [Query.parse(normalize(it["question"]), real_assistant.settings.use_synonyms) for it in items]
    texts = [q.text for q in queries]
    ours, theirs = real_assistant.embedder.encode_query(texts), st_embedder.encode_query(texts)
    search = real_assistant.retriever.search
    differ = [(mode, q.text) for q, a, b in zip(queries, ours, theirs) for mode in ("dense", "hybrid")
              if [h.chunk.id for h in search(q, mode, 5, a)] != [h.chunk.id for h in search(q, mode, 5, b)]]
    assert len(items) > 1300 and differ == []


def test_only_mean_pooled_bert_folders_take_the_fast_path(tmp_path, real_embedder):
    assert readable(real_embedder.path)
    assert not readable(tmp_path)                   # nothing there
    (tmp_path / "config.json").write_text('{"model_type": "xlm-roberta"}', encoding="utf-8")
    assert not readable(tmp_path)


def test_the_traced_graph_agrees_with_the_eager_pass(real_settings, real_doc, real_embedder):
    """The app runs the forward pass as a traced graph (BertEncoder.compile): any batch size and
    length, the same vectors."""
    from qa.index.encoder import BertEncoder

    texts = ["query: " + t for t in strings(real_doc, real_settings.train_file)[::10]]   # 20, short to 512
    eager = real_embedder.queries.encode(texts)
    traced = BertEncoder(real_embedder.path)
    traced.compile()
    assert traced.compiled is not None
    for batch in (texts[:1], texts[:7], texts):
        ours = traced.encode(batch)
        assert (ours * eager[:len(batch)]).sum(axis=1).min() >= 0.99999


def test_ask_loads_neither_sentence_transformers_nor_a_progress_bar():
    """`qa ask` answers through the fast encoder: nothing of sentence-transformers or transformers
    is imported, and nothing is printed on stderr (no "Loading weights" bar)."""
    code = ("import sys; from qa.serving.cli import main; code = main(['ask', '今年要新建多少个公共充电桩？']); "
            "print(sorted(m for m in ('sentence_transformers', 'transformers') if m in sys.modules), code)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "QA_STRICT_INDEX": "1"})
    assert out.stderr == ""
    assert out.stdout.startswith("答：新建公共充电桩580个\n")
    assert out.stdout.rstrip().endswith("[] 0")
