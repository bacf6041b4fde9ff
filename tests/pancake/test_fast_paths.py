"""The export's fast paths give exactly what the general ones give (issue 9, "30× faster"):
columns form (a window reshaped and merged without a frame of its own), the frame builders,
the staff sums, the CSV writer, the shared limiter's lock and the client's pools per page.
Each is checked against the general path on the demo shops' payloads and on awkward values."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from pancake import cli, export, kinds, reshape
from pancake.client import Chunk, PancakeClient, _PoolPerPage
from pancake.data import core
from pancake.ratelimit import ProcessFileLock
from pancake.simulator import DEMO_PAGE_TOKENS, Simulator
from pancake.store import codec

ENGAGEMENT = kinds.get("engagement")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True)
    assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes]


@pytest.fixture(scope="module")
def chunks() -> list[tuple[str, Chunk]]:
    sim = Simulator(seed=3, now=datetime(2026, 11, 24, 15, 30), rate_limit_per_second=1e9)
    client = PancakeClient(page_tokens=dict(DEMO_PAGE_TOKENS), base_url="https://pages.fm/api",
                           transport=sim.transport(), rate_per_second=1000)
    out = []
    for pid in DEMO_PAGE_TOKENS:
        for a, b in ((date(2026, 8, 25), date(2026, 11, 23)), (date(2025, 12, 20), date(2026, 1, 12))):
            out += [(pid, c) for c in ENGAGEMENT.chunks(client, pid, a, b, hourly=False)]
    return out


def _columns_of(part: dict[str, pd.DataFrame]) -> dict[str, dict]:
    return {n: codec.frame_to_obj(f) for n, f in part.items()}


def test_reshape_columns_is_the_frames_in_columns_form(chunks):
    for pid, chunk in chunks:
        part = ENGAGEMENT.reshape(chunk, pid, hourly=False)
        cols = ENGAGEMENT.reshape_columns(chunk, pid, hourly=False)
        assert cols == _columns_of(part)
        assert codec.encode_part(cols) == codec.encode(part)          # the same stored text
        for name, obj in cols.items():
            _same(reshape.columns_frame(obj), part[name])


def test_reshape_columns_leaves_odd_payloads_to_the_frames(chunks):
    pid, chunk = chunks[0]
    payload = copy.deepcopy(chunk.payload)
    payload["data"]["categories"][0] = "1/1/1600"           # beyond datetime64[ns]: pandas decides
    odd = Chunk(chunk.start, chunk.end, payload)
    assert ENGAGEMENT.reshape_columns(odd, pid, hourly=False) is None
    with pytest.raises(reshape.ReshapeError):                 # (and it is the project's own error)
        ENGAGEMENT.reshape(odd, pid, hourly=False)
    payload = copy.deepcopy(chunk.payload)
    payload["data"]["series"][0]["data"][0] = 2 ** 70        # beyond Int64: no count is that large
    with pytest.raises(reshape.ReshapeError):
        ENGAGEMENT.reshape_columns(Chunk(chunk.start, chunk.end, payload), pid, hourly=False)
    payload = copy.deepcopy(chunk.payload)
    payload["data"]["series"][1]["data"][2] = "x"             # a bad value: the same error either way
    bad = Chunk(chunk.start, chunk.end, payload)
    with pytest.raises(reshape.ReshapeError) as frames_error:
        ENGAGEMENT.reshape(bad, pid, hourly=False)
    with pytest.raises(reshape.ReshapeError) as columns_error:
        ENGAGEMENT.reshape_columns(bad, pid, hourly=False)
    assert str(columns_error.value) == str(frames_error.value)


def test_merge_columns_gives_the_frames_merge_gives(chunks):
    by_page: dict[str, list] = {}
    for pid, chunk in chunks:
        by_page.setdefault(pid, []).append(chunk)
    for pid, page_chunks in by_page.items():
        parts = [ENGAGEMENT.reshape(c, pid, hourly=False) for c in page_chunks]
        # an overlapping window (the same days twice) and a member whose counts are missing
        parts.append({n: f.copy() for n, f in parts[0].items()})
        staff = parts[1]["staff"]
        if len(staff):
            staff.loc[0, "inbox_count"] = pd.NA
            staff.loc[0, "user_name"] = None
        columns = [_columns_of(p) for p in parts]
        merged = ENGAGEMENT.merge_columns(copy.deepcopy(columns), hourly=False)
        expected = ENGAGEMENT.merge([{n: codec.obj_to_frame(o) for n, o in p.items()} for p in columns],
                                    hourly=False)
        assert merged is not None and list(merged) == list(expected)
        for name in expected:
            _same(reshape.columns_frame(merged[name]), expected[name])


def test_merge_columns_declines_what_it_cannot_do_exactly():
    obj = {"columns": ["page_id", "date"], "dtypes": ["str", "datetime64[ns]"], "data": [["1"], [0]]}
    odd = {"columns": ["page_id", "date"], "dtypes": ["object", "datetime64[ns]"], "data": [["1"], [0]]}
    staff = {"columns": ["page_id", "user_id", "user_name", "inbox_count"],
             "dtypes": ["str", "str", "str", "Int64"], "data": [["1"], [None], ["a"], [1]]}
    assert ENGAGEMENT.merge_columns([{"daily": obj, "staff": staff}] * 2, hourly=False) is None  # no user id
    assert reshape.concat_columns([obj, odd]) is None                     # different dtypes
    assert reshape.concat_columns([{**obj, "data": [[], []]}]) is None     # no rows at all
    assert reshape.merge_windows_columns([obj], ["page_id", "hour"]) is None
    assert ENGAGEMENT.merge_columns([{"daily": obj}], hourly=False) is None
    assert kinds.Kind.merge_columns(ENGAGEMENT, [], hourly=False) is None


def test_sum_staff_equals_pandas_groupby():
    staff = pd.DataFrame({
        "page_id": reshape.str_array(["p", "p", "p", "q", "p"]),
        "user_id": reshape.str_array(["u1", "u2", "u1", "u1", "u1"]),
        "user_name": reshape.str_array(["Ann", None, None, "Bo", "Ann B"]),
        "inbox_count": pd.array([1, None, 2, 5, None], dtype="Int64"),
        "order_count": pd.array([None, None, None, 1, None], dtype="Int64"),
    })
    g = staff.groupby(["page_id", "user_id"], sort=False)
    expected = g[["inbox_count", "order_count"]].sum(min_count=1)
    expected.insert(0, "user_name", g["user_name"].last())
    expected = expected.reset_index()[list(staff.columns)]
    _same(kinds.sum_staff(staff), expected)
    obj = codec.frame_to_obj(staff)
    _same(reshape.columns_frame(kinds.sum_staff_columns(obj)), expected)
    with_missing_id = staff.copy()
    with_missing_id.loc[1, "user_id"] = None                  # groupby leaves that row out
    g = with_missing_id.groupby(["page_id", "user_id"], sort=False)
    expected = g[["inbox_count", "order_count"]].sum(min_count=1)
    expected.insert(0, "user_name", g["user_name"].last())
    _same(kinds.sum_staff(with_missing_id), expected.reset_index()[list(staff.columns)])


@pytest.mark.parametrize("values", [["a", None, "b"], [], ["x" * 3] * 4])
def test_str_array_is_pandas_str(values):
    a, b = reshape.str_array(values), pd.array(values, dtype="str")
    assert a.dtype == b.dtype and type(a) is type(b) and a.equals(b)


def test_columns_frame_reads_what_the_store_wrote_before():
    frame = pd.DataFrame({"s": reshape.str_array(["a", None]), "i": pd.array([1, None], dtype="Int64"),
                          "f": [1.5, np.nan], "d": pd.to_datetime(["2026-01-01", None]),
                          "b": pd.array([True, None], dtype="boolean"), "u": np.array([1, 2], dtype="uint8")})
    _same(codec.obj_to_frame(codec.frame_to_obj(frame)), frame)
    with pytest.raises(codec.CodecError):
        codec.obj_to_frame({"columns": ["a", "b"], "dtypes": ["Int64", "Int64"], "data": [[1], [1, 2]]})


def test_assembled_columns_equal_assembled_frames(chunks):
    by_page: dict[str, list] = {}
    for pid, chunk in chunks:
        by_page.setdefault(pid, []).append(chunk)
    ids = list(by_page)
    merged = {pid: ENGAGEMENT.merge_columns([ENGAGEMENT.reshape_columns(c, pid, hourly=False) for c in cs],
                                            hourly=False) for pid, cs in by_page.items()}
    frames = {pid: {n: reshape.columns_frame(o) for n, o in m.items()} for pid, m in merged.items()}
    a = core._assemble(ids, frames, {})
    b = core._assemble_any(ids, merged, {})
    assert list(a.frames) == list(b.frames) and a.pages_ok == b.pages_ok
    for name in a.frames:
        _same(b.frames[name], a.frames[name])


def test_csv_of_counts_and_repeated_text_is_unchanged():
    frame = pd.DataFrame({"page_id": reshape.str_array(["=1", "=1", "p", None]),
                          "n": pd.array([3, None, -2**63, 0], dtype="Int64"),
                          "o": pd.Series(["x", 1, None, "x"], dtype=object)})
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    assert text == "page_id,n,o\r\n'=1,3,x\r\n'=1,,1\r\np,-9223372036854775808,\r\n,0,x\r\n"


def test_cli_leaves_the_collector_as_it_found_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PANCAKE_DEMO", "1")
    before = gc_state()
    cli.main(["cache", "info"])
    assert gc_state() == before


def gc_state() -> tuple:
    import gc
    return gc.isenabled(), gc.get_freeze_count()


# --- the shared limiter's lock -------------------------------------------------------------------

def test_process_file_lock_excludes_threads_and_is_reentrant(tmp_path):
    lock = ProcessFileLock.of(str(tmp_path / "x.lock"))
    assert ProcessFileLock.of(str(tmp_path / "x.lock")) is lock
    inside, overlap = [0], []

    def work():
        for _ in range(50):
            with lock, lock:
                inside[0] += 1
                overlap.append(inside[0])
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(overlap) == 1


HOLD = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(0.6)
"""


def test_process_file_lock_waits_for_filelock_in_another_process(tmp_path):
    path = str(tmp_path / "rl.sqlite3.lock")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with ProcessFileLock.of(path):
            waited = time.monotonic() - t0
        assert waited > 0.3
    finally:
        holder.wait(10)


# --- the client's pools ----------------------------------------------------------------------------

def test_one_pool_per_page_without_a_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                 "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = PancakeClient(page_tokens={"1": "t"}, base_url="http://127.0.0.1:9/api")
    transport = client._http._transport
    assert isinstance(transport, _PoolPerPage)
    a = transport._pool(httpx_url("http://127.0.0.1:9/api/public_api/v1/pages/1/statistics/users"))
    b = transport._pool(httpx_url("http://127.0.0.1:9/api/public_api/v1/pages/2/statistics/users"))
    assert a is not b and a is transport._pool(httpx_url("http://127.0.0.1:9/api/public_api/v2/pages/1/x"))
    assert transport._tls is None          # plain HTTP: no CA bundle loaded
    client.close()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    proxied = PancakeClient(page_tokens={"1": "t"}, base_url="https://pages.fm/api")
    assert not isinstance(proxied._http._transport, _PoolPerPage)   # httpx's own transport and proxies
    proxied.close()


def httpx_url(text: str):
    import httpx
    return httpx.URL(text)


def test_stored_bodies_of_both_paths_are_the_same_text(chunks):
    pid, chunk = chunks[0]
    part = ENGAGEMENT.reshape(chunk, pid, hourly=False)
    assert json.loads(codec.encode_part(ENGAGEMENT.reshape_columns(chunk, pid, hourly=False))) == \
        json.loads(codec.encode(part))
    assert os.environ.get("PANCAKE_CACHE_DIR")           # conftest: never the user's store
