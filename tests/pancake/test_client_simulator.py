"""PancakeClient against the simulator (pancake.api.simulator): in process and over real HTTP."""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime

import pytest

from pancake.api import errors
from pancake.api.client import PancakeClient
from tests.clock import FakeClock

sim_mod = pytest.importorskip("pancake.api.simulator")
Simulator, FaultRule, Faults = sim_mod.Simulator, sim_mod.FaultRule, sim_mod.Faults
DEMO_USER_TOKEN, DEMO_PAGE_IDS = sim_mod.DEMO_USER_TOKEN, sim_mod.DEMO_PAGE_IDS

NOW = datetime(2026, 7, 6, 14, 30)


def setup(*, user=True, page_tokens=None, faults=None, **sim_kw):
    clock = FakeClock()
    sim = Simulator(seed=0, now=NOW, clock=clock, sleep=clock.sleep,
                    **({"faults": faults} if faults else {}), **sim_kw)
    client = PancakeClient(access_token=DEMO_USER_TOKEN if user else None, page_tokens=page_tokens,
                           transport=sim.transport(), sleep=clock.sleep, clock=clock, jitter=lambda: 1.0)
    return sim, client, clock


def secrets_of(sim):
    return [DEMO_USER_TOKEN, *sim.page_tokens.values()]


@pytest.mark.parametrize("shape", ["categorized", "documented"])
def test_list_pages_both_shapes(shape):
    sim, client, _ = setup(pages_shape=shape)
    ids = [p["id"] for p in client.list_pages()]
    assert ids == list(DEMO_PAGE_IDS)


def test_every_statistics_call_works_and_never_trips_the_rate_limit():
    sim, client, _ = setup()
    start, end = date(2026, 4, 20), date(2026, 7, 6)  # 78 days: three windows
    pids = DEMO_PAGE_IDS[:2]  # the second page only has statistics/page_customers
    for pid in pids:
        for chunks in (client.engagements(pid, start, end), client.engagements(pid, start, end, by_hour=True),
                       client.user_stats(pid, start, end), client.page_stats(pid, start, end),
                       client.tag_stats(pid, start, end), client.new_customers(pid, start, end),
                       client.ads_campaigns(pid, start, end), client.ads(pid, start, end, type="by_time")):
            assert len(chunks) == 3 and chunks[0].start == start and chunks[-1].end == end
        assert client.new_customers_route_for(pid) in client.NEW_CUSTOMERS_ROUTES
    client.multi_page_user_stats(DEMO_PAGE_IDS[:2], start, end)
    statuses = [c.status for c in sim.calls]
    assert 429 not in statuses and 400 not in statuses
    # per page: fallback 404s at most once per page, never again
    assert statuses.count(404) <= len(pids)


def test_regenerates_renewed_page_token_105():
    sim, client, _ = setup(page_tokens={DEMO_PAGE_IDS[0]: "placeholder"})
    pid = DEMO_PAGE_IDS[0]
    client._page_tokens[pid] = sim.page_token(pid)  # the current good one
    sim.regenerate_page_token(pid)                   # pasted token is now dead (105)
    client.tags(pid)
    assert [c.status for c in sim.calls if c.path.endswith("/generate_page_access_token")] == [200]


def test_dead_token_without_user_token():
    sim, client, _ = setup(user=False, page_tokens={DEMO_PAGE_IDS[0]: "REVOKED-TOKEN-xyz123"})
    err = pytest.raises(errors.AuthError, client.user_stats, DEMO_PAGE_IDS[0], date(2026, 7, 1), date(2026, 7, 6))
    assert "is invalid (102)" in str(err.value) and "REVOKED-TOKEN" not in str(err.value)


def test_faults_retried_and_no_token_in_logs(caplog):
    caplog.set_level(logging.DEBUG)
    faults = Faults(rules=[FaultRule("429", first_n=1, retry_after=2), FaultRule("502", first_n=2, path_contains="tags"),
                           FaultRule("500", first_n=1, path_contains="users")])
    sim, client, clock = setup(faults=faults)
    pid = DEMO_PAGE_IDS[0]
    client.tags(pid)
    client.user_stats(pid, date(2026, 7, 1), date(2026, 7, 6))
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "retry 1/4" in text
    for tok in secrets_of(sim):
        assert tok not in text
    assert 2.0 in clock.sleeps


def test_concurrent_pages_generate_once_each():
    sim, client, _ = setup()
    errs = []

    def work(pid):
        try:
            for _ in range(3):
                client.tags(pid)
        except Exception as exc:  # pragma: no cover
            errs.append(exc)

    threads = [threading.Thread(target=work, args=(pid,)) for pid in DEMO_PAGE_IDS for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errs
    gens = [c for c in sim.calls if c.path.endswith("/generate_page_access_token")]
    assert len(gens) == len(DEMO_PAGE_IDS)
    assert 429 not in [c.status for c in sim.calls]


def test_over_real_http():
    sim = Simulator(seed=0, now=NOW)
    server, thread = sim_mod.serve(sim, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        with PancakeClient(access_token=DEMO_USER_TOKEN, base_url=f"http://{host}:{port}/api") as client:
            pages = client.list_pages()
            pid = pages[0]["id"]
            chunks = client.user_stats(pid, date(2026, 7, 1), date(2026, 7, 6))
            assert chunks and isinstance(chunks[0].payload, dict)
            ok, message = client.token_status(pid)
            assert ok and "generated" in message
    finally:
        server.shutdown()
        server.server_close()
    # a closed port is a transport error, with no token in it
    with PancakeClient(access_token=DEMO_USER_TOKEN, base_url=f"http://{host}:{port}/api",
                       max_retries=1, sleep=lambda s: None) as client:
        with pytest.raises(errors.TransportError) as info:
            client.list_pages()
        assert DEMO_USER_TOKEN not in str(info.value) and info.value.__context__ is None
