"""Page tokens are shared through the store (issue 10): a process never generates a token for a
page another process has a working one for (generating kills it), a renewal generates at most
once across processes, and the store file holding them is its owner's only. Two clients on one
SQLite file stand for two processes; the last test runs two real CLI processes over HTTP."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_USER_TOKEN, Simulator, serve
from pancake.config import Settings
from pancake.data.configured import token_vault
from pancake.data.store import SQLiteStore, TokenVault, memory_store
from tests.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
PID = DEMO_PAGE_IDS[0]
DAY = date(2026, 11, 20)


def generations(sim) -> int:
    return sum(1 for c in sim.calls if c.path.endswith("generate_page_access_token"))


def client(sim, vault, *, page_tokens=None, user=True) -> PancakeClient:
    clock = FakeClock()
    return PancakeClient(access_token=DEMO_USER_TOKEN if user else None, page_tokens=page_tokens or {},
                         transport=sim.transport(), clock=clock, sleep=clock.sleep, jitter=lambda: 0.5,
                         token_vault=vault)


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "store.sqlite3")
    yield s
    s.close()


def test_a_process_without_a_token_uses_the_one_another_process_pasted(store):
    sim = Simulator()
    pasted = sim.page_token(PID)
    dashboard = client(sim, TokenVault(store, "src"), page_tokens={PID: pasted})
    cli = client(sim, TokenVault(store, "src"))          # only the user token
    dashboard.user_stats(PID, DAY, DAY)                   # works: shared with the others
    cli.user_stats(PID, DAY, DAY)
    assert generations(sim) == 0                          # the CLI did not kill the pasted token
    dashboard.user_stats(PID, DAY, DAY)                   # and it still works
    assert all(c.status == 200 for c in sim.calls)


def test_a_renewal_generates_once_across_processes_even_at_once(store):
    sim = Simulator(rate_limit_per_second=1000)     # four "processes" on one page at once
    first = [client(sim, TokenVault(store, "src")) for _ in range(4)]
    first[0].user_stats(PID, DAY, DAY)
    assert generations(sim) == 1                          # nobody had one: made once, shared
    for c in first[1:]:
        c.user_stats(PID, DAY, DAY)
    assert generations(sim) == 1
    sim.regenerate_page_token(PID)                        # renewed elsewhere: ours answer 105 now
    errors = []

    def run(c):
        try:
            c.user_stats(PID, DAY, DAY)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(c,)) for c in first]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert generations(sim) == 2                          # one renewal, whoever came first


def test_without_a_vault_each_process_generates_its_own(store):
    # the failure the vault prevents: each generation kills the other's token
    sim = Simulator()
    a, b = client(sim, None), client(sim, None)
    a.user_stats(PID, DAY, DAY)
    b.user_stats(PID, DAY, DAY)
    a.user_stats(PID, DAY, DAY)                           # refused (105), regenerated: kills b's
    assert generations(sim) == 3


def test_the_store_file_is_its_owners_only_and_demo_has_no_vault(store, tmp_path):
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    assert token_vault(memory_store(), Settings(access_token="x")) is None
    assert token_vault(store, Settings(demo=True)) is None
    assert token_vault(store, Settings(access_token="x")) is not None


def test_a_broken_store_never_breaks_a_call(store):
    sim = Simulator()

    class Broken:
        def get(self, page_id):
            raise RuntimeError("disk on fire")

        def put(self, page_id, token):
            raise RuntimeError("disk on fire")

        def lock(self, page_id):
            raise RuntimeError("disk on fire")
    c = client(sim, TokenVault(store, "src"))
    c._vault = Broken()
    c.user_stats(PID, DAY, DAY)
    assert generations(sim) == 1


def test_two_cli_processes_with_only_the_user_token_never_knock_each_other_out(tmp_path):
    sim = Simulator()
    server, thread = serve(sim, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
        env.update(PYTHONPATH=str(ROOT), PANCAKE_BASE_URL=f"http://{host}:{port}/api",
                   PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN, PANCAKE_CACHE_DIR=str(tmp_path))
        pages = [a for p in DEMO_PAGE_IDS[:3] for a in ("--page", p)]
        since, until = (DAY - timedelta(days=60)).isoformat(), DAY.isoformat()
        procs = [subprocess.Popen([sys.executable, "-m", "pancake", "export", kind, *pages, "--since", since,
                                   "--until", until, "--output", str(tmp_path / f"{kind}.csv"), "--quiet", "--no-store"],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for kind in ("staff", "engagement")]
        try:
            outs = [p.communicate(timeout=180) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(10)
        for p, (_, err) in zip(procs, outs):
            assert p.returncode == 0, err.decode()
            assert DEMO_USER_TOKEN.encode() not in err
        assert generations(sim) == 3                      # once per page, for both processes
        assert not [c for c in sim.calls if c.status >= 400]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
