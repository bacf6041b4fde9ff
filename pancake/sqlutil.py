"""What the statistics store (``pancake.data.store``) and the shared rate limit (``pancake.api.ratelimit``)
share about their databases: PostgreSQL advisory lock keys and what counts as a damaged SQLite
file. Stdlib only, so that both import it and neither imports the other for it."""
from __future__ import annotations

import hashlib
import sqlite3

_CORRUPT_CODES = {11, 26}   # SQLITE_CORRUPT, SQLITE_NOTADB


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def is_corruption(exc: BaseException) -> bool:
    """A damaged file (not a database, malformed image), as opposed to a busy or missing one."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if getattr(exc, "sqlite_errorcode", None) in _CORRUPT_CODES:
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text
