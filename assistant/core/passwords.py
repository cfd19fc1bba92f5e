"""Chat passwords, stored only as salted PBKDF2-SHA256 hashes (`vendorintel hash-password`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's advice for PBKDF2-SHA256


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    """'pbkdf2_sha256$ITERATIONS$SALT$HASH', salt and hash in URL-safe base64."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([SCHEME, str(iterations), encode(salt), encode(digest)])


def is_password_hash(value: str) -> bool:
    parts = value.split("$")
    return len(parts) == 4 and parts[0] == SCHEME and parts[1].isdigit()


def verify_password(password: str, stored: str) -> bool:
    """Whether the password matches the stored hash (compared in constant time)."""
    if not is_password_hash(stored):
        return False
    _, iterations, salt, expected = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), decode(salt), int(iterations))
    return hmac.compare_digest(digest, decode(expected))


def read_users_file(path: Path) -> dict[str, str]:
    """Chat logins from a file of 'name:hash' lines; blank lines and '#' comments are skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the chat users file {path}: {exc}") from exc
    users: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, stored = (part.strip() for part in line.partition(":"))
        if not name or not is_password_hash(stored):
            raise ValueError(
                f"{path}, line {number}: expected 'name:hash', with the hash that "
                "`vendorintel hash-password --user NAME` prints (never a password)"
            )
        users[name] = stored
    return users


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
