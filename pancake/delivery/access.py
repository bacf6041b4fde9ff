"""Who may see what (no Streamlit here): the gate's configuration, password and kiosk-key
hashes, viewers' page scopes, and a throttle on repeated failures.

Three ways in, all optional (with none configured the dashboard stays open): OIDC viewers with an
``email`` when secrets have an ``[auth]`` section (``st.login``); passwords
(``PANCAKE_DASHBOARD_PASSWORD``, the owner's, and viewers' ``password_hash``); kiosk keys
(``[[kiosk]]`` ``key_hash``) that open the read-only standup screen for their pages. Viewers and
kiosks come from ``PANCAKE_ACCESS_FILE`` (TOML) or the same tables in secrets; the README shows one.
Passwords and keys are kept only as salted scrypt hashes, compared in constant time, and never
logged or raised.

Failing closed: an access file that grants nobody closes the dashboard; an unknown table or key
names its line; a hash costlier than :data:`MAX_SCRYPT_WORK` is refused when read. A session's
identity carries a fingerprint of what granted it and its name's sign-out generation, re-checked
on every run (:meth:`AccessConfig.current`): a removed viewer, a changed password or a sign-out
elsewhere ends it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets as _secrets
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pancake import config
from pancake.config import ConfigError

ALL = "*"
ROLES = ("viewer", "admin")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# The most scrypt work (N·r·p) a stored hash may ask for: 4x what ``access hash`` makes, about
# 0.2 s of CPU and 64 MB; a file asking for more is refused when read, naming the line.
MAX_SCRYPT_WORK = 4 * SCRYPT_N * SCRYPT_R * SCRYPT_P
VIEWER_KEYS = frozenset({"name", "password_hash", "email", "pages", "role"})
KIOSK_KEYS = frozenset({"name", "key_hash", "pages", "expires"})
TABLES = ("viewer", "kiosk")
OWNER = "\0owner"        # the name key of the shared password's owner (no viewer can have it)
ENV_PASSWORD = "PANCAKE_DASHBOARD_PASSWORD"
ENV_FILE = "PANCAKE_ACCESS_FILE"


# --- hashes ---------------------------------------------------------------------------------

def b64(data: bytes) -> str:
    """URL-safe base64 without padding (hashes here, session tokens in ``pancake.delivery.session``)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P,
                salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for a password or a kiosk key (a fresh 16-byte salt)."""
    if not secret:
        raise ValueError("an empty password or key cannot be hashed")
    salt = salt or _secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * n * r + 2**20)
    return f"scrypt${n}${r}${p}${b64(salt)}${b64(digest)}"


class CostTooHigh(ValueError):
    """A well-formed scrypt hash whose cost is above :data:`MAX_SCRYPT_WORK`."""


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = str(stored).split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("not a scrypt$N$r$p$salt$hash line")
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise ValueError("scrypt parameters out of range")
    if n * r * p > MAX_SCRYPT_WORK:
        raise CostTooHigh("scrypt cost above the cap")
    return n, r, p, unb64(parts[4]), unb64(parts[5])


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (constant-time comparison; False for a
    malformed hash or one costlier than the cap, never an exception)."""
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


_PROCESS_KEY = _secrets.token_bytes(32)   # never leaves the process: fingerprints mean nothing outside it


def fingerprint(text: str) -> str:
    """A keyed digest of what granted a session (a stored hash, the shared password): equal
    while the grant is unchanged; useless to anyone outside this process."""
    return hmac.new(_PROCESS_KEY, str(text).encode(), hashlib.sha256).hexdigest()


def name_key(name: str) -> str:
    """A viewer's name as compared: case and runs of spaces ignored."""
    return " ".join(str(name).split()).casefold()


class SignOuts:
    """The process-wide record of sign-outs, keyed by name: a session signed in under an
    earlier generation of its name is over (a sign-out in one tab ends the others)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gen: dict[str, int] = {}
        self._at: dict[str, float] = {}

    def generation(self, key: str) -> int:
        return self._gen.get(key, 0)

    def ended_at(self, key: str) -> float | None:
        """When ``key`` last signed out in this process (wall clock), or None."""
        return self._at.get(key)

    def sign_out(self, key: str, at: float | None = None) -> None:
        with self._lock:
            self._gen[key] = self._gen.get(key, 0) + 1
            self._at[key] = time.time() if at is None else float(at)


SIGN_OUTS = SignOuts()


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
    grant: str = field(default="", repr=False, compare=False)     # fingerprint of what let it in
    generation: int = field(default=0, repr=False, compare=False)  # SIGN_OUTS of its name at sign-in

    @property
    def key(self) -> str:
        """The name the sign-out record and the throttle know it by."""
        if self.kiosk:
            return "\0kiosk:" + self.name
        return OWNER if self.method == "password" and not self.name else name_key(self.name)

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
        grant = fingerprint(self.password_hash if method == "password" else f"oidc:{self.email}")
        return Identity(name=self.name, pages=self.pages, admin=self.role == "admin", method=method,
                        grant=grant, generation=SIGN_OUTS.generation(name_key(self.name)))


@dataclass(frozen=True)
class Kiosk:
    name: str
    pages: frozenset[str] | None
    key_hash: str = field(repr=False, default="")
    expires: date | None = None       # the last day the key opens its screen (None: no end)

    def valid(self, today: date | None) -> bool:
        return self.expires is None or (today or date.today()) <= self.expires

    def identity(self) -> Identity:
        return Identity(name=self.name, pages=self.pages, admin=False, kiosk=True, method="kiosk",
                        grant=fingerprint(self.key_hash))


@dataclass(frozen=True)
class AccessConfig:
    viewers: tuple[Viewer, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()
    shared_password: str | None = field(default=None, repr=False)
    oidc: bool = False
    from_file: bool = False       # PANCAKE_ACCESS_FILE is set: the dashboard is never left open

    @property
    def gated(self) -> bool:
        """Whether anything is configured: then nothing is shown before sign-in."""
        return bool(self.shared_password or self.viewers or self.oidc)

    @property
    def closed(self) -> bool:
        """An access file is set but grants nobody (empty, only kiosks, a misspelt table, no
        password and no OIDC): the dashboard stays closed (kiosk keys still open their screen)."""
        return self.from_file and not self.gated

    def _owner(self) -> Identity:
        return Identity(name="", pages=None, admin=True, method="password",
                        grant=fingerprint("shared:" + str(self.shared_password)),
                        generation=SIGN_OUTS.generation(OWNER))

    def current(self, ident: Identity, today: date | None = None) -> Identity | None:
        """``ident`` as this configuration grants it now (its pages and role as they are now),
        or None when it no longer is: the viewer or kiosk was removed, the password, key or
        email changed, a kiosk key's ``expires`` day is past (``today``), or its name signed
        out since (any tab). A read-only link is checked by the gate against the store."""
        if ident.method == "open":
            return None if self.gated or self.closed else ident
        if ident.method == "link":
            return ident
        if ident.kiosk:
            for k in self.kiosks:
                if fingerprint(k.key_hash) == ident.grant and k.valid(today):
                    return k.identity()
            return None
        if ident.generation != SIGN_OUTS.generation(ident.key):
            return None
        if ident.key == OWNER:
            if self.shared_password and self._owner().grant == ident.grant:
                return ident
            return None
        for v in self.viewers:
            if name_key(v.name) == ident.key:
                fresh = v.identity(ident.method) if (ident.method == "password" and v.password_hash) or \
                    (ident.method == "oidc" and v.email) else None
                if fresh is not None and fresh.grant == ident.grant:
                    return replace(fresh, generation=ident.generation)
        return None

    def session_grant(self, key: str, method: str) -> tuple[Identity, str] | None:
        """For a session cookie: the identity a name key (:attr:`Identity.key`) signed in by
        ``method`` has now, and the text of what grants it (a stored hash, the shared password),
        or None (no such viewer any more, no password). Only password sessions are kept this
        way (OIDC keeps its own cookie, kiosks their key)."""
        if method != "password":
            return None
        if key == OWNER:
            return (self._owner(), "shared:" + self.shared_password) if self.shared_password else None
        for v in self.viewers:
            if v.password_hash and name_key(v.name) == key:
                return v.identity("password"), v.password_hash
        return None

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
            return self._owner()
        wanted = name_key(name)
        found = None
        for v in self.viewers:
            if v.password_hash and name_key(v.name) == wanted:
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

    def kiosk_known(self, key: str | None, today: date | None = None) -> Identity | None:
        """The kiosk a key opened before in this process (no scrypt: a keyed digest of the key
        looked up), or None. The throttle is skipped for these: a TV that reconnects is let
        straight back in, whatever someone else is guessing."""
        if not key:
            return None
        known = _KIOSK_HITS.get(fingerprint("key:" + str(key)))
        for k in self.kiosks:
            if known is not None and k.key_hash == known and k.valid(today):
                return k.identity()
        return None

    def kiosk_expired(self, key: str | None, today: date | None = None) -> bool:
        """Whether ``key`` is a kiosk key this process has seen open before whose ``expires``
        day is past (the TV is told so, not that the key is wrong)."""
        known = _KIOSK_HITS.get(fingerprint("key:" + str(key))) if key else None
        return any(known is not None and k.key_hash == known and not k.valid(today) for k in self.kiosks)

    def kiosk(self, key: str | None, today: date | None = None) -> Identity | None:
        """The kiosk a ``?key=`` opens, or None (a wrong or empty key opens nothing). A key
        that opened or failed before under these kiosks is answered from memory, so a repeated
        key costs no scrypt run per kiosk entry."""
        if not key:
            return None
        known = self.kiosk_known(key, today)
        if known is not None:
            return known
        tag = fingerprint("key:" + str(key))
        hashes = tuple(k.key_hash for k in self.kiosks)
        if _KIOSK_MISSES.get(tag) == hashes or self.kiosk_expired(key, today):
            return None
        for k in self.kiosks:
            if verify_secret(key, k.key_hash):
                _remember(_KIOSK_HITS, tag, k.key_hash)
                return k.identity() if k.valid(today) else None
        _remember(_KIOSK_MISSES, tag, hashes)
        return None


_KIOSK_HITS: dict[str, str] = {}                     # digest of a key -> the key_hash it matched
_KIOSK_MISSES: dict[str, tuple[str, ...]] = {}       # digest of a key -> the kiosks it matched none of
_KIOSK_MEMORY = 1024


def _remember(store: dict, tag: str, value: Any) -> None:
    if len(store) >= _KIOSK_MEMORY and tag not in store:
        store.pop(next(iter(store)))
    store[tag] = value


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


def _expires(value: Any, where: str) -> date | None:
    """A kiosk's ``expires``: a TOML date (``2027-01-31``) or such a string; the key opens its
    screen through that day."""
    if value is None:
        return None
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where}: 'expires' must be a date such as 2027-01-31") from None


def _check_hash(value: Any, where: str, what: str) -> str:
    try:
        _parse_hash(str(value))
    except CostTooHigh:
        raise ConfigError(f"{where}: '{what}' asks for more scrypt work than allowed (N·r·p at most "
                          f"{MAX_SCRYPT_WORK}; `python -m pancake access hash` makes "
                          f"{SCRYPT_N}·{SCRYPT_R}·{SCRYPT_P}): make it again with that command") from None
    except ValueError:
        raise ConfigError(f"{where}: '{what}' is not a hash made by `python -m pancake access hash` "
                          "(scrypt$N$r$p$salt$hash)") from None
    return str(value)


class _Lines:
    """Where things are in the access file's text, to name the line of a problem (TOML
    parsers give no positions). Without text (secrets), no line is named."""

    def __init__(self, text: str | None) -> None:
        self.lines = (text or "").splitlines()

    @staticmethod
    def _header(line: str) -> str | None:
        stripped = line.strip()
        if not stripped.startswith("["):
            return None
        return stripped.strip("[]").split("]")[0].strip().strip('"\'').split(".")[0].strip()

    @staticmethod
    def _key(line: str) -> str | None:
        stripped = line.strip()
        if "=" not in stripped or stripped.startswith(("[", "#")):
            return None
        return stripped.split("=", 1)[0].strip().strip('"\'')

    def top(self, name: str) -> int | None:
        """The line of a top-level table or key called ``name``."""
        in_table = False
        for no, line in enumerate(self.lines, start=1):
            header = self._header(line)
            if header is not None:
                in_table = True
                if header == name:
                    return no
            elif not in_table and self._key(line) == name:
                return no
        return None

    def entry(self, table: str, index: int, key: str | None = None) -> int | None:
        """The line of entry ``index`` (from 1) of ``[[table]]``, or of ``key`` in it."""
        seen, start = 0, None
        for no, line in enumerate(self.lines, start=1):
            header = self._header(line)
            if start is not None and header is not None:
                break
            if header == table and line.strip().startswith("[["):
                seen += 1
                if seen == index:
                    start = no
                    if key is None:
                        return no
            elif start is not None and self._key(line) == key:
                return no
        return start

    def at(self, line: int | None) -> str:
        return f", line {line}" if line else ""


def parse_access(data: Mapping[str, Any], source: str = "access file",
                 text: str | None = None) -> tuple[tuple[Viewer, ...], tuple[Kiosk, ...]]:
    """``[[viewer]]`` and ``[[kiosk]]`` tables -> viewers and kiosks; a clear ConfigError (that
    names the entry and, with the file's ``text``, its line; never a hash or password) for
    anything malformed or unknown (``[[viewers]]``, ``passwd_hash``: a typo never opens or
    closes anything silently)."""
    lines = _Lines(text)
    if text is not None:          # the access file is only about access: every other name is a typo
        for name in data:
            if name not in TABLES:
                raise ConfigError(f"{source}{lines.at(lines.top(name))}: unknown table or key "
                                  f"'{name}' (use [[viewer]] and [[kiosk]])")
    viewers, kiosks = [], []
    raw_viewers = data.get("viewer", [])
    raw_kiosks = data.get("kiosk", [])
    if not isinstance(raw_viewers, list) or not isinstance(raw_kiosks, list):
        bad = "viewer" if not isinstance(raw_viewers, list) else "kiosk"
        raise ConfigError(f"{source}{lines.at(lines.top(bad))}: use [[viewer]] and [[kiosk]] tables")

    def unknown(entry: Mapping[str, Any], allowed: frozenset[str], table: str, i: int, where: str) -> None:
        for k in entry:
            if k not in allowed and k not in ("password", "key"):
                raise ConfigError(f"{where}{lines.at(lines.entry(table, i, k))}: unknown key '{k}' "
                                  f"(a [[{table}]] has {', '.join(sorted(allowed))})")

    seen: set[str] = set()
    for i, v in enumerate(raw_viewers, start=1):
        if not isinstance(v, Mapping):
            raise ConfigError(f"{source}: viewer #{i} is not a table")
        name = str(v.get("name") or "").strip()
        where = f"{source}: viewer #{i}" + (f" ({name})" if name else "")
        at = lines.at(lines.entry("viewer", i))
        unknown(v, VIEWER_KEYS, "viewer", i, where)
        if not name:
            raise ConfigError(f"{where}{at}: 'name' is missing")
        key = name_key(name)
        if key in seen:
            raise ConfigError(f"{where}{at}: another viewer has the same name")
        seen.add(key)
        if "password" in v:
            raise ConfigError(f"{where}{at}: store a 'password_hash' (python -m pancake access hash), never a password")
        role = str(v.get("role") or "viewer").strip()
        if role not in ROLES:
            raise ConfigError(f"{where}{at}: 'role' must be viewer or admin")
        pw = v.get("password_hash")
        email = v.get("email")
        if not pw and not email:
            raise ConfigError(f"{where}{at}: give a 'password_hash' or an 'email'")
        viewers.append(Viewer(name=name, pages=_pages(v.get("pages"), where + at), role=role,
                              password_hash=_check_hash(pw, where + lines.at(lines.entry("viewer", i, "password_hash")),
                                                        "password_hash") if pw else None,
                              email=str(email).strip() if email else None))
    for i, k in enumerate(raw_kiosks, start=1):
        if not isinstance(k, Mapping):
            raise ConfigError(f"{source}: kiosk #{i} is not a table")
        name = str(k.get("name") or f"kiosk {i}").strip()
        where = f"{source}: kiosk #{i} ({name})"
        at = lines.at(lines.entry("kiosk", i))
        unknown(k, KIOSK_KEYS, "kiosk", i, where)
        if "key" in k:
            raise ConfigError(f"{where}{at}: store a 'key_hash' (python -m pancake access hash), never a key")
        if not k.get("key_hash"):
            raise ConfigError(f"{where}{at}: 'key_hash' is missing")
        kiosks.append(Kiosk(name=name, pages=_pages(k.get("pages"), where + at),
                            key_hash=_check_hash(k["key_hash"], where + lines.at(lines.entry("kiosk", i, "key_hash")),
                                                 "key_hash"),
                            expires=_expires(k.get("expires"), where + lines.at(lines.entry("kiosk", i, "expires")))))
    return tuple(viewers), tuple(kiosks)


_FILE_MEMO: dict[str, tuple[tuple, tuple[tuple[Viewer, ...], tuple[Kiosk, ...]]]] = {}
_FILE_LOCK = threading.Lock()


def _read_file(path: str) -> tuple[tuple[Viewer, ...], tuple[Kiosk, ...]]:
    """The access file's viewers and kiosks, read again whenever it changed (its size, time
    or inode), from memory otherwise (every run of every session asks)."""
    try:
        st_ = os.stat(path)
        sig = (st_.st_ino, st_.st_size, st_.st_mtime_ns, st_.st_ctime_ns)
        with _FILE_LOCK:
            memo = _FILE_MEMO.get(path)
        if memo is not None and memo[0] == sig:
            return memo[1]
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{ENV_FILE}: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{ENV_FILE}: {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{ENV_FILE}: {path} is not valid TOML ({exc})") from None
    parsed = parse_access(data, ENV_FILE, text=text)
    with _FILE_LOCK:
        _FILE_MEMO[path] = (sig, parsed)
    return parsed


def load_access(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> AccessConfig:
    """The gate's configuration from the environment and Streamlit secrets."""
    secrets = secrets or {}
    password = config.read(ENV_PASSWORD, env, secrets)
    viewers: tuple[Viewer, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()
    path = config.read(ENV_FILE, env, secrets)
    if path:
        viewers, kiosks = _read_file(str(path))
    elif "viewer" in secrets or "kiosk" in secrets:
        viewers, kiosks = parse_access(secrets, "secrets")
    oidc = isinstance(secrets.get("auth"), Mapping) and bool(secrets.get("auth"))
    return AccessConfig(viewers=viewers, kiosks=kiosks, shared_password=str(password) if password else None,
                        oidc=oidc, from_file=bool(path))


# --- slowing down repeated failures ---------------------------------------------------------------

class Throttle:
    """Failures per key make the next attempt under any of the same keys wait: nothing for the
    first ``free`` failures, then doubling from 1 s up to ``cap``; forgotten ``forget_after``
    seconds after the last one. The gate counts a failed sign-in under the name tried, the address
    and (with a shared password) the owner; a success clears only its own name. Kiosk keys count
    under the address and all keys together. Attempts at once each reserve their own turn, one
    delay after the turn before; one whose turn is more than ``max_wait`` away is refused unchecked."""

    def __init__(self, free: int = 3, cap: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_clients: int = 10_000,
                 forget_after: float = 900.0, max_wait: float | None = None) -> None:
        self.free, self.cap = free, cap
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}
        self._turn: dict[str, float] = {}      # key -> the earliest time of its next attempt
        self.max_clients = max_clients
        self.forget_after = forget_after
        self.max_wait = 2 * cap if max_wait is None else max_wait

    def _count(self, key: str) -> int:
        n, last = self._failures.get(key, (0, 0.0))
        return n if n and self._clock() - last < self.forget_after else 0

    def delay(self, *keys: str) -> float:
        n = max((self._count(k) for k in keys), default=0)
        return 0.0 if n == 0 or n < self.free else min(self.cap, 2.0 ** (n - self.free))

    def wait(self, *keys: str) -> float | None:
        """Wait for this attempt's turn (0 s while the keys' failures are free) and return the
        seconds waited; None, at once, when the turn is more than ``max_wait`` away (refuse the
        attempt without checking it)."""
        with self._lock:
            d = self.delay(*keys)
            if not d:
                return 0.0
            now = self._clock()
            pause = max([d] + [self._turn[k] - now for k in keys if k in self._turn])
            if pause > self.max_wait:
                return None
            for key in keys:
                self._turn[key] = now + pause + d
        self._sleep(pause)
        return pause

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                if len(self._failures) >= self.max_clients and key not in self._failures:
                    old = next(iter(self._failures))
                    self._failures.pop(old)
                    self._turn.pop(old, None)
                self._failures[key] = (self._count(key) + 1, self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
            self._turn.pop(key, None)


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


# --- read-only links (stored in the statistics store; only a hash of the secret) --------------------

LINK_DAYS = 30           # a new link's default lifetime
LINK_MAX_DAYS = 366
STANDUP = "standup"      # the page name of a link to the standup screen


@dataclass(frozen=True)
class SharedLink:
    """A read-only link: its name, the one view it opens (a page or the standup screen, its
    pages, range and language), whether downloads are allowed, and its dates (epoch seconds)."""
    id: str
    name: str
    page: str
    pages: tuple[str, ...]
    query: tuple[tuple[str, str], ...]      # the view's URL parameters (pages, range or dates, lang...)
    downloads: bool = False
    created_at: float = 0.0
    expires_at: float = 0.0
    revoked_at: float | None = None
    last_used: float | None = None

    def status(self, now: float) -> str:
        """``revoked``, ``expired`` (at its expiry time, not after) or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    def identity(self) -> Identity:
        return Identity(name=self.name, pages=frozenset(self.pages), admin=False, kiosk=self.page == STANDUP,
                        method="link", grant=self.id)

    def view_text(self) -> str:
        """What the store keeps of the view (JSON)."""
        return json.dumps({"page": self.page, "pages": list(self.pages), "query": dict(self.query)},
                           ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SharedLink | None:
        """A link as the store returns it; None for a row whose view cannot be read (it opens nothing)."""
        try:
            view = json.loads(str(row["view"]))
            pages = tuple(str(p) for p in view["pages"])
            query = tuple((str(k), str(v)) for k, v in dict(view["query"]).items())
            return cls(id=str(row["id"]), name=str(row["name"]), page=str(view["page"]), pages=pages, query=query,
                       downloads=bool(row["downloads"]), created_at=float(row["created_at"]),
                       expires_at=float(row["expires_at"]),
                       revoked_at=None if row.get("revoked_at") is None else float(row["revoked_at"]),
                       last_used=None if row.get("last_used") is None else float(row["last_used"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def new_link(name: str, page: str, pages: Iterable[str], query: Mapping[str, str], *, downloads: bool,
             now: float, days: float = LINK_DAYS) -> SharedLink:
    """A link to be stored (its secret is made and hashed by the caller: ``pancake.delivery.session``).
    The name is required; the lifetime is between one hour and :data:`LINK_MAX_DAYS` days; the
    pages are the view's, never "every page" (a page added later is not shared)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValueError("a link needs a name")
    if not (1 / 24 <= float(days) <= LINK_MAX_DAYS):
        raise ValueError(f"a link lasts from one hour to {LINK_MAX_DAYS} days")
    ids = tuple(dict.fromkeys(str(p) for p in pages))
    if not ids:
        raise ValueError("a link needs at least one page")
    q = {str(k): str(v) for k, v in query.items() if k not in ("pages", "link", "key", "kiosk")}
    q["pages"] = ",".join(ids)
    if page == STANDUP:
        q["kiosk"] = "1"
    return SharedLink(id=_secrets.token_hex(8), name=name, page=str(page), pages=ids, query=tuple(sorted(q.items())),
                      downloads=bool(downloads), created_at=float(now), expires_at=float(now) + float(days) * 86400.0)
