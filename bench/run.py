"""Speed targets, measured (not asserted in the test suite): ``make bench``.

Each case prints its time against its target and the run exits 1 when a target is missed.
The simulator runs in process with a fake clock, so the 5 calls/s/page pace costs no
real waiting here; what is measured is our own work (HTTP stack, reshaping, merging, CSV).

Targets (2-core machine):
- 30 pages × 90 days of engagement, fetched, reshaped and merged: < 6 s
- 30 pages × 31 days of hourly staff statistics: < 8 s
- 100,000-row CSV export: < 3 s
- reshape of one 31-day engagement payload: < 20 ms
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from bench.sim_server import many_pages
from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_USER_TOKEN, Simulator
from pancake.data import core, reshape
from pancake.delivery import export
from tests.clock import FakeClock

NOW = datetime(2026, 11, 24, 12, 0)


def setup(n_pages: int):
    clock = FakeClock()
    pages = many_pages(n_pages)
    sim = Simulator(now=NOW, clock=clock, pages=pages, page_tokens={p.id: f"bench-token-{p.id}" for p in pages})
    client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=sim.page_tokens,
                           transport=sim.transport(), clock=clock, sleep=clock.sleep)
    return sim, client, [p.id for p in pages]


def timed(name: str, target: float, fn) -> bool:
    t0 = time.perf_counter()
    detail = fn()
    dt = time.perf_counter() - t0
    ok = dt <= target
    print(f"{'PASS' if ok else 'MISS'}  {name:<52} {dt:7.2f} s  (target {target:g} s)  {detail or ''}")
    return ok


def main() -> int:
    results = []
    sim, client, ids = setup(30)
    end = NOW.date()

    def engagement():
        r = core.fetch(client, "engagement", ids, end - timedelta(days=89), end)
        assert not r.errors, r.errors
        return f"{len(r['daily'])} rows"
    results.append(timed("engagement: 30 pages × 90 days", 6.0, engagement))

    def users():
        r = core.fetch(client, "staff", ids, end - timedelta(days=30), end)
        assert not r.errors, r.errors
        return f"{len(r['hourly'])} hourly rows"
    results.append(timed("staff hourly: 30 pages × 31 days", 8.0, users))

    frame = pd.DataFrame({"page_id": ["104857392015873"] * 100_000,
                          "hour": pd.date_range("2026-01-01", periods=100_000, freq="h"),
                          "inbox": np.arange(100_000), "name": ["Thời Trang Linh Chi"] * 100_000})
    results.append(timed("CSV export: 100,000 rows", 3.0, lambda: f"{len(export.to_csv_bytes(frame))} bytes"))

    payload = client.engagements(ids[0], end - timedelta(days=30), end)[0].payload

    def reshape_one():
        t0 = time.perf_counter()
        for _ in range(50):
            reshape.engagement_daily(payload, ids[0], end - timedelta(days=30), end)
        return f"{(time.perf_counter() - t0) / 50 * 1000:.1f} ms each"
    results.append(timed("reshape: 50 × one 31-day engagement payload", 1.0, reshape_one))
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
