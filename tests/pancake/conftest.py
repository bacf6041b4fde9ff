"""Fixtures shared by the CLI, fault, digest and alerts tests: the simulator over HTTP on loopback
(one per test module, at the real "now": the CLI's yesterday is the simulator's; or one per
test, built by the test), and a webhook receiver with the network closed to anything else."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pancake.api.simulator import Simulator, serve
from tests.pancake.receiver import Receiver, guard_network


@pytest.fixture(scope="module")
def sim_server():
    """Counting no rate limit: the commands run against it are unpaced (``tests.pancake.unpaced``)."""
    sim = Simulator(rate_limit_per_second=0)
    server, _ = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def pinned_now(sim_server):
    """One "now" for ``sim_server`` and every command run with the yielded environment
    (``notify_cli``'s ``TEST_NOW_UTC``): two runs a minute apart say the same wait, as runs compared
    with each other must (a customer waiting 6 h 33 min is waiting 6 h 34 min a minute later)."""
    sim, _ = sim_server
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    sim.set_now(now)
    yield {"TEST_NOW_UTC": now.isoformat()}
    sim.set_now(None)


@pytest.fixture
def receiver(monkeypatch):
    guard_network(monkeypatch)
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def server():
    """``start(sim) -> base URL``: the simulator over HTTP on loopback, stopped after the test."""
    started = []

    def start(sim: Simulator) -> str:
        srv, _ = serve(sim, "127.0.0.1", 0)
        started.append(srv)
        host, port = srv.server_address[:2]
        return f"http://{host}:{port}/api"
    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()
