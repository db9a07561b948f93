"""The signing secret: given in settings, or generated once and kept in the data folder."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

MIN_SECRET_BYTES = 32
# Secrets that appear in samples and tutorials: a token signed with one proves nothing.
KNOWN_DEFAULTS = frozenset(
    {
        "changeme",
        "change-me",
        "secret",
        "your-256-bit-secret",
        "your-secret-key",
        "supersecretkey",
        "super-secret-key-change-in-production",
        "my-super-secret-key-that-is-at-least-32-characters-long",
        "this-is-a-very-long-secret-key-for-development-only",
    }
)
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class InsecureSecret(ValueError):
    pass


def check_secret(secret: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise InsecureSecret(f"the secret must be at least {MIN_SECRET_BYTES} bytes long")
    if secret.strip().lower() in KNOWN_DEFAULTS:
        raise InsecureSecret("the secret is a well-known sample value: generate a random one")
    return secret


def load_or_create_secret(data_dir: Path) -> str:
    """The data folder's secret, generated (readable by its owner only) on first use."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
    return check_secret(path.read_text().strip())


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, so the same secret never signs two kinds of thing."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
