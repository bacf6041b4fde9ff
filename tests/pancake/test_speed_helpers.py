"""The export's speed helpers give exactly what the general paths give (issue 9, "30× faster"):
the staff sums, the text arrays, the CSV writer, the shared limiter's lock and the client's pools
per page."""
from __future__ import annotations

import subprocess
import sys
import threading

import pandas as pd
import pytest

from pancake.api.client import PancakeClient, _PoolPerPage
from pancake.api.ratelimit import ProcessFileLock
from pancake.data import kinds, reshape
from pancake.delivery import cli, export


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True)
    assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes]


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
import pathlib, sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()                     # until the test says so
    pathlib.Path(sys.argv[2]).write_text("released")
"""


@pytest.mark.procs
def test_process_file_lock_waits_for_filelock_in_another_process(tmp_path):
    path, marker = str(tmp_path / "rl.sqlite3.lock"), tmp_path / "released"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, path, str(marker)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    seen: list[bool] = []

    def take() -> None:
        with ProcessFileLock.of(path):
            seen.append(marker.exists())      # the holder wrote it just before letting go
    try:
        assert holder.stdout.readline().strip() == "held"
        t = threading.Thread(target=take)
        t.start()
        holder.stdin.write("go\n")
        holder.stdin.flush()
        t.join(60)                            # a guard against a hang, not a speed figure
        assert seen == [True]                 # taken only once the other process had let go
    finally:
        holder.stdin.close()
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
