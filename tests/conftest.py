"""Shared fixtures: a tiny plan page in the real page's format, a deterministic fake
embedder (hashed character bigrams), and the real assistant for `model` tests."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
from dataclasses import replace

import numpy as np
import pytest

import qa.library as qa_library
from qa.plan import document
from qa.config import Settings

TINY_TITLE = "示例市2024年国民经济和社会发展计划"
TINY_PAGE = f"""字体缩小字体放大页面缩小页面放大高对比度辅助线恢复正常关闭
{TINY_TITLE}
来源:示例市发改委网站  时间:2024-03-07

{TINY_TITLE}

 

一、2023年国民经济和社会发展计划执行情况

初步核算,全年生产总值增长5.4%、居全省第2位,规上工业增加值、固定资产投资分别增长7%7.2%,居全省第4位。

二、2024年经济社会发展的主要目标

主要预期目标是:生产总值增长7%左右,居民人均可支配收入增长7%左右,城镇新增就业3.5万人。

三、2024年经济社会发展的主要任务

统筹做好3个方面的重点工作:

(一)着力稳定经济增长,推动经济运行持续向好。

突出重点扩大市场消费。擦亮中国(示例)食品博览会品牌,全年举办各类促消费活动120场以上;新建公共充电桩1000个,推动汽车、家电等大宗消费。

强化企业跟踪服务。加强惠企政策宣传,全年新增市场主体2万户

(二)扎实推进新型城镇化,增强城市综合承载能力。

提升城市品质。实施城市更新项目50个,改造老旧小区95个,新建口袋公园10个。

推动城乡融合发展。大力发展县域经济,新增城镇人口1.2万人。

(三)切实增进民生福祉,提高群众生活品质。

推动高质量就业。实施就业优先政策,开展职业技能培训3万人次。


打印此文
"""
# r01 only inserts 、 (its find disappears); r02 appends 。 (its find stays inside its replace).
TINY_REPAIRS = [
    {"id": "r01", "find": "分别增长7%7.2%", "replace": "分别增长7%、7.2%",
     "why": "lost separator", "certain": True},
    {"id": "r02", "find": "全年新增市场主体2万户", "replace": "全年新增市场主体2万户。",
     "why": "lost final stop", "certain": True},
]


class FakeEmbedder:
    """Same interface as qa.embedding.Embedder: character bigrams hashed into `dim` buckets,
    L2-normalised. Texts sharing bigrams are similar; the same text always gives the same vector."""

    name = "fake/bigram-hash"
    fingerprint = "fake-bigram-hash-v1"
    query_prefix = "query: "
    passage_prefix = "passage: "

    def __init__(self, dim: int = 256):
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        text = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())
        vec = np.zeros(self._dim, np.float32)
        for gram in (text[i:i + 2] for i in range(len(text) - 1)):
            vec[int(hashlib.md5(gram.encode()).hexdigest()[:8], 16) % self._dim] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def _encode(self, texts: list) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], np.float32).reshape(len(texts), self._dim)

    def encode_query(self, texts: list) -> np.ndarray:
        return self._encode(texts)

    def encode_document(self, texts: list, progress: bool = False) -> np.ndarray:
        return self._encode(texts)


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def tiny_settings(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    (corpus / "tiny").mkdir(parents=True)
    (corpus / "tiny" / "page.txt").write_text(TINY_PAGE, encoding="utf-8")
    (corpus / "tiny" / "repairs.json").write_text(json.dumps(TINY_REPAIRS, ensure_ascii=False), encoding="utf-8")
    # Retrieval parameters are pinned so that tuning the defaults does not move these tests.
    return replace(Settings(), corpus_dir=corpus, index_dir=tmp_path / "index", chunk_size=60,
                   chunk_overlap=0, mode="hybrid", top_k=5, candidates=30, fusion="rrf", rrf_k=60,
                   dense_weight=1.0, span_max_weight=0.0,
                   bm25_scheme="bigram", min_dense_score=0.2, min_span_score=0.6, span_dense_weight=1.0, abstain_cos_weight=1.0,
                   min_figure_cosine=0.0, overview_min_span_cosine=0.0, max_question_chars=500,
                   strict_index=False, show_progress=False, adapter=False, fitted_weights=False)


@pytest.fixture
def tiny_doc(tiny_settings):
    return document.load(tiny_settings)


@pytest.fixture
def tiny_assistant(tiny_settings, fake_embedder):
    from qa.assistant import Assistant
    return Assistant(tiny_settings, embedder=fake_embedder)


@pytest.fixture
def tiny_cli(monkeypatch, tiny_settings, fake_embedder):
    """cli.cmd_ask imports qa.library.Library at call time: hand it the tiny plan's library."""
    real, built = qa_library.Library, []

    def make(settings=None):
        built.append(real(replace(tiny_settings, plan=settings.plan if settings else ""), embedder=fake_embedder))
        return built[-1]
    monkeypatch.setattr(qa_library, "Library", make)
    return built


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """Default settings (no QA_* environment), as the CLI and app use them."""
    return Settings(show_progress=False)


@pytest.fixture(scope="session")
def real_doc(real_settings):
    return document.load(real_settings)


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from qa.index.embedding import load_embedder
    return load_embedder(real_settings)


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory, real_settings, real_embedder):
    """The real model over a copy of the committed index: a stale index is rebuilt in the
    copy, never in the repository."""
    from qa.assistant import Assistant
    index_dir = tmp_path_factory.mktemp("index")
    shutil.copytree(real_settings.index_dir, index_dir, dirs_exist_ok=True)
    return Assistant(replace(real_settings, index_dir=index_dir), embedder=real_embedder)


# ---- the seed moved one year on, renamed (issue 22) ---------------------------------------------

SEED_CITY, SHIFTED_CITY, SHIFTED_ID = "漯河", "川江", "chuanjiang-2025"
YEAR_IN_TEXT = re.compile(r"(?<!\d)20\d\d(?!\d)")


def shift(text: str) -> str:
    """Every year of a text one on, the seed's city renamed."""
    return YEAR_IN_TEXT.sub(lambda m: str(int(m.group()) + 1), text).replace(SEED_CITY, SHIFTED_CITY)


def write_shifted_seed(seed_dir, corpus) -> None:
    """corpus/chuanjiang-2025: the seed's page and repairs, shifted."""
    target = corpus / SHIFTED_ID
    target.mkdir(parents=True)
    (target / "page.txt").write_text(shift((seed_dir / "page.txt").read_text(encoding="utf-8")), encoding="utf-8")
    repairs = json.loads((seed_dir / "repairs.json").read_text(encoding="utf-8"))
    moved = [{**r, "find": shift(r["find"]), "replace": shift(r["replace"])} for r in repairs]
    (target / "repairs.json").write_text(json.dumps(moved, ensure_ascii=False), encoding="utf-8")
