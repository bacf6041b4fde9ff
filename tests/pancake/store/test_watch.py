"""Issue 20: the dashboard's store knows when it was last reachable, goes to memory when
PostgreSQL cannot be reached (at start or mid-run), tries again at most once a minute, and
says so in both languages. The clock is injected; reopening runs at once (``spawn``)."""
from __future__ import annotations

import os
import stat
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from pancake.config import Settings
from pancake.data.configured import watched_store
from pancake.data.store import Reachability, SQLiteStore, StoreError, WatchedStore
from pancake.numbers.views import store as vstore
from tests.clock import FakeClock
from tests.pancake.store.backends import PgSchema

PASSWORD = "CANARY-pg-pass-7f3a"
T0 = 1_796_630_000.0    # 2026-12-07 07:53:20 UTC = 14:53:20 in Asia/Ho_Chi_Minh
TZ = "Asia/Ho_Chi_Minh"
D0 = date(2026, 12, 1)


class Flaky(SQLiteStore):
    """An in-memory store standing for PostgreSQL: ``down`` makes every call fail as the
    PostgreSQL backend's do when the server is gone."""

    def __init__(self) -> None:
        super().__init__(None)
        self.down = False
        self.closed = False

    def _check(self) -> None:
        if self.down:
            raise StoreError("PostgreSQL store: OperationalError: server closed the connection unexpectedly")

    def get(self, *args, **kwargs):
        self._check()
        return super().get(*args, **kwargs)

    def put(self, *args, **kwargs):
        self._check()
        return super().put(*args, **kwargs)

    def close(self) -> None:
        self.closed = True
        super().close()


class Opener:
    """Opens a Flaky store, or raises like an unreachable server (the URL's password in the
    message, as libpq may echo it)."""

    def __init__(self, up: bool) -> None:
        self.up = up
        self.calls = 0
        self.made: list[Flaky] = []

    def __call__(self):
        self.calls += 1
        if not self.up:
            raise StoreError(f"PostgreSQL store postgresql://u:{PASSWORD}@127.0.0.1:1/db unreachable: "
                             "Connection refused")
        self.made.append(Flaky())
        return self.made[-1]


def watched(opener, clock, marker=None, backend="postgresql") -> WatchedStore:
    return WatchedStore(opener, backend=backend, marker=marker, clock=clock, spawn=lambda fn: fn(),
                        scrub=[PASSWORD])


def put_one(store, body=b"x"):
    return store.put("src", "kind", "", "day", "111", [(D0, D0, True, body)], 1.0)


def get_one(store):
    return store.get("src", "kind", "", "day", ["111"], D0, D0)


def test_unreachable_at_start_keeps_statistics_in_memory_and_tries_again_once_a_minute(tmp_path):
    clock, opener = FakeClock(T0), Opener(up=False)
    store = watched(opener, clock, tmp_path / "marker")
    s = store.status()
    assert (s.reachable, s.last_reachable, s.down_since, s.next_try) == (False, None, T0, T0 + 60)
    assert s.cause == "PostgreSQL store postgresql://u:***@127.0.0.1:1/db unreachable: Connection refused"
    assert store.backend == "memory" and store.unavailable == s.cause
    # the calls go to memory: they work, nothing is raised
    assert put_one(store) == 1 and [e.body for e in get_one(store)] == [b"x"]
    assert opener.calls == 1
    # many reruns within the minute: no attempt
    for _ in range(5):
        clock.advance(11.0)      # T0 + 55
        store.status()
        get_one(store)
    clock.advance(4.9)           # T0 + 59.9
    store.status()
    assert opener.calls == 1
    clock.advance(0.1)           # T0 + 60: one attempt, still down: the next one a minute later
    assert store.status().next_try == T0 + 120 and opener.calls == 2
    store.status()
    get_one(store)
    assert opener.calls == 2
    # back at T0 + 120
    opener.up = True
    clock.advance(60.0)
    s = store.status()
    assert (s.reachable, s.cause, s.back_since, s.last_reachable, s.next_try) == (True, None, T0 + 120, T0 + 120, None)
    assert opener.calls == 3 and store.backend == "memory"   # the Flaky stand-in is an in-memory SQLite
    assert store.unavailable is None
    assert get_one(store) == []      # the real store now: what memory held is not in it
    assert put_one(store, b"y") == 1 and [e.body for e in opener.made[0].get("src", "kind", "", "day", ["111"], D0, D0)] == [b"y"]
    # it says it is back for ten minutes, then nothing
    assert vstore.notice(store.status(), T0 + 120 + 599, TZ, "en")[0] == "back"
    assert vstore.notice(store.status(), T0 + 120 + 600, TZ, "en") is None


def test_going_down_mid_run_switches_to_memory_and_remembers_the_last_success(tmp_path):
    clock, opener = FakeClock(T0), Opener(up=True)
    store = watched(opener, clock, tmp_path / "marker")
    real = opener.made[0]
    clock.advance(30.0)
    put_one(store)
    assert store.status().last_reachable == T0 + 30 and store.status().reachable
    real.down = True
    clock.advance(15.0)          # T0 + 45: the call fails on the server, is answered from memory
    assert get_one(store) == []
    s = store.status()
    assert (s.reachable, s.last_reachable, s.down_since, s.next_try) == (False, T0 + 30, T0 + 45, T0 + 105)
    assert s.cause == "PostgreSQL store: OperationalError: server closed the connection unexpectedly"
    assert real.closed
    assert put_one(store, b"m") == 1 and [e.body for e in get_one(store)] == [b"m"]    # kept in memory
    opener.up = True
    clock.advance(59.0)          # T0 + 104: not yet
    store.status()
    assert opener.calls == 1
    clock.advance(1.0)           # T0 + 105: reopened
    s = store.status()
    assert (s.reachable, s.back_since, s.last_reachable) == (True, T0 + 105, T0 + 105) and opener.calls == 2


def test_an_attempt_runs_in_the_background_once_and_a_closed_store_keeps_nothing_open():
    clock, opener, queued = FakeClock(T0), Opener(up=False), []
    store = WatchedStore(opener, backend="postgresql", clock=clock, spawn=queued.append)
    opener.up = True
    clock.advance(60.0)
    assert not store.status().reachable and len(queued) == 1    # started, not waited for
    store.status()
    get_one(store)
    assert len(queued) == 1                                      # one attempt at a time
    store.close()
    queued[0]()
    assert opener.calls == 2 and opener.made[0].closed
    clock.advance(600.0)
    store.status()
    assert len(queued) == 1                                      # closed: no more attempts


def test_sqlite_errors_are_passed_on_as_before(tmp_path):
    """A failing SQLite call (a full disk) does not hide the stored history behind memory."""
    clock, opener = FakeClock(T0), Opener(up=True)
    store = watched(opener, clock, backend="sqlite")
    opener.made[0].down = True
    with pytest.raises(StoreError):
        get_one(store)
    assert store.status().reachable


def test_the_marker_is_owner_only_written_at_most_once_a_minute_and_read_by_the_next_process(tmp_path):
    marker = tmp_path / "cache" / "marker"
    clock, opener = FakeClock(T0), Opener(up=True)
    store = watched(opener, clock, marker)         # opening is a success: written
    assert marker.read_text() == "1796630000.000\n"
    assert stat.S_IMODE(os.stat(marker).st_mode) == 0o600
    clock.advance(59.0)
    get_one(store)
    assert marker.read_text() == "1796630000.000\n" and store.status().last_reachable == T0 + 59
    clock.advance(1.0)
    get_one(store)
    assert marker.read_text() == "1796630060.000\n"
    # the next process, with the server down: last reachable from the marker
    later = watched(Opener(up=False), FakeClock(T0 + 3600), marker)
    assert later.status().last_reachable == T0 + 60
    assert marker.read_text() == "1796630060.000\n"    # a failure writes nothing


@pytest.mark.parametrize("content", ["", "nan", "inf", "-5", "yesterday", "\x00\x01"])
def test_an_unreadable_marker_means_never_reached(tmp_path, content):
    marker = tmp_path / "marker"
    marker.write_text(content)
    store = watched(Opener(up=False), FakeClock(T0), marker)
    assert store.status().last_reachable is None


def test_an_unwritable_marker_does_not_break_a_call(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    store = watched(Opener(up=True), FakeClock(T0), blocked / "marker")
    assert put_one(store) == 1 and store.status().reachable


# --- the words ---------------------------------------------------------------------------------

def at(y, mo, d, h, mi) -> float:
    """Unix seconds of a local time in Asia/Ho_Chi_Minh."""
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(TZ)).timestamp()


NOW = at(2026, 12, 7, 8, 0)


@pytest.mark.parametrize(("then", "lang", "text"), [
    (at(2026, 12, 7, 7, 42), "en", "Last reachable 07:42 today."),
    (at(2026, 12, 7, 7, 42), "vi", "Kết nối được lần cuối lúc 07:42 hôm nay."),
    (at(2026, 12, 7, 0, 30), "en", "Last reachable 00:30 today."),    # the day before in UTC
    (at(2026, 12, 6, 23, 59), "en", "Last reachable yesterday at 23:59."),
    (at(2026, 12, 6, 23, 59), "vi", "Kết nối được lần cuối lúc 23:59 hôm qua."),
    (at(2026, 12, 5, 7, 42), "en", "Last reachable on 5 Dec 2026 at 07:42."),
    (at(2026, 12, 5, 7, 42), "vi", "Kết nối được lần cuối lúc 07:42 ngày 05/12/2026."),
    (None, "en", "It has not been reachable from this machine before."),
    (None, "vi", "Máy này chưa từng kết nối được với kho."),
])
def test_last_reachable_in_the_dashboards_time_zone(then, lang, text):
    assert vstore.last_reachable_text(then, NOW, TZ, lang) == text


def test_the_notice_and_settings_details_in_both_languages():
    down = Reachability(backend="postgresql", reachable=False, cause="PostgreSQL store postgresql://u@h/db: refused",
                        last_reachable=at(2026, 12, 7, 7, 42), down_since=NOW - 60, next_try=at(2026, 12, 7, 8, 1))
    assert vstore.notice(down, NOW, TZ, "en") == (
        "down", "The statistics store (PostgreSQL) cannot be reached: figures are fetched from Pancake and kept "
                "in memory only. Last reachable 07:42 today.")
    assert vstore.notice(down, NOW, TZ, "vi") == (
        "down", "Không kết nối được kho số liệu (PostgreSQL): số liệu được lấy từ Pancake và chỉ giữ trong bộ "
                "nhớ. Kết nối được lần cuối lúc 07:42 hôm nay.")
    assert vstore.details(down, NOW, TZ, "en") == [
        "Cause: PostgreSQL store postgresql://u@h/db: refused",
        "The dashboard tries again at most once a minute (next after 08:01)."]
    assert vstore.details(down, NOW, TZ, "vi") == [
        "Nguyên nhân: PostgreSQL store postgresql://u@h/db: refused",
        "Bảng điều khiển thử kết nối lại tối đa mỗi phút một lần (lần tới sau 08:01)."]
    no_cause = Reachability(backend="sqlite", reachable=False, next_try=NOW - 5)   # an attempt overdue: "now"
    assert vstore.details(no_cause, NOW, TZ, "en") == ["Cause: unknown", "The dashboard tries again at most once "
                                                       "a minute (next after 08:00)."]
    back = Reachability(backend="postgresql", reachable=True, last_reachable=NOW, back_since=at(2026, 12, 7, 7, 55))
    assert vstore.notice(back, NOW, TZ, "en") == (
        "back", "The statistics store (PostgreSQL) can be reached again since 07:55: figures are stored again.")
    assert vstore.notice(back, NOW, TZ, "vi") == (
        "back", "Kho số liệu (PostgreSQL) đã kết nối lại từ 07:55: số liệu lại được lưu vào kho.")
    assert vstore.details(back, NOW, TZ, "en") == []
    always_up = Reachability(backend="postgresql", reachable=True, last_reachable=NOW)
    assert vstore.notice(always_up, NOW, TZ, "en") is None and vstore.notice(None, NOW, TZ, "en") is None


# --- PostgreSQL for real (PANCAKE_TEST_POSTGRES_URL): its connections killed mid-run ------------

def test_postgresql_lost_mid_run_goes_to_memory_and_comes_back(tmp_path):
    pg_schema = PgSchema()      # skipped (and says why) without PANCAKE_TEST_POSTGRES_URL
    name = "pancake-watch-" + uuid.uuid4().hex[:8]
    url = f"{pg_schema.url}&application_name={name}"
    clock = FakeClock(T0)
    store = watched_store(Settings(page_tokens={"111": "tok-watch"}, store_url=url, cache_dir=str(tmp_path)),
                          clock=clock, spawn=lambda fn: fn())
    try:
        assert store.status().reachable and store.backend == "postgresql"
        clock.advance(10.0)
        assert put_one(store) == 1 and store.status().last_reachable == T0 + 10
        with psycopg.connect(pg_schema.base, autocommit=True) as admin:   # the server ends our sessions
            killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name = %s", (name,)).fetchone()[0]
        assert killed >= 1
        clock.advance(5.0)
        assert get_one(store) == []           # answered from memory, not raised
        s = store.status()
        assert (s.reachable, s.last_reachable, s.down_since) == (False, T0 + 10, T0 + 15)
        assert store.backend == "memory" and s.cause == ("PostgreSQL store: AdminShutdown: terminating connection due to "
                                                   "administrator command")
        clock.advance(60.0)                   # the server never went away: reopened at once
        s = store.status()
        assert (s.reachable, s.back_since) == (True, T0 + 75) and store.backend == "postgresql"
        assert [e.body for e in get_one(store)] == [b"x"]    # what was stored before is there again
    finally:
        store.close()
        pg_schema.drop()
