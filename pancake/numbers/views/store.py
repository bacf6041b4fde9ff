"""What the pages say about the statistics store's reachability (issue 20). Pure: a
:class:`StoreState` (the data layer's ``Reachability`` is one) and a time in, sentences in the
viewer's language out.

- ``notice``: the one line every page shows while statistics are kept in memory only (with
  when the store was last reachable), or for a while after it came back; None otherwise;
- ``details``: what Settings adds: the cause (already redacted) and the next attempt.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from pancake import fmt, i18n


class StoreState(Protocol):
    """What these sentences read of a store's state (the numbers never import the data layer)."""
    backend: str
    reachable: bool
    cause: str | None
    last_reachable: float | None
    back_since: float | None
    next_try: float | None

    def back(self, now: float) -> bool: ...


def _local(at: float, tz: str) -> datetime:
    return datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(tz))


def last_reachable_text(at: float | None, now: float, tz: str, lang: str) -> str:
    """"Last reachable 07:42 today." / "… yesterday at 07:42." / "… on 05 Dec 2026 at 07:42.",
    in the dashboard's time zone; never reached (as far as this machine knows): says so."""
    if at is None:
        return i18n.t("store.last.never", lang)
    then, today = _local(at, tz), _local(now, tz).date()
    time = fmt.clock(then, lang)
    if then.date() == today:
        return i18n.t("store.last.today", lang, time=time)
    if then.date() == today - timedelta(days=1):
        return i18n.t("store.last.yesterday", lang, time=time)
    return i18n.t("store.last.day", lang, time=time, day=fmt.date(then, lang))


def _name(status: StoreState, lang: str) -> str:
    return i18n.t(f"store.name.{status.backend}", lang)


def notice(status: StoreState | None, now: float, tz: str, lang: str) -> tuple[str, str] | None:
    """("down" | "back", the sentence), or None when there is nothing to say."""
    if status is None:
        return None
    if not status.reachable:
        return "down", i18n.t("store.down", lang, store=_name(status, lang),
                              last=last_reachable_text(status.last_reachable, now, tz, lang))
    if status.back(now):
        return "back", i18n.t("store.back", lang, store=_name(status, lang),
                              time=fmt.clock(_local(status.back_since, tz), lang))
    return None


def details(status: StoreState | None, now: float, tz: str, lang: str) -> list[str]:
    """Settings' lines under the notice while the store cannot be reached: the cause, the next
    attempt. Empty when it can."""
    if status is None or status.reachable:
        return []
    lines = [i18n.t("store.cause", lang, cause=status.cause or i18n.t("store.cause.unknown", lang))]
    if status.next_try is not None:
        lines.append(i18n.t("store.next_try", lang, time=fmt.clock(_local(max(status.next_try, now), tz), lang)))
    return lines
