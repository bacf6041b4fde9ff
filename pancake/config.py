"""Configuration: environment first, then Streamlit secrets (passed in as a mapping), then defaults.

Settings never show a token in ``repr``/``str``; use ``redact.mask_token`` to display state.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pancake.redact import register_secret

log = logging.getLogger("pancake.config")

DEFAULT_BASE_URL = "https://pages.fm/api"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_SESSION_HOURS = 12.0
MAX_SESSION_HOURS = 24.0 * 90
DEFAULT_MEMORY_CACHE_MB = 64          # composed frames kept in memory, all sessions together
DEFAULT_MEMORY_CACHE_ENTRIES = 2000
DEFAULT_MAX_RANGE_DAYS = 731          # two years


@dataclass(frozen=True)
class Variable:
    """One configuration variable. ``meaning`` and ``default`` are the README's words (on screen:
    ``set.env.<name>`` in strings.toml); ``example`` is a placeholder for the Settings page,
    never a value in use. ``secrets``: also read from Streamlit secrets (the same name, or the
    name without ``PANCAKE_`` in lower case in a ``[pancake]`` table); else the environment only."""
    name: str
    meaning: str
    default: str
    example: str
    secrets: bool = True

    @property
    def short(self) -> str:
        return self.name.removeprefix("PANCAKE_").lower()


# Every PANCAKE_* variable the product reads, in the order the README and the Settings page list
# them. No other module reads the environment for them: each asks ``read(name)``.
VARIABLES = (
    Variable("PANCAKE_ACCESS_TOKEN", "user token (Account → Personal settings). Lists your pages, generates "
             "missing page tokens, enables the multi-page staff statistics", "—", "<user token>"),
    Variable("PANCAKE_PAGE_TOKENS", "page tokens, `page_id:token,page_id:token` (page Settings → Tools)", "—",
             "<page_id>:<page token>,<page_id>:<page token>"),
    Variable("PANCAKE_BASE_URL", "API base; the client appends `/v1/...` and `/public_api/v1|v2/...`",
             f"`{DEFAULT_BASE_URL}`", DEFAULT_BASE_URL),
    Variable("PANCAKE_TIMEZONE", "the shops' time zone for day boundaries, `date_range` and hours",
             f"`{DEFAULT_TIMEZONE}`", DEFAULT_TIMEZONE),
    Variable("PANCAKE_DEMO", "`1` forces demo data even with tokens", "—", "0"),
    Variable("PANCAKE_CACHE_DIR", "where the statistics store (`store.sqlite3`) and the shared rate-limit file live",
             "the user's cache directory (`~/.cache/pancake-dashboard`; honours `XDG_CACHE_HOME`)",
             "/var/cache/pancake"),
    Variable("PANCAKE_STORE_URL", "`postgresql://user:password@host:5432/db`: the store and the rate limit on "
             "PostgreSQL, shared by several dashboard replicas and a sync job", "— (SQLite)",
             "postgresql://<user>:<secret>@<host>:5432/<db>"),
    Variable("PANCAKE_DASHBOARD_PASSWORD", "a shared password for the dashboard (see \"Who may see what\")",
             "— (open)", "<passphrase>"),
    Variable("PANCAKE_ACCESS_FILE", "a TOML file of viewers (with their pages) and kiosk keys", "—",
             "/etc/pancake/access.toml"),
    Variable("PANCAKE_SESSION_HOURS", "how long a sign-in lasts (hours, up to 90 days) before the password is "
             "asked again", f"`{DEFAULT_SESSION_HOURS:g}`", f"{DEFAULT_SESSION_HOURS:g}"),
    Variable("PANCAKE_SESSION_KEY", "the key that signs session cookies; set the same long random value on every "
             "replica (environment or secrets)", "made once in `PANCAKE_CACHE_DIR/session.key` (owner-only)",
             "<long random text>"),
    Variable("PANCAKE_ALLOW_WRITES", "`1` shows the conversation write actions (tag, assign, read/unread)", "off",
             "0"),
    Variable("PANCAKE_HOURS_FILE", "a TOML file of opening hours, holidays, reply targets and bots for the "
             "response times (see \"Response times\")", "— (calendar time, no target)", "/srv/pancake/hours.toml"),
    Variable("PANCAKE_NOTIFY", "notification URLs for `digest` and `alert`, comma-separated", "—",
             "tgram://<bot token>/<chat id>"),
    Variable("PANCAKE_PUBLIC_URL", "the dashboard's address, for links in the digest and alerts (http(s), no user "
             "name or password)", "—", "https://stats.example.com"),
    Variable("PANCAKE_CHROMIUM", "the Chromium that draws the standup as a picture (`digest --picture`, the "
             "sidebar's download); when set, only this one is used", f"`{DEFAULT_CHROMIUM}`", DEFAULT_CHROMIUM,
             secrets=False),
    Variable("PANCAKE_MEMORY_CACHE_MB", "the in-memory cache's size in MB, every session together (`0` keeps "
             "nothing in memory; the store holds the history)", f"`{DEFAULT_MEMORY_CACHE_MB}`",
             str(DEFAULT_MEMORY_CACHE_MB), secrets=False),
    Variable("PANCAKE_MEMORY_CACHE_ENTRIES", "the in-memory cache's number of entries, every session together "
             "(`0` keeps nothing in memory)", f"`{DEFAULT_MEMORY_CACHE_ENTRIES}`", str(DEFAULT_MEMORY_CACHE_ENTRIES),
             secrets=False),
    Variable("PANCAKE_MAX_RANGE_DAYS", "the longest range a viewer may ask for, in days (a long range is many "
             "calls on the owner's tokens)", f"`{DEFAULT_MAX_RANGE_DAYS}` (two years)", str(DEFAULT_MAX_RANGE_DAYS),
             secrets=False),
)
REGISTRY = {v.name: v for v in VARIABLES}

# The API configuration (what the Settings page's connection section is about)
ENV_KEYS = ("PANCAKE_ACCESS_TOKEN", "PANCAKE_PAGE_TOKENS", "PANCAKE_BASE_URL",
            "PANCAKE_TIMEZONE", "PANCAKE_DEMO")
PUBLIC_URL_ENV = "PANCAKE_PUBLIC_URL"
CHROMIUM_ENV = "PANCAKE_CHROMIUM"


def read(name: str, env: Mapping[str, str] | None = None,
         secrets: Mapping[str, Any] | None = None) -> Any:
    """A registered variable's raw value, read now: the environment (default: this process's),
    then secrets under the same name, then the ``[pancake]`` table's short key (``secrets=False``
    variables: the environment only). None or blank text counts as unset; None when unset everywhere.
    A secret may be a list or a table (``PANCAKE_NOTIFY``, ``PANCAKE_PAGE_TOKENS``)."""
    var = REGISTRY[name]          # KeyError: every variable is registered
    env = os.environ if env is None else env
    candidates: list[Any] = [env.get(name)]
    if var.secrets:
        secrets = secrets or {}
        table = secrets.get("pancake") if isinstance(secrets.get("pancake"), Mapping) else {}
        candidates += [secrets.get(name), table.get(var.short)]
    for found in candidates:
        if found is not None and not (isinstance(found, str) and not found.strip()):
            return found
    return None


class ConfigError(ValueError):
    """A setting is malformed. The message never contains a token."""


def check_page_id(page_id: str) -> str:
    """A page id as it goes into a URL path: not empty, no spaces, slashes or URL syntax.
    Raises ``ConfigError`` (never a call, never a token generated for it)."""
    pid = str(page_id)
    if not pid or not pid.isprintable() or any(c.isspace() or c in "/?#%\\" for c in pid) or pid in (".", ".."):
        raise ConfigError(f"{pid!r} is not a page id")
    return pid


def parse_page_tokens(value: Any) -> dict[str, str]:
    """``"page_id:token,page_id:token"`` or a mapping ``{page_id: token}`` -> dict."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        out = {str(k).strip(): str(v).strip() for k, v in value.items() if str(v).strip()}
    else:
        out = {}
        seen: dict[str, int] = {}
        for i, part in enumerate(str(value).replace("\n", ",").split(","), start=1):
            part = part.strip()
            if not part:
                continue
            page_id, sep, token = part.partition(":")
            if not sep or not page_id.strip() or not token.strip():
                raise ConfigError(
                    f"PANCAKE_PAGE_TOKENS entry #{i} is not of the form page_id:token")
            page_id, token = page_id.strip(), token.strip()
            if any(c.isspace() for c in page_id) or any(c.isspace() for c in token):
                raise ConfigError(f"PANCAKE_PAGE_TOKENS entry #{i} has a space inside its page id or token")
            if page_id in seen:
                register_secret(token, *out.values())
                raise ConfigError(
                    f"PANCAKE_PAGE_TOKENS names page {page_id} twice (entries #{seen[page_id]} and #{i}): "
                    "keep the one token that works")
            seen[page_id] = i
            out[page_id] = token
    register_secret(*out.values())
    return out


def _echo(value: Any, limit: int = 60) -> str:
    """A configuration value quoted for a message: control characters dropped, cut short."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def check_base_url(url: str) -> None:
    """ConfigError unless ``url`` is an absolute http(s) URL with a host (no credentials in it:
    they would be shown on the Settings page)."""
    try:
        parts = urlsplit(str(url))
        host, port = parts.hostname, parts.port   # port: ValueError when not a number
    except ValueError:
        host, port, parts = None, None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"PANCAKE_BASE_URL {_echo(url)} is not a usable URL "
                          f"(expected e.g. {DEFAULT_BASE_URL})")
    if parts.username or parts.password:
        raise ConfigError("PANCAKE_BASE_URL must not carry a user name or password")
    del port


def check_public_url(value: Any) -> str | None:
    """Why ``PANCAKE_PUBLIC_URL`` cannot be used, or None: ``"credentials"`` (a user name or
    password in it: it would be printed in every message) or ``"not_http"`` (not an http(s)
    address with a host and no query or fragment: ``javascript:``, ``file:``, a bare word...).
    The reason is a key of ``config.public_url.*`` in ``pancake/strings.toml``; it never echoes
    the value. The credentials of a refused URL are registered as secrets."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port   # noqa: B018 - ValueError when not a number
    except ValueError:
        return "not_http"
    if parts.username or parts.password or "@" in parts.netloc:
        register_secret(parts.username, parts.password, parts.netloc.rpartition("@")[0])
        return "credentials"
    if (parts.scheme.lower() not in ("http", "https") or not host or parts.query or parts.fragment
            or any(not c.isprintable() or c.isspace() for c in text)):
        return "not_http"
    return None


def public_url(env: Mapping[str, str] | None = None,
               secrets: Mapping[str, Any] | None = None) -> tuple[str | None, str | None]:
    """``PANCAKE_PUBLIC_URL`` (environment, then secrets: ``PANCAKE_PUBLIC_URL`` or ``public_url``
    in the ``[pancake]`` table) as (the URL without its trailing slash, or None; why it was
    refused, or None). A refused URL is dropped: the messages go out without the link."""
    given = read(PUBLIC_URL_ENV, env, secrets)
    if given is None or not str(given).strip():
        return None, None
    problem = check_public_url(given)
    return (None, problem) if problem else (str(given).strip().rstrip("/"), None)


def chromium(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """The Chromium to draw pictures with: (its path, None), or (None, why there is none).
    ``PANCAKE_CHROMIUM`` when set (then only that one: a wrong path is said, never replaced by
    another browser), else ``/usr/bin/chromium``. A path must be an executable file."""
    given = str(read(CHROMIUM_ENV, env) or "").strip()
    path = given or DEFAULT_CHROMIUM
    where = f"{CHROMIUM_ENV}={_echo(path, 200)}" if given else path
    if not os.path.isfile(path):
        return None, f"no Chromium at {where}" + ("" if given else f" (install chromium, or set {CHROMIUM_ENV})")
    if not os.access(path, os.X_OK):
        return None, f"{where} is not executable"
    return path, None



def session_hours(value: Any) -> float:
    """``PANCAKE_SESSION_HOURS``: how long a sign-in lasts (hours, default 12, at most 90 days)."""
    if value in (None, ""):
        return DEFAULT_SESSION_HOURS
    try:
        hours = float(str(value).strip())
    except ValueError:
        hours = float("nan")
    if not (0 < hours <= MAX_SESSION_HOURS):
        raise ConfigError(f"PANCAKE_SESSION_HOURS {_echo(str(value))} must be a number of hours above 0 "
                          f"and at most {int(MAX_SESSION_HOURS)}")
    return hours


def memory_bounds(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(entries, bytes) of the in-memory cache of composed frames, every session together:
    ``PANCAKE_MEMORY_CACHE_ENTRIES`` and ``PANCAKE_MEMORY_CACHE_MB`` (a fraction is fine). 0 keeps
    nothing in memory (every view composes its frames from the store). A value that is not a
    number >= 0 is ignored with a warning."""
    entries = _bound(env, "PANCAKE_MEMORY_CACHE_ENTRIES", DEFAULT_MEMORY_CACHE_ENTRIES, int)
    mb = _bound(env, "PANCAKE_MEMORY_CACHE_MB", DEFAULT_MEMORY_CACHE_MB, float)
    return int(entries), int(mb * 2**20)


def _bound(env: Mapping[str, str] | None, key: str, default: float, kind: type) -> float:
    raw = str(read(key, env) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    if not value >= 0:      # also NaN
        log.warning("%s=%r is not a number >= 0: using %s", key, raw, default)
        return default
    return value


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    access_token: str | None = field(default=None, repr=False)
    page_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    base_url: str = DEFAULT_BASE_URL
    timezone: str = DEFAULT_TIMEZONE
    demo: bool = False
    cache_dir: str | None = None                            # PANCAKE_CACHE_DIR (None: the user's cache dir)
    store_url: str | None = field(default=None, repr=False)  # PANCAKE_STORE_URL (postgresql://...)
    public_url: str | None = field(default=None, repr=False)  # PANCAKE_PUBLIC_URL, when usable
    public_url_problem: str | None = None                     # why it was refused (check_public_url)
    session_hours: float = DEFAULT_SESSION_HOURS              # PANCAKE_SESSION_HOURS: a sign-in lasts this long

    def __post_init__(self) -> None:
        register_secret(self.access_token, *self.page_tokens.values())
        if self.store_url:
            if not self.store_url.startswith(("postgresql://", "postgres://")):
                raise ConfigError("PANCAKE_STORE_URL must start with postgresql:// (leave it unset for SQLite)")
            password = urlsplit(self.store_url).password
            if password:
                register_secret(password)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigError(f"PANCAKE_TIMEZONE {_echo(self.timezone)} is not a known time zone "
                              "(an IANA name such as Asia/Ho_Chi_Minh)") from None
        check_base_url(self.base_url)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def has_token(self) -> bool:
        return bool(self.access_token or self.page_tokens)

    @property
    def use_demo(self) -> bool:
        """Demo data when forced, or when no token at all is configured."""
        return self.demo or not self.has_token

    def __repr__(self) -> str:
        return (f"Settings(access_token={'set' if self.access_token else 'unset'}, "
                f"page_tokens={len(self.page_tokens)} page(s), base_url={self.base_url!r}, "
                f"timezone={self.timezone!r}, demo={self.demo}, "
                f"store={'postgresql' if self.store_url else 'sqlite'})")

    __str__ = __repr__


def load_settings(env: Mapping[str, str] | None = None,
                  secrets: Mapping[str, Any] | None = None) -> Settings:
    """Resolve settings: environment variables win over secrets, secrets over defaults (each
    variable as :func:`read` finds it)."""
    def pick(name: str) -> Any:
        return read(name, env, secrets)

    base_url = str(pick("PANCAKE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    link, link_problem = public_url(env, secrets)
    return Settings(
        access_token=(str(pick("PANCAKE_ACCESS_TOKEN")).strip() or None) if pick("PANCAKE_ACCESS_TOKEN") else None,
        page_tokens=parse_page_tokens(pick("PANCAKE_PAGE_TOKENS")),
        base_url=base_url,
        timezone=str(pick("PANCAKE_TIMEZONE") or DEFAULT_TIMEZONE),
        demo=_truthy(pick("PANCAKE_DEMO") or ""),
        cache_dir=(str(pick("PANCAKE_CACHE_DIR")).strip() or None) if pick("PANCAKE_CACHE_DIR") else None,
        store_url=(str(pick("PANCAKE_STORE_URL")).strip() or None) if pick("PANCAKE_STORE_URL") else None,
        public_url=link,
        public_url_problem=link_problem,
        session_hours=session_hours(pick("PANCAKE_SESSION_HOURS")),
    )
