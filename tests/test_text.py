"""Normalisation, tokens and settings validation."""
from dataclasses import replace

import pytest

from qa.config import Settings
from qa.reading.text import PAD_WORD, bigram_tokens, jieba_tokenizer, normalize, numbers, plan_words, tokenize, word_tokens


@pytest.mark.parametrize("raw, expected", [
    ("ＡＢＣ１２３", "abc123"),                      # full-width to half-width, lower case
    ("（一）生产总值，增长７％", "(一)生产总值,增长7%"),  # the page's ASCII punctuation
    ("體育發展計劃", "体育发展计划"),                   # traditional to simplified
    ("充電樁", "充电桩"),
    ("a\x00b\u200bc\x7fd\ufeff", "abcd"),            # control and zero-width characters
    ("  生产 \t\n 总值  ", "生产 总值"),               # whitespace folded and trimmed
    ("", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_keeps_the_plan_unchanged(real_doc):
    para = real_doc.clean[real_doc.paragraphs[2].start:real_doc.paragraphs[2].end]
    assert normalize(para) == para


def test_bigram_tokens():
    assert bigram_tokens(normalize("新建公共充电桩580个,PM2.5降到42.5%")) == [
        "新建", "建公", "公共", "共充", "充电", "电桩", "580", "个", "pm2.5", "降到", "42.5%"]
    assert bigram_tokens("漯") == ["漯"]


def test_tokenize_schemes():
    assert tokenize(normalize("充電樁"), "bigram") == ["充电", "电桩"]
    assert tokenize("新建公共充电桩", "jieba") == ["新建", "公共", "充电", "桩"]
    assert tokenize("充电", "jieba+bigram") == ["充电", "充电"]
    with pytest.raises(ValueError, match="bigram, jieba, jieba\\+bigram"):
        tokenize("问题", "whitespace")


def test_plan_words_cut_the_plan_as_the_full_dictionary_does(real_doc, tmp_path):
    paras = [real_doc.clean[p.start:p.end] for p in real_doc.paragraphs]
    words = plan_words(paras)
    lines = words.splitlines()
    assert lines[-1].startswith(PAD_WORD + " ")          # carries the full dictionary's total
    assert {"充电", "公共", "新建"} <= {line.split()[0] for line in lines} and len(lines) < 20000
    (tmp_path / "words.txt").write_text(words, encoding="utf-8")
    small, full = jieba_tokenizer(str(tmp_path / "words.txt")), jieba_tokenizer()
    assert [word_tokens(p, small) for p in paras] == [word_tokens(p, full) for p in paras]
    assert tokenize("新建公共充电桩", "jieba", small) == ["新建", "公共", "充电", "桩"]


def test_numbers():
    assert numbers("生产总值增长7%左右,研发经费投入强度2.3%,3515功能鞋靴") == ["7", "2.3", "3515"]


def test_settings_validation():
    with pytest.raises(ValueError, match="bm25, dense, hybrid"):
        Settings(mode="sparse")
    with pytest.raises(ValueError, match="chunk_overlap"):
        replace(Settings(), chunk_size=50, chunk_overlap=50)


def test_settings_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CHUNK_SIZE", "120")
    monkeypatch.setenv("QA_STRICT_INDEX", "yes")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path))
    s = Settings.from_env(top_k=3)
    assert (s.chunk_size, s.strict_index, s.index_dir, s.top_k) == (120, True, tmp_path, 3)
