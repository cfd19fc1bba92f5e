"""A content cache in front of the embedding model: text already embedded (a renamed or
re-saved file, a sentence scored for an earlier answer) is never embedded again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from assistant.storage.disk import best_effort
from assistant.storage.sqlite import open_sqlite


class EmbeddingCache:
    """Vectors of texts already embedded, keyed by a hash of the exact text and the vector
    space that made them, in SQLite."""

    def __init__(self, path: Path, space: str) -> None:
        schema = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB);"
        self._db, self._lock = open_sqlite(path, schema, spare=True)
        self.space = space

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.space}\x00{text}".encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, Embedding]:
        found: dict[str, Embedding] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, v FROM vectors WHERE key IN ({marks})", part)
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, items: dict[str, Embedding]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        with best_effort("embedding cache"), self._lock, self._db:  # it only saves time
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self._db.close()


class CachingEmbedding(BaseEmbedding):
    """The model behind a cache, so identical text (a renamed or re-saved file) is embedded once."""

    inner: BaseEmbedding
    _cache: EmbeddingCache = PrivateAttr()

    def __init__(self, inner: BaseEmbedding, cache: EmbeddingCache, **data: Any) -> None:
        super().__init__(inner=inner, embed_batch_size=inner.embed_batch_size, **data)
        self._cache = cache

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        keys = [self._cache.key(text) for text in texts]
        known = self._cache.get_many(keys)
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
        if missing:
            fresh = self.inner.get_text_embedding_batch(list(missing.values()))
            computed = dict(zip(missing, fresh, strict=True))
            self._cache.put_many(computed)
            known.update(computed)
        return [known[key] for key in keys]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)
