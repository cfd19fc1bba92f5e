"""Keyword search beside the embedding: BM25-style sparse vectors computed here (offline, no
model), and the fusion of the dense and sparse result lists (by scores or by ranks).

Qdrant weighs each term by its inverse document frequency (the IDF modifier of the sparse
vector), so a chunk's vector holds only the saturated term frequency of BM25.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.vector_stores.types import VectorStoreQueryResult
from llama_index.vector_stores.qdrant.utils import relative_score_fusion

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
RRF_K = 60


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


Fuse = Callable[..., VectorStoreQueryResult]  # llama-index's HybridFusionCallable


def fusion(kind: str) -> Fuse:
    """Fuse dense and sparse results: 'relative' (min-max normalised scores, weighted: a
    decisive keyword match keeps its margin) or 'rrf' (reciprocal ranks).

    Each chunk keeps its cosine similarity as its score, which the answerer's thresholds are
    calibrated on; a chunk only the keyword search found gets the lowest dense score seen.
    """

    def fuse(
        dense_result: VectorStoreQueryResult, sparse_result: VectorStoreQueryResult, **kwargs: Any
    ) -> VectorStoreQueryResult:
        alpha, top_k = float(kwargs.get("alpha", 0.5)), int(kwargs.get("top_k", 2))
        if kind == "rrf":
            ranked = rrf_ranking(dense_result, sparse_result, alpha)[:top_k]
        else:
            fused = relative_score_fusion(dense_result, sparse_result, alpha=alpha, top_k=top_k)
            ranked = list(fused.ids or [])
        return with_dense_scores(ranked, dense_result, sparse_result)

    return fuse


def rrf_ranking(
    dense: VectorStoreQueryResult, sparse: VectorStoreQueryResult, alpha: float
) -> list[str]:
    """Ids by weighted reciprocal rank (alpha for dense, 1 - alpha for sparse)."""
    return reciprocal_rank([dense.ids or [], sparse.ids or []], [2 * alpha, 2 * (1 - alpha)])


def reciprocal_rank(ranked: Sequence[Sequence[str]], weights: Sequence[float]) -> list[str]:
    """Ids of several ranked lists, ordered by the weighted sum of 1 / (RRF_K + rank)."""
    fused: defaultdict[str, float] = defaultdict(float)
    for ids, weight in zip(ranked, weights, strict=True):
        for rank, node_id in enumerate(ids):
            fused[node_id] += weight / (RRF_K + rank + 1)
    return sorted(fused, key=fused.__getitem__, reverse=True)


def with_dense_scores(
    ranked: list[str], dense: VectorStoreQueryResult, sparse: VectorStoreQueryResult
) -> VectorStoreQueryResult:
    nodes = {n.node_id: n for n in [*(sparse.nodes or []), *(dense.nodes or [])]}
    similarity = dict(zip(dense.ids or [], dense.similarities or [], strict=False))
    floor = min(similarity.values(), default=0.0)
    ranked = [node_id for node_id in ranked if node_id in nodes]
    return VectorStoreQueryResult(
        nodes=[nodes[i] for i in ranked],
        similarities=[similarity.get(i, floor) for i in ranked],
        ids=ranked,
    )
