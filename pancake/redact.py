"""Keep tokens out of text: exception messages, log records, URLs, reprs.

Tokens travel in query strings (``access_token=…``, ``page_access_token=…``),
so anything that prints a URL leaks them unless it goes through here first.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"

# Any query/form parameter whose name ends in "token" (access_token, page_access_token, ...).
_PARAM_RE = re.compile(r"(?i)((?:[a-z_]*token)=)([^&\s#'\"<>]+)")

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Remember token values so that they are masked wherever they appear."""
    with _lock:
        for v in values:
            if v and len(v) >= 4:
                _known.add(str(v))


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def redact(text: object, extra: Iterable[str | None] = ()) -> str:
    """Return ``text`` as a string with every token masked."""
    s = str(text)
    s = _PARAM_RE.sub(lambda m: m.group(1) + MASK, s)
    secrets = set(known_secrets())
    secrets.update(v for v in extra if v and len(v) >= 4)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in s:
            s = s.replace(secret, MASK)
    return s


def mask_token(token: str | None) -> str:
    """A form safe to show: never any character of the token."""
    return "(not set)" if not token else "set (hidden)"


class RedactingFilter(logging.Filter):
    """Logging filter that masks tokens in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is still redacted below
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that print URLs (httpx, httpcore)
    and to every handler of the root logger. Idempotent."""
    global _installed
    flt = RedactingFilter()
    # A logger's filters do not apply to records of its children, so name the children too.
    for name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
                 "httpcore.proxy", "httpcore.socks", "pancake", "pancake.api.client",
                 "pancake.api.ratelimit", "pancake.data", "pancake.delivery.notify", "streamlit",
                 "apprise", "urllib3", "urllib3.connectionpool"):
        lg = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in lg.filters):
            lg.addFilter(flt)
    root = logging.getLogger()
    for h in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(flt)
    _installed = True
