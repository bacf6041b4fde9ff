"""PancakeClient: the only code in the product that talks HTTP.

- User API ``{base_url}/v1/...`` with ``access_token``; page API ``{base_url}/public_api/v1|v2/...``
  with ``page_access_token``. Tokens always travel as query params.
- Paces calls (:mod:`pancake.api.ratelimit`), retries what is safe to retry, generates page
  tokens from the user token, and turns every failure into a :mod:`pancake.api.errors` exception
  naming the endpoint and page, never a token, raised without ``__cause__``/``__context__`` (httpx
  exceptions carry URLs).
- Statistics methods take local dates (inclusive) and return one raw payload per window of at
  most 31 days: ``list[Chunk]``.

Retries: GETs on 429, 5xx and transport errors (Retry-After, else full-jitter backoff); writes
only on 429 or connect-phase errors. After a call gave up connecting, the next
``UNREACHABLE_MEMORY`` seconds' calls try once, so a report with the network down says so in
seconds. A generated page token refused with 102/105 is made again once and the call retried; a
pasted one is never replaced: another process's working token from the vault is taken if there
is one, else the refusal is the page's error. ``config.check_page_id`` refuses a bad id before any call.
"""
from __future__ import annotations

import email.utils
import json as _json
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from pancake import redact as _redact
from pancake.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    EndpointNotFound,
    PancakeError,
    RateLimitError,
    ServerError,
    TransportError,
)
from pancake.api.ratelimit import PERIOD_MARGIN, USER_KEY, RateLimiter, SharedLimiter
from pancake.config import DEFAULT_BASE_URL, DEFAULT_TIMEZONE, Settings, check_base_url, check_page_id
from pancake.timeutil import (
    MAX_CONVERSATION_WINDOW_DAYS,
    MAX_STATS_WINDOW_DAYS,
    day_bounds_unix,
    format_date_range,
    split_windows,
)

log = logging.getLogger("pancake.api.client")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
INITIAL_RETRY_DELAY = 0.5   # seconds
MAX_RETRY_DELAY = 8.0       # cap of the exponential backoff
MAX_RETRY_AFTER = 60.0      # cap of a server's Retry-After
DEFAULT_CALL_BUDGET = 90.0  # seconds one call may take with all its retries (then it gives up)
UNREACHABLE_MEMORY = 60.0   # seconds the calls after a failed connect try once (no retries)
MAX_CONNECTIONS = 128       # HTTP connections kept by one client (every window of every page at once)
AUTH_REGENERABLE = (102, 105)
AUTH_CODES = (102, 103, 105)
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_MAX_DETAIL = 200

__all__ = ["Chunk", "PancakeClient", "DEFAULT_TIMEOUT", "parse_retry_after", "backoff_delay"]


@dataclass(frozen=True)
class Chunk:
    """One window's raw payload. ``start``/``end`` are the asked local dates, inclusive."""
    start: date
    end: date
    payload: Any


# --------------------------------------------------------------------------- helpers

def parse_retry_after(headers: Mapping[str, str] | httpx.Headers | None,
                      now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date), else None."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    ra = ra.strip()
    try:
        value = float(ra)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def backoff_delay(retry_index: int, retry_after: float | None, jitter: Callable[[], float]) -> float:
    """Delay before retry number ``retry_index`` (0 for the first retry).

    Retry-After wins when present (capped at 60 s); otherwise capped exponential backoff
    (0.5 s, 1 s, 2 s, ... up to 8 s) with full jitter: ``jitter() * backoff``, jitter in [0, 1].
    """
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), MAX_RETRY_AFTER)
    base = min(INITIAL_RETRY_DELAY * (2.0 ** retry_index), MAX_RETRY_DELAY)
    j = min(max(float(jitter()), 0.0), 1.0)
    return base * j


def _short(text: Any, limit: int = _MAX_DETAIL) -> str:
    s = " ".join(_redact.redact(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _looks_html(resp: httpx.Response) -> bool:
    ctype = resp.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = resp.content[:200].lstrip().lower()
    return head.startswith(b"<!doctype") or head.startswith(b"<html") or head.startswith(b"<")


def _transient(err: PancakeError) -> PancakeError:
    """A bad answer that one more try may fix (a proxy's HTML page or a body cut short on a
    200): retried like a 5xx, within the same budget."""
    err.transient = True
    return err


# The keys that carry a statistics endpoint's data (at least one, not null).
STATS_DATA_KEYS: dict[str, tuple[str, ...]] = {
    "statistics/customer_engagements": ("data", "statistics", "users_engagements"),
    "statistics/users": ("data", "statistics"),
    "statistics/user": ("statistics", "data", "users"),
}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _unix(value: date | datetime | int | float, tz: ZoneInfo, *, end: bool) -> int:
    """A bound as unix seconds: ints pass through; a date is its local day start (or end)."""
    if isinstance(value, bool):
        raise TypeError("a time bound cannot be a bool")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return int(value.timestamp())
    if isinstance(value, date):
        since, until = day_bounds_unix(value, value, tz)
        return until if end else since
    raise TypeError(f"cannot use {type(value).__name__} as a time bound")


def _join_ids(ids: str | Iterable[Any] | None) -> str | None:
    if ids is None:
        return None
    if isinstance(ids, str):
        return ids
    out = ",".join(str(i) for i in ids)
    return out or None


def _normalise_page(p: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(p)
    out["id"] = str(p.get("id", p.get("page_id", "")))
    out.setdefault("name", p.get("name") or p.get("page_name") or out["id"])
    out["platform"] = p.get("platform") or "facebook"
    avatar = p.get("avatar_url") or p.get("avatar") or p.get("picture")
    if isinstance(avatar, Mapping):  # {"data": {"url": ...}} style
        avatar = (avatar.get("data") or {}).get("url") if isinstance(avatar.get("data"), Mapping) else avatar.get("url")
    out["avatar_url"] = avatar
    return out


class _PoolPerPage(httpx.BaseTransport):
    """httpx's default transport with one connection pool per page: a pool scans all of its
    connections on every request and answer, and one pool of 60+ connections spent more CPU on that
    than on the requests; a page never has more than 5 calls in flight. Used only when no proxy is
    configured (httpx applies those only to its own transport). Plain HTTP pools get a verifying
    context without a CA bundle, which they never use.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._pools: dict[tuple, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._no_tls: ssl.SSLContext | None = None

    def _pool(self, url: httpx.URL) -> httpx.HTTPTransport:
        m = _PAGE_IN_PATH.search(url.path)
        key = (url.scheme, url.host, url.port, m.group(1) if m else None)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if url.scheme == "https":
                    if self._tls is None:
                        self._tls = httpx.create_ssl_context()
                    context = self._tls
                else:
                    if self._no_tls is None:
                        self._no_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context = self._no_tls
                pool = self._pools[key] = httpx.HTTPTransport(verify=context, limits=self._limits)
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._pool(request.url).handle_request(request)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


_PAGE_IN_PATH = re.compile(r"/pages/([^/]+)/")


def _environment_proxies() -> dict[str, str]:
    import urllib.request  # as httpx does (for its proxy settings) when it makes a client
    return urllib.request.getproxies()


# --------------------------------------------------------------------------- client

class PancakeClient:
    """Thread-safe client for Pancake's user and page APIs (retries, budgets and page tokens: the module's docstring)."""

    def __init__(self, settings: Settings | None = None, *, access_token: str | None = None,
                 page_tokens: Mapping[str, str] | None = None, base_url: str | None = None,
                 timezone: str | ZoneInfo | None = None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 max_retries: int = 4, rate_per_second: float = 5.0,
                 timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
                 jitter: Callable[[], float] | None = None,
                 call_budget: float | None = DEFAULT_CALL_BUDGET, rate_margin: float = PERIOD_MARGIN,
                 shared_limiter: SharedLimiter | None = None,
                 max_connections: int = MAX_CONNECTIONS, token_vault: Any = None) -> None:
        s = settings
        self._access_token: str | None = access_token if access_token is not None else (
            s.access_token if s else None)
        self._access_token = (self._access_token or "").strip() or None
        tokens = page_tokens if page_tokens is not None else (s.page_tokens if s else {})
        self._page_tokens: dict[str, str] = {str(k): str(v).strip() for k, v in (tokens or {}).items()
                                             if v and str(v).strip()}
        # the tokens pasted into the configuration: one refused is reported, never replaced by a
        # generated one (generating kills the shop's real token everywhere else)
        self._pasted: dict[str, str] = dict(self._page_tokens)
        _redact.register_secret(self._access_token, *self._page_tokens.values())
        self.base_url = str(base_url or (s.base_url if s else DEFAULT_BASE_URL)).rstrip("/")
        check_base_url(self.base_url)   # a configuration error fails here, never as retried calls
        tz = timezone if timezone is not None else (s.timezone if s else DEFAULT_TIMEZONE)
        self.tz: ZoneInfo = tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))
        self.max_retries = max(0, int(max_retries))
        # after a call gave up connecting, the calls of the next UNREACHABLE_MEMORY seconds try once:
        # a view of 24 pages with the network down says so in seconds, not after every page's retries
        self._unreachable_until = float("-inf")
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter or random.random
        self.limiter = RateLimiter(rate_per_second, clock=clock, sleep=sleep, margin=rate_margin,
                                   shared=shared_limiter)
        self.call_budget = call_budget if call_budget and call_budget > 0 else None
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        _redact.install_log_redaction()
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        if transport is None and not _environment_proxies():
            transport = _PoolPerPage(limits)   # httpx's own transport, one pool per page
        self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, limits=limits,
                                  headers={"Accept": "application/json",
                                           "User-Agent": "pancake-dashboard/1.0"})
        self._lock = threading.Lock()
        self._page_locks: dict[str, threading.Lock] = {}
        self._new_customers_route: str | None = None
        self._new_customers_by_page: dict[str, str] = {}
        self._generated_pages: set[str] = set()
        # page tokens shared with the other processes of this configuration (pancake.data.store.TokenVault):
        # get(page_id), put(page_id, token), lock(page_id); None: this process only
        self._vault = token_vault
        self._published: set[str] = set()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._http.close()

    def __enter__(self) -> PancakeClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"PancakeClient(base_url={self.base_url!r}, user_token={'set' if self._access_token else 'unset'}, "
                f"page_tokens={len(self._page_tokens)} page(s), timezone={self.tz.key!r})")

    __str__ = __repr__

    @property
    def has_user_token(self) -> bool:
        return bool(self._access_token)

    def has_page_token(self, page_id: str) -> bool:
        with self._lock:
            return str(page_id) in self._page_tokens

    @property
    def new_customers_route(self) -> str | None:
        """The new-customers route that worked last (``"statistics/customers"`` or
        ``"statistics/page_customers"``); see ``new_customers_route_for(page_id)``."""
        return self._new_customers_route

    # -- low level: one HTTP exchange ------------------------------------------------------
    def _send_once(self, method: str, url: str, params: dict[str, Any], json_body: Any,
                   endpoint: str, page_id: str | None,
                   timeout: httpx.Timeout | None = None) -> tuple[Any, PancakeError | None, bool]:
        """One request. Returns (payload, error, request_surely_not_processed).

        Never raises an httpx exception: those carry the URL (and so the token) in their text.
        """
        params = {k: v for k, v in params.items() if v is not None}
        err: PancakeError | None = None
        not_sent = False
        resp: httpx.Response | None = None
        try:
            if timeout is None:
                resp = self._http.request(method, url, params=params, json=json_body)
            else:
                resp = self._http.request(method, url, params=params, json=json_body, timeout=timeout)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
            # the configuration (base URL) is wrong: asking again cannot help
            err = TransportError(f"the request could not be made ({type(exc).__name__}): check PANCAKE_BASE_URL "
                                 f"{_short(self.base_url, 80)}", endpoint=endpoint, page_id=page_id)
            err.retriable = False
            not_sent = True
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            err = TransportError(f"could not connect ({type(exc).__name__}: {_short(exc, 120)})",
                                 endpoint=endpoint, page_id=page_id)
            err.unreachable = not isinstance(exc, httpx.PoolTimeout)   # a full pool is ours, not the API's
            not_sent = True
        except httpx.TimeoutException as exc:
            err = TransportError(f"timed out ({type(exc).__name__})", endpoint=endpoint, page_id=page_id)
        except httpx.HTTPError as exc:  # read/write/protocol errors, too many redirects...
            err = TransportError(f"network error ({type(exc).__name__}: {_short(exc, 120)})",
                                 endpoint=endpoint, page_id=page_id)
        if err is not None:  # raised by the caller outside the except block: no __context__
            return None, err, not_sent
        assert resp is not None
        payload, err = self._classify(resp, endpoint, page_id)
        return payload, err, isinstance(err, RateLimitError)

    def _classify(self, resp: httpx.Response, endpoint: str,
                  page_id: str | None) -> tuple[Any, PancakeError | None]:
        status = resp.status_code
        kw = {"endpoint": endpoint, "page_id": page_id, "status_code": status}
        body: Any = None
        parsed = False
        if resp.content and not _looks_html(resp):
            try:
                body = _json.loads(resp.content)
                parsed = True
            except ValueError:
                parsed = False
        code = _as_int(body.get("error_code")) if isinstance(body, dict) else None
        server_msg = ""
        if isinstance(body, dict):
            for key in ("message", "error", "msg", "reason"):
                if isinstance(body.get(key), str) and body[key].strip():
                    server_msg = _short(body[key])
                    break
        detail_suffix = f": {server_msg}" if server_msg else ""

        if status == 429 or code == 429:
            ra = parse_retry_after(resp.headers)
            return None, RateLimitError(
                f"too many requests (HTTP {status}{', error_code 429' if code == 429 else ''})"
                + (f", retry after {ra:g} s" if ra is not None else ""),
                retry_after=ra, error_code=code, **kw)
        if status in (401, 403):
            return None, AuthError(f"HTTP {status}: token refused{detail_suffix}", error_code=code, **kw)
        if status in (404, 406):
            return None, EndpointNotFound(f"HTTP {status}: route not available here", error_code=code, **kw)
        if status >= 500:
            if not parsed and resp.content and _looks_html(resp):
                server_err = ServerError(f"HTTP {status} from a proxy (HTML page)", **kw)
            else:
                server_err = ServerError(f"HTTP {status} from Pancake{detail_suffix}", error_code=code, **kw)
            server_err.retry_after = parse_retry_after(resp.headers)  # a 503 may say when to come back
            return None, server_err
        if status >= 400:
            if code in AUTH_CODES:
                return None, self._auth_error(code, server_msg, **kw)
            return None, ApiError(f"HTTP {status}{detail_suffix}", error_code=code, **kw)
        if not (200 <= status < 300):
            return None, BadResponseError(f"unexpected HTTP {status}", **kw)
        # 2xx
        if not resp.content:
            return None, _transient(BadResponseError(f"HTTP {status} with an empty body instead of JSON", **kw))
        if not parsed:
            if _looks_html(resp):
                return None, _transient(BadResponseError(f"HTTP {status} with an HTML page instead of JSON", **kw))
            ctype = resp.headers.get("content-type", "unknown type").split(";")[0]
            return None, _transient(BadResponseError(
                f"HTTP {status}: answer is not JSON or cut short ({ctype}, {len(resp.content)} bytes)", **kw))
        if not isinstance(body, (dict, list)):
            return None, BadResponseError(f"unexpected JSON ({type(body).__name__}, not an object)", **kw)
        if isinstance(body, dict) and body.get("success") is False:
            if code in AUTH_CODES:
                return None, self._auth_error(code, server_msg, **kw)
            low = server_msg.lower()
            if code in (404, 406) or "not found" in low or "no route" in low or "unknown route" in low:
                return None, EndpointNotFound(f"success:false, route not available{detail_suffix}",
                                              error_code=code, **kw)
            return None, ApiError(
                f"success:false{f' (error_code {code})' if code is not None else ''}{detail_suffix}",
                error_code=code, **kw)
        return body, None

    @staticmethod
    def _auth_error(code: int, server_msg: str, **kw: Any) -> AuthError:
        what = {102: "token is invalid (102)", 103: "user token expired (103)",
                105: "page token was renewed elsewhere, the one used is dead (105)"}[code]
        return AuthError(what + (f": {server_msg}" if server_msg else ""), error_code=code, **kw)

    def _call(self, method: str, url: str, params: dict[str, Any], *, endpoint: str,
              page_id: str | None, limit_key: str, json_body: Any = None, budget: float | None = None) -> Any:
        """Paced request with retries. Raises a PancakeError (never with a __context__).
        ``budget`` (seconds) replaces the client's ``call_budget`` for this call."""
        method = method.upper()
        is_write = method in WRITE_METHODS
        attempt = 0
        # the API could not be reached moments ago: one try, no waiting through retries
        retries = 0 if self._clock() < self._unreachable_until else self.max_retries
        call_budget = budget if budget is not None else self.call_budget
        deadline = self._clock() + call_budget if call_budget else None
        while True:
            if self._closed:
                raise TransportError("client is closed", endpoint=endpoint, page_id=page_id)
            with self.limiter.slot(limit_key):
                payload, err, not_processed = self._send_once(method, url, params, json_body, endpoint, page_id,
                                                              self._attempt_timeout(deadline))
            unreachable = getattr(err, "unreachable", False)
            if not unreachable:
                self._unreachable_until = float("-inf")    # an answer came (or no connect failure)
            if err is None:
                return payload
            retriable = (isinstance(err, (RateLimitError, ServerError, TransportError))
                         or getattr(err, "transient", False)) and getattr(err, "retriable", True)
            if is_write:
                # 429 or connect-phase failure: surely not processed
                retriable = not_processed and getattr(err, "retriable", True)
            delay = backoff_delay(attempt, getattr(err, "retry_after", None), self._jitter) if retriable else 0.0
            over_budget = deadline is not None and self._clock() + delay >= deadline - 0.5
            if unreachable and self._clock() < self._unreachable_until:
                retries = min(retries, attempt)       # another call gave up connecting meanwhile
            if not retriable or attempt >= retries or over_budget:
                if retriable and attempt:
                    why = (f"no time left within {call_budget:g} s" if over_budget and attempt < retries
                           else f"gave up after {attempt + 1} attempts")
                    err = type(err)(f"{err.detail} ({why})", **_err_kwargs(err))
                elif unreachable and retries < self.max_retries:
                    err = type(err)(f"{err.detail} (tried once: the API could not be reached moments ago)",
                                    **_err_kwargs(err))
                if unreachable:
                    self._unreachable_until = self._clock() + UNREACHABLE_MEMORY
                raise err
            attempt += 1
            log.debug(_redact.redact(
                f"retry {attempt}/{retries} of {method} {endpoint}"
                f"{f' page {page_id}' if page_id else ''} in {delay:.2f} s after "
                f"{type(err).__name__}: {err.detail}"))
            if delay > 0:
                self._sleep(delay)

    def _attempt_timeout(self, deadline: float | None) -> httpx.Timeout | None:
        """The configured timeouts, shortened so that no attempt outlives the call's budget."""
        if deadline is None:
            return None
        left = max(0.5, deadline - self._clock())
        t = self._timeout

        def cap(v: float | None) -> float:
            return left if v is None else min(v, left)
        return httpx.Timeout(connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool))

    # -- URLs and tokens ---------------------------------------------------------------------
    def _user_url(self, path: str) -> str:
        return f"{self.base_url}/v1/{path.lstrip('/')}"

    def _page_url(self, page_id: str, path: str, version: int = 1) -> str:
        return f"{self.base_url}/public_api/v{version}/pages/{page_id}/{path.lstrip('/')}"

    def _require_user_token(self, endpoint: str, page_id: str | None = None) -> str:
        if not self._access_token:
            raise AuthError("this call needs the user token: configure PANCAKE_ACCESS_TOKEN",
                            endpoint=endpoint, page_id=page_id)
        return self._access_token

    def _user_call(self, method: str, path: str, params: dict[str, Any] | None = None, *,
                   endpoint: str, page_id: str | None = None, json_body: Any = None) -> Any:
        token = self._require_user_token(endpoint, page_id)
        p = dict(params or {})
        p["access_token"] = token
        try_err: PancakeError | None = None
        try:
            return self._call(method, self._user_url(path), p, endpoint=endpoint, page_id=page_id,
                              limit_key=USER_KEY, json_body=json_body)
        except AuthError as exc:
            try_err = exc
        if try_err.error_code in (102, 103) or try_err.status_code == 401:
            why = "expired (103)" if try_err.error_code == 103 else (
                "invalid (102)" if try_err.error_code == 102 else f"refused (HTTP {try_err.status_code})")
            raise AuthError(f"user token is {why} — paste a new PANCAKE_ACCESS_TOKEN",
                            **_err_kwargs(try_err))
        raise try_err

    def _page_lock(self, page_id: str) -> threading.Lock:
        with self._lock:
            lk = self._page_locks.get(page_id)
            if lk is None:
                lk = self._page_locks[page_id] = threading.Lock()
            return lk

    def _page_token(self, page_id: str, endpoint: str) -> str:
        check_page_id(page_id)
        with self._lock:
            token = self._page_tokens.get(page_id)
        if token:
            return token
        with self._page_lock(page_id):  # generate once per page even under concurrency
            with self._lock:
                token = self._page_tokens.get(page_id)
            if token:
                return token
            shared = self._shared_token(page_id)
            if shared:   # another process has one that works: generating would kill it
                return self._adopt(page_id, shared)
            if not self._access_token:
                raise AuthError(f"no page token for page {page_id} — paste one (Settings → Tools in "
                                "Pancake) or configure PANCAKE_ACCESS_TOKEN",
                                endpoint=endpoint, page_id=page_id)
            return self._generate_once(page_id, None)

    def _regenerate(self, page_id: str, bad_token: str) -> str:
        with self._page_lock(page_id):
            with self._lock:
                current = self._page_tokens.get(page_id)
            if current and current != bad_token:  # another thread already renewed it
                return current
            return self._generate_once(page_id, bad_token)

    # -- page tokens shared across processes ----------------------------------------------------
    def _shared_token(self, page_id: str) -> str | None:
        if self._vault is None:
            return None
        try:
            token = self._vault.get(page_id)
        except Exception:  # noqa: BLE001 - a broken store: this process only
            return None
        if token:
            _redact.register_secret(token)
        return token or None

    def _adopt(self, page_id: str, token: str) -> str:
        with self._lock:
            self._page_tokens[page_id] = token
            self._published.add(page_id)
        return token

    def _generate_once(self, page_id: str, bad_token: str | None) -> str:
        """A new page token, made at most once per renewal across processes: under the vault's
        lock, a token another process stored meanwhile (different from the refused one) is
        used instead of generating again (every generation kills the previous token)."""
        if self._vault is None:
            return self._generate(page_id)
        try:
            lock = self._vault.lock(page_id)
        except Exception:  # noqa: BLE001
            return self._generate(page_id)
        with lock:
            shared = self._shared_token(page_id)
            if shared and shared != bad_token:
                return self._adopt(page_id, shared)
            token = self._generate(page_id)
            try:
                self._vault.put(page_id, token)
            except Exception:  # noqa: BLE001 - sharing is a courtesy; the token works here
                pass
            with self._lock:
                self._published.add(page_id)
            return token

    def _publish(self, page_id: str, token: str) -> None:
        """Share a token that works with the other processes (once per page and process)."""
        if self._vault is None:
            return
        with self._lock:
            if page_id in self._published:
                return
            self._published.add(page_id)
        try:
            if self._vault.get(page_id) != token:
                self._vault.put(page_id, token)
        except Exception:  # noqa: BLE001 - sharing is a courtesy; the call worked
            pass

    def _generate(self, page_id: str) -> str:
        endpoint = "generate_page_access_token"
        body = self._user_call("POST", f"pages/{page_id}/generate_page_access_token",
                               {"page_id": page_id}, endpoint=endpoint, page_id=page_id)
        token = body.get("page_access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise BadResponseError("answer has no page_access_token", endpoint=endpoint, page_id=page_id)
        token = token.strip()
        _redact.register_secret(token)
        with self._lock:
            self._page_tokens[page_id] = token
            self._generated_pages.add(page_id)
        log.debug(f"generated a page token for page {page_id}")
        return token

    def _page_call(self, method: str, page_id: str, path: str, params: dict[str, Any] | None = None,
                   *, endpoint: str | None = None, version: int = 1, json_body: Any = None,
                   regenerate: bool = True, budget: float | None = None) -> Any:
        page_id = str(page_id)
        endpoint = endpoint or path
        url = self._page_url(page_id, path, version)
        renewed = False
        while True:
            token = self._page_token(page_id, endpoint)
            p = dict(params or {})
            p["page_access_token"] = token
            failure: AuthError | None = None
            try:
                answer = self._call(method, url, p, endpoint=endpoint, page_id=page_id,
                                    limit_key=page_id, json_body=json_body, budget=budget)
            except AuthError as exc:
                failure = exc
            else:
                if page_id not in self._published:
                    self._publish(page_id, token)   # it works: the other processes use it too
                return answer
            code = failure.error_code
            if code not in AUTH_REGENERABLE:
                raise failure
            kw = _err_kwargs(failure)
            if not self._access_token:
                raise AuthError(f"page token for page {page_id} is invalid ({code}) — paste a new one "
                                "or configure PANCAKE_ACCESS_TOKEN", **kw)
            if self._pasted.get(page_id) == token:
                # a pasted token (a typo, or renewed elsewhere): another process's working token
                # may be taken, but none is ever generated in its place
                shared = None if renewed else self._shared_token(page_id)
                if shared and shared != token:
                    self._adopt(page_id, shared)
                    renewed = True
                    continue
                raise AuthError(f"the page token pasted for page {page_id} is refused ({code}); it is not "
                                "replaced by a generated one (that would stop the page's token everywhere "
                                "else): paste the page's current token (Pancake: page Settings → Tools)", **kw)
            if renewed or not regenerate:
                raise AuthError(f"page token for page {page_id} is still refused ({code})"
                                + (" after regenerating it from the user token" if renewed else ""), **kw)
            log.debug(f"page token for page {page_id} refused ({code}); regenerating it once")
            self._regenerate(page_id, token)
            renewed = True

    # -- statistics helpers ------------------------------------------------------------------
    def _windows(self, start: date, end: date) -> list[tuple[date, date]]:
        if isinstance(start, datetime) or isinstance(end, datetime):
            start = start.date() if isinstance(start, datetime) else start
            end = end.date() if isinstance(end, datetime) else end
        return split_windows(start, end, MAX_STATS_WINDOW_DAYS)

    def _stats_date_range(self, page_id: str, path: str, start: date, end: date, *,
                          with_time: bool, extra: dict[str, Any] | None = None,
                          until: dt_time | None = None) -> list[Chunk]:
        out = []
        for a, b in self._windows(start, end):
            last = until if b == end else None   # only the range's last day ends early
            params = {"date_range": format_date_range(a, b, with_time=with_time, until=last), **(extra or {})}
            out.append(Chunk(a, b, self._stats_data(self._page_call("GET", page_id, path, params),
                                                    path, page_id)))
        return out

    def _stats_since_until(self, page_id: str, path: str, start: date, end: date,
                           extra: dict[str, Any] | None = None, until: dt_time | None = None) -> list[Chunk]:
        out = []
        for a, b in self._windows(start, end):
            since, last = day_bounds_unix(a, b, self.tz, until=until if b == end else None)
            params = {"since": since, "until": last, **(extra or {})}
            out.append(Chunk(a, b, self._stats_data(self._page_call("GET", page_id, path, params),
                                                    path, page_id)))
        return out

    @staticmethod
    def _stats_payload(payload: Any, endpoint: str, page_id: str | None) -> Any:
        if not isinstance(payload, (dict, list)):
            raise BadResponseError(f"unexpected JSON shape ({type(payload).__name__})",
                                   endpoint=endpoint, page_id=page_id)
        return payload

    @classmethod
    def _stats_data(cls, payload: Any, endpoint: str, page_id: str | None) -> Any:
        """A statistics payload that carries its data: ``{"success": true}`` with no data,
        ``data: null`` or ``{}`` is a bad response, not an empty range (an empty range comes
        with its data key: ``data: []``, empty categories...)."""
        payload = cls._stats_payload(payload, endpoint, page_id)
        if isinstance(payload, dict):
            keys = STATS_DATA_KEYS.get(endpoint, ("data",))
            if not any(payload.get(k) is not None for k in keys):
                what = " or ".join(repr(k) for k in keys)
                raise BadResponseError(f"answer has no data ({what} missing or null)",
                                       endpoint=endpoint, page_id=page_id)
        return payload

    # -- user API ----------------------------------------------------------------------------
    def list_pages(self) -> list[dict[str, Any]]:
        """Activated pages, normalised to ``{id, name, platform, avatar_url, ...}``."""
        endpoint = "pages"
        body = self._user_call("GET", "pages", endpoint=endpoint)
        pages: Any = None
        if isinstance(body, dict):
            if isinstance(body.get("pages"), list):
                pages = body["pages"]
            elif isinstance(body.get("categorized"), dict):
                cat = body["categorized"]
                pages = cat.get("activated")
                if not isinstance(pages, list):
                    ids = cat.get("activated_page_ids")
                    pages = [{"id": i} for i in ids] if isinstance(ids, list) else None
            elif isinstance(body.get("data"), list):
                pages = body["data"]
        elif isinstance(body, list):
            pages = body
        if not isinstance(pages, list):
            raise BadResponseError("unexpected shape: neither 'pages' nor 'categorized.activated'",
                                   endpoint=endpoint)
        return [_normalise_page(p) for p in pages if isinstance(p, Mapping)]

    def generate_page_token(self, page_id: str) -> str:
        """Make a new page token from the user token (kills the old one) and cache it."""
        page_id = str(page_id)
        check_page_id(page_id)
        with self._page_lock(page_id):
            return self._generate(page_id)

    def multi_page_user_stats(self, page_ids: Sequence[str] | str, start: date, end: date) -> list[Chunk]:
        """``GET v1/statistics/user`` for several pages at once (user token)."""
        ids = _join_ids(page_ids)
        if not ids:
            raise ValueError("page_ids is empty")
        endpoint = "statistics/user"
        out = []
        for a, b in self._windows(start, end):
            params = {"page_ids": ids, "date_range": format_date_range(a, b, with_time=True)}
            payload = self._user_call("GET", "statistics/user", params, endpoint=endpoint, page_id=ids)
            out.append(Chunk(a, b, self._stats_data(payload, endpoint, ids)))
        return out

    # -- statistics (page API) ---------------------------------------------------------------
    # ``until`` (a local time of day) ends the range's last day early: the same hours of a
    # previous period, to compare a partial today with. ``statistics/customers`` takes dates only.
    def engagements(self, page_id: str, start: date, end: date, *, by_hour: bool = False,
                    user_ids: Sequence[str] | str | None = None, until: dt_time | None = None) -> list[Chunk]:
        extra: dict[str, Any] = {}
        if by_hour:
            extra["by_hour"] = "true"
        ids = _join_ids(user_ids)
        if ids:
            extra["user_ids"] = ids
        return self._stats_date_range(page_id, "statistics/customer_engagements", start, end,
                                      with_time=True, extra=extra, until=until)

    def user_stats(self, page_id: str, start: date, end: date, *, until: dt_time | None = None) -> list[Chunk]:
        return self._stats_date_range(page_id, "statistics/users", start, end, with_time=True, until=until)

    def page_stats(self, page_id: str, start: date, end: date, *, until: dt_time | None = None) -> list[Chunk]:
        return self._stats_since_until(page_id, "statistics/pages", start, end, until=until)

    def tag_stats(self, page_id: str, start: date, end: date, *, until: dt_time | None = None) -> list[Chunk]:
        return self._stats_since_until(page_id, "statistics/tags", start, end, until=until)

    def ads_campaigns(self, page_id: str, start: date, end: date, *,
                      until: dt_time | None = None) -> list[Chunk]:
        return self._stats_since_until(page_id, "statistics/pages_campaigns", start, end, until=until)

    def ads(self, page_id: str, start: date, end: date, *, type: str = "by_id") -> list[Chunk]:  # noqa: A002
        if type not in ("by_id", "by_time"):
            raise ValueError("type must be 'by_id' or 'by_time'")
        return self._stats_since_until(page_id, "statistics/ads", start, end, {"type": type})

    NEW_CUSTOMERS_ROUTES = ("statistics/customers", "statistics/page_customers")

    def new_customers(self, page_id: str, start: date, end: date, *, group_by: str = "day") -> list[Chunk]:
        """``statistics/customers``, falling back to ``statistics/page_customers`` (remembered)."""
        if group_by not in ("day", "hour", "page_id"):
            raise ValueError("group_by must be 'day', 'hour' or 'page_id'")
        page_id = str(page_id)
        out = []
        for a, b in self._windows(start, end):
            params = {"date_range": format_date_range(a, b, with_time=False), "group_by": group_by}
            out.append(Chunk(a, b, self._new_customers_window(page_id, params)))
        return out

    def _new_customers_window(self, page_id: str, params: dict[str, Any]) -> Any:
        # The working route is remembered per page (accounts differ page by page), and the
        # last one that worked is tried first for pages not seen yet.
        with self._lock:
            first = self._new_customers_by_page.get(page_id) or self._new_customers_route
        routes = self.NEW_CUSTOMERS_ROUTES
        if first:
            routes = (first,) + tuple(r for r in routes if r != first)
        missing: EndpointNotFound | None = None
        for route in routes:
            try:
                payload = self._page_call("GET", page_id, route, params)
            except EndpointNotFound as exc:
                missing = exc
                continue
            with self._lock:
                if self._new_customers_by_page.get(page_id) != route:
                    log.debug(f"new customers for page {page_id}: using {route}")
                self._new_customers_by_page[page_id] = route
                self._new_customers_route = route
            return self._stats_data(payload, route, page_id)
        assert missing is not None
        raise EndpointNotFound(
            f"{missing.detail}; tried {' and '.join(routes)}", **_err_kwargs(missing))

    def new_customers_route_for(self, page_id: str) -> str | None:
        """The new-customers route known to work for ``page_id`` (None before the first call)."""
        with self._lock:
            return self._new_customers_by_page.get(str(page_id))

    # -- page data ---------------------------------------------------------------------------
    def tags(self, page_id: str) -> dict[str, Any]:
        """``GET pages/{id}/tags`` -> ``{tags: [...]}``."""
        return self._expect_dict(self._page_call("GET", page_id, "tags"), "tags", page_id)

    def users(self, page_id: str) -> dict[str, Any]:
        """``GET pages/{id}/users`` -> ``{users: [...], disabled_users: [...]}``."""
        return self._expect_dict(self._page_call("GET", page_id, "users"), "users", page_id)

    @staticmethod
    def _expect_dict(payload: Any, endpoint: str, page_id: str | None) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise BadResponseError(f"unexpected JSON shape ({type(payload).__name__}, expected an object)",
                                   endpoint=endpoint, page_id=str(page_id) if page_id else None)
        return payload

    def conversations(self, page_id: str, since: date | datetime | int, until: date | datetime | int, *,
                      page_number: int = 1, order_by: str | None = None,
                      tags: Sequence[Any] | str | None = None) -> dict[str, Any]:
        """Conversations v1, one page of results. The span must be at most one month."""
        s = _unix(since, self.tz, end=False)
        u = _unix(until, self.tz, end=True)
        if u < s:
            raise ValueError("until is before since")
        if u - s > (MAX_CONVERSATION_WINDOW_DAYS + 1) * 86400:
            raise ValueError("conversations v1 takes a window of at most one month: ask one month at a time")
        params = {"since": s, "until": u, "page_number": max(1, int(page_number)),
                  "order_by": order_by, "tags": _join_ids(tags)}
        return self._expect_dict(self._page_call("GET", page_id, "conversations", params),
                                 "conversations", page_id)

    def conversations_v2(self, page_id: str, *, last_conversation_id: str | None = None,
                         tags: Sequence[Any] | str | None = None, type: Sequence[str] | str | None = None,  # noqa: A002
                         post_ids: Sequence[str] | str | None = None,
                         since: date | datetime | int | None = None, until: date | datetime | int | None = None,
                         unread_first: bool | None = None, order_by: str | None = None) -> dict[str, Any]:
        """Conversations v2: 60 at a time, older ones with ``last_conversation_id``."""
        params = {"last_conversation_id": last_conversation_id, "tags": _join_ids(tags),
                  "type": _join_ids(type), "post_ids": _join_ids(post_ids),
                  "since": _unix(since, self.tz, end=False) if since is not None else None,
                  "until": _unix(until, self.tz, end=True) if until is not None else None,
                  "unread_first": None if unread_first is None else ("true" if unread_first else "false"),
                  "order_by": order_by}
        return self._expect_dict(self._page_call("GET", page_id, "conversations", params,
                                                 endpoint="v2/conversations", version=2),
                                 "v2/conversations", page_id)

    def messages(self, page_id: str, conversation_id: str, customer_id: str,
                 current_count: int | None = None) -> dict[str, Any]:
        """30 messages before position ``current_count`` (latest 30 without it)."""
        params = {"customer_id": customer_id, "current_count": current_count}
        return self._expect_dict(
            self._page_call("GET", page_id, f"conversations/{conversation_id}/messages", params,
                            endpoint="conversations/messages"),
            "conversations/messages", page_id)

    def tag_conversation(self, page_id: str, conversation_id: str, tag_id: str | int,
                         action: str = "add") -> dict[str, Any]:
        if action not in ("add", "remove"):
            raise ValueError("action must be 'add' or 'remove'")
        return self._expect_dict(
            self._page_call("POST", page_id, f"conversations/{conversation_id}/tags",
                            endpoint="conversations/tags",
                            json_body={"action": action, "tag_id": str(tag_id)}),
            "conversations/tags", page_id)

    def assign_conversation(self, page_id: str, conversation_id: str,
                            assignee_ids: Sequence[str]) -> dict[str, Any]:
        return self._expect_dict(
            self._page_call("POST", page_id, f"conversations/{conversation_id}/assign",
                            endpoint="conversations/assign",
                            json_body={"assignee_ids": [str(i) for i in assignee_ids]}),
            "conversations/assign", page_id)

    def mark_read(self, page_id: str, conversation_id: str) -> dict[str, Any]:
        return self._expect_dict(self._page_call("POST", page_id, f"conversations/{conversation_id}/read",
                                                 endpoint="conversations/read"),
                                 "conversations/read", page_id)

    def mark_unread(self, page_id: str, conversation_id: str) -> dict[str, Any]:
        return self._expect_dict(self._page_call("POST", page_id, f"conversations/{conversation_id}/unread",
                                                 endpoint="conversations/unread"),
                                 "conversations/unread", page_id)

    def page_customers(self, page_id: str, since: date | datetime | int, until: date | datetime | int, *,
                       page_number: int = 1, page_size: int = 100,
                       order_by: str | None = None) -> dict[str, Any]:
        params = {"since": _unix(since, self.tz, end=False), "until": _unix(until, self.tz, end=True),
                  "page_number": max(1, int(page_number)), "page_size": min(100, max(1, int(page_size))),
                  "order_by": order_by}
        return self._expect_dict(self._page_call("GET", page_id, "page_customers", params),
                                 "page_customers", page_id)

    def export_data(self, page_id: str, since: date | datetime | int, until: date | datetime | int, *,
                    action: str = "conversations_from_ads", offset: int = 0) -> Any:
        params = {"since": _unix(since, self.tz, end=False), "until": _unix(until, self.tz, end=True),
                  "action": action, "offset": max(0, int(offset))}
        return self._stats_payload(self._page_call("GET", page_id, "export_data", params),
                                   "export_data", page_id)

    # -- diagnostics ---------------------------------------------------------------------------
    def token_status(self, page_id: str) -> tuple[bool, str]:
        """One cheap call (GET tags) to check the page token. Never returns the token.

        A refused token is reported as it is (not silently regenerated); a missing one is
        generated from the user token when there is one.
        """
        ok, message, _ = self.token_check(page_id)
        return ok, message

    TOKEN_CHECK_BUDGET = 8.0   # seconds: Settings checks every page at once, briefly

    def token_check(self, page_id: str, budget: float | None = TOKEN_CHECK_BUDGET) -> tuple[bool, str, str]:
        """``token_status`` plus why: ``"ok"``, ``"token"`` (the token is refused or missing),
        ``"unreachable"`` (no answer: network, timeouts, 5xx, a proxy's page, rate limit) or
        ``"error"`` (another answer). One call with a short budget: an unreachable API is told
        apart from a bad token quickly."""
        page_id = str(page_id)
        error: PancakeError | None = None
        body: Any = None
        try:
            body = self._page_call("GET", page_id, "tags", regenerate=False, budget=budget)
        except PancakeError as exc:
            error = exc
        if error is not None:
            if isinstance(error, AuthError):
                reason = "token"
            elif isinstance(error, (TransportError, ServerError, RateLimitError)) or getattr(error, "transient", False):
                reason = "unreachable"
            else:
                reason = "error"
            return False, str(error), reason
        n = len(body.get("tags") or []) if isinstance(body, dict) else 0
        with self._lock:
            how = "generated from the user token" if page_id in self._generated_pages else "configured"
        return True, f"page {page_id}: page token ({how}) works — {n} tag(s) readable", "ok"


def _err_kwargs(err: PancakeError) -> dict[str, Any]:
    kw: dict[str, Any] = {"endpoint": err.endpoint, "page_id": err.page_id,
                          "status_code": err.status_code, "error_code": err.error_code}
    if isinstance(err, RateLimitError):
        kw["retry_after"] = err.retry_after
    return kw
