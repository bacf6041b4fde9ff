"""Settings page computations: what the configuration is, shown without any secret.

Pure (no Streamlit): the base URL without credentials or query, the token-status table in
the chosen language (never a token, not even a prefix), the age of the data on screen, and
the configuration reference (environment variables, secrets.toml example with placeholders).
Tables are ``views.tables.Table`` values, drawn by ``ui.components.table``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pandas as pd

from pancake import config, fmt, i18n
from pancake.numbers.views import tables
from pancake.redact import redact

# the API configuration, written as a secrets.toml (placeholders from ``config.VARIABLES``)
SECRETS_EXAMPLE = "# .streamlit/secrets.toml\n" + "".join(
    f'{name} = "{config.REGISTRY[name].example}"\n' for name in config.ENV_KEYS if name != "PANCAKE_DEMO")


def safe_base_url(url: Any) -> str:
    """The base URL as shown: no user:password, no query string, no fragment, redacted."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        text = urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        text = text.split("?", 1)[0].split("#", 1)[0]
    return redact(text)


def yes_no(value: bool, lang: str) -> str:
    return i18n.t("set.yes" if value else "set.no", lang)


def token_table(status: pd.DataFrame | None, lang: str) -> tables.Table:
    """``cache.token_status`` -> the table shown: page name, page id, token works?, details.
    Details only for a failing token (the API's message, redacted); failing pages first."""
    columns = [tables.column("page_name", lang), tables.column("page_id", lang),
               _text_column("token", "set.col.status", lang), _text_column("detail", "set.col.detail", lang)]
    if status is None or status.empty:
        return tables.Table(pd.DataFrame({c.key: pd.Series(dtype="str") for c in columns}), columns)
    df = status.assign(_ok=status["ok"].astype(bool)).sort_values(["_ok", "name"], kind="stable")
    frame = pd.DataFrame({
        "page_name": df["name"].astype(str).tolist(),
        "page_id": df["page_id"].astype(str).tolist(),
        "token": [i18n.t("set.token_ok" if ok else "faults.token_unreachable" if why == "unreachable"
                         else "set.token_bad", lang)
                  for ok, why in zip(df["_ok"], df["reason"] if "reason" in df else [""] * len(df))],
        "detail": ["" if ok else redact(msg) for ok, msg in zip(df["_ok"], df["message"].astype(str))],
    })
    return tables.Table(frame, columns)


def token_counts(status: pd.DataFrame | None) -> tuple[int, int]:
    """(working, total)."""
    if status is None or status.empty:
        return 0, 0
    return int(status["ok"].astype(bool).sum()), len(status)


def age_text(then: datetime | None, now: datetime, lang: str) -> str:
    """How long ago ``then`` was: "vừa xong", "3 phút trước", "2 giờ 5 phút trước", "1 ngày trước"."""
    if then is None:
        return "—"
    seconds = max(0.0, (now - then).total_seconds())
    minutes = int(seconds // 60)
    if minutes < 1:
        return i18n.t("set.age.now", lang)
    if minutes < 60:
        return i18n.t("set.age.min", lang, n=minutes)
    if minutes < 24 * 60:
        return i18n.t("set.age.hour", lang, h=minutes // 60, m=minutes % 60)
    return i18n.t("set.age.day", lang, n=minutes // (24 * 60))


def local_time(at: datetime | None, tz: str, lang: str) -> str:
    """A UTC moment as local "HH:MM:SS dd/mm/YYYY" (vi) / "HH:MM:SS, 24 Nov 2026" (en)."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(ZoneInfo(tz))
    sep = " " if lang == "vi" else ", "
    return f"{local:%H:%M:%S}{sep}{fmt.date(local, lang)}"


def env_table(lang: str) -> tables.Table:
    """The configuration reference, every variable of ``config.VARIABLES`` in its order: what it
    does in words first (``set.env.<name>``), then its name and an example (placeholders, never a
    value in use)."""
    frame = pd.DataFrame({
        "variable": [v.name for v in config.VARIABLES],
        "meaning": [i18n.t(f"set.env.{v.name}", lang) for v in config.VARIABLES],
        "example": [v.example for v in config.VARIABLES],
    })
    return tables.Table(frame, [_text_column("meaning", "set.meaning", lang), _text_column("variable", "set.var", lang),
                                _text_column("example", "set.example", lang)])


def _text_column(key: str, label_key: str, lang: str) -> tables.Column:
    return tables.Column(key, i18n.t(label_key, lang), unit="text")


def leaks(texts: Iterable[str], secrets: Iterable[str | None]) -> list[str]:
    """The secrets (len >= 4) that appear in any of ``texts``: for tests and a last check."""
    found = []
    blob = "\n".join(str(t) for t in texts)
    for s in secrets:
        if s and len(s) >= 4 and s in blob:
            found.append(s)
    return found


# --- the statistics store ---------------------------------------------------------------------

def size_text(n_bytes: Any, lang: str) -> str:
    """A size in bytes for people: "1,2 MB" / "1.2 MB"."""
    if n_bytes is None or pd.isna(n_bytes):
        return fmt.MISSING
    value, unit = float(n_bytes), "B"
    for next_unit in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, next_unit
    return f"{fmt.number(value, lang, decimals=0 if unit == 'B' else 1)} {unit}"


def store_table(pages: pd.DataFrame | None, lang: str, now: datetime) -> tables.Table:
    """``cache.store_info()["pages"]`` -> the table shown: page, kinds stored, oldest and newest
    stored day, entries, size and the age of the page's newest data (newest first)."""
    cols = ["name", "page_id", "kinds", "oldest_day", "newest_day", "entries", "bytes", "age"]
    frame = pd.DataFrame(columns=cols) if pages is None or pages.empty else pages.copy()
    if not frame.empty:
        frame["oldest_day"] = pd.to_datetime(frame["oldest_day"])
        frame["newest_day"] = pd.to_datetime(frame["newest_day"])
        frame["age"] = [age_text(t, now, lang) for t in frame["newest_fetch"]]
        frame = frame.sort_values("newest_fetch", ascending=False, kind="stable")
    columns = [tables.Column("name", i18n.t("col.page_name", lang), unit="text"),
               tables.Column("kinds", i18n.t("set.store.kinds", lang), unit="text"),
               tables.Column("oldest_day", i18n.t("set.store.oldest", lang), unit="date"),
               tables.Column("newest_day", i18n.t("set.store.newest", lang), unit="date"),
               tables.Column("entries", i18n.t("set.store.entries", lang)),
               tables.Column("age", i18n.t("set.store.age", lang), unit="text")]
    return tables.Table(frame=frame[[c for c in cols if c in frame.columns]].reset_index(drop=True),
                        columns=columns)


def unreachable_count(status: pd.DataFrame | None) -> int:
    """Pages whose check got no answer (network, timeout, 5xx): the API, not their token."""
    if status is None or status.empty or "reason" not in status:
        return 0
    return int((status["reason"].astype(str) == "unreachable").sum())
