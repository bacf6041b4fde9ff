"""Fixtures shared by the CLI, digest and alerts tests: the simulator over HTTP on loopback (one
per test module, at the real "now": the CLI's yesterday is the simulator's) and a webhook
receiver with the network closed to anything else."""
from __future__ import annotations

import pytest

from pancake.simulator import Simulator, serve
from tests.pancake.receiver import Receiver, guard_network


@pytest.fixture(scope="module")
def sim_server():
    sim = Simulator()
    server, _ = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(monkeypatch):
    guard_network(monkeypatch)
    r = Receiver()
    yield r
    r.close()
