"""Dates, zones and windows: the one place that knows Pancake's time formats.

- ``date_range`` strings are the shop's local wall-clock time:
  ``"27/07/2021 00:00:00 - 26/08/2021 23:59:59"`` (engagement, users) or
  ``"20/07/2020 - 20/08/2020"`` (new customers).
- ``since``/``until`` are unix seconds; a local day [start 00:00:00, end 23:59:59] in the zone.
- Categories come as ``"26/8"`` (no year), ``"6/7/2026"``, ``"2026-07-06"`` or an ISO hour.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_STATS_WINDOW_DAYS = 31
MAX_CONVERSATION_WINDOW_DAYS = 30  # "at most one month" for conversations v1


def _tz(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def format_date_range(start: date, end: date, *, with_time: bool = True,
                      until: time | None = None) -> str:
    """``date_range`` for [start 00:00:00, end 23:59:59]; with ``until`` the last day ends at
    that local time instead (a partial day: "the same hours" of a previous period)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if until is not None and not with_time:
        raise ValueError("a date_range without times cannot end at a time of day")
    if with_time:
        last = "23:59:59" if until is None else f"{until:%H:%M:%S}"
        return f"{start:%d/%m/%Y} 00:00:00 - {end:%d/%m/%Y} {last}"
    return f"{start:%d/%m/%Y} - {end:%d/%m/%Y}"


_RANGE_RE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?\s*-\s*"
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?\s*$")


def parse_date_range(text: str) -> tuple[datetime, datetime]:
    """Parse either ``date_range`` form into naive local datetimes (start, end).

    A missing time means the whole day: start 00:00:00, end 23:59:59.
    Raises ValueError on anything else.
    """
    m = _RANGE_RE.match(text or "")
    if not m:
        raise ValueError(f"date_range {text!r} is not 'dd/mm/YYYY[ HH:MM:SS] - dd/mm/YYYY[ HH:MM:SS]'")
    g = m.groups()
    d1 = datetime(int(g[2]), int(g[1]), int(g[0]),
                  int(g[3] or 0), int(g[4] or 0), int(g[5] or 0))
    d2 = datetime(int(g[8]), int(g[7]), int(g[6]),
                  int(g[9] or 23) if g[9] is not None else 23,
                  int(g[10]) if g[10] is not None else 59,
                  int(g[11]) if g[11] is not None else 59)
    if d2 < d1:
        raise ValueError(f"date_range {text!r} ends before it starts")
    return d1, d2


def day_bounds_unix(start: date, end: date, tz: ZoneInfo | str, *,
                    until: time | None = None) -> tuple[int, int]:
    """Unix seconds for local ``start 00:00:00`` and ``end 23:59:59`` in ``tz`` (``end`` at
    ``until`` instead when given)."""
    z = _tz(tz)
    since = datetime.combine(start, time(0, 0, 0), tzinfo=z)
    last = datetime.combine(end, time(23, 59, 59) if until is None else until.replace(microsecond=0), tzinfo=z)
    return int(since.timestamp()), int(last.timestamp())


def unix_to_local(ts: int | float, tz: ZoneInfo | str) -> datetime:
    """Unix seconds -> naive local datetime in ``tz``."""
    return datetime.fromtimestamp(float(ts), _tz(tz)).replace(tzinfo=None)


def split_windows(start: date, end: date, max_days: int = MAX_STATS_WINDOW_DAYS) -> list[tuple[date, date]]:
    """Split [start, end] (inclusive) into consecutive windows of at most ``max_days`` days.

    Every day lands in exactly one window, in order.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if max_days < 1:
        raise ValueError("max_days must be >= 1")
    out = []
    cur = start
    while cur <= end:
        stop = min(end, cur + timedelta(days=max_days - 1))
        out.append((cur, stop))
        cur = stop + timedelta(days=1)
    return out


def daterange(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


_DM_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})\s*$")
_DMY_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_category(label: str, start: date, end: date) -> date:
    """Turn one category label into a date, inferring a missing year from [start, end].

    ``"26/8"`` gets the year that puts it inside the asked range (so a range across
    New Year maps ``"31/12"`` and ``"1/1"`` to different years). If no year puts it
    inside, the year giving the date nearest the range is used.
    """
    text = str(label)
    m = _DMY_RE.match(text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _ISO_RE.match(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DM_RE.match(text)
    if not m:
        raise ValueError(f"category {label!r} is not a date")
    day, month = int(m.group(1)), int(m.group(2))
    candidates = []
    for year in range(start.year - 1, end.year + 2):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29/2 in a non-leap year
            continue
    if not candidates:
        raise ValueError(f"category {label!r} is not a valid day")
    inside = [c for c in candidates if start <= c <= end]
    if inside:
        return inside[0]

    def distance(c: date) -> int:
        return (start - c).days if c < start else (c - end).days
    return min(candidates, key=distance)


def parse_local_hour(value: str) -> datetime:
    """``"2021-08-26T13:00:00"`` (local, no suffix) -> naive datetime. Tolerates a trailing Z/offset by dropping it."""
    text = str(value).strip()
    m = _ISO_RE.match(text)
    if not m:
        raise ValueError(f"hour {value!r} is not an ISO date-time")
    return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)),
                    int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0))


def wall_clock(at: datetime, tz: ZoneInfo | str) -> datetime:
    """An aware moment as the shop's wall clock reads it: naive, in zone ``tz``."""
    return at.astimezone(_tz(tz)).replace(tzinfo=None)


def local_today(tz: ZoneInfo | str, now: datetime | None = None) -> date:
    z = _tz(tz)
    if now is None:
        now = datetime.now(z)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=z)
    return now.astimezone(z).date()


# --- Periods (METRICS.md "Periods") -------------------------------------------------------

PRESETS = ("today", "yesterday", "last_7", "last_30", "last_90", "this_month", "last_month", "custom")


def preset_range(name: str, today: date) -> tuple[date, date]:
    """The [start, end] of a named preset. "Last N days" are the N whole days ending yesterday
    (a partial today would make every change look like a fall); "today" and "this month"
    include today, which is partial until midnight."""
    if name == "today":
        return today, today
    if name == "yesterday":
        y = today - timedelta(days=1)
        return y, y
    if name in ("last_7", "last_30", "last_90"):
        n = int(name.split("_")[1])
        return today - timedelta(days=n), today - timedelta(days=1)
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        first_this = today.replace(day=1)
        last_prev = first_this - timedelta(days=1)
        return last_prev.replace(day=1), last_prev
    raise ValueError(f"unknown preset {name!r}")


def previous_period(start: date, end: date) -> tuple[date, date]:
    """What a range is compared with, everywhere (cards, the standup screen, the digest): a
    single day with the same weekday a week before (a Sunday against the Sunday before, never
    against a Saturday); a longer range with the period of the same length ending the day
    before ``start``."""
    if start == end:
        before = start - timedelta(days=7)
        return before, before
    length = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    return prev_end - timedelta(days=length - 1), prev_end


def includes_today(start: date, end: date, today: date) -> bool:
    return start <= today <= end


# --- Dates a user may ask for (CLI arguments, URL parameters) -------------------------------

EARLIEST_DATE = date(2015, 1, 1)   # before Pancake existed: nothing to ask for
_ISO_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def latest_date(today: date) -> date:
    """The last day a user may name: tomorrow (the user's own calendar may be a day ahead of
    the shop's zone). Ranges are then clamped to ``today`` (``clamp_to_today``)."""
    return today + timedelta(days=1)


def parse_iso_day(text: str) -> date:
    """Strictly ``YYYY-MM-DD`` (``date.fromisoformat`` also takes ``20261101`` and
    ``2026-W44-1``); ValueError otherwise."""
    m = _ISO_DAY_RE.match(str(text).strip())
    if not m:
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid day") from None


def in_valid_range(day: date, today: date) -> bool:
    """Whether ``day`` lies in [EARLIEST_DATE, tomorrow]."""
    return EARLIEST_DATE <= day <= latest_date(today)


def valid_range_text(today: date) -> str:
    return f"{EARLIEST_DATE.isoformat()} .. {latest_date(today).isoformat()}"


def clamp_to_today(start: date, end: date, today: date) -> tuple[date, date, bool]:
    """[start, end] with ``end`` no later than ``today`` (days after today have no data yet,
    never rows of 0); the flag says whether it was cut. ValueError when the whole range is
    after today."""
    if start > today:
        raise ValueError(f"the range starts after today ({today.isoformat()}): no data yet")
    if end > today:
        return start, today, True
    return start, end, False
