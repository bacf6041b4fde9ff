"""What the dashboard's process keeps in memory is bounded (ui.cache, with pancake.config and pancake.data.configured): the in-memory
cache of frames honours its entries and bytes bounds (set by PANCAKE_MEMORY_CACHE_ENTRIES and
PANCAKE_MEMORY_CACHE_MB), an evicted entry is read again from the store and never asked of the
API, the multi-page staff statistics live under the same bounds, demo data is stored in a
temporary file of its own, and the allocator settings leave the operator's choices alone.
Demo mode: the in-process simulator."""
from __future__ import annotations

import gc
import logging
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pancake import config
from pancake.api.simulator import DEMO_PAGE_IDS, Simulator
from pancake.data import configured, core
from ui import cache


def sim_of(ld: core.Loader) -> Simulator:
    return ld.client._http._transport.handler.__self__   # demo: the in-process simulator


def stat_calls(sim: Simulator) -> list:
    return [c for c in sim.calls if "/statistics/" in c.path]


def ranges(n: int):
    """``n`` different closed ranges ending yesterday (1 day, 2 days, ...)."""
    today = cache.today()
    return [(today - timedelta(days=d), today - timedelta(days=1)) for d in range(1, n + 1)]


def load_all(kind: str, rs) -> list[core.Result]:
    out = [cache.load(kind, DEMO_PAGE_IDS, a, b, progress=False) for a, b in rs]
    assert all(not r.errors for r in out)
    return out


def assert_same(a: core.Result, b: core.Result) -> None:
    assert set(a.frames) == set(b.frames)
    for name in a.frames:
        pd.testing.assert_frame_equal(a.frames[name], b.frames[name])


# --- the bounds and where they come from -----------------------------------------------------

def test_defaults_when_nothing_is_set():
    assert config.memory_bounds({}) == (2000, 64 * 2**20)
    memo = cache.loader().memo
    assert (memo.max_entries, memo.max_bytes) == (2000, 64 * 2**20)
    info = cache.memory_info()
    assert (info["max_entries"], info["max_bytes"]) == (2000, 64 * 2**20)


def test_the_environment_sets_the_bounds(monkeypatch):
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_ENTRIES", "37")
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_MB", "1.5")
    assert config.memory_bounds() == (37, int(1.5 * 2**20))
    memo = cache.loader().memo
    assert (memo.max_entries, memo.max_bytes) == (37, int(1.5 * 2**20))


@pytest.mark.parametrize("raw", ["lots", "-3", "nan", "1e"])
def test_a_bad_value_is_ignored_with_a_warning(raw, caplog):
    with caplog.at_level(logging.WARNING, logger="pancake.config"):
        got = config.memory_bounds({"PANCAKE_MEMORY_CACHE_ENTRIES": raw, "PANCAKE_MEMORY_CACHE_MB": raw})
    assert got == (2000, 64 * 2**20)
    assert "PANCAKE_MEMORY_CACHE_ENTRIES" in caplog.text and "PANCAKE_MEMORY_CACHE_MB" in caplog.text


# --- the bounds are honoured; what falls out comes back from the store ---------------------------

def test_the_entries_bound_is_honoured_and_an_evicted_entry_comes_from_the_store(monkeypatch):
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_ENTRIES", str(2 * len(DEMO_PAGE_IDS)))   # two loads' worth
    ld = cache.loader()
    sim = sim_of(ld)
    rs = ranges(4)
    first = load_all("activity", rs)
    assert len(ld.memo) == 2 * len(DEMO_PAGE_IDS)           # the last two loads; the first two evicted
    calls = len(stat_calls(sim))
    assert calls > 0
    misses = ld.memo.misses
    again = load_all("activity", rs[:1])                      # evicted: composed from the store
    assert len(stat_calls(sim)) == calls                      # no API call
    assert ld.memo.misses == misses + len(DEMO_PAGE_IDS)     # it was not in memory
    assert_same(again[0], first[0])
    assert len(ld.memo) <= 2 * len(DEMO_PAGE_IDS)


def test_the_bytes_bound_is_honoured_and_an_evicted_entry_comes_from_the_store(monkeypatch):
    ld = cache.loader()                                        # measure one load's bytes first
    sim = sim_of(ld)
    rs = ranges(5)
    cache.load("engagement", DEMO_PAGE_IDS, *rs[-1], progress=False, hourly=True)
    one_load = ld.memo.bytes
    assert one_load > 0
    cache.clear_cache()
    cache._loader_for.clear()
    limit = one_load * 1.5                                     # room for one such load, not two
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_MB", repr(limit / 2**20))
    ld = cache.loader()
    sim = sim_of(ld)
    assert ld.memo.max_bytes == int(limit)
    first = []
    for a, b in rs:
        first.append(cache.load("engagement", DEMO_PAGE_IDS, a, b, progress=False, hourly=True))
        assert 0 < ld.memo.bytes <= ld.memo.max_bytes          # at every step
        assert ld.memo.bytes == sum(core.frames_nbytes(v[0][0]) for v in ld.memo._lru._items.values())
    calls = len(stat_calls(sim))
    misses = ld.memo.misses
    again = cache.load("engagement", DEMO_PAGE_IDS, *rs[0], progress=False, hourly=True)
    assert len(stat_calls(sim)) == calls                      # from the store, not the API
    assert ld.memo.misses > misses
    assert_same(again, first[0])
    assert ld.memo.bytes <= ld.memo.max_bytes


def test_zero_keeps_nothing_in_memory_and_asks_the_api_once(monkeypatch):
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_MB", "0")
    ld = cache.loader()
    sim = sim_of(ld)
    rs = ranges(3)
    first = load_all("tags", rs)
    assert len(ld.memo) == 0 and ld.memo.bytes == 0
    calls = len(stat_calls(sim))
    second = load_all("tags", rs)
    assert len(stat_calls(sim)) == calls
    for a, b in zip(first, second):
        assert_same(a, b)


def test_a_big_entry_never_pushes_the_cache_over_its_bytes(monkeypatch):
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_MB", repr(1 / 2**20))      # one byte: no frame fits
    ld = cache.loader()
    load_all("customers", ranges(2))
    assert len(ld.memo) == 0 and ld.memo.bytes == 0


# --- the multi-page staff statistics -------------------------------------------------------------

def test_multi_page_staff_statistics_are_kept_under_the_same_bounds():
    ld = cache.loader()
    sim = sim_of(ld)
    a, b = ranges(7)[-1]
    first = cache.multi_page_users(DEMO_PAGE_IDS[:3], a, b)
    assert not first.errors and first.frames
    asked = [c for c in sim.calls if c.path.endswith("/statistics/user")]
    assert len(asked) >= 1
    entries = len(ld.memo)
    assert entries >= 1 and ld.memo.bytes >= core.frames_nbytes(first.frames)
    second = cache.multi_page_users(DEMO_PAGE_IDS[:3], a, b)
    assert [c for c in sim.calls if c.path.endswith("/statistics/user")] == asked   # from memory
    assert second.pages_ok == list(DEMO_PAGE_IDS[:3])
    for name in first.frames:
        pd.testing.assert_frame_equal(second.frames[name], first.frames[name])
    cache.clear_cache()
    assert len(ld.memo) == 0
    cache.multi_page_users(DEMO_PAGE_IDS[:3], a, b)
    assert len([c for c in sim.calls if c.path.endswith("/statistics/user")]) > len(asked)


def test_multi_page_staff_statistics_respect_a_zero_bound(monkeypatch):
    monkeypatch.setenv("PANCAKE_MEMORY_CACHE_ENTRIES", "0")
    ld = cache.loader()
    a, b = ranges(2)[-1]
    assert not cache.multi_page_users(DEMO_PAGE_IDS[:2], a, b).errors
    assert len(ld.memo) == 0


# --- demo data on disk ---------------------------------------------------------------------------

def test_demo_data_is_stored_in_a_temporary_file_of_its_own_removed_with_its_loader(tmp_path):
    ld = cache.loader()
    info = cache.store_info()
    where = Path(info["location"])
    assert info["backend"] == "sqlite" and where.name == "store.sqlite3"
    assert where.parent.name.startswith("pancake-demo-store-")
    cache_dir = Path(cache.settings().cache_dir or tmp_path)
    assert cache_dir not in where.parents                      # never next to real statistics
    load_all("activity", ranges(2))
    assert cache.store_info()["entries"] > 0 and where.exists()
    del ld, info
    cache._loader_for.clear()
    gc.collect()
    assert not where.parent.exists()


# --- the allocators ------------------------------------------------------------------------------

def test_malloc_tuning_leaves_the_operators_variables_alone():
    import sys
    done = configured.tune_malloc({})
    if not sys.platform.startswith("linux"):
        assert done == {}
        return
    assert done == {name: value for name, (_, value, _) in configured.MALLOC_TUNING.items()}
    chosen = configured.tune_malloc({"MALLOC_ARENA_MAX": "4"})
    assert "arena_max" not in chosen and set(chosen) == {"trim_threshold", "mmap_threshold"}


def test_arrow_allocates_from_the_system_heap_unless_the_operator_chose(monkeypatch):
    pa = pytest.importorskip("pyarrow")
    before = pa.default_memory_pool()
    try:
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
        assert configured.use_system_arrow_pool() is False
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        assert configured.use_system_arrow_pool() is True
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)
