"""A result's stamp (issue 18, a second session within 1.5 s): the digest of the kept entries it
was made of. What a view computes from results (its cards, its per-page table) is computed once
for the same stamps and handed to every later session, so the stamp must change whenever the
figures can: another range or other pages, a day fetched again, and it must be absent whenever
the result is not made only of kept entries (a page failed)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd

from pancake.api.simulator import FaultRule, Faults
from pancake.data import core
from tests.pancake.store.test_store import CO_BA, LINH_CHI, SNEAKER, TODAY, loader, sim_client, stat_calls

PIDS = [LINH_CHI, SNEAKER, CO_BA]
START, END = date(2026, 10, 1), date(2026, 10, 31)     # closed days


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_a_second_load_from_memory_has_the_first_loads_stamp(tmp_path):
    sim, client = sim_client()
    ld = loader(client, None, memo=core.FrameMemo())
    first = ld.load("engagement", PIDS, START, END)
    calls = len(stat_calls(sim))
    again = ld.load("engagement", PIDS, START, END)
    assert len(stat_calls(sim)) == calls                 # the second came from memory
    assert first.stamp is not None and len(first.stamp) == 32
    assert again.stamp == first.stamp
    pd.testing.assert_frame_equal(again["daily"], first["daily"])
    # another range, other pages, another kind or variant: other stamps
    others = {ld.load("engagement", PIDS, START, END - timedelta(days=1)).stamp,
              ld.load("engagement", PIDS[:2], START, END).stamp,
              ld.load("engagement", list(reversed(PIDS)), START, END).stamp,
              ld.load("customers", PIDS, START, END).stamp,
              ld.load("engagement", PIDS, START, END, hourly=True).stamp}
    assert None not in others and first.stamp not in others and len(others) == 5


def test_a_day_fetched_again_gives_another_stamp():
    clock = Clock()
    sim, client = sim_client()
    ld = core.Loader(client, None, source="test", today=lambda: TODAY, open_ttl=300,
                     memo=core.FrameMemo(clock=clock), clock=clock)
    first = ld.load("engagement", PIDS, TODAY - timedelta(days=2), TODAY)   # today is open
    assert ld.load("engagement", PIDS, TODAY - timedelta(days=2), TODAY).stamp == first.stamp
    clock.t += 301                                       # the open entries expired: asked again
    calls = len(stat_calls(sim))
    later = ld.load("engagement", PIDS, TODAY - timedelta(days=2), TODAY)
    assert len(stat_calls(sim)) > calls
    assert later.stamp is not None and later.stamp != first.stamp


def test_no_stamp_without_a_memory_or_with_a_failed_page():
    sim, client = sim_client()
    assert loader(client, None).load("engagement", PIDS, START, END).stamp is None   # nothing kept
    sim, client = sim_client(faults=Faults([FaultRule("403", every=1, page_id=SNEAKER,
                                                      path_contains="/statistics/")]))
    ld = loader(client, None, memo=core.FrameMemo())
    failed = ld.load("engagement", PIDS, START, END)
    assert [e.page_id for e in failed.errors] == [SNEAKER]
    assert failed.stamp is None
    assert ld.load("engagement", [LINH_CHI, CO_BA], START, END).stamp is not None   # the others' are kept


def test_the_same_hours_of_a_previous_period_have_a_stamp_of_their_own():
    sim, client = sim_client()
    ld = loader(client, None, memo=core.FrameMemo())
    cut = ld.load("engagement", PIDS, START, END, until=time(10, 30))
    assert cut.stamp is not None
    assert ld.load("engagement", PIDS, START, END, until=time(10, 30)).stamp == cut.stamp
    assert ld.load("engagement", PIDS, START, END, until=time(11, 0)).stamp not in (None, cut.stamp)
    assert ld.load("engagement", PIDS, START, END).stamp != cut.stamp
