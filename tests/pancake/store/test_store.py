"""The statistics store, on SQLite and on PostgreSQL: numbers read back equal a direct fetch for
every kind, closed days are fetched once, ranges with today refresh on a TTL, Arrow IPC never
pickle, a damaged or old store is rebuilt with a warning, and several processes share one file."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.config import load_settings
from pancake.data import core, kinds
from pancake.data.configured import open_store
from pancake.data.store import SQLiteStore, codec, memory_store, source_key
from pancake.data.store.base import SCHEMA_VERSION
from tests import forkrun
from tests.clock import FakeClock
from tests.pancake.store.backends import PgSchema, backend, pg_url  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 24, 15, 30)          # the simulated shops' local "now"
TODAY = NOW.date()
LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS
# (kind, options): every kind and every variant the views ask for
VARIANTS = [(k, {}) for k in kinds.names()] + [(k, {"hourly": True}) for k in kinds.names()
                                               if kinds.get(k).hourly]


def sim_client(now=NOW, **sim_kw):
    clock = FakeClock()
    sim = Simulator(now=now, clock=clock, **sim_kw)
    client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                           transport=sim.transport(), clock=clock, sleep=clock.sleep, jitter=lambda: 0.5)
    return sim, client


class Day:
    """A settable 'today' for the loader (the simulator's now moves with it)."""

    def __init__(self, d: date) -> None:
        self.d = d

    def __call__(self) -> date:
        return self.d


def loader(client, store, today=TODAY, **kw) -> core.Loader:
    return core.Loader(client, store, source="test", today=today if callable(today) else (lambda: today), **kw)


def page_frame(result, name, pid) -> pd.DataFrame:
    f = result[name]
    return f[f["page_id"] == pid].reset_index(drop=True)


def assert_equal_to_direct(result, client, kind, pids, start, end, options):
    assert not result.errors, result.errors
    for pid in pids:
        direct = core.fetch_page(client, kind, pid, start, end, **options)
        for name, frame in direct.items():
            pd.testing.assert_frame_equal(page_frame(result, name, pid), frame.reset_index(drop=True),
                                          check_exact=True, obj=f"{kind} {options} {name} page {pid}")


def stat_calls(sim) -> list:
    return [c for c in sim.calls if "/statistics/" in c.path]


# --- codec --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,options", VARIANTS, ids=lambda v: str(v))
def test_every_frame_round_trips_through_arrow_exactly(kind, options):
    sim, client = sim_client()
    frames = core.fetch_page(client, kind, HANA, date(2026, 10, 20), TODAY, **options)
    body = codec.encode(frames)
    assert body.startswith(b"PNCK\x02")                 # Arrow IPC in the codec's frame
    assert b"ARROW1" not in body and body[5:7] != b"\x80\x04"   # IPC streams, not files; not a pickle
    back = codec.decode(body)
    assert list(back) == list(frames)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(back[name], frame, check_exact=True)


def test_codec_keeps_nulls_nan_and_extra_columns():
    frame = pd.DataFrame({
        "page_id": pd.Series(["1", None], dtype="str"),
        "date": pd.Series([datetime(2026, 1, 1), None], dtype="datetime64[ns]"),
        "n": pd.Series([1, None], dtype="Int64"),
        "x": pd.Series([float("nan"), 2.5], dtype="float64"),
        "zz": pd.Series([-2 ** 63, 2 ** 63 - 1], dtype="Int64"),
    })
    back = codec.decode(codec.encode({"f": frame, "empty": frame.iloc[0:0]}))
    pd.testing.assert_frame_equal(back["f"], frame, check_exact=True)
    pd.testing.assert_frame_equal(back["empty"], frame.iloc[0:0], check_exact=True)
    assert back["f"]["n"].tolist()[1] is pd.NA and pd.isna(back["f"]["page_id"][1])
    with pytest.raises(codec.CodecError):
        codec.decode(b"not a body")
    with pytest.raises(codec.CodecError):
        codec.decode(b'{"v": 1, "frames": {}}')         # what version 1 stored (JSON)
    with pytest.raises(codec.CodecError):
        codec.decode(codec.encode({"f": frame})[:-9])  # cut short
    with pytest.raises(codec.CodecError):
        codec.encode({"f": pd.DataFrame({"o": [object()]})})


# --- equality with a direct fetch, every kind, both backends -----------------------------------

@pytest.mark.parametrize("kind,options", VARIANTS, ids=lambda v: str(v))
def test_numbers_from_the_store_equal_a_direct_fetch(backend, kind, options):  # noqa: F811
    name, store, _ = backend
    sim, client = sim_client()
    pids = [LINH_CHI, SNEAKER, CO_BA]
    start, end = date(2026, 8, 25), TODAY            # 92 days: three windows, the last one open
    cold = loader(client, store).load(kind, pids, start, end, **options)
    assert_equal_to_direct(cold, client, kind, pids, start, end, options)
    sim.reset_calls()
    warm = loader(client, store).load(kind, pids, start, end, **options)   # a new process: no memory
    assert stat_calls(sim) == []        # closed days from the store, the open part within its TTL
    assert_equal_to_direct(warm, client, kind, pids, start, end, options)
    # a range inside, crossing New Year... every range composes from the same store
    for a, b in [(date(2026, 9, 3), date(2026, 10, 28)), (date(2026, 11, 1), date(2026, 11, 23))]:
        got = loader(client, store).load(kind, pids, a, b, **options)
        assert_equal_to_direct(got, client, kind, pids, a, b, options)


def test_across_new_year_and_category_styles(backend):  # noqa: F811
    _, store, _ = backend
    now = datetime(2027, 1, 10, 9, 0)
    sim, client = sim_client(now=now)
    start, end = date(2026, 12, 15), date(2027, 1, 9)
    for kind, options in VARIANTS:
        got = loader(client, store, today=now.date()).load(kind, [LINH_CHI, SNEAKER], start, end, **options)
        assert_equal_to_direct(got, client, kind, [LINH_CHI, SNEAKER], start, end, options)


# --- closed days once, today on a TTL --------------------------------------------------------

@pytest.mark.parametrize("kind", ["activity", "tags", "customers"])
def test_a_closed_day_is_fetched_once_whatever_the_range(backend, kind):  # noqa: F811
    _, store, _ = backend
    sim, client = sim_client()
    ld = loader(client, store)
    ld.load(kind, [HANA], date(2026, 10, 1), date(2026, 10, 31))
    sim.reset_calls()
    # overlapping ranges, a compare period inside, a week: no day of October is asked again
    for a, b in [(date(2026, 10, 5), date(2026, 10, 12)), (date(2026, 9, 28), date(2026, 10, 3)),
                 (date(2026, 10, 1), date(2026, 10, 31))]:
        loader(client, store).load(kind, [HANA], a, b)
    asked = [c.params for c in stat_calls(sim)]
    assert len(asked) == 1, asked                      # only Sep 28..30 were missing
    got = loader(client, store).load(kind, [HANA], date(2026, 9, 28), date(2026, 10, 31))
    assert len(stat_calls(sim)) == 1
    assert_equal_to_direct(got, client, kind, [HANA], date(2026, 9, 28), date(2026, 10, 31), {})


def test_per_window_kinds_are_stored_for_their_exact_windows(backend):  # noqa: F811
    """Staff totals, engagement's per-staff numbers and ads (reach) are not sums of days: they are
    kept per exact window and a range with other windows asks for those windows."""
    _, store, _ = backend
    sim, client = sim_client()
    for kind in ("engagement", "staff", "ads"):
        loader(client, store).load(kind, [HANA], date(2026, 10, 1), date(2026, 10, 31))
        sim.reset_calls()
        loader(client, store).load(kind, [HANA], date(2026, 10, 1), date(2026, 10, 31))
        assert stat_calls(sim) == []
        got = loader(client, store).load(kind, [HANA], date(2026, 10, 2), date(2026, 10, 31))
        assert len(stat_calls(sim)) == 1
        sim.reset_calls()
        assert_equal_to_direct(got, client, kind, [HANA], date(2026, 10, 2), date(2026, 10, 31), {})


def test_today_refreshes_after_the_ttl_and_a_day_closes_once(backend):  # noqa: F811
    _, store, _ = backend
    sim, client = sim_client()
    clock = [1_000_000.0]
    today = Day(TODAY)
    ld = core.Loader(client, store, source="test", today=today, clock=lambda: clock[0], open_ttl=300)
    start = TODAY - timedelta(days=6)
    ld.load("activity", [HANA], start, TODAY)
    sim.reset_calls()
    clock[0] += 120
    core.Loader(client, store, source="test", today=today, clock=lambda: clock[0]).load("activity", [HANA], start, TODAY)
    assert stat_calls(sim) == []                              # today is young enough
    clock[0] += 240
    sim.set_now(NOW + timedelta(minutes=6))
    r = core.Loader(client, store, source="test", today=today, clock=lambda: clock[0]).load(
        "activity", [HANA], start, TODAY)
    asked = stat_calls(sim)
    assert len(asked) == 1                                    # today only, not the closed days
    sim.reset_calls()
    since = datetime.fromtimestamp(int(asked[0].params["since"]), client.tz).date()
    assert since == TODAY
    assert_equal_to_direct(r, client, "activity", [HANA], start, TODAY, {})
    # midnight: yesterday's partial entry is open, so once its TTL is over it is asked once more
    # (now closed), then never again
    clock[0] += 301
    tomorrow = TODAY + timedelta(days=1)
    today.d = tomorrow
    sim.set_now(datetime.combine(tomorrow, datetime.min.time()) + timedelta(hours=1))
    sim.reset_calls()
    for _ in range(2):
        core.Loader(client, store, source="test", today=today, clock=lambda: clock[0]).load(
            "activity", [HANA], start, TODAY)
    assert len(stat_calls(sim)) == 1
    r = core.Loader(client, store, source="test", today=today, clock=lambda: clock[0]).load(
        "activity", [HANA], start, TODAY)
    assert_equal_to_direct(r, client, "activity", [HANA], start, TODAY, {})


def test_failed_pages_are_not_stored_and_others_are(backend):  # noqa: F811
    _, store, _ = backend
    sim, client = sim_client()
    client._page_tokens[MINH_ANH] = "DEAD-TOKEN-0000"
    client._access_token = None
    r = loader(client, store).load("tags", [HANA, MINH_ANH], date(2026, 11, 1), date(2026, 11, 10))
    assert [e.page_id for e in r.errors] == [MINH_ANH] and r.pages_ok == [HANA]
    pages = {row.page_id for row in store.info().rows}
    assert pages == {HANA}


# --- the store's own behaviour ---------------------------------------------------------------

def test_info_and_clear(backend):  # noqa: F811
    _, store, _ = backend
    sim, client = sim_client()
    loader(client, store).load("activity", [HANA, SNEAKER], date(2026, 11, 1), date(2026, 11, 10))
    loader(client, store).load("staff", [HANA], date(2026, 11, 1), date(2026, 11, 10))
    info = store.info()
    assert info.entries == 10 + 10 + 1 and info.size_bytes > 0
    rows = {(r.page_id, r.kind): r for r in info.rows}
    assert rows[(HANA, "activity")].oldest_day == date(2026, 11, 1)
    assert rows[(HANA, "activity")].newest_day == date(2026, 11, 10)
    assert rows[(HANA, "staff")].entries == 1
    assert store.clear(SNEAKER) == 10
    assert {r.page_id for r in store.info().rows} == {HANA}
    assert store.clear() == 11 and store.info().entries == 0


def test_sqlite_is_in_wal_mode_with_a_schema_version(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.close()
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM pancake_store_meta WHERE key='schema_version'").fetchone()[0] == \
        str(SCHEMA_VERSION)
    conn.close()


def test_a_corrupt_file_is_rebuilt_with_a_warning_never_a_crash(tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"this is not a database " * 500)
    store = SQLiteStore(path)
    assert store.warning and "rebuilt" in store.warning
    assert "starting a new one" in caplog.text
    assert store.info().entries == 0
    assert any(p.name.startswith("store.sqlite3.corrupt-") for p in tmp_path.iterdir())
    sim, client = sim_client()
    r = loader(client, store).load("tags", [HANA], date(2026, 11, 1), date(2026, 11, 3))
    assert r.errors == [] and store.info().entries == 3
    store.close()


def test_damage_found_while_running_is_rebuilt(tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    sim, client = sim_client()
    loader(client, store).load("tags", [HANA], date(2026, 11, 1), date(2026, 11, 3))
    store.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)        # the header page
    path.write_bytes(bytes(data))
    for p in (Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        if p.exists():
            p.unlink()
    store = SQLiteStore(path)
    r = loader(client, store).load("tags", [HANA], date(2026, 11, 1), date(2026, 11, 3))
    assert r.errors == []
    assert_equal_to_direct(r, client, "tags", [HANA], date(2026, 11, 1), date(2026, 11, 3), {})
    store.close()


def test_an_old_schema_version_is_rebuilt(tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE pancake_store_meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO pancake_store_meta VALUES ('schema_version', '0')")
    conn.execute("CREATE TABLE pancake_stats (whatever TEXT)")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert "schema version 0" in store.warning and "schema version 0" in caplog.text
    sim, client = sim_client()
    assert loader(client, store).load("tags", [HANA], date(2026, 11, 1), date(2026, 11, 2)).errors == []
    assert store.schema_version() == SCHEMA_VERSION
    store.close()


def test_postgres_old_schema_is_migrated(caplog):
    pg = PgSchema()
    try:
        import psycopg
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE pancake_store_meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute("INSERT INTO pancake_store_meta VALUES ('schema_version', '0')")
            conn.execute("CREATE TABLE pancake_stats (whatever TEXT)")
        from pancake.data.store.postgres import PostgresStore
        store = PostgresStore(pg.url)
        assert "schema version 0" in store.warning
        assert store.schema_version() == SCHEMA_VERSION and store.info().entries == 0
        store.close()
        store = PostgresStore(pg.url)      # a second replica starting: nothing to migrate
        assert store.warning is None
        store.close()
    finally:
        pg.drop()


def test_an_unusable_store_falls_back_to_memory_with_a_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    s = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t", "PANCAKE_CACHE_DIR": str(blocker / "sub")}, secrets={})
    store = open_store(s)
    assert store.backend == "memory" and "in memory only" in store.warning
    s = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t",
                           "PANCAKE_STORE_URL": "postgresql://nobody:CANARY-PW-77@127.0.0.1:1/x"}, secrets={})
    store = open_store(s)
    assert store.backend == "memory" and "CANARY-PW-77" not in store.warning
    assert "CANARY-PW-77" not in repr(s)


def test_demo_data_stays_in_memory_and_sources_never_mix(tmp_path):
    demo = load_settings(env={"PANCAKE_CACHE_DIR": str(tmp_path)}, secrets={})
    assert open_store(demo).backend == "memory"
    assert not (tmp_path / "store.sqlite3").exists()
    real = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t", "PANCAKE_CACHE_DIR": str(tmp_path)}, secrets={})
    other = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t", "PANCAKE_BASE_URL": "http://127.0.0.1:9/api",
                               "PANCAKE_CACHE_DIR": str(tmp_path)}, secrets={})
    zone = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t", "PANCAKE_TIMEZONE": "Asia/Bangkok"}, secrets={})
    assert len({source_key(demo), source_key(real), source_key(other), source_key(zone)}) == 4
    assert open_store(real).location == str(tmp_path / "store.sqlite3")


def test_default_location_is_the_users_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("PANCAKE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s = load_settings(env={"PANCAKE_ACCESS_TOKEN": "t"}, secrets={})
    store = open_store(s)
    assert store.location == str(tmp_path / "pancake-dashboard" / "store.sqlite3")
    store.close()


def test_memory_store_works_like_the_others():
    sim, client = sim_client()
    store = memory_store()
    r = loader(client, store).load("customers", [HANA], date(2026, 11, 1), date(2026, 11, 5))
    assert_equal_to_direct(r, client, "customers", [HANA], date(2026, 11, 1), date(2026, 11, 5), {})
    assert store.info().entries == 5


# --- several processes on one SQLite file -------------------------------------------------------

WRITER = r"""
import sys
from datetime import date, datetime
from pancake.api.client import PancakeClient
from pancake.data import core
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data.store import SQLiteStore
store = SQLiteStore(sys.argv[1])
sim = Simulator(now=datetime(2026, 11, 24, 15, 30), rate_limit_per_second=0)
client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS), transport=sim.transport())
ld = core.Loader(client, store, source="test", today=lambda: date(2026, 11, 24))
kind = sys.argv[2]
r = ld.load(kind, DEMO_PAGE_IDS, date(2026, 8, 1), date(2026, 11, 23))
assert not r.errors, r.errors
print(len([c for c in sim.calls if "/statistics/" in c.path]))
"""


def test_several_processes_read_and_write_one_file_at_once(tmp_path):
    path = tmp_path / "store.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), kind], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for kind in ("activity", "tags", "staff", "activity", "tags", "staff")]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err.decode()
            outs.append(int(out))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert all(n >= 0 for n in outs)
    # a later process reads everything back without a call
    again = forkrun.run([sys.executable, "-c", WRITER, str(path), "tags"], env=env, capture_output=True,
                        timeout=240)
    assert again.returncode == 0 and int(again.stdout) == 0, again.stderr.decode()
    store = SQLiteStore(path)
    kinds_stored = {r.kind for r in store.info().rows}
    assert kinds_stored == {"activity", "tags", "staff"}
    store.close()


def test_a_body_of_another_layout_is_fetched_again_never_an_error(tmp_path):
    """A stored body the codec cannot read (JSON of version 1, damage) counts as missing."""
    sim, client = sim_client()
    store = SQLiteStore(tmp_path / "store.sqlite3")
    day = date(2026, 11, 2)
    store.put("test", "tags", "", core.GRAIN_DAY, HANA, [(day, day, True, b'{"v":1,"frames":{}}')], 1.0)
    r = loader(client, store).load("tags", [HANA], day, day)
    assert r.errors == [] and len(stat_calls(sim)) == 1
    assert_equal_to_direct(r, client, "tags", [HANA], day, day, {})
    (entry,) = store.get("test", "tags", "", core.GRAIN_DAY, [HANA], day, day)
    assert entry.body.startswith(b"PNCK\x02")             # replaced by what was fetched
    store.close()
