"""The CLI and the store: a repeated past-range export makes no API call, also from another
process; `cache info` and `cache clear`; `sync` fills the store, resumes, and exits 1 when a
page failed while the others are stored. Real subprocesses against the simulator over HTTP."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
from tests import forkrun
from tests.pancake.store.backends import PgSchema
from tests.pancake.unpaced import PANCAKE

pytestmark = pytest.mark.usefixtures("unpaced_clients")   # the commands in process, unpaced

ROOT = Path(__file__).resolve().parents[2]
LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS


def cli(args, url, store_env, *, page_tokens=None, access_token=DEMO_USER_TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(store_env)
    env.update(PANCAKE_BASE_URL=url, PYTHONPATH=str(ROOT))
    if access_token:
        env["PANCAKE_ACCESS_TOKEN"] = access_token
    tokens = DEMO_PAGE_TOKENS if page_tokens is None else page_tokens
    env["PANCAKE_PAGE_TOKENS"] = ",".join(f"{k}:{v}" for k, v in tokens.items())
    return forkrun.run([*PANCAKE, *args], capture_output=True, env=env, cwd=ROOT,
                       timeout=180)


def cli_here(args, url, store_env, monkeypatch) -> tuple[int, str]:
    """``pancake`` run in this process (``cli.main``): the exit status and what it wrote on stderr."""
    from pancake.delivery import cli as pancake_cli
    for k in [k for k in os.environ if k.startswith("PANCAKE_")]:
        monkeypatch.delenv(k)
    for k, v in {**store_env, "PANCAKE_BASE_URL": url, "PANCAKE_ACCESS_TOKEN": DEMO_USER_TOKEN,
                 "PANCAKE_PAGE_TOKENS": ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items())}.items():
        monkeypatch.setenv(k, v)
    out, err = io.StringIO(), io.StringIO()
    return pancake_cli.main(list(args), stdout=out, stderr=err), err.getvalue()


def stat_calls(sim) -> int:
    return len([c for c in sim.calls if "/statistics/" in c.path])


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request, tmp_path):
    if request.param == "sqlite":
        yield {"PANCAKE_CACHE_DIR": str(tmp_path)}
        return
    pg = PgSchema()
    yield {"PANCAKE_STORE_URL": pg.url, "PANCAKE_CACHE_DIR": str(tmp_path)}
    pg.drop()


def test_a_repeated_past_range_export_makes_no_api_call_from_another_process(sim_server, store_env, tmp_path,
                                                                             monkeypatch):
    # the first export of each kind runs in this process, the second in a process of its own
    sim, url = sim_server
    end = sim.today() - timedelta(days=1)
    start = end - timedelta(days=90)
    outs = []
    for kind in ("engagement", "staff", "activity", "tags", "customers", "ads"):
        sim.reset_calls()
        code, err = cli_here(["export", kind, "--page", HANA, "--page", SNEAKER, "--since", str(start),
                              "--until", str(end), "-q", "-o", str(tmp_path / f"{kind}-1.csv")], url, store_env,
                             monkeypatch)
        assert code == 0, err
        assert stat_calls(sim) > 0
        sim.reset_calls()
        second = cli(["export", kind, "--page", HANA, "--page", SNEAKER, "--since", str(start), "--until", str(end),
                      "-q", "-o", str(tmp_path / f"{kind}-2.csv")], url, store_env)
        assert second.returncode == 0, second.stderr.decode()
        assert stat_calls(sim) == 0, f"{kind}: the second process asked the API again"
        assert (tmp_path / f"{kind}-1.csv").read_bytes() == (tmp_path / f"{kind}-2.csv").read_bytes()
        outs.append(kind)
    # --no-store asks again, and gives the same numbers
    sim.reset_calls()
    code, err = cli_here(["export", "tags", "--page", HANA, "--page", SNEAKER, "--since", str(start), "--until",
                          str(end), "-q", "--no-store", "-o", str(tmp_path / "direct.csv")], url, store_env,
                         monkeypatch)
    assert code == 0 and stat_calls(sim) > 0, err
    assert (tmp_path / "direct.csv").read_bytes() == (tmp_path / "tags-1.csv").read_bytes()


def test_cache_info_and_clear(sim_server, store_env, tmp_path):
    sim, url = sim_server
    end = sim.today() - timedelta(days=1)
    start = end - timedelta(days=4)
    for pid in (HANA, SNEAKER):
        proc = cli(["export", "activity", "--page", pid, "--since", str(start), "--until", str(end), "-q",
                    "-o", str(tmp_path / "out.csv")], url, store_env)
        assert proc.returncode == 0, proc.stderr.decode()
    info = cli(["cache", "info"], url, store_env)
    assert info.returncode == 0, info.stderr.decode()
    text = info.stdout.decode()
    backend = "postgresql" if "PANCAKE_STORE_URL" in store_env else "sqlite"
    assert f"store: {backend}" in text and "size:" in text and "10 entries" in text
    lines = [line for line in text.splitlines() if line.startswith((HANA, SNEAKER))]
    assert len(lines) == 2
    assert all(f"{start.isoformat()} {end.isoformat()}" in " ".join(line.split()) for line in lines)
    for token in (*DEMO_PAGE_TOKENS.values(), DEMO_USER_TOKEN):
        assert token not in text
    cleared = cli(["cache", "clear", "--page", HANA], url, store_env)
    assert cleared.returncode == 0 and b"cleared 5 stored entries" in cleared.stdout
    text = cli(["cache", "info"], url, store_env).stdout.decode()
    assert HANA not in text and SNEAKER in text
    assert b"cleared 5" in cli(["cache", "clear"], url, store_env).stdout
    assert "(empty)" in cli(["cache", "info"], url, store_env).stdout.decode()


def test_sync_fills_the_store_resumes_and_reports_a_failed_page(sim_server, store_env, tmp_path):
    sim, url = sim_server
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = "CANARY-DEAD-TOKEN-5k2"
    sim.reset_calls()
    proc = cli(["sync", "--page", HANA, SNEAKER, MINH_ANH, "--days", "12", "--kinds", "activity", "tags", "staff"],
               url, store_env, page_tokens=tokens, access_token=None)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert MINH_ANH in err and "102" in err and "CANARY-DEAD" not in err
    assert "sync: 3 page(s), 12 closed day(s)" in err and "done: 2 page(s) complete, 1 page(s) failed" in err
    end = sim.today() - timedelta(days=1)
    assert f"12 of 12 day(s) not stored ({end - timedelta(days=11)}..{end}) for 1 page(s)" in err
    first = stat_calls(sim)
    assert first > 0
    # what the sync stored serves an export without a call
    end = sim.today() - timedelta(days=1)
    sim.reset_calls()
    proc = cli(["export", "activity", "--page", HANA, "--page", SNEAKER, "--since", str(end - timedelta(days=11)),
                "--until", str(end), "-q", "-o", str(tmp_path / "out.csv")], url, store_env)
    assert proc.returncode == 0 and stat_calls(sim) == 0
    proc = cli(["export", "staff", "--page", HANA, "--since", str(end - timedelta(days=6)), "--until", str(end),
                "-q", "-o", str(tmp_path / "out.csv")], url, store_env)   # last_7's previous period: a preset window
    assert proc.returncode == 0 and stat_calls(sim) == 0
    # resumable: a second run asks only for the page that failed
    proc = cli(["sync", "--page", HANA, SNEAKER, MINH_ANH, "--days", "12", "--kinds", "activity", "tags", "staff"],
               url, store_env, page_tokens=tokens, access_token=None)
    assert proc.returncode == 1
    assert {c.page_id for c in sim.calls if "/statistics/" in c.path} == {MINH_ANH}
    # quiet and successful
    proc = cli(["sync", "--page", HANA, "--days", "12", "--kinds", "activity", "-q"], url, store_env)
    assert proc.returncode == 0 and proc.stderr == b""


def test_sync_usage_errors(sim_server, tmp_path):
    _, url = sim_server
    env = {"PANCAKE_CACHE_DIR": str(tmp_path)}
    assert cli(["sync", "--page", HANA, "--days", "0"], url, env).returncode == 2
    proc = cli(["sync", "--page", HANA, "--days", "3", "--kinds", "nope"], url, env)
    assert proc.returncode == 2 and b"invalid choice" in proc.stderr


# --------------------------------------------------------------------------- a sync that cannot store (#20, #23)

DOWN = "postgresql://pancake@127.0.0.1:1/nothing-listens-here"


def test_sync_and_cache_fail_when_the_store_is_unreachable(sim_server, tmp_path):
    """PostgreSQL down: the sync said 'into :memory:', then 'done: 5 page(s) complete', exit 0."""
    sim, url = sim_server
    env = {"PANCAKE_STORE_URL": DOWN, "PANCAKE_CACHE_DIR": str(tmp_path)}
    sim.reset_calls()
    proc = cli(["sync", "--page", HANA, SNEAKER, "--days", "5", "--kinds", "activity"], url, env)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert err.splitlines() == [
        "error: the statistics store is unavailable (PostgreSQL store postgresql://pancake@127.0.0.1:1/nothing-"
        "listens-here unreachable: connection failed: connection to server at \"127.0.0.1\", port 1 failed: "
        "Connection refused): nothing synced, 5 of 5 day(s) not stored"]
    assert "done:" not in err and "Traceback" not in err
    assert stat_calls(sim) == 0                  # nothing asked for a store that cannot keep it
    info = cli(["cache", "info"], url, env)
    assert info.returncode == 1 and info.stdout == b""
    assert info.stderr.decode().splitlines() == [
        "error: the statistics store is unavailable (PostgreSQL store postgresql://pancake@127.0.0.1:1/nothing-"
        "listens-here unreachable: connection failed: connection to server at \"127.0.0.1\", port 1 failed: "
        "Connection refused): nothing to show"]
    cleared = cli(["cache", "clear"], url, env)
    assert cleared.returncode == 1 and cleared.stdout == b""
    assert cleared.stderr.decode().rstrip().endswith("Connection refused): nothing to clear")


def test_sync_on_a_full_disk_stops_at_the_first_failed_write(sim_server, monkeypatch, tmp_path):
    """A real SQLITE_FULL ('database or disk is full'): the store's file may not grow by a page.
    The sync used to log 'store write failed ... going on without it' and report success."""
    import io

    from pancake.data.store.sqlite import SQLiteStore
    from pancake.delivery import cli as cli_mod
    sim, url = sim_server
    SQLiteStore(tmp_path / "store.sqlite3").close()          # the tables exist: the disk filled later
    orig = SQLiteStore._connect

    def full(self):
        conn = orig(self)
        if self.path is not None:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn
    monkeypatch.setattr(SQLiteStore, "_connect", full)
    monkeypatch.setenv("PANCAKE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PANCAKE_BASE_URL", url)
    monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()))
    sim.reset_calls()
    err = io.StringIO()
    code = cli_mod.main(["sync", "--page", HANA, SNEAKER, "--days", "400", "--kinds", "activity", "-q"],
                        stdout=io.StringIO(), stderr=err)
    text = err.getvalue()
    assert code == 1, text
    end = sim.today() - timedelta(days=1)
    assert text.splitlines() == [
        f"error: sync stopped at the first failed write to the statistics store {tmp_path / 'store.sqlite3'} "
        f"(SQLite store: OperationalError: database or disk is full): 400 of 400 day(s) not stored "
        f"({end - timedelta(days=399)}..{end}) for 2 page(s); what was stored before is kept"]
    # 13 windows a page were planned (400 days in 31-day calls); only the calls already out
    # when the first write failed were sent: at most 5 a page
    assert stat_calls(sim) <= 10


def test_two_syncs_at_once_share_the_work_through_the_store(server, store_env):
    """#23: two syncs at once made 775 calls where one makes 420. The second waits for the
    first's pages and finds their days stored."""
    from pancake.api.simulator import Simulator
    sim = Simulator()
    url = server(sim)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(store_env)
    env.update(PANCAKE_BASE_URL=url, PYTHONPATH=str(ROOT), PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN,
               PANCAKE_PAGE_TOKENS=",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()))
    args = [sys.executable, "-m", "pancake", "sync", "--page", HANA, SNEAKER, "--days", "60", "--kinds", "activity"]
    procs = [subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    errs = []
    for p in procs:
        _, err = p.communicate(timeout=180)
        errs.append(err.decode())
        assert p.returncode == 0, err.decode()
    # 60 days of one day-grain kind: a 31-day and a 29-day call per page, 2 pages: 4 calls, once
    assert stat_calls(sim) == 4
    assert all("done: 2 page(s) complete" in e for e in errs)
