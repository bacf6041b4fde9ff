"""Who may see what (no Streamlit here): the gate's configuration, password and kiosk-key
hashes, viewers' page scopes, and a throttle on repeated failures.

Three ways in, all optional (with none configured the dashboard stays open, as on demo data):

- **OIDC** when ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's ``st.login``);
  viewers with an ``email`` are let in, with their pages and role.
- **Passwords**: ``PANCAKE_DASHBOARD_PASSWORD`` (one shared password: the owner, admin, every
  page) and/or viewers with a ``password_hash``.
- **Kiosk keys** for TVs: ``[[kiosk]]`` entries with a ``key_hash`` open the read-only standup
  screen for their pages with ``?kiosk=1&key=…``.

Viewers and kiosks come from ``PANCAKE_ACCESS_FILE`` (TOML) or the same tables in secrets::

    [[viewer]]
    name = "Shop A"
    password_hash = "scrypt$16384$8$1$<salt>$<hash>"   # or: email = "owner@shop-a.vn"
    pages = ["1001", "1002"]                            # or ["*"]
    role = "viewer"                                     # viewer | admin

    [[kiosk]]
    name = "TV sales floor"
    key_hash = "scrypt$..."
    pages = ["1001"]

Passwords and keys are stored only as salted scrypt hashes (``python -m pancake access hash``)
and compared in constant time. Nothing here logs or raises with a password, key or hash in it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as _secrets
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import ConfigError

ALL = "*"
ROLES = ("viewer", "admin")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
ENV_PASSWORD = "PANCAKE_DASHBOARD_PASSWORD"
ENV_FILE = "PANCAKE_ACCESS_FILE"


# --- hashes ---------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P,
                salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for a password or a kiosk key (a fresh 16-byte salt)."""
    if not secret:
        raise ValueError("an empty password or key cannot be hashed")
    salt = salt or _secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = str(stored).split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("not a scrypt$N$r$p$salt$hash line")
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError("scrypt parameters out of range")
    return n, r, p, _unb64(parts[4]), _unb64(parts[5])


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (constant-time comparison; False for a
    malformed hash, never an exception)."""
    try:
        n, r, p, salt, want = _parse_hash(stored)
        got = hashlib.scrypt(str(secret).encode(), salt=salt, n=n, r=r, p=p, dklen=len(want),
                             maxmem=256 * n * r + 2**20)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def same_text(given: str, expected: str) -> bool:
    """Plain-text comparison in constant time (the shared password)."""
    return hmac.compare_digest(str(given).encode(), str(expected).encode())


# --- who ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Who is looking: their name (shown in the corner), their pages (``None``: every page),
    whether they are an admin, and whether this is a kiosk (the standup screen only)."""
    name: str
    pages: frozenset[str] | None = None
    admin: bool = False
    kiosk: bool = False
    method: str = "open"          # open | password | oidc | kiosk

    def allows(self, page_id: str) -> bool:
        return self.pages is None or str(page_id) in self.pages

    def scope(self, page_ids: Iterable[str]) -> list[str]:
        """``page_ids`` this identity may see, in their order."""
        return [str(p) for p in page_ids if self.allows(p)]


OPEN = Identity(name="", pages=None, admin=True, method="open")


@dataclass(frozen=True)
class Viewer:
    name: str
    pages: frozenset[str] | None      # None: every page
    role: str = "viewer"
    password_hash: str | None = field(default=None, repr=False)
    email: str | None = None

    def identity(self, method: str) -> Identity:
        return Identity(name=self.name, pages=self.pages, admin=self.role == "admin", method=method)


@dataclass(frozen=True)
class Kiosk:
    name: str
    pages: frozenset[str] | None
    key_hash: str = field(repr=False, default="")

    def identity(self) -> Identity:
        return Identity(name=self.name, pages=self.pages, admin=False, kiosk=True, method="kiosk")


@dataclass(frozen=True)
class AccessConfig:
    viewers: tuple[Viewer, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()
    shared_password: str | None = field(default=None, repr=False)
    oidc: bool = False

    @property
    def gated(self) -> bool:
        """Whether anything is configured: then nothing is shown before sign-in."""
        return bool(self.shared_password or self.viewers or self.oidc)

    @property
    def password_sign_in(self) -> bool:
        return bool(self.shared_password or any(v.password_hash for v in self.viewers))

    @property
    def names_asked(self) -> bool:
        """Whether the sign-in form asks for a name (viewers with passwords exist)."""
        return any(v.password_hash for v in self.viewers)

    def sign_in(self, name: str, password: str) -> Identity | None:
        """The identity for a name and password, or None. The shared password lets the owner in
        (admin, every page) whatever the name; otherwise the viewer of that name (case and
        surrounding spaces ignored) with a matching hash."""
        if not password:
            return None
        if self.shared_password and same_text(password, self.shared_password):
            return Identity(name="", pages=None, admin=True, method="password")
        wanted = " ".join(str(name).split()).casefold()
        found = None
        for v in self.viewers:
            if v.password_hash and " ".join(v.name.split()).casefold() == wanted:
                found = v
        if found is None:
            verify_secret(password, DUMMY_HASH)     # the same work as a real check: no timing hint
            return None
        return found.identity("password") if verify_secret(password, found.password_hash or "") else None

    def by_email(self, email: str | None) -> Identity | None:
        """The viewer an OIDC sign-in's email names (case-insensitive), or None."""
        if not email:
            return None
        e = str(email).strip().casefold()
        for v in self.viewers:
            if v.email and v.email.strip().casefold() == e:
                return v.identity("oidc")
        return None

    def kiosk(self, key: str | None) -> Identity | None:
        """The kiosk a ``?key=`` opens, or None (a wrong or empty key opens nothing)."""
        if not key:
            return None
        for k in self.kiosks:
            if verify_secret(key, k.key_hash):
                return k.identity()
        return None


DUMMY_HASH = hash_secret("not-a-password", salt=b"\0" * 16)


# --- reading the configuration --------------------------------------------------------------------

def _pages(value: Any, where: str) -> frozenset[str] | None:
    if value is None:
        raise ConfigError(f"{where}: 'pages' is missing (a list of page ids, or [\"*\"] for every page)")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: 'pages' must be a non-empty list of page ids, or [\"*\"]")
    ids = [str(v).strip() for v in value]
    if ALL in ids:
        return None
    if any(not i for i in ids):
        raise ConfigError(f"{where}: 'pages' has an empty page id")
    return frozenset(ids)


def _check_hash(value: Any, where: str, what: str) -> str:
    try:
        _parse_hash(str(value))
    except ValueError:
        raise ConfigError(f"{where}: '{what}' is not a hash made by `python -m pancake access hash` "
                          "(scrypt$N$r$p$salt$hash)") from None
    return str(value)


def parse_access(data: Mapping[str, Any], source: str = "access file") -> tuple[tuple[Viewer, ...], tuple[Kiosk, ...]]:
    """``[[viewer]]`` and ``[[kiosk]]`` tables -> viewers and kiosks; a clear ConfigError (that
    names the entry, never a hash or password) for anything malformed."""
    viewers, kiosks = [], []
    raw_viewers = data.get("viewer", [])
    raw_kiosks = data.get("kiosk", [])
    if not isinstance(raw_viewers, list) or not isinstance(raw_kiosks, list):
        raise ConfigError(f"{source}: use [[viewer]] and [[kiosk]] tables")
    seen: set[str] = set()
    for i, v in enumerate(raw_viewers, start=1):
        if not isinstance(v, Mapping):
            raise ConfigError(f"{source}: viewer #{i} is not a table")
        name = str(v.get("name") or "").strip()
        where = f"{source}: viewer #{i}" + (f" ({name})" if name else "")
        if not name:
            raise ConfigError(f"{where}: 'name' is missing")
        key = " ".join(name.split()).casefold()
        if key in seen:
            raise ConfigError(f"{where}: another viewer has the same name")
        seen.add(key)
        if "password" in v:
            raise ConfigError(f"{where}: store a 'password_hash' (python -m pancake access hash), never a password")
        role = str(v.get("role") or "viewer").strip()
        if role not in ROLES:
            raise ConfigError(f"{where}: 'role' must be viewer or admin")
        pw = v.get("password_hash")
        email = v.get("email")
        if not pw and not email:
            raise ConfigError(f"{where}: give a 'password_hash' or an 'email'")
        viewers.append(Viewer(name=name, pages=_pages(v.get("pages"), where), role=role,
                              password_hash=_check_hash(pw, where, "password_hash") if pw else None,
                              email=str(email).strip() if email else None))
    for i, k in enumerate(raw_kiosks, start=1):
        if not isinstance(k, Mapping):
            raise ConfigError(f"{source}: kiosk #{i} is not a table")
        name = str(k.get("name") or f"kiosk {i}").strip()
        where = f"{source}: kiosk #{i} ({name})"
        if "key" in k:
            raise ConfigError(f"{where}: store a 'key_hash' (python -m pancake access hash), never a key")
        if not k.get("key_hash"):
            raise ConfigError(f"{where}: 'key_hash' is missing")
        kiosks.append(Kiosk(name=name, pages=_pages(k.get("pages"), where),
                            key_hash=_check_hash(k["key_hash"], where, "key_hash")))
    return tuple(viewers), tuple(kiosks)


def load_access(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> AccessConfig:
    """The gate's configuration from the environment and Streamlit secrets."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    pancake_secrets = secrets.get("pancake") if isinstance(secrets.get("pancake"), Mapping) else {}
    password = (env.get(ENV_PASSWORD) or secrets.get(ENV_PASSWORD)
                or (pancake_secrets or {}).get("dashboard_password") or None)
    viewers: tuple[Viewer, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()
    path = env.get(ENV_FILE) or secrets.get(ENV_FILE)
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"{ENV_FILE}: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{ENV_FILE}: {path} is not valid TOML ({exc})") from None
        viewers, kiosks = parse_access(data, ENV_FILE)
    elif "viewer" in secrets or "kiosk" in secrets:
        viewers, kiosks = parse_access(secrets, "secrets")
    oidc = isinstance(secrets.get("auth"), Mapping) and bool(secrets.get("auth"))
    return AccessConfig(viewers=viewers, kiosks=kiosks, shared_password=str(password) if password else None,
                        oidc=oidc)


# --- slowing down repeated failures ---------------------------------------------------------------

class Throttle:
    """Failures per client (an address) make its next attempt wait: 0 s for the first
    ``free`` failures, then doubling from 1 s up to ``cap``. A success clears the count."""

    def __init__(self, free: int = 3, cap: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_clients: int = 10_000) -> None:
        self.free, self.cap = free, cap
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self.max_clients = max_clients

    def delay(self, client: str) -> float:
        n = self._failures.get(client, 0)
        return 0.0 if n < self.free else min(self.cap, 2.0 ** (n - self.free))

    def wait(self, client: str) -> None:
        d = self.delay(client)
        if d:
            self._sleep(d)

    def failed(self, client: str) -> None:
        with self._lock:
            if len(self._failures) >= self.max_clients and client not in self._failures:
                self._failures.pop(next(iter(self._failures)))
            self._failures[client] = self._failures.get(client, 0) + 1

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


class Cooldown:
    """At most one press per ``seconds`` of a costly button (clear the cache, check tokens)."""

    def __init__(self, seconds: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, what: str) -> bool:
        """True (and the cooldown starts) when ``what`` may run now."""
        with self._lock:
            now = self._clock()
            if now - self._last.get(what, -1e18) < self.seconds:
                return False
            self._last[what] = now
            return True
