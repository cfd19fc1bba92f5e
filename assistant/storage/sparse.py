"""Keyword search beside the embedding: BM25-style sparse vectors computed here (offline, no
model), which keep ids and figures whole ('qwen-max', 'fy2023', '1,234.5').

Qdrant weighs each term by its inverse document frequency (the IDF modifier of the sparse
vector), so a chunk's vector holds only the saturated term frequency of BM25.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence

# Words, figures and ids kept whole: qwen-max, fy2023, 10-k, 1,234.5, u.s., at&t.
TOKEN = re.compile(r"[a-z0-9]+(?:[-.,/&'][a-z0-9]+)*")
JOINERS = re.compile(r"[-.,/&']")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how if in
    into is it its of on or our over s than that the their them then there these they this to
    was we were what when where which while who why will with would you your""".split()  # noqa: SIM905
)
K1, B = 1.2, 0.75
AVERAGE_LENGTH = 120  # words in a chunk of about 180 tokens; BM25's length normalisation


def tokens(text: str) -> list[str]:
    """Lower-case terms: each whole token ('qwen-max', 'fy2023', '1234.5') and its parts
    ('qwen', 'max'), without stop words; a plural s is dropped from longer words."""
    terms: list[str] = []
    for token in TOKEN.findall(text.lower().replace("'s", "")):
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", token):
            token = token.replace(",", "")  # 1,234 is the number 1234
        parts = [p for p in JOINERS.split(token) if p] if JOINERS.search(token) else []
        for term in [token, *parts]:
            if term in STOPWORDS or (len(term) < 2 and not term.isdigit()):
                continue
            if term.isalpha() and len(term) > 4 and term.endswith("s") and not term.endswith("ss"):
                term = term[:-1]
            terms.append(term)
    return terms


def term_index(term: str) -> int:
    """A stable 31-bit index per term (Qdrant sparse indices are unsigned 32-bit)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def sparse_vector(terms: list[str], saturate: bool) -> tuple[list[int], list[float]]:
    counts: Counter[int] = Counter(term_index(t) for t in terms)
    if not saturate:
        return list(counts), [1.0] * len(counts)
    norm = K1 * (1 - B + B * len(terms) / AVERAGE_LENGTH)
    return list(counts), [tf * (K1 + 1) / (tf + norm) for tf in counts.values()]


def encode_documents(texts: Sequence[str]) -> tuple[list[list[int]], list[list[float]]]:
    """Sparse vectors of chunks (llama-index's SparseEncoderCallable)."""
    vectors = [sparse_vector(tokens(text), saturate=True) for text in texts]
    return [v[0] for v in vectors], [v[1] for v in vectors]


def encode_queries(texts: Sequence[str]) -> tuple[list[list[int]], list[list[float]]]:
    """Sparse vectors of questions: each distinct term once."""
    vectors = [sparse_vector(tokens(text), saturate=False) for text in texts]
    return [v[0] for v in vectors], [v[1] for v in vectors]
