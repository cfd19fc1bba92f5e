"""Reply templates kept as files (prompts/answers.yaml), so wording changes need no code change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class Messages:
    """The reply templates, filled in with the inbox's path and the given values."""

    def __init__(self, prompts_dir: Path, inbox: Path) -> None:
        path = prompts_dir / "answers.yaml"
        if not path.exists():
            raise FileNotFoundError(
                f"Missing {path}: set VENDORINTEL_PROMPTS_DIR to the prompts folder."
            )
        loaded = yaml.safe_load(path.read_text("utf-8")) or {}
        self._templates = {key: str(value) for key, value in loaded.items()}
        self._inbox = inbox

    def __call__(self, key: str, **values: Any) -> str:
        return self._templates[key].format(inbox=self._inbox, **values)
