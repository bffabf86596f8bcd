"""The genre lexicon (qa/reading/lexicon.jsonl): every entry well formed and sourced, read as it is
written, and the search kinds expanding a question that says the phrase with its term."""
import pytest

from qa.reading.lexicon import load_lexicon
from qa.reading.text import SEARCH_KINDS, expand, normalize, synonyms

ENTRIES = load_lexicon()
KINDS = {"measured", "everyday", "abbreviation", "english"}


def test_every_phrase_is_listed_once():
    said = [normalize(e["say"]) for e in ENTRIES]
    assert sorted(s for s in set(said) if said.count(s) > 1) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["say"] for e in ENTRIES])
def test_entry(entry):
    assert set(entry) == {"say", "term", "kind", "source"}
    assert entry["kind"] in KINDS and entry["source"].strip()
    say, term = normalize(entry["say"]), normalize(entry["term"])
    assert len(say) >= 2 and say != term
    assert dict(synonyms(None))[say] == term
    if entry["kind"] in SEARCH_KINDS:
        assert term in expand(f"今年{say}怎么样")


def test_only_the_search_kinds_expand_a_question():
    assert expand("今年托位有多少") == "今年托位有多少 托育"          # measured
    assert expand("今年下水道改造多少公里") == "今年下水道改造多少公里"  # genre (下水道 -> 排水管网): not searched


def test_a_question_without_any_phrase_is_not_expanded():
    assert expand("今年要新建多少个公共充电桩") == "今年要新建多少个公共充电桩"
