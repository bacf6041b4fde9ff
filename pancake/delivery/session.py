"""Signed, expiring tokens of the gate (no Streamlit): the session cookie that keeps a person
signed in across reloads, tabs and bookmarks, the one-use ticket that hands it to the browser,
and the secrets of read-only links.

A token is ``base64url(JSON).base64url(HMAC-SHA256)``, keyed by the signing key and a purpose
(a ticket is never a session). It holds who, how, a keyed digest of what granted it (a changed
password or a removed viewer no longer matches) and its times; never a password, a hash or the
key. The key is ``PANCAKE_SESSION_KEY`` (the same on every replica) or one made once into an
owner-only ``session.key`` in the cache folder. Nothing here logs a token or the key.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets as _secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pancake import config
from pancake.config import ConfigError
from pancake.delivery.access import b64, unb64
from pancake.redact import register_secret

COOKIE = "pancake_session"
ENV_KEY = "PANCAKE_SESSION_KEY"
KEY_FILE = "session.key"
TICKET_SECONDS = 60.0
LINK_PARAM = "link"


def signing_key(folder: Path | str, env: Mapping[str, str] | None = None,
                secrets: Mapping[str, Any] | None = None) -> bytes:
    """The key that signs sessions: ``PANCAKE_SESSION_KEY`` when given, else the one in
    ``folder/session.key`` (made once, mode 0600; a file others may read is refused)."""
    given = config.read(ENV_KEY, env, secrets)
    if given:
        register_secret(str(given))
        return hashlib.sha256(str(given).encode()).digest()
    path = Path(folder) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(_secrets.token_urlsafe(32))
    if os.name == "posix" and os.stat(path).st_mode & 0o077:
        raise ConfigError(f"{path} can be read by others: make it readable by its owner only (chmod 600)")
    text = path.read_text().strip()
    if len(text) < 32:
        raise ConfigError(f"{path} is too short to be a signing key: remove it and a new one is made")
    return hashlib.sha256(text.encode()).digest()


def digest(key: bytes, text: str) -> str:
    """A keyed digest of what grants a session (a stored hash, the shared password)."""
    return b64(hmac.new(key, b"grant\0" + str(text).encode(), hashlib.sha256).digest()[:18])


def sign(key: bytes, purpose: str, payload: Mapping[str, Any]) -> str:
    body = b64(json.dumps(dict(payload), separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key, purpose.encode() + b"\0" + body.encode(), hashlib.sha256).digest()
    return f"{body}.{b64(mac)}"


def unsign(key: bytes, purpose: str, token: str | None, now: float) -> dict[str, Any] | None:
    """The payload of a token signed for ``purpose`` and not expired at ``now``, else None
    (malformed, another key or purpose, altered, expired: never an exception)."""
    try:
        body, mac = str(token or "").split(".")
        want = hmac.new(key, purpose.encode() + b"\0" + body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(unb64(mac), want):
            return None
        payload = json.loads(unb64(body))
        if not isinstance(payload, dict) or float(payload["exp"]) <= now:
            return None
    except (ValueError, TypeError, KeyError):
        return None
    return payload


@dataclass(frozen=True)
class Session:
    """What a session cookie says: who (the name key), how, a digest of the grant, when."""
    who: str
    method: str
    grant: str
    issued: float
    expires: float


def claims(key: bytes, who: str, method: str, grant_text: str, now: float, hours: float) -> dict[str, Any]:
    """What a session token for ``who`` signed in by ``method`` (granted by ``grant_text``) says."""
    return {"who": who, "m": method, "g": digest(key, grant_text),
            "iat": round(float(now), 3), "exp": round(float(now) + hours * 3600.0, 3)}


def issue(key: bytes, who: str, method: str, grant_text: str, now: float, hours: float) -> str:
    """A session token (the cookie's value)."""
    return sign(key, "session", claims(key, who, method, grant_text, now, hours))


def read(key: bytes, token: str | None, now: float) -> Session | None:
    payload = unsign(key, "session", token, now)
    if payload is None:
        return None
    try:
        return Session(who=str(payload["who"]), method=str(payload["m"]), grant=str(payload["g"]),
                       issued=float(payload["iat"]), expires=float(payload["exp"]))
    except (KeyError, TypeError, ValueError):
        return None


class Tickets:
    """One-use tickets that hand a session to the browser's cookie endpoint: signed (any replica
    can open one), short-lived, refused the second time in this process. A ticket carries the
    session's claims, not its token: the page that holds a ticket never holds the cookie."""

    def __init__(self, seconds: float = TICKET_SECONDS) -> None:
        self.seconds = seconds
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def make(self, key: bytes, session_claims: Mapping[str, Any], now: float) -> str:
        return sign(key, "ticket", {"c": dict(session_claims), "n": _secrets.token_urlsafe(9),
                                    "exp": round(float(now) + self.seconds, 3)})

    def take(self, key: bytes, ticket: str | None, now: float) -> dict[str, Any] | None:
        """The session claims of a good, unexpired, unused ticket (then used), else None."""
        payload = unsign(key, "ticket", ticket, now)
        if payload is None:
            return None
        with self._lock:
            for n, exp in list(self._used.items()):
                if exp <= now:
                    self._used.pop(n)
            nonce = str(payload.get("n"))
            if nonce in self._used:
                return None
            self._used[nonce] = float(payload["exp"])
        found = payload.get("c")
        return dict(found) if isinstance(found, dict) and "exp" in found else None


TICKETS = Tickets()


def new_link_secret() -> str:
    """The secret of a read-only link (in its URL only; the store keeps its hash)."""
    return _secrets.token_urlsafe(24)


def link_hash(secret: str) -> str:
    """The stored form of a link's secret: SHA-256 (the secret is 192 random bits, so no salt or
    slow hash is needed to keep it from being guessed back)."""
    return hashlib.sha256(b"pancake-link\0" + str(secret).encode()).hexdigest()
