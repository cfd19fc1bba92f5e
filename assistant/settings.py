"""The one typed settings object, read from VENDORINTEL_* variables and an optional .env."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything the product can be configured with; defaults run offline and embedded."""

    model_config = SettingsConfigDict(
        env_prefix="VENDORINTEL_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(Path("data"), description="Holds everything the product writes.")
    inbox: Path | None = Field(
        None, description="Folder users drop files into (default DATA_DIR/inbox)."
    )
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt and message templates.")

    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded store.")
    qdrant_api_key: SecretStr | None = None
    collection: str = "vendorintel"

    chunk_size: int = Field(180, ge=32, description="Chunk size in tokens (the model reads 256).")
    chunk_overlap: int = Field(30, ge=0)
    embed_batch_size: int = Field(32, ge=1)
    ingest_batch_files: int = Field(16, ge=1, description="Files embedded per pipeline run.")

    watch_inbox: bool = Field(True, description="`serve` keeps the index in line with the inbox.")
    settle_seconds: float = Field(
        1.0, gt=0, description="A changed file is ingested once it has not changed for this long."
    )
    max_upload_mb: int = Field(50, ge=1, description="Largest file accepted by upload.")
    qdrant_shards: int | None = Field(None, ge=1, description="Shards of a new server collection.")
    qdrant_replicas: int | None = Field(
        None, ge=1, description="Replicas of a new server collection."
    )

    top_k: int = Field(8, ge=1, le=100, description="Chunks retrieved per question.")
    answer_sentences: int = Field(3, ge=1, le=10, description="Most sentences in an answer.")
    stale_after_days: int = Field(
        120, ge=1, description="Checkpoint evidence older than this is flagged as stale."
    )
    regression_drop: float = Field(
        0.03, ge=0, description="An eval score falling more than this after an update is flagged."
    )
    min_evidence_score: float = Field(
        0.40, description="Below this sentence score the answer is 'insufficient evidence'."
    )

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
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    @property
    def facts_path(self) -> Path:
        return self.data_dir / "facts.sqlite3"
