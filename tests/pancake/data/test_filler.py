"""The messages' fill in a process of its own (issue 20, ten viewers at once): one filler per
store however many sessions and dashboards ask, stopped by its pid; the queue it takes; a
store only in memory fills in the dashboard instead."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from pancake.data import filler
from pancake.data.store import SQLiteStore, memory_store


def missing(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame({"page_id": [r[0] for r in rows], "conversation_id": [r[1] for r in rows],
                         "customer_id": ["k"] * len(rows), "updated_at": [r[2] for r in rows],
                         "type": ["INBOX"] * len(rows)})


class FakeProc:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self):
        return None


@pytest.fixture(autouse=True)
def _clean():
    filler._STARTED.clear()
    yield
    for pid in [p for p, proc in filler._STARTED.items() if isinstance(proc, FakeProc)]:
        del filler._STARTED[pid]
    filler.stop_started()


def test_a_store_in_memory_gets_no_filler(tmp_path):
    started = []
    assert filler.ensure(memory_store(), "s", missing(("p", "c1", "t")), root=tmp_path,
                         popen=lambda *a, **k: started.append(a)) is None
    assert started == [] and list(tmp_path.iterdir()) == []
    assert filler.store_argument(None) is None
    assert filler.store_argument(SQLiteStore(tmp_path / "x.sqlite")) == ["--store", str(tmp_path / "x.sqlite")]


def test_started_once_for_many_sessions_and_again_once_it_ended(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite")
    started: list[list[str]] = []
    live: set[int] = set()

    def popen(cmd, **_kw):
        started.append(cmd)
        live.add(100 + len(started))
        return FakeProc(100 + len(started))
    alive = live.__contains__
    pids = []
    threads = [threading.Thread(target=lambda i=i: pids.append(filler.ensure(
        store, "s", missing(("p1", f"c{i}", "2026-12-07T10:00:00")), root=tmp_path, popen=popen, alive=alive)))
        for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(started) == 1 and pids == [101] * 8
    folder = filler.folder_for(store, "s", tmp_path)
    assert started[0][-7:] == [str(folder), "--store", str(tmp_path / "store.sqlite"), "--idle", "10",
                               "--parent", str(os.getpid())]
    assert (folder / "filler.pid").read_text() == "101"
    source, queued = filler.take(folder)
    assert source == "s" and sorted(queued["conversation_id"]) == [f"c{i}" for i in range(8)]
    # asked again while it runs (still missing): queued again as the latest asked, no second filler
    filler.ensure(store, "s", missing(("p1", "c0", "2026-12-07T10:00:00")), root=tmp_path, popen=popen, alive=alive)
    assert list(filler.take(folder)[1]["conversation_id"]) == ["c0"] and len(started) == 1
    live.clear()                                    # it ended (its queue empty): the next run starts one
    assert filler.ensure(store, "s", missing(("p1", "c0", "2026-12-07T10:00:00")), root=tmp_path,
                         popen=popen, alive=alive) == 102
    assert len(started) == 2 and list(filler.take(folder)[1]["conversation_id"]) == ["c0"]


def test_the_queue_keeps_each_conversation_once_and_an_unknown_stamp_empty(tmp_path):
    folder = tmp_path
    assert filler.add(folder, "s", missing(("p1", "c1", "t1"), ("p1", "c2", ""))) == 2
    frame = missing(("p1", "c1", "t1"), ("p2", "c3", "t3"))
    frame.loc[1, "updated_at"] = None
    assert filler.add(folder, "s", frame) == 3
    source, got = filler.take(folder)
    # c1 asked again: it moves to the end with the latest asked
    assert source == "s" and got["conversation_id"].tolist() == ["c2", "c1", "c3"]
    assert got["updated_at"].isna().tolist() == [True, False, True]
    assert filler.take(folder)[1].empty                         # taken: empty now
    assert filler.add(folder, "other", missing(("p1", "c1", "t1"))) == 1   # another source replaces it
    assert filler.add(folder, "other", missing()) == 1                      # nothing missing: unchanged


def test_stopped_by_its_pid(tmp_path):
    folder = tmp_path
    assert filler.stop(folder, alive=lambda pid: True) is None             # none started
    (folder / "filler.pid").write_text("4242")
    killed = []
    assert filler.stop(folder, alive=lambda pid: pid == 4242, kill=lambda pid, sig: killed.append((pid, sig))) == 4242
    assert killed == [(4242, signal.SIGTERM)]
    assert filler.stop(folder, alive=lambda pid: False, kill=lambda pid, sig: killed.append((pid, sig))) is None
    assert killed == [(4242, signal.SIGTERM)]


def test_a_real_process_started_once_and_ended_by_pid(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "store.sqlite")
    monkeypatch.setattr(filler, "COMMAND", [sys.executable, "-c", "import sys, time; time.sleep(120)"])
    first = filler.ensure(store, "s", missing(("p1", "c1", "t")), root=tmp_path)
    second = filler.ensure(store, "s", missing(("p1", "c2", "t")), root=tmp_path)
    assert first == second and list(filler._STARTED) == [first]
    proc: subprocess.Popen = filler._STARTED[first]
    assert proc.poll() is None
    assert filler.stop(filler.folder_for(store, "s", tmp_path)) == first
    assert proc.returncode == -signal.SIGTERM and filler._STARTED == {}


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_the_filler_fills_what_is_queued_then_leaves_when_idle(tmp_path):
    folder = tmp_path
    filler.add(folder, "s", missing(("p1", "c1", "t1"), ("p2", "c2", "t2")))
    clock = Clock()
    filled: list[list[str]] = []

    def fill(todo: pd.DataFrame) -> None:
        filled.append(todo["conversation_id"].tolist())
        if len(filled) == 1:      # a session queues another one meanwhile
            filler.add(folder, "s", missing(("p1", "c3", "t3")))
    assert filler.run(Path(folder), "s", fill, idle=5, clock=clock, sleep=clock.sleep) == 3
    assert filled == [["c1", "c2"], ["c3"]] and clock.t == 5.0       # 5 idle seconds, then gone
    assert not (folder / "filler.pid").exists()


def test_another_sources_queue_is_not_filled_and_a_second_filler_leaves_at_once(tmp_path):
    folder = tmp_path
    filler.add(folder, "other", missing(("p1", "c1", "t1")))
    clock = Clock()
    filled: list = []
    assert filler.run(Path(folder), "s", filled.append, idle=2, clock=clock, sleep=clock.sleep) == 0
    assert filled == [] and filler.refused(folder)          # said: the dashboard fills them itself
    store = SQLiteStore(tmp_path / "store.sqlite")
    started = []
    other = filler.folder_for(store, "other", tmp_path)
    filler.refuse(other, "another configuration")
    assert filler.ensure(store, "other", missing(("p1", "c1", "t1")), root=tmp_path,
                         popen=lambda *a, **k: started.append(a)) is None and started == []
    assert not filler.refused(other, now=lambda: (other / "refused").stat().st_mtime + filler.REFUSED_SECONDS)
    (folder / "refused").unlink()
    from filelock import FileLock
    held = FileLock(str(folder / "filler.lock"))
    held.acquire()
    try:
        filler.add(folder, "s", missing(("p1", "c1", "t1")))
        assert filler.run(Path(folder), "s", filled.append, idle=2, clock=clock, sleep=clock.sleep) == 0
        assert filled == [] and len(filler.take(folder)[1]) == 1       # left for the running one
    finally:
        held.release()


def test_the_cli_fill_fills_the_queue_into_the_store_it_is_given(tmp_path, monkeypatch):
    import io
    import os

    from pancake.data import replies as dr
    from pancake.delivery import cli
    for k in [k for k in os.environ if k.startswith("PANCAKE_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("PANCAKE_DEMO", "1")
    monkeypatch.setenv("PANCAKE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(filler, "IDLE_SECONDS", 0.0)
    calls = []

    def fill(client, store, source, todo, **_kw):
        calls.append((getattr(store, "location", ""), source, todo["conversation_id"].tolist()))
        return dr.Fill()
    monkeypatch.setattr(cli.data_replies, "fill", fill)
    folder = tmp_path / "q"
    folder.mkdir()
    source = cli.make_loader(cli.settings_with_token(io.StringIO())).source
    filler.add(folder, source, missing(("p1", "c1", "t1"), ("p1", "c2", "")))
    err = io.StringIO()
    assert cli.main(["fill", str(folder), "--store", str(tmp_path / "dash.sqlite")], stderr=err) == 0, err.getvalue()
    assert calls == [(str(tmp_path / "dash.sqlite"), source, ["c1", "c2"])]
    assert filler.take(folder)[1].empty and not (folder / "filler.pid").exists()


def test_the_filler_leaves_once_its_store_is_gone(tmp_path):
    filler.add(tmp_path, "s", missing(("p1", "c1", "t1")))
    clock = Clock()
    filled: list = []
    assert filler.run(Path(tmp_path), "s", filled.append, idle=60, clock=clock, sleep=clock.sleep,
                      gone=lambda: True) == 0
    assert filled == [] and clock.t == 0.0 and not (tmp_path / "filler.pid").exists()


def test_the_filler_leaves_once_the_dashboard_that_started_it_is_gone(tmp_path):
    """A dashboard killed outright (no exit hook ran) left its filler filling a store nobody read
    (CI found six still running 13 minutes on). The filler knows its starter's pid and leaves, after
    the batch in hand, once it has another parent; started by hand (no pid), it never does so."""
    assert filler.parent_gone(4321, getppid=lambda: 4321) is False
    assert filler.parent_gone(4321, getppid=lambda: 1) is True          # reparented to init
    assert filler.parent_gone(None, getppid=lambda: 1) is False          # `python -m pancake fill` by hand
    filler.add(tmp_path, "s", missing(("p1", "c1", "t1"), ("p1", "c2", "t2")))
    parent = [4321]
    clock = Clock()
    filled: list = []

    def fill(todo):
        filled.append(sorted(todo["conversation_id"]))
        filler.add(tmp_path, "s", missing(("p1", "c3", "t3")))           # queued meanwhile...
        parent[0] = 1                                                     # ...and the dashboard died
    assert filler.run(Path(tmp_path), "s", fill, idle=60, clock=clock, sleep=clock.sleep,
                      gone=lambda: filler.parent_gone(4321, getppid=lambda: parent[0])) == 2
    assert filled == [["c1", "c2"]] and not (tmp_path / "filler.pid").exists()
    assert list(filler.take(tmp_path)[1]["conversation_id"]) == ["c3"]    # left for the next filler


def test_the_filler_takes_the_latest_asked_first_in_batches(tmp_path):
    """A view opened now does not wait behind a month queued before it: the filler takes the
    last queued first, a batch at a time, and the rest stays queued in its order."""
    folder = tmp_path
    filler.add(folder, "s", missing(*[("p1", f"old{i}", "t") for i in range(5)]))
    filler.add(folder, "s", missing(("p2", "now1", "t"), ("p2", "now2", "t")))
    assert filler.take(folder, 3)[1]["conversation_id"].tolist() == ["old4", "now1", "now2"]
    filler.add(folder, "s", missing(("p1", "old0", "t")))           # asked again: the latest now
    assert filler.take(folder, 2)[1]["conversation_id"].tolist() == ["old3", "old0"]
    assert filler.take(folder, 2)[1]["conversation_id"].tolist() == ["old1", "old2"]
    assert filler.take(folder, 2)[1].empty
