"""The opening hours file (``PANCAKE_HOURS_FILE``; its format in the README, "The opening hours file"):
read, checked line by line, and asked how many seconds of an interval fall inside a page's
opening hours. Pure (stdlib only).

Decisions:
- No file: every hour counts and no target is set (``Hours.configured`` is False).
- A file without ``[hours]``: every hour counts (holidays still close their days).
- A period belongs to the day it starts on; one past midnight ends the next day. A holiday closes
  its whole local day, also the part of the evening before's period that runs into it.
- Periods are local wall times converted with the zone's rules of that day, so an opening hour on
  a daylight-saving day lasts what the clock says.
- A bad file closes nothing: ``load`` returns calendar time (always open, no targets) with
  ``error`` naming the line (``error_line``) and what is wrong.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pancake import config

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TARGET_KEYS = ("first_reply_minutes", "next_reply_minutes")
_GOAL_KEY = "within_target_percent"     # optional, [targets] only: the % within target aimed at
_TOP_KEYS = ("timezone", "bots", "bots_count", "hours", "targets", "pages")
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
ALWAYS = ((0, 1440),)   # minutes from local midnight: the whole day


class HoursFileError(ValueError):
    """What is wrong with the hours file and on which line (None when the line is unknown)."""

    def __init__(self, detail: str, line: int | None = None) -> None:
        super().__init__(detail if line is None else f"line {line}: {detail}")
        self.detail = detail
        self.line = line


@dataclass(frozen=True)
class Schedule:
    """One page's opening hours: periods per weekday (Monday = 0) in minutes from local midnight
    (an end past 1440 runs into the next day), holidays, targets in minutes (None: no target)."""
    timezone: str
    week: tuple[tuple[tuple[int, int], ...], ...] = (ALWAYS,) * 7
    holidays: frozenset[date] = frozenset()
    first_minutes: float | None = None
    next_minutes: float | None = None
    always_open: bool = True
    _days: dict = field(default_factory=dict, compare=False, hash=False, repr=False)   # day -> open intervals

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def target_seconds(self, first: bool) -> float | None:
        minutes = self.first_minutes if first else self.next_minutes
        return None if minutes is None else float(minutes) * 60.0

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals (aware UTC) overlapping [start, end] (aware)."""
        if end <= start:
            return []
        zone = self.zone
        first_day = start.astimezone(zone).date() - timedelta(days=1)
        last_day = end.astimezone(zone).date()
        out: list[tuple[datetime, datetime]] = []
        d = first_day
        while d <= last_day:
            got = self._days.get(d)
            if got is None:
                got = self._days[d] = _day_intervals(self, d)
                if len(self._days) > 20_000:      # bounded: a day is cheap to make again
                    self._days.clear()
            for a, b in got:
                if b > start and a < end:
                    out.append((a, b))
            d += timedelta(days=1)
        return out

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end] (aware datetimes) inside the opening hours."""
        if end <= start:
            return 0.0
        if self.always_open and not self.holidays:
            return (end - start).total_seconds()
        total = 0.0
        for a, b in self.open_intervals(start, end):
            total += (min(b, end) - max(a, start)).total_seconds()
        return total

    def deadline(self, start: datetime, seconds: float, horizon_days: int = 400) -> datetime | None:
        """The instant at which ``seconds`` of opening hours have passed since ``start``."""
        left = float(seconds)
        for a, b in self.open_intervals(start, start + timedelta(days=horizon_days)):
            a = max(a, start)
            span = (b - a).total_seconds()
            if span >= left:
                return a + timedelta(seconds=left)
            left -= span
        return None


def _wall(zone: ZoneInfo, d: date, minutes: int) -> datetime:
    local = datetime.combine(d, time()) + timedelta(minutes=minutes)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _day_intervals(schedule: Schedule, d: date) -> tuple[tuple[datetime, datetime], ...]:
    """The open intervals (aware UTC) of the periods that start on local day ``d``, holidays cut out."""
    zone = schedule.zone
    if d in schedule.holidays:
        return ()
    spans = [(_wall(zone, d, a), _wall(zone, d, b)) for a, b in schedule.week[d.weekday()]]
    nxt = d + timedelta(days=1)
    if nxt in schedule.holidays:     # a holiday closes its whole day, the night before's tail too
        cut = _wall(zone, nxt, 0)
        spans = [(a, min(b, cut)) for a, b in spans if a < cut]
    return tuple((a, b) for a, b in spans if b > a)


@dataclass(frozen=True)
class Hours:
    """The whole file: the default schedule, the pages' own, the bots and whether they count."""
    default: Schedule
    pages: dict[str, Schedule] = field(default_factory=dict)
    bots: frozenset[str] = frozenset()
    bots_count: bool = False
    configured: bool = False       # a file was given and read without error
    path: str = ""
    error: str | None = None       # what is wrong (English detail), None when fine
    error_line: int | None = None
    goal_percent: float | None = None   # [targets] within_target_percent (None: no % goal)

    def for_page(self, page_id: str) -> Schedule:
        return self.pages.get(str(page_id), self.default)

    @property
    def has_targets(self) -> bool:
        return any(s.first_minutes is not None or s.next_minutes is not None
                   for s in (self.default, *self.pages.values()))

    @property
    def business(self) -> bool:
        """Opening hours are set (a business wait differs from the calendar one somewhere)."""
        return self.configured and not all(s.always_open and not s.holidays
                                           for s in (self.default, *self.pages.values()))


def calendar(timezone: str, *, path: str = "", error: HoursFileError | None = None) -> Hours:
    """Every hour counts, no target: no file, or a bad one (``error`` says why)."""
    return Hours(default=Schedule(timezone=timezone), path=path,
                 error=None if error is None else error.detail,
                 error_line=None if error is None else error.line)


def load(path: str | None, default_timezone: str) -> Hours:
    """The file at ``path`` (None or "": no file, calendar time). Never raises: a missing,
    unreadable or wrong file gives calendar time with ``error`` set."""
    if not path:
        return calendar(default_timezone)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return calendar(default_timezone, path=path,
                        error=HoursFileError(f"cannot read the file ({exc.strerror or 'error'})"))
    except UnicodeDecodeError:
        return calendar(default_timezone, path=path, error=HoursFileError("the file is not UTF-8 text"))
    try:
        return parse(text, default_timezone, path=path)
    except HoursFileError as exc:
        return calendar(default_timezone, path=path, error=exc)


def parse(text: str, default_timezone: str, *, path: str = "") -> Hours:
    """The file's text -> ``Hours``; raises ``HoursFileError`` naming the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line = int(m.group(1)) if m else (len(text.rstrip().splitlines()) or None)   # "at end of document"
        raise HoursFileError(f"not valid TOML: {detail}", line) from None
    finder = _Lines(text)
    for key in data:
        if key not in _TOP_KEYS:
            raise HoursFileError(f"unknown setting '{key}'", finder.line(None, key))
    tz = data.get("timezone", default_timezone)
    if not isinstance(tz, str) or not _zone_ok(tz):
        raise HoursFileError(f"unknown time zone {tz!r}", finder.line(None, "timezone"))
    bots = data.get("bots", [])
    if not isinstance(bots, list) or not all(isinstance(b, str) for b in bots):
        raise HoursFileError("bots must be a list of names", finder.line(None, "bots"))
    bots_count = data.get("bots_count", False)
    if not isinstance(bots_count, bool):
        raise HoursFileError("bots_count must be true or false", finder.line(None, "bots_count"))
    hours = data.get("hours")
    if hours is not None and not isinstance(hours, dict):
        raise HoursFileError("[hours] must be a table", finder.line(None, "hours"))
    targets = data.get("targets", {})
    if not isinstance(targets, dict):
        raise HoursFileError("[targets] must be a table", finder.line(None, "targets"))
    for key in targets:
        if key not in (*_TARGET_KEYS, _GOAL_KEY):
            raise HoursFileError(f"unknown target '{key}'", finder.line("targets", key))
    base = _schedule(hours, "hours", finder, tz, always=hours is None)
    first = _minutes(targets, "first_reply_minutes", "targets", finder)
    nxt = _minutes(targets, "next_reply_minutes", "targets", finder)
    goal = _percent(targets, _GOAL_KEY, "targets", finder)
    default = Schedule(tz, base.week, base.holidays, first, nxt, base.always_open)
    pages_raw = data.get("pages", {})
    if not isinstance(pages_raw, dict):
        raise HoursFileError("[pages] must hold one table per page", finder.line(None, "pages"))
    pages: dict[str, Schedule] = {}
    for pid, own in pages_raw.items():
        section = f'pages."{pid}"'
        if not isinstance(own, dict):
            raise HoursFileError(f"page {pid} must be a table", finder.line("pages", pid))
        for key in own:
            if key not in (*DAYS, "holidays", *_TARGET_KEYS):
                raise HoursFileError(f"unknown setting '{key}' for page {pid}", finder.line(section, key))
        days = {k: v for k, v in own.items() if k in (*DAYS, "holidays")}
        mine = _schedule(days, section, finder, tz, always=False, partial=True)
        week = tuple(mine.week[i] if DAYS[i] in own else default.week[i] for i in range(7))
        always = default.always_open and not any(d in own for d in DAYS)
        pages[str(pid)] = Schedule(
            tz, week, default.holidays | mine.holidays,
            _minutes(own, "first_reply_minutes", section, finder, default.first_minutes),
            _minutes(own, "next_reply_minutes", section, finder, default.next_minutes), always)
    return Hours(default=default, pages=pages, bots=frozenset(b.strip() for b in bots if b.strip()),
                 bots_count=bots_count, configured=True, path=path, goal_percent=goal)


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _schedule(table: dict | None, section: str, finder: _Lines, tz: str, *, always: bool,
              partial: bool = False) -> Schedule:
    table = table or {}
    for key in table:
        if key not in (*DAYS, "holidays"):
            raise HoursFileError(f"unknown day '{key}' (use {', '.join(DAYS)} or holidays)",
                                 finder.line(section, key))
    week = []
    for day in DAYS:
        if always and day not in table:
            week.append(ALWAYS)
            continue
        raw = table.get(day, [])
        if not isinstance(raw, list):
            raise HoursFileError(f"{day} must be a list of periods like \"08:00-12:00\"", finder.line(section, day))
        week.append(_periods(raw, day, section, finder))
    holidays = set()
    raw = table.get("holidays", [])
    if not isinstance(raw, list):
        raise HoursFileError("holidays must be a list of dates like \"2027-02-05\"", finder.line(section, "holidays"))
    for item in raw:
        try:
            holidays.add(item if isinstance(item, date) and not isinstance(item, datetime)
                         else date.fromisoformat(str(item)))
        except ValueError:
            raise HoursFileError(f"holiday {item!r} is not a date like \"2027-02-05\"",
                                 finder.line(section, "holidays")) from None
    return Schedule(tz, tuple(week), frozenset(holidays), always_open=always and not partial)


def _periods(raw: list, day: str, section: str, finder: _Lines) -> tuple[tuple[int, int], ...]:
    spans = []
    for item in raw:
        m = _PERIOD.match(item) if isinstance(item, str) else None
        if m is None:
            raise HoursFileError(f"{day}: {item!r} is not a period like \"08:00-12:00\"", finder.line(section, day))
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise HoursFileError(f"{day}: {item!r} has a time that does not exist", finder.line(section, day))
        a, b = h1 * 60 + m1, h2 * 60 + m2
        if a == b:
            raise HoursFileError(f"{day}: {item!r} is empty (it starts when it ends)", finder.line(section, day))
        if a >= 1440:
            raise HoursFileError(f"{day}: {item!r} starts at 24:00", finder.line(section, day))
        spans.append((a, b if b > a else b + 1440))     # past midnight: ends the next day
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:                                   # overlapping periods count once
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def _minutes(table: dict, key: str, section: str, finder: _Lines, default: float | None = None) -> float | None:
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise HoursFileError(f"{key} must be a number of minutes above 0", finder.line(section, key))
    return float(value)


def _percent(table: dict, key: str, section: str, finder: _Lines) -> float | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        raise HoursFileError(f"{key} must be a percentage above 0 and at most 100", finder.line(section, key))
    return float(value)


class _Lines:
    """Finds the line of ``key`` in a ``[section]`` (None: the top) of the file's text."""

    _HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line(self, section: str | None, key: str) -> int | None:
        current: str | None = None
        want = None if section is None else _norm(section)
        key_re = re.compile(r'^\s*("?)' + re.escape(key) + r'\1\s*=')
        for i, raw in enumerate(self.lines, start=1):
            m = self._HEADER.match(raw)
            if m:
                current = _norm(m.group(1))
                if section is None and current == _norm(key):
                    return i
                if want is not None and section == "pages" and current == _norm(f'pages."{key}"'):
                    return i
                continue
            if current == want and key_re.match(raw):
                return i
        return None


def _norm(section: str) -> str:
    return re.sub(r"\s+", "", section).replace("'", '"')


ENV = "PANCAKE_HOURS_FILE"


def from_env(default_timezone: str, env: Mapping[str, str] | None = None,
             secrets: Mapping[str, object] | None = None) -> Hours:
    """The file named by ``PANCAKE_HOURS_FILE`` (environment, then secrets); calendar time without."""
    given = config.read(ENV, env, secrets)
    path = str(given).strip() if given is not None else None
    return load(path, default_timezone)
