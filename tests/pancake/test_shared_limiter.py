"""The shared (cross-process) rate limit: a call holds one of its page's 5 slots, in a table every
process sees, from before it is sent until 1 s + margin after its answer. Exact as the server
counts, whatever the latency or a process's stall between taking a slot and sending; on SQLite
(a file, a file lock) and on PostgreSQL (when PANCAKE_TEST_POSTGRES_URL is set)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from pancake.api.ratelimit import RateLimiter, SharedLimiter
from tests.clock import FakeClock
from tests.pancake.data.test_concurrency import peak_overlap
from tests.pancake.store.backends import PgSchema

ROOT = Path(__file__).resolve().parents[2]
HOLD = 1.05


def most_live_at_once(intervals: list[tuple[float, float]], period: float = 1.0) -> int:
    """The most calls that could have arrived within one server second: calls whose
    [taken, released + period) intervals overlap at one instant."""
    return peak_overlap([(a, b + period) for a, b in intervals])


class SixthWaits:
    """The second limiter's sleep: the first time it sleeps (the sixth call found no room) it says
    so and holds until the test lets it go on; after that it sleeps on ``then``."""

    def __init__(self, then):
        self.then, self.sleeps = then, []
        self.asleep, self.go_on = threading.Event(), threading.Event()

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if not self.go_on.is_set():
            self.asleep.set()                    # the sixth found no room: the test ends the five
            assert self.go_on.wait(30)
        else:
            self.then(seconds)


def test_a_sixth_call_waits_for_the_first_answer_plus_the_window(tmp_path):
    clock = FakeClock(5000.0)
    lim = SharedLimiter.sqlite(str(tmp_path / "rl.sqlite3"), clock=clock, sleep=clock.sleep)
    try:
        with ExitStack() as calls:
            for _ in range(5):
                calls.enter_context(lim.slot("p"))
            clock.advance(2.0)                       # five slow answers, still in flight
            assert lim.live("p") == 5
        # they ended at 5002.0; the window runs to 5003.05
        clock.advance(0.5)
        with lim.slot("p") as waited:
            assert clock() == pytest.approx(5002.0 + HOLD)
        assert sum(clock.sleeps) == pytest.approx(HOLD - 0.5)
        assert waited >= 0
        # another page never waited on this one
        clock.sleeps.clear()
        with ExitStack() as calls:
            for _ in range(5):
                calls.enter_context(lim.slot("q"))
        assert clock.sleeps == []
    finally:
        lim.close()


def test_two_processes_share_one_budget_and_in_flight_calls_count(tmp_path):
    # two limiters on one file (two connections, as two processes have), one manual clock
    path = str(tmp_path / "rl.sqlite3")
    clock = FakeClock(5000.0)
    b_sleeps = SixthWaits(clock.sleep)
    sleeps, asleep, go_on = b_sleeps.sleeps, b_sleeps.asleep, b_sleeps.go_on

    a = SharedLimiter.sqlite(path, clock=clock, sleep=clock.sleep)
    b = SharedLimiter.sqlite(path, clock=clock, sleep=b_sleeps)
    got: list[float] = []
    t = threading.Thread(target=lambda: (b.acquire("p"), got.append(clock())))
    try:
        with ExitStack() as calls:
            for _ in range(5):
                calls.enter_context(a.slot("p"))
            t.start()
            assert asleep.wait(30) and got == []    # a sixth call waits while five are in flight
            assert sleeps == [pytest.approx(HOLD)]  # (one ending now would count HOLD more)
            clock.advance(0.5)                       # the five answers come back at 5000.5
        go_on.set()
        t.join(30)
        assert got == [pytest.approx(5000.5 + HOLD)]  # until 1 s + margin after the five answers
    finally:
        go_on.set()
        t.join(30)
        a.close()
        b.close()


def test_a_call_left_open_by_a_killed_process_stops_counting(tmp_path):
    clock = FakeClock(5000.0)
    lim = SharedLimiter.sqlite(str(tmp_path / "rl.sqlite3"), clock=clock, sleep=clock.sleep, stale_after=300)
    try:
        for _ in range(5):
            lim.backend.take("p", 5, HOLD, 300)          # never ended: the process died mid-call
        assert lim.live("p") == 5
        clock.advance(299)
        assert lim.live("p") == 5
        clock.advance(2)
        assert lim.live("p") == 0
        # a row stamped in the future (the clock was set back) does not block either
        lim.backend.take("p", 5, HOLD, 300)
        clock.advance(-60)
        assert lim.live("p") == 0
    finally:
        lim.close()


def test_a_broken_table_leaves_pacing_to_the_process(tmp_path, caplog):
    lim = SharedLimiter.sqlite(str(tmp_path / "rl.sqlite3"))
    lim.backend.conn.close()                            # every use now fails
    local = RateLimiter(5.0, shared=lim)
    with local.slot("p") as waited:
        assert waited < 1
    assert "pacing in this process only" in caplog.text


_CHILD = r"""
import json, random, sys, threading, time
from pancake.api.ratelimit import RateLimiter, SharedLimiter
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lim = RateLimiter(5.0, margin=0.05, shared=SharedLimiter.sqlite(path))
rnd = random.Random(seed)
out, lock = [], threading.Lock()
def work():
    for _ in range(n):
        with lim.slot("page"):
            t0 = time.time()
            time.sleep(rnd.random() * 0.4)       # a stall before sending, then the call itself
            t1 = time.time()
        with lock:
            out.append((t0, t1))
ts = [threading.Thread(target=work) for _ in range(3)]
[t.start() for t in ts]
[t.join() for t in ts]
print(json.dumps(out))
"""


@pytest.mark.procs
def test_three_processes_never_have_six_calls_in_one_server_second(tmp_path):
    path = str(tmp_path / "rl.sqlite3")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, path, "3", str(seed)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in range(3)]
    intervals = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        intervals += [tuple(x) for x in json.loads(out)]
    assert len(intervals) == 27
    # any arrival lies between a call's taking and its answer: 6 in one second would need 6
    # [taken, answered + 1 s) intervals over one instant
    assert most_live_at_once(intervals) <= 5
    # (how well the budget is used is a figure for bench/, not a test's wall clock)


def test_postgres_slots_are_shared_and_stamped_by_the_database():
    pg = PgSchema()
    a = b = None
    b_sleeps = SixthWaits(time.sleep)                # the database's clock: real time
    sleeps, asleep, go_on = b_sleeps.sleeps, b_sleeps.asleep, b_sleeps.go_on

    def stamps(lim: SharedLimiter, column: str) -> list[float]:
        with lim.backend.pool.connection() as conn:
            return [r[0] for r in conn.execute(f"SELECT {column} FROM pancake_rate_slots WHERE page = 'p'")]
    t = None
    try:
        a, b = SharedLimiter.postgres(pg.url), SharedLimiter.postgres(pg.url, sleep=b_sleeps)
        got = threading.Event()
        with ExitStack() as calls:
            for _ in range(5):
                calls.enter_context(a.slot("p"))
            assert b.live("p") == 5
            t = threading.Thread(target=lambda: (b.acquire("p"), got.set()))
            t.start()
            assert asleep.wait(30) and not got.is_set()   # a sixth call waits while five are in flight
            assert sleeps == [pytest.approx(HOLD)]
        ended = stamps(a, "ended")                  # stamped by the database as the five ended
        assert len(ended) == 5 and None not in ended
        go_on.set()
        t.join(30)
        assert got.is_set()
        # the sixth was stamped, by the database, no sooner than 1 s + margin after the first answer
        # (the sixth needs one slot: it may go as soon as the first of the five has expired, while
        # the others, ended a moment later, are still held; the newest start is the sixth's)
        starts = stamps(b, "started")
        assert 1 <= len(starts) <= 5
        assert max(starts) >= min(ended) + HOLD
        with a.slot("q"):                            # another page: no wait
            assert a.live("q") == 1
    finally:
        go_on.set()
        if t is not None:
            t.join(30)
        for lim in (a, b):
            if lim is not None:
                lim.close()
        pg.drop()


# --------------------------------------------------------------------------- whatever the store setting (#23)

def _cli_env(url: str, cache: Path) -> dict:
    from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(PANCAKE_BASE_URL=url, PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN, PANCAKE_CACHE_DIR=str(cache),
               PANCAKE_PAGE_TOKENS=",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()), PYTHONPATH=str(ROOT))
    return env


@pytest.mark.procs
@pytest.mark.timeout(240)
@pytest.mark.parametrize("case", ["--no-store", "a damaged limiter file"])
def test_two_exports_at_once_are_held_to_5_a_second_at_the_server(case, server, tmp_path):
    """Two processes exporting the same pages: with ``--no-store`` they had no shared limit, and a
    damaged ``ratelimit.sqlite3`` was never rebuilt: 10 calls in a server second, 429s."""
    from pancake.api.simulator import DEMO_PAGE_IDS, Simulator
    sim = Simulator()                                   # counts 5 calls per page per second, answers 429 over it
    url = server(sim)
    cache = tmp_path / "cache"
    cache.mkdir()
    if case != "--no-store":
        (cache / "ratelimit.sqlite3").write_bytes(b"this is not a database" * 100)
    a, b = DEMO_PAGE_IDS[:2]
    end = sim.today() - timedelta(days=1)
    start = end - timedelta(days=309)                   # 10 windows a page, each process
    procs = [subprocess.Popen([sys.executable, "-m", "pancake", "export", "engagement", "--page", a, "--page", b,
                               "--since", str(start), "--until", str(end), "-q", "-o", str(tmp_path / f"{n}.csv"),
                               *(["--no-store"] if case == "--no-store" else [])],
                              env=_cli_env(url, cache), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=200)
        assert p.returncode == 0, err.decode()
    stats = [c for c in sim.calls if "/statistics/" in c.path]
    if case == "--no-store":
        assert len(stats) == 40                          # 2 processes x 2 pages x 10 windows
    else:                                                # the second may find windows the first stored
        assert 20 <= len(stats) <= 40
    assert [c for c in stats if c.status == 429] == []
    if case != "--no-store":
        with open(cache / "ratelimit.sqlite3", "rb") as fh:
            assert fh.read(16) == b"SQLite format 3\x00"   # made again


def test_a_damaged_limiter_file_is_made_again_in_process(tmp_path, caplog):
    path = tmp_path / "rl.sqlite3"
    path.write_bytes(b"\x00garbage" * 512)
    lim = SharedLimiter.sqlite(str(path))
    try:
        with lim.slot("p"):
            assert lim.live("p") == 1
        assert "is damaged" in caplog.text and "making it again" in caplog.text
        assert not lim._broken
        path.write_bytes(b"\x00garbage" * 512)            # damaged again while in use
        with lim.slot("p"):
            pass
        assert not lim._broken
    finally:
        lim.close()


# --------------------------------------------------------------------------- a killed process's slots (#23)

@pytest.mark.procs
@pytest.mark.timeout(120)
def test_the_slots_of_a_killed_sync_are_released_at_once(server, tmp_path):
    """``kill -9`` of a sync with 5 calls in flight left its rows counted for 300 s: the next
    export of that page waited about 120 s. A row whose process is gone frees its slot at once."""
    import sqlite3

    from pancake.api.simulator import DEMO_PAGE_IDS, FaultRule, Faults, Simulator
    page = DEMO_PAGE_IDS[0]
    sim = Simulator(faults=Faults(rules=[FaultRule("slow", latency=5.0, every=1, path_contains="statistics")]))
    url = server(sim)
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-m", "pancake", "sync", "--page", page, "--days", "200",
                             "--kinds", "activity", "-q"], env=_cli_env(url, cache), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = cache / "ratelimit.sqlite3"

    def open_rows() -> int:
        if not path.exists():
            return 0
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM pancake_rate_slots WHERE page = ? AND ended IS NULL",
                                (page,)).fetchone()[0]
        except sqlite3.Error:
            return 0
        finally:
            conn.close()
    try:
        deadline = time.monotonic() + 60                  # a guard against a hang, not a speed figure
        while open_rows() < 5:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.kill()                                       # SIGKILL: nothing of it runs any more
        proc.wait(30)
    assert open_rows() == 5                               # its five calls are still in the table
    sleeps: list[float] = []
    lim = SharedLimiter.sqlite(str(path), sleep=sleeps.append)
    try:
        assert lim.live(page) == 0                        # the dead process's slots no longer count
        with ExitStack() as calls:
            waits = [calls.enter_context(lim.slot(page)) for _ in range(5)]
            assert lim.live(page) == 5
        assert sleeps == []                               # the limiter never had to wait for a slot
        assert len(waits) == 5
    finally:
        lim.close()


@pytest.mark.procs
def test_owner_alive_tells_this_hosts_dead_processes_only():
    from pancake.api.ratelimit import owner_alive, process_owner
    assert owner_alive(process_owner())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = process_owner(child.pid)
        assert owner_alive(owner)
        host, pid, start = owner.split("|")
        assert start                                      # Linux: /proc gives the start time
        assert not owner_alive(f"{host}|{pid}|{int(start) - 1}")   # the pid is another process's now
    finally:
        child.kill()
        child.wait(30)
    assert not owner_alive(owner)                         # gone
    assert owner_alive(f"another-host|{child.pid}|1")     # another machine's row: counts until stale_after
    assert owner_alive(None) and owner_alive("garbage")
