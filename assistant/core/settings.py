"""The one typed settings object, read from VENDORINTEL_* variables and an optional .env."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.core.passwords import is_password_hash, read_users_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]


class LLMProvider(BaseModel):
    """One OpenAI-compatible endpoint: OpenAI, Azure OpenAI, Qwen (DashScope), vLLM, Ollama..."""

    name: str = Field(description="Shown in the answer footer and the logs.")
    base_url: str = Field(description="e.g. https://api.openai.com/v1 or http://localhost:8001/v1")
    model: str
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key (not the key)."
    )
    timeout_s: float = Field(30.0, gt=0, description="Give up on this provider after this long.")
    max_tokens: int = Field(512, ge=16, description="Longest reply, in tokens.")
    context_window: int = Field(16000, ge=1024)
    # Read from the environment variable named above; never printed (SecretStr) or serialised.
    api_key: SecretStr | None = Field(None, exclude=True, repr=False)

    @model_validator(mode="after")
    def _read_key(self) -> LLMProvider:
        if self.api_key is None and self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if not value:
                raise ValueError(
                    f"Provider {self.name!r}: set the environment variable {self.api_key_env} "
                    "to its API key, or remove api_key_env for a server that needs none."
                )
            self.api_key = SecretStr(value)
        return self


ENV = SettingsConfigDict(
    env_prefix="VENDORINTEL_", env_file=".env", extra="ignore", validate_default=True
)


class Group(BaseSettings):
    """Settings of one concern, read from the same flat VENDORINTEL_* names as ever."""

    model_config = ENV


class StoreSettings(Group):
    """Where the chunks are kept: the embedded store, or a Qdrant server."""

    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded store.")
    qdrant_api_key: SecretStr | None = None
    collection: str = "vendorintel"
    qdrant_shards: int | None = Field(None, ge=1, description="Shards of a new server collection.")
    qdrant_replicas: int | None = Field(
        None, ge=1, description="Replicas of a new server collection."
    )


class EmbeddingSettings(Group):
    """The embedding model and the chunks it reads."""

    chunk_size: int = Field(180, ge=32, description="Chunk size in tokens (the model reads 256).")
    chunk_overlap: int = Field(30, ge=0)
    # onnx is the default by the measured rule (bench/embedding.py): the fastest backend whose
    # FinanceBench hit@10 and MRR@10 stay within a point of torch's; int8 lost 2.2 MRR points.
    embedding_backend: EmbeddingBackend = Field(
        "onnx",
        description="What runs the embedding model: torch, or onnxruntime on an export of the "
        "same weights made on first use (onnx: the same vectors; onnx-int8: quantized).",
    )
    embed_batch_size: int = Field(16, ge=1, description="Texts the model embeds per run.")
    embedding_threads: int = Field(0, ge=0, description="ONNX backends' threads (0: all cores).")
    model_cache_dir: Path | None = Field(
        None, description="Where ONNX exports are kept (default DATA_DIR/models)."
    )


class IngestionSettings(Group):
    """How the inbox is read and watched."""

    ingest_batch_files: int = Field(16, ge=1, description="Files embedded per pipeline run.")
    watch_inbox: bool = Field(True, description="`serve` keeps the index in line with the inbox.")
    settle_seconds: float = Field(
        1.0, gt=0, description="A changed file is ingested once it has not changed for this long."
    )
    retry_seconds: float = Field(
        30.0, gt=0, description="After the inbox watcher fails to ingest, it retries this late."
    )
    ingest_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="How long an upload, delete or ingest request waits for another ingestion "
        "to finish before it is answered 503 with Retry-After.",
    )


class LimitSettings(Group):
    """What the product refuses, or shortens, past a size."""

    max_upload_mb: int = Field(50, ge=1, description="Largest file accepted by upload.")
    max_file_mb: int = Field(
        100, ge=1, description="Larger files in the inbox are reported and not read."
    )
    max_text_mb: int = Field(
        20, ge=1, description="Files whose extracted text is larger are reported and not indexed."
    )
    max_unpacked_mb: int = Field(
        64,
        ge=1,
        description="Word files and PDFs unpacking to more (a decompression bomb) are reported "
        "and not indexed.",
    )
    max_question_chars: int = Field(
        1000, ge=50, description="Longer questions are shortened to this, with a notice."
    )


class AnsweringSettings(Group):
    """Retrieval, answers and the checkpoint briefing."""

    top_k: int = Field(8, ge=1, le=100, description="Chunks retrieved per question.")
    hybrid_fusion: Literal["rrf", "dbsf"] = Field(
        "rrf",
        description="How the engine merges embedding and keyword results: weighted ranks (rrf) "
        "or normalised scores (dbsf, which ignores hybrid_alpha).",
    )
    hybrid_alpha: float = Field(
        0.7, ge=0, le=1, description="Weight of the embedding search (1 - it: keywords)."
    )
    rerank_candidates: int = Field(
        0,
        ge=0,
        le=200,
        description="Rerank this many candidates by their best sentence (0: off; slow on CPU).",
    )
    answer_sentences: int = Field(3, ge=1, le=10, description="Most sentences in an answer.")
    stale_after_days: int = Field(
        120,
        ge=1,
        description="Checkpoint evidence older than this is flagged as stale, and so is a "
        "vendor with no signal for this long.",
    )
    regression_drop: float = Field(
        0.03, ge=0, description="An eval score falling more than this after an update is flagged."
    )
    min_evidence_score: float = Field(
        0.40, description="Below this sentence score the answer is 'insufficient evidence'."
    )


class ServingSettings(Group):
    """Who may use the served API and chat, and what the server logs."""

    api_key: SecretStr | None = Field(
        None,
        description="When set, every /api request must carry it: 'Authorization: Bearer KEY' "
        "or 'X-API-Key: KEY'.",
    )
    chat_users: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Chat logins: JSON object of user name to the password hash that "
        "`vendorintel hash-password` prints; none = the chat has no login.",
    )
    chat_users_file: Path | None = Field(
        None,
        description="A file of chat logins, one 'name:hash' line each (`vendorintel "
        "hash-password --user NAME` prints one); joined with VENDORINTEL_CHAT_USERS.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Other sites whose pages may use the API and the chat from a browser: JSON "
        'list of scheme://host[:port], e.g. ["https://intranet.example.com"]; none by default.',
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names `serve` answers to besides its address and localhost: JSON list, "
        'e.g. ["vendorintel.example.com"] behind a proxy ("*.example.com" for all its names).',
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="What `serve` and `watch` log to stderr."
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        """An empty VENDORINTEL_API_KEY (as compose passes an unset one) means no key."""
        return None if value == "" else value

    @field_validator("chat_users")
    @classmethod
    def _hashes_only(cls, users: dict[str, SecretStr]) -> dict[str, SecretStr]:
        """Passwords are never configured in the clear."""
        for name, stored in users.items():
            if not is_password_hash(stored.get_secret_value()):
                raise ValueError(
                    f"the password of chat user {name!r} is not a hash: run "
                    "`vendorintel hash-password` and use what it prints"
                )
        return users

    @field_validator("allowed_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, origins: list[str]) -> list[str]:
        """An origin is compared with the Origin header, which is scheme://host[:port] only."""
        cleaned = [origin.strip().rstrip("/").lower() for origin in origins]
        for origin in cleaned:
            parts = urlsplit(origin)
            plain = parts.scheme in ("http", "https") and parts.hostname
            if not plain or origin != f"{parts.scheme}://{parts.netloc}":
                raise ValueError(
                    f"allowed origin {origin!r} is not scheme://host[:port]: list each site as "
                    "its browser address without a path, e.g. https://intranet.example.com"
                )
        return cleaned

    @model_validator(mode="after")
    def _users_from_file(self) -> ServingSettings:
        """Users of the file join those of VENDORINTEL_CHAT_USERS, which win on a clash."""
        if self.chat_users_file is not None:
            listed = read_users_file(self.chat_users_file)
            self.chat_users = {name: SecretStr(h) for name, h in listed.items()} | self.chat_users
        return self


class GenerationSettings(Group):
    """Language-model answers through OpenAI-compatible providers (optional)."""

    llm: Literal["extractive", "openai"] = Field(
        "extractive",
        description="extractive: quoted sentences, no model; openai: a language model through "
        "the OpenAI-compatible providers below, falling back to extractive.",
    )
    llm_providers: list[LLMProvider] = Field(
        default_factory=list,
        description="Tried in order; JSON in VENDORINTEL_LLM_PROVIDERS.",
    )
    llm_source_tokens: int = Field(
        3000, ge=200, description="Most tokens of source text put in a prompt."
    )

    @model_validator(mode="after")
    def _providers_for_llm(self) -> GenerationSettings:
        if self.llm == "openai" and not self.llm_providers:
            raise ValueError(
                "VENDORINTEL_LLM=openai needs at least one provider: set VENDORINTEL_LLM_PROVIDERS "
                'to a JSON list such as [{"name": "openai", "base_url": '
                '"https://api.openai.com/v1", "model": "gpt-4o-mini", '
                '"api_key_env": "OPENAI_API_KEY"}].'
            )
        return self


class WatchlistSettings(Group):
    """Where changes of followed answers are sent."""

    notify_url: SecretStr | None = Field(
        None,
        description="A Slack or Teams incoming-webhook URL: each change of a followed answer "
        "is POSTed to it as JSON ({text, change}). Kept secret: never logged.",
    )
    notify_attempts: int = Field(8, ge=1, description="Tries per change before giving up.")
    notify_backoff_seconds: float = Field(
        2.0, gt=0, description="The wait after a failed try, doubled after each (at most 600)."
    )
    notify_timeout_seconds: float = Field(10.0, gt=0, description="Per try.")

    @field_validator("notify_url", mode="before")
    @classmethod
    def _empty_url_is_none(cls, value: object) -> object:
        """An empty VENDORINTEL_NOTIFY_URL (as compose passes an unset one) means none."""
        return None if value == "" else value


GROUPS: dict[str, type[Group]] = {
    "store": StoreSettings,
    "embedding": EmbeddingSettings,
    "ingestion": IngestionSettings,
    "limits": LimitSettings,
    "answering": AnsweringSettings,
    "serving": ServingSettings,
    "generation": GenerationSettings,
    "watchlist": WatchlistSettings,
}


class Settings(BaseSettings):
    """Everything the product can be configured with, by concern; defaults run offline and
    embedded. Each setting keeps its flat name, as a keyword (`Settings(top_k=5)`) and as a
    variable (VENDORINTEL_TOP_K), and is read as `settings.answering.top_k`."""

    model_config = ENV

    data_dir: Path = Field(Path("data"), description="Holds everything the product writes.")
    inbox: Path | None = Field(
        None, description="Folder users drop files into (default DATA_DIR/inbox)."
    )
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt and message templates.")

    store: StoreSettings
    embedding: EmbeddingSettings
    ingestion: IngestionSettings
    limits: LimitSettings
    answering: AnsweringSettings
    serving: ServingSettings
    generation: GenerationSettings
    watchlist: WatchlistSettings

    def __init__(self, **values: Any) -> None:
        """Flat keywords go to their group; each group reads its own variables (and the
        same .env file, unless `_env_file` names another or None)."""
        env_file = values.get("_env_file", ENV["env_file"])
        for name, group in GROUPS.items():
            if name in values:
                continue
            own = {key: values.pop(key) for key in list(values) if key in group.model_fields}
            values[name] = group(_env_file=env_file, **own)
        super().__init__(**values)

    @model_validator(mode="after")
    def _default_inbox(self) -> Settings:
        if self.inbox is None:
            self.inbox = self.data_dir / "inbox"
        return self

    @property
    def inbox_dir(self) -> Path:
        assert self.inbox is not None  # set by the validator
        return self.inbox

    @property
    def models_dir(self) -> Path:
        return self.embedding.model_cache_dir or self.data_dir / "models"

    @property
    def qdrant_path(self) -> Path:
        """The embedded store of earlier versions (qdrant-client's local mode), moved into
        Qdrant Edge at start."""
        return self.data_dir / "qdrant"

    @property
    def edge_path(self) -> Path:
        return self.data_dir / "qdrant-edge"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    @property
    def facts_path(self) -> Path:
        return self.data_dir / "facts.sqlite3"
