"""Structure-aware chunking: each paragraph is split at sentence, then clause boundaries.

A chunk never crosses a paragraph, so it carries one section path. What is embedded and
BM25-indexed is `search_text` (the headings and lead above the passage, then the passage);
what is cited is `text`, which always equals `clean[start:end]`.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .document import PATH_SEP, Document

# Answer spans: a sentence ends at 。；！？ (a lead-in ending in ： stands alone), a clause at ，.
SENTENCE_RE = re.compile(r"[^。；;！？!?:：]+[。；;！？!?:：]*")
CLAUSE_RE = re.compile(r"[^,，]+[,，]*")
MAX_WINDOW = 3            # clauses per candidate span
MAX_SPAN_CHARS = 90

# Sentence ends first, then clause marks; the page writes , ; : in ASCII.
SEPARATORS = ["。", "！", "？", "；", ";", "，", ",", "、", "：", ":", ""]


@dataclass(frozen=True)
class Chunk:
    id: str          # "p012.3": paragraph 12, piece 3 (stable for a given corpus and chunk size)
    doc: str
    path: tuple
    text: str
    start: int
    end: int
    context: str     # headings + lead, prepended for search only

    @property
    def paragraph(self) -> str:
        """The paragraph the chunk lies in: "p012" of chunk "p012.3"."""
        return self.id.split(".")[0]

    @property
    def section(self) -> str:
        return PATH_SEP.join(self.path)

    @property
    def search_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    def indexed_text(self, with_context: bool) -> str:
        """What is embedded and BM25-indexed: search_text, or the passage alone."""
        return self.search_text if with_context else self.text

    def to_json(self) -> dict:
        return {**asdict(self), "path": list(self.path)}

    @classmethod
    def from_json(cls, obj: dict) -> "Chunk":
        return cls(**{**obj, "path": tuple(obj["path"])})


@dataclass(frozen=True)
class Span:
    start: int            # offsets into the clean text
    end: int
    text: str


def clauses(text: str, offset: int = 0) -> list:
    """Split a passage into clauses (at 。；！？： and ，), keeping absolute offsets."""
    out = []
    for sent in SENTENCE_RE.finditer(text):
        for m in CLAUSE_RE.finditer(sent.group()):
            body = m.group().rstrip(",，:：;；")
            if body.strip():
                start = offset + sent.start() + m.start()
                out.append(Span(start, start + len(body), body))
    return out


def sentence_windows(text: str, offset: int = 0) -> list:
    """Candidate answer spans: 1..MAX_WINDOW consecutive clauses of one sentence."""
    out = []
    for sent in SENTENCE_RE.finditer(text):
        parts = clauses(sent.group(), offset + sent.start())
        for i in range(len(parts)):
            for j in range(i, min(i + MAX_WINDOW, len(parts))):
                start, end = parts[i].start, parts[j].end
                if j > i and end - start > MAX_SPAN_CHARS:
                    break
                out.append(Span(start, end, text[start - offset:end - offset]))
    return out


def span_table(chunks: list) -> list:
    """Every candidate answer span of every chunk, in a fixed order: (chunk id, Span)."""
    return [(c.id, w) for c in chunks for w in sentence_windows(c.text, c.start)]


def splitter(chunk_size: int, chunk_overlap: int):
    """langchain's recursive splitter; imported here, as only a build needs it (0.3 s of start-up)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS, keep_separator="end", chunk_size=chunk_size,
        chunk_overlap=chunk_overlap, strip_whitespace=False, add_start_index=True)


def chunk_document(doc: Document, chunk_size: int = 200, chunk_overlap: int = 0) -> list:
    split = splitter(chunk_size, chunk_overlap)
    chunks = []
    for pi, para in enumerate(doc.paragraphs):
        body = doc.clean[para.start:para.end]
        for k, piece in enumerate(split.create_documents([body])):
            start = para.start + piece.metadata["start_index"]
            end = start + len(piece.page_content)
            if doc.clean[start:end] != piece.page_content:
                raise AssertionError(f"chunk offsets drifted in paragraph {pi}")
            chunks.append(Chunk(f"p{pi:03d}.{k}", doc.doc_id, para.path, piece.page_content,
                                start, end, para.context))
    return chunks
