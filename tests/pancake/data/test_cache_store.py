"""The dashboard's data layer (ui.cache) over the store: a second tab, a compare toggle
and a standup screen refreshing make no API call for closed days; the memory cache is bounded;
Settings gets the store's facts and a clear button's function. Demo mode (in-process simulator,
a temporary store file) unless a test configures a server."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from pancake import timeutil
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator, serve
from pancake.data import core
from ui import cache

VIEW = [("engagement", {}), ("activity", {}), ("customers", {}), ("staff", {}), ("tags", {}), ("ads", {})]


def sim_of(ld: core.Loader) -> Simulator:
    return ld.client._http._transport.handler.__self__   # demo: the in-process simulator


def stat_calls(sim) -> list:
    return [c for c in sim.calls if "/statistics/" in c.path]


def open_view(start, end, compare: bool):
    out = {}
    for kind, options in VIEW:
        out[kind] = cache.load(kind, DEMO_PAGE_IDS, start, end, progress=False, **options)
        if compare:
            ps, pe = timeutil.previous_period(start, end)
            out["prev_" + kind] = cache.load(kind, DEMO_PAGE_IDS, ps, pe, progress=False, **options)
    return out


def test_a_second_tab_and_a_compare_toggle_make_no_api_call():
    ld = cache.loader()
    sim = sim_of(ld)
    today = cache.today()
    start, end = timeutil.preset_range("last_7", today)
    first = open_view(start, end, compare=True)
    assert all(not r.errors for r in first.values())
    n = len(stat_calls(sim))
    assert n > 0
    second = open_view(start, end, compare=True)                 # another tab, same view
    assert len(stat_calls(sim)) == n
    for key, r in second.items():
        for name, frame in r.frames.items():
            pd.testing.assert_frame_equal(frame, first[key][name])
    open_view(start, end, compare=False)                          # compare off, then on again
    open_view(start, end, compare=True)
    assert len(stat_calls(sim)) == n


def test_a_standup_screen_refreshing_asks_only_for_what_includes_today():
    ld = cache.loader()
    sim = sim_of(ld)
    today = cache.today()
    start, end = timeutil.preset_range("this_month", today)      # includes today
    if start == end:
        start -= timedelta(days=3)
    open_view(start, end, compare=True)
    for _ in range(3):                                            # refreshes within the TTL
        open_view(start, end, compare=True)
    n = len(stat_calls(sim))
    ld.memo.clear()                                               # later: memory gone (restart)
    ld.open_ttl = 0                                               # and today's entries too old
    sim.reset_calls()
    open_view(start, end, compare=True)
    asked = stat_calls(sim)
    assert 0 < len(asked) < n
    tz = ld.client.tz
    for c in asked:                                               # every call is for a window with today
        if "since" in c.params:
            last = timeutil.unix_to_local(int(c.params["until"]), tz).date()
        else:
            last = timeutil.parse_date_range(c.params["date_range"])[1].date()
        assert last >= today, c.params


def test_the_memory_cache_is_bounded_and_shared_by_sessions():
    ld = cache.loader()
    assert ld.memo.max_entries == 2000 and ld.memo.max_bytes == 64 * 2**20
    today = cache.today()
    for days in range(1, 8):
        cache.load("activity", DEMO_PAGE_IDS, today - timedelta(days=days), today - timedelta(days=1), progress=False)
    assert len(ld.memo) == 7 * len(DEMO_PAGE_IDS) and 0 < ld.memo.bytes <= 64 * 2**20
    assert cache.loader() is ld                                  # one loader for every session


def test_store_info_and_clear_for_the_settings_page(tmp_path, monkeypatch):
    sim = Simulator()
    server, _ = serve(sim, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        monkeypatch.setenv("PANCAKE_BASE_URL", f"http://{host}:{port}/api")
        monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
        monkeypatch.setenv("PANCAKE_PAGE_TOKENS", ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()))
        monkeypatch.setenv("PANCAKE_CACHE_DIR", str(tmp_path))
        today = cache.today()
        r = cache.load("tags", DEMO_PAGE_IDS[:2], today - timedelta(days=5), today - timedelta(days=1), progress=False)
        assert r.errors == []
        info = cache.store_info()
        assert info["backend"] == "sqlite" and info["location"] == str(tmp_path / "store.sqlite3")
        assert info["size_bytes"] > 0 and info["entries"] == 10 and info["warning"] is None
        pages = info["pages"]
        assert list(pages["page_id"]) == sorted(DEMO_PAGE_IDS[:2])
        assert set(pages.columns) >= {"name", "kinds", "oldest_day", "newest_day", "bytes", "newest_fetch", "age_s"}
        assert (pages["age_s"] < 120).all() and (pages["kinds"] == "tags").all()
        assert cache.clear_store(DEMO_PAGE_IDS[0]) == 5
        assert cache.store_info()["entries"] == 5
        cache.clear_cache()                                       # memory and today's entries only
        assert cache.store_info()["entries"] == 5
        assert cache.clear_store() == 5 and cache.store_info()["entries"] == 0
    finally:
        server.shutdown()
        server.server_close()


def test_demo_store_is_a_temporary_file_and_says_so():
    info = cache.store_info()      # its own file, not in memory (tests/pancake/data/test_memory_bounds.py)
    assert info["backend"] == "sqlite" and "pancake-demo-store-" in info["location"]


@pytest.mark.parametrize("deadline", [None, 5.0])
def test_load_keeps_its_api_and_result(deadline):
    today = cache.today()
    r = cache.load("engagement", DEMO_PAGE_IDS, today - timedelta(days=2), today, progress=True, deadline=deadline)
    assert isinstance(r, core.Result) and r.errors == [] and set(r.frames) == {"daily", "staff"}
    h = cache.load("engagement", DEMO_PAGE_IDS[:1], today, today, hourly=True, progress=False)
    assert set(h.frames) == {"hourly"}
