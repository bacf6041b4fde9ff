"""Notifications: a message sent to chat apps, email or webhooks through apprise.

One apprise URL per channel (``tgram://…``, ``slack://…``, ``mailto://…``, ``json://…`` ...):
apprise speaks each service, this module never writes a sender of its own. The URLs come from
``--notify``, else ``PANCAKE_NOTIFY``, else the secrets (:func:`targets`).

What this module adds to apprise:

- **Secrets stay hidden.** A URL's secret parts (what apprise declares private, the path and
  query, each key-like segment) are registered with ``pancake.redact`` before apprise sees it, and
  apprise's and urllib3's log records are redacted. A channel is shown by a safe label
  (``#2 tgram``), never by its URL.
- **Per-channel results** (:func:`send`, one :class:`Delivery` each): a failing channel never
  stops the others; one that had the message and never answered is an *unknown* outcome.
- **Names arrive as written**: one escaping rule (:func:`escape`, :func:`strong`) for every text.
- **Each channel's format and length limit**: Markdown where the channel renders it, plain text
  elsewhere, shortened by dropping the least important items first ("… and N more").
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pancake import config, i18n
from pancake.redact import RedactingFilter, redact, register_secret

ENV = "PANCAKE_NOTIFY"
# a channel has CONNECT_TIMEOUT_S to accept the connection, then DELIVERY_TIMEOUT_S to answer
# once it has the message (a slow webhook or mail server); a URL's own ``cto=``/``rto=`` win.
# The whole call is cut after DEFAULT_TIMEOUT_S (apprise then reports a timeout).
CONNECT_TIMEOUT_S = 5.0
DELIVERY_TIMEOUT_S = 30.0
DEFAULT_TIMEOUT_S = 60.0
# what a failed send logged when the message had gone out and no answer came (a read timeout,
# a connection dropped while waiting): the outcome is unknown, not a failure to retry blindly
_UNKNOWN_OUTCOME = re.compile(r"(?i)read timed out|ReadTimeout|timed out while reading|Connection aborted|"
                              r"RemoteDisconnected|Connection reset by peer|IncompleteRead|ChunkedEncodingError|"
                              r"Response ended prematurely")
# apprise converts Markdown to HTML for HTML channels (Telegram, email): tags make the text
# longer than the Markdown it came from, so such channels get this share of their limit
HTML_MARGIN = 0.75
# loggers that may print a notification URL or a request path: apprise's own, and urllib3's
# (DEBUG lines "POST /bot<token>/sendMessage")
LOGGERS = ("apprise", "urllib3", "urllib3.connectionpool", "requests")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HOSTNAME = re.compile(r"^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:.]+\])$")
_SECRET_PARAMS = re.compile(r"(?i)(token|key|secret|pass|pwd|auth|sig|signature|apikey|webhook|hook|code)")


def install_log_redaction() -> None:
    """Redact every record of the loggers that may print a notification URL. Idempotent."""
    flt = RedactingFilter()
    for name in LOGGERS:
        lg = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in lg.filters):
            lg.addFilter(flt)


install_log_redaction()


# --- targets ---------------------------------------------------------------------------------------

def split_urls(text: str | None) -> list[str]:
    """Several notification URLs in one string (``PANCAKE_NOTIFY``): separated by commas (or
    new lines). A comma inside a URL (``mailto://…?to=a@x,b@y``) stays in it: a new URL starts
    only where the next part begins with ``scheme://``."""
    if not text:
        return []
    out: list[str] = []
    for part in re.split(r"[,\n]", str(text)):
        part = part.strip()
        if not part:
            continue
        if out and not _SCHEME.match(part):
            out[-1] = f"{out[-1]},{part}"
        else:
            out.append(part)
    return out


def _secretish(value: str) -> bool:
    """A URL part that looks like a key: long enough, letters and digits mixed (or very long),
    and not a host name."""
    value = value.strip()
    if len(value) < 8 or _HOSTNAME.match(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return (has_digit and has_alpha) or len(value) >= 20


# the words of a service's own API paths: never a key, and masking them everywhere would
# blank ordinary words in logs and errors
_PUBLIC_WORDS = frozenset({"api", "hook", "hooks", "webhook", "webhooks", "service", "services", "chat",
                           "bot", "json", "xml", "form", "notify", "notification", "notifications",
                           "message", "messages", "send", "sendmessage", "rest", "channel", "channels"})


def _keyish(value: str) -> bool:
    """A path segment or query value that may be a key on its own: the rule of
    :func:`_secretish`, or six characters or more with a digit (``s3cr3t``), or twelve or more."""
    value = value.strip()
    if len(value) < 4 or value.lower() in _PUBLIC_WORDS or _HOSTNAME.match(value):
        return False
    return _secretish(value) or (len(value) >= 6 and any(c.isdigit() for c in value)) or len(value) >= 12


def _register(values: Iterable[Any]) -> None:
    for v in values:
        if v is None:
            continue
        if isinstance(v, (list, tuple, set)):
            _register(v)
            continue
        text = str(v).strip()
        if len(text) >= 4:
            register_secret(text, unquote(text))


def protect(url: str) -> None:
    """Register the secret parts of a notification URL with ``pancake.redact`` (before apprise
    sees it: apprise logs some of them, and at DEBUG the URL it posts to).

    Every part that can carry a secret is masked wherever it is printed: the user name and the
    password; the whole path and the whole query (as URLs are logged: ``POST /hooks/<key>``),
    plus each segment or value that looks like a key (:func:`_keyish`) or sits under a
    secret-sounding name (``token=``, ``sig=``…); a host that is not a host name (a bot token in
    the host's place); and what apprise itself declares private for that service."""
    register_secret(url)
    rest = _SCHEME.sub("", url, count=1)
    rest = rest.split("#", 1)[0]
    netloc, slash, tail = rest.partition("/")
    netloc, qmark, netloc_query = netloc.partition("?")
    path, _, query = tail.partition("?")
    query = query or netloc_query
    userinfo, at, hostport = netloc.rpartition("@")
    found: list[str] = []
    if at:
        user, colon, password = userinfo.partition(":")
        found += [userinfo, password] if colon else [userinfo]
        found += [user] if user.lower() not in _PUBLIC_WORDS else []
    found += [p for p in (hostport, *hostport.split(":")) if _secretish(p)]
    if any(seg and unquote(seg).lower() not in _PUBLIC_WORDS for seg in path.split("/")):
        found.append(f"/{path}")
        found += [path, path.rstrip("/")] if "/" in path.strip("/") else []
        found += [seg for seg in path.split("/") if _keyish(unquote(seg))]
    if query:
        found.append(query)
        for key, value in parse_qsl(query, keep_blank_values=False):
            if _SECRET_PARAMS.search(key) or _keyish(value):
                found.append(value)
    _register(found)
    _register(_apprise_private(url))


def _apprise_private(url: str) -> list[Any]:
    """The values apprise itself declares private for this URL's service (bot tokens, webhook
    keys, passwords), from its own URL parser."""
    try:
        from apprise.manager_plugins import NotificationManager  # start-up: apprise only when a URL is checked
        manager = NotificationManager()
        schema = url.split("://", 1)[0].lower()
        if "://" not in url or schema not in manager:
            return []
        cls = manager[schema]
        parsed = cls.parse_url(url) or {}
        names = {name for name, spec in getattr(cls, "template_tokens", {}).items() if spec.get("private")}
        names |= {spec.get("map_to") for name, spec in getattr(cls, "template_tokens", {}).items()
                  if spec.get("private") and spec.get("map_to")}
        names.add("password")
        return [parsed.get(n) for n in names if parsed.get(n)]
    except Exception:  # noqa: BLE001 - a URL apprise cannot parse: the generic rules above apply
        return []


def label(url: str, index: int) -> str:
    """A channel as it may be shown: its number, its service, and its host when that is a
    plain host name (``#1 json://127.0.0.1:8080``, ``#2 tgram``). Never a path or a key."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "?"
    text = scheme
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        host, port = "", None
    if host and _HOSTNAME.match(host) and redact(host) == host:
        text = f"{scheme}://{host}" + (f":{port}" if port else "")
    return redact(f"#{index} {text}")


@dataclass(frozen=True)
class Target:
    """One notification channel. ``url`` holds secrets: never print it (``label`` is safe)."""
    url: str = field(repr=False)
    label: str

    @property
    def key(self) -> str:
        """A stable id of the channel that reveals nothing (the alert state's scope)."""
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:16]


def _urls(value: Any) -> list[str]:
    """``PANCAKE_NOTIFY`` as given: one string of URLs, or (secrets) a list of them."""
    if isinstance(value, (list, tuple)):
        return [u for v in value for u in split_urls(str(v))]
    return split_urls(None if value is None else str(value))


def targets(cli: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
            secrets: Mapping[str, Any] | None = None) -> list[Target]:
    """The channels: ``--notify`` URLs, else ``PANCAKE_NOTIFY``, else the secrets; each URL once,
    its secrets registered for redaction."""
    urls = [u for c in (cli or []) for u in split_urls(c)]
    if not urls:
        urls = _urls(config.read(ENV, env))            # the environment
    if not urls:
        urls = _urls(config.read(ENV, {}, secrets))    # then the secrets
    out: list[Target] = []
    for url in dict.fromkeys(urls):
        protect(url)
        out.append(Target(url=url, label=label(url, len(out) + 1)))
    return out


# --- the message -------------------------------------------------------------------------------------

# One rule for every text in a message (names from the API included): one line (a name cannot
# start a line or fake a bullet), and on a Markdown channel every special character escaped, so it
# arrives as written; a line with an escape is never put inside emphasis (Telegram refuses that).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` on one line: control characters and line breaks become a space."""
    return _CONTROL.sub(" ", str(text))


def md_escape(text: str) -> str:
    """Text shown as it is in Markdown (a page named "*Shop*" stays "*Shop*"), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def escape(text: str, markdown: bool) -> str:
    """The one escaping rule: ``text`` for a Markdown channel or a plain-text one."""
    return md_escape(text) if markdown else one_line(text)


def strong(text: str, markdown: bool) -> str:
    """A title or a heading: bold in Markdown unless it carries an escaped character."""
    if not markdown:
        return one_line(text)
    escaped = md_escape(text).strip()
    return f"**{escaped}**" if escaped and escaped == one_line(text).strip() else escaped


@dataclass
class Section:
    """A heading and its lines. When the message is too long for a channel, sections with the
    lowest ``drop`` lose their last lines first (down to ``keep``), replaced by "… and N more"."""
    heading: str | None
    items: list[str]
    keep: int = 1
    drop: int = 0
    bullet: bool = True
    more_key: str = "notify.more"


@dataclass
class Message:
    title: str
    sections: list[Section]
    footer: list[str] = field(default_factory=list)
    lang: str = "vi"

    def text(self) -> str:
        """The whole message as plain text, title first (``--dry-run``, logs)."""
        return self.render(markdown=False, title_in_body=True)[1]

    def _lines(self, shown: Sequence[int], markdown: bool) -> list[str]:
        out: list[str] = []
        for sec, n in zip(self.sections, shown):
            if not sec.items and not sec.heading:
                continue
            if out:
                out.append("")
            if sec.heading:
                out.append(strong(sec.heading, markdown))
            for item in sec.items[:n]:
                body = escape(item, markdown)
                out.append((("- " if markdown else "• ") + body) if sec.bullet else body)
            if n < len(sec.items):
                out.append(escape(i18n.t(sec.more_key, self.lang, n=len(sec.items) - n), markdown))
        if self.footer:
            out.append("")
            out.extend(self.footer)   # links: never escaped (an escaped URL is a broken URL)
        return out

    def render(self, *, markdown: bool = False, limit: int | None = None,
               title_in_body: bool = False) -> tuple[str, str]:
        """(title, body) for one channel: Markdown or plain text, the title inside the body for a
        channel without a title field, at most ``limit`` characters of body."""
        shown = [len(s.items) for s in self.sections]
        head = ""
        if title_in_body:
            head = strong(self.title, markdown) + "\n\n"

        def body() -> str:
            return head + "\n".join(self._lines(shown, markdown)).strip("\n")

        text = body()
        if limit is not None:
            order = sorted(range(len(self.sections)), key=lambda i: (self.sections[i].drop, -i))
            while len(text) > limit:
                victim = next((i for i in order if shown[i] > self.sections[i].keep), None)
                if victim is None:
                    break
                shown[victim] -= 1
                text = body()
            if len(text) > limit:
                text = text[:max(0, limit - 1)].rstrip() + "…"
        return ("" if title_in_body else one_line(self.title)), text


# --- sending -----------------------------------------------------------------------------------------

SENT, FAILED, UNKNOWN = "sent", "failed", "unknown"


@dataclass(frozen=True)
class Delivery:
    """One channel's result. ``outcome``: ``sent`` (the channel said so), ``failed`` (it did not
    get the message, or refused it: sending again is safe) or ``unknown`` (it got the message and
    never answered: it may have arrived, so it is not sent again blindly)."""
    target: Target
    ok: bool
    error: str | None = None     # redacted: safe to show
    length: int = 0               # characters of body sent
    outcome: str = ""
    waited: float | None = None   # seconds waited for an answer, when the outcome is unknown
    attached: bool = False        # the attachment went with the message (the channel takes files)

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", SENT if self.ok else FAILED)

    @property
    def unknown(self) -> bool:
        return self.outcome == UNKNOWN

    def __str__(self) -> str:
        return self.target.label + (": ok" if self.ok else f": {self.error or 'failed'}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message on the channels that take files (apprise's
    ``attachment_support``: Telegram, Slack, email, Discord, json/form webhooks); the others get
    the text alone."""
    name: str
    data: bytes = field(repr=False)
    mime: str = "image/png"


def takes_files(plugin: Any) -> bool:
    """Whether a loaded apprise service sends attachments."""
    return bool(getattr(plugin, "attachment_support", False))


@dataclass(frozen=True)
class Channel:
    """What a channel takes: Markdown or plain text, its body limit, whether it has a title."""
    markdown: bool
    limit: int | None
    title: bool


# services that render Markdown in a message sent as plain text (Discord draws **bold** and
# [masked](links) in any content): they get escaped Markdown, the title inside the body
RENDERS_TEXT_AS_MARKDOWN = ("discord",)


def channel(plugin: Any) -> Channel:
    """A loaded apprise service's format (its preferred one), body length limit and title."""
    from apprise import NotifyFormat  # start-up: apprise only when sending
    formats = plugin.notify_format
    preferred = formats[0] if isinstance(formats, (tuple, list)) and formats else formats
    markdown = preferred in (NotifyFormat.MARKDOWN, NotifyFormat.HTML)
    limit = int(getattr(plugin, "body_maxlen", 0) or 0) or None
    if limit is not None and preferred == NotifyFormat.HTML:
        limit = int(limit * HTML_MARGIN)
    title = int(getattr(plugin, "title_maxlen", 0) or 0) > 0
    protocols = getattr(plugin, "secure_protocol", ()) or ()
    protocols = (protocols,) if isinstance(protocols, str) else tuple(protocols)
    if not markdown and any(str(p).lower() in RENDERS_TEXT_AS_MARKDOWN for p in protocols):
        markdown, title = True, False
    return Channel(markdown=markdown, limit=limit, title=title)


def _reason(entries: Iterable[Any]) -> str | None:
    """The most telling line apprise logged for a failed send (errors before warnings)."""
    best: tuple[int, str] | None = None
    for e in entries:
        level = str(getattr(e, "level", "")).upper()
        rank = 0 if level in ("ERROR", "CRITICAL") else 1 if level.startswith("WARN") else None
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, str(getattr(e, "message", e)))
    return redact(best[1]) if best else None


def _query_keys(url: str) -> set[str]:
    try:
        return {k.lower() for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    except ValueError:
        return set()


def set_timeouts(plugin: Any, url: str, *, connect: float = CONNECT_TIMEOUT_S,
                 delivery: float = DELIVERY_TIMEOUT_S) -> tuple[float, float]:
    """Give a loaded apprise service a short connect timeout and a longer one for the answer
    to a message it has (unless its URL sets ``cto=``/``rto=``). Returns (connect, delivery)."""
    asked = _query_keys(url)
    if "cto" not in asked:
        plugin.socket_connect_timeout = connect
    if "rto" not in asked:
        plugin.socket_read_timeout = delivery
    return float(plugin.socket_connect_timeout), float(plugin.socket_read_timeout)


def send_one(message: Message, target: Target, *, notify_type: str = "info",
             timeout: float = DEFAULT_TIMEOUT_S, attachment: Attachment | None = None) -> Delivery:
    """Send ``message`` to one channel; never raises (a failure is a :class:`Delivery` with
    ``ok=False`` and a redacted reason; a message sent and never answered has the outcome
    ``unknown``). ``attachment`` goes with it when the channel takes files (``Delivery.attached``)."""
    with tempfile.TemporaryDirectory(prefix="pancake-attach-") as folder:
        return _send_one(message, target, notify_type=notify_type, timeout=timeout, attachment=attachment,
                         folder=folder)


def _send_one(message: Message, target: Target, *, notify_type: str, timeout: float,
              attachment: Attachment | None, folder: str) -> Delivery:
    try:
        import apprise  # start-up: apprise (and its plugins) only when sending
        from apprise.result import AppriseResultStatus  # the same
        obj = apprise.Apprise()
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            added = obj.add(target.url)
        if not added or len(obj) == 0:
            why = _reason_from_text(captured.getvalue())
            return Delivery(target, False, redact(i18n.t("notify.bad_url", message.lang)
                                                  + (f" ({why})" if why else "")))
        _, waited = set_timeouts(obj[0], target.url)
        ch = channel(obj[0])
        title, body = message.render(markdown=ch.markdown, limit=ch.limit, title_in_body=not ch.title)
        attach = None
        if attachment is not None and takes_files(obj[0]):
            path = os.path.join(folder, os.path.basename(attachment.name) or "attachment")
            with open(path, "wb") as fh:
                fh.write(attachment.data)
            from apprise.attachment.file import AttachFile  # the same
            attach = apprise.AppriseAttachment()
            attach.add(AttachFile(path=path, name=attachment.name, mimetype=attachment.mime))
        # DEBUG: the socket exception that tells "never connected" from "sent, no answer"
        with apprise.LogCapture(level=logging.DEBUG, fmt="%(message)s") as detail:
            result = obj.notify(body=body, title=title, notify_type=notify_type,
                                body_format=(apprise.NotifyFormat.MARKDOWN if ch.markdown
                                             else apprise.NotifyFormat.TEXT),
                                timeout=timeout, attach=attach)
        if result:
            return Delivery(target, True, None, len(body), attached=attach is not None)
        try:
            why = _reason(result.logs())
            timed_out = getattr(result, "status", None) == AppriseResultStatus.TIMEOUT
        finally:
            result.close()
        if timed_out or _UNKNOWN_OUTCOME.search(detail.getvalue()):
            seconds = fmt_seconds(timeout if timed_out else waited)
            return Delivery(target, False, i18n.t("notify.unknown", message.lang, s=seconds), len(body),
                            outcome=UNKNOWN, waited=float(seconds))
        return Delivery(target, False, why or redact(i18n.t("notify.failed", message.lang)), len(body))
    except Exception as exc:  # noqa: BLE001 - one channel's failure never stops the others
        return Delivery(target, False, redact(f"{type(exc).__name__}: {exc}"))


def fmt_seconds(value: float) -> str:
    return f"{value:g}"


def _reason_from_text(text: str) -> str | None:
    lines = [ln.strip() for ln in str(text or "").splitlines() if ln.strip()]
    return redact(lines[-1])[:300] if lines else None


def send(message: Message, channels: Sequence[Target], *, notify_type: str = "info",
         timeout: float = DEFAULT_TIMEOUT_S, attachment: Attachment | None = None) -> list[Delivery]:
    """Send ``message`` (and ``attachment`` where the channel takes files) to every channel, one
    after the other; one :class:`Delivery` each."""
    return [send_one(message, t, notify_type=notify_type, timeout=timeout, attachment=attachment)
            for t in channels]
