"""Alerts (``python -m pancake alert``): the standup flags of the current moment, each sent once.

``evaluate`` looks at now (the shop's wall clock) and returns the standup screen's flags
(``pancake.numbers.views.briefing``), worded for "today", with ``waiting`` and ``reply_target``
flags when asked (``--waiting-minutes``, ``--before-target``).

Each flag has a key (:func:`flag_key`): what it is about, and for a daily fact the day; a
customer turn is keyed by the turn, so it is sent once whether about to pass its target or past
it. The store remembers, per scope (the API, the pages asked, one channel), the keys active at
the last successful run; only the others are sent. A flag that goes away is forgotten. A page
that failed to load keeps its remembered flags; a channel that failed keeps its old state.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from pancake import fmt, i18n
from pancake.data import conversations as dc
from pancake.data import core
from pancake.delivery.digest import dashboard_link
from pancake.delivery.notify import Message, Section, Target
from pancake.numbers.views import briefing as bf

DEFAULT_WAITING_MINUTES = bf.DEFAULT_WAITING_MINUTES


@dataclass
class ReplyTargets:
    """What the ``reply_target`` flags are computed from: the turns of the conversations waiting
    now (``data.replies.load_waiting_turns``), the opening hours and how many minutes before the target a
    customer is flagged."""
    got: Any
    hours: Any
    before_minutes: float

    def flags(self, now_utc: datetime) -> list[bf.Flag]:
        return bf.reply_target_flags(self.got.turns, now_utc, self.hours, before_minutes=self.before_minutes,
                                     customers=bf.customer_names(self.got.conversations))


@dataclass
class Check:
    """One evaluation: the flags now, the per-page errors, and when."""
    flags: list[bf.Flag]
    errors: list = field(default_factory=list)
    day: date | None = None
    now: datetime | None = None

    @property
    def failed_pages(self) -> set[str]:
        return {str(e.page_id) for e in self.errors}


def flag_key(flag: bf.Flag, day: date) -> str:
    """What a flag is about: its kind, page and subject (a staff member, an ad), plus the day for
    the daily facts. Ongoing states (a dead token, a silent page, customers waiting) keep one key
    while they last."""
    parts = [flag.kind, flag.page_id]
    if flag.kind in bf.DAILY_KINDS:
        parts += [flag.subject, day.isoformat()]
    elif flag.kind == "reply_target":     # once per customer turn: about to pass its target or past it
        parts += [flag.figures["conversation_id"], flag.figures["turn"]]
    return "|".join(parts)


# --- customers waiting (the conversations) ------------------------------------------------------------

def load_waiting(loader: Any, page_ids: Sequence[str], names: Mapping[str, str], now: datetime,
                 minutes: float) -> tuple[pd.DataFrame | None, list]:
    """The conversations waiting now (``pancake.numbers.conversations.waiting``) of every page, however
    long ago the customer wrote (``data.conversations.page_waiting``), and the pages that failed. Needs the conversations module; without it,
    (None, [])."""
    try:
        from pancake.numbers import conversations as conv  # a legacy guard: the module always ships
    except ImportError:
        return None, []
    client = loader.client

    def one(pid: str) -> dict[str, pd.DataFrame]:
        frame, _reach = dc.page_waiting(client, pid, now, client.tz)   # however long ago they wrote
        return {"waiting": conv.waiting(frame, now, minutes)}

    result = core.fan_out(one, page_ids, page_names=names)
    return result.get("waiting"), list(result.errors)


# --- evaluating now -----------------------------------------------------------------------------------

def evaluate(loader: Any, page_ids: Sequence[str], names: Mapping[str, str], *, now_local: datetime,
             lang: str | None = None, silent_hours: float = bf.DEFAULT_SILENT_HOURS,
             waiting_minutes: float | None = None, reply_targets: ReplyTargets | None = None) -> Check:
    """The flags of the current moment (``now_local``: naive, the shop's wall clock), from the
    data layer (today's open windows are asked again after the store's TTL): ``briefing.flags``
    of today. A page that failed for another reason than its token is not a flag here (its
    remembered flags are kept: see ``next_state``). The flags are data; ``message`` words them
    (``lang`` is not needed to evaluate)."""
    today = now_local.date()
    plan = [("activity", today - timedelta(days=1), today), ("staff", today - timedelta(days=7), today),
            ("ads", today, today), ("ads", today - timedelta(days=7), today - timedelta(days=1))]
    for kind, a, b in plan:
        loader.prefetch(kind, page_ids, a, b)
    act, staff, ads, ads_week = (loader.load(kind, page_ids, a, b, page_names=names) for kind, a, b in plan)
    errors = bf.errors_of([act, staff, ads])
    waiting = None
    if waiting_minutes is not None:
        waiting, werrors = load_waiting(loader, page_ids, names, now_local, waiting_minutes)
        seen = {(e.page_id, e.message) for e in errors}
        errors = errors + [e for e in werrors if (e.page_id, e.message) not in seen]
    targets: list[bf.Flag] = []
    if reply_targets is not None:
        targets = reply_targets.flags(now_local.replace(tzinfo=loader.client.tz))
        seen = {(e.page_id, e.message) for e in errors}
        errors = errors + [e for e in reply_targets.got.errors if (e.page_id, e.message) not in seen]
    found = bf.flags(day=today, now=now_local, errors=errors, activity=act.get("hourly"),
                     staff_hourly=staff.get("hourly"), ads=ads.get("ads"), silent_hours=silent_hours,
                     waiting=waiting, waiting_minutes=waiting_minutes, failures=False, reply_targets=targets,
                     ads_before=ads_week.get("ads"))
    return Check(flags=found, errors=errors, day=today, now=now_local)


# --- what is new ----------------------------------------------------------------------------------

def scope(source: str, asked: Sequence[str], target: Target | None) -> str:
    """Whose memory: the API and zone (``store.source_key``), the pages as asked (``all`` stays
    ``all``), the channel (a hash of its URL, never the URL)."""
    pages = ",".join(sorted(dict.fromkeys(str(p) for p in asked)))
    return f"{source}|{pages}|{target.key if target is not None else '-'}"


def current_keys(check: Check) -> dict[str, bf.Flag]:
    assert check.day is not None
    return {flag_key(f, check.day): f for f in check.flags}


def new_flags(check: Check, remembered: Mapping[str, str]) -> list[bf.Flag]:
    """The flags of ``check`` not active at the last run, in ``check``'s order."""
    return [f for k, f in current_keys(check).items() if k not in remembered]


def next_state(check: Check, remembered: Mapping[str, str]) -> dict[str, str]:
    """What to remember after a successful send: the flags now, plus the remembered flags of
    pages that failed to load this time (not looked at, so not resolved)."""
    state = {k: f.page_id for k, f in current_keys(check).items()}
    failed = check.failed_pages
    for k, pid in remembered.items():
        if pid in failed and k not in state:
            state[k] = pid
    return state


def message(new: Sequence[bf.Flag], lang: str, page_ids: Sequence[str], names: Mapping[str, str], *,
            now: datetime, link_base: str | None = None, asked_all: bool = False) -> Message:
    """The alert: a title with how many and when, the new flags most serious first (worded by
    ``briefing.flag_text``: "today" for today's facts), the link to today's dashboard."""
    title = i18n.t("alert.title", lang, n=len(new), time=now.strftime("%H:%M"),
                   day=fmt.date(now.date(), lang))
    link = dashboard_link(link_base, page_ids, lang, preset="today", asked_all=asked_all)
    texts = [bf.flag_text(f, lang, names, today=now.date()) for f in bf.by_severity(new)]
    return Message(title, [Section(None, texts, keep=3, drop=0)],
                   [i18n.t("digest.link", lang, url=link)] if link else [], lang=lang)
