"""A view's one progress indicator counts every call of every kind and period it asks, once each
(``Loader.prefetch``/``load`` with ``tally``), and its pages."""
from __future__ import annotations

from concurrent.futures import Future
from datetime import date

from pancake.data import gather
from pancake.data.store import SQLiteStore
from tests.pancake.store.test_store import HANA, LINH_CHI, loader, sim_client

START, END = date(2026, 9, 1), date(2026, 10, 10)        # 40 days: windows of 31 + 9 days


def test_prefetched_kinds_and_their_loads_are_counted_once_together(tmp_path):
    _, client = sim_client()
    store = SQLiteStore(tmp_path / "stats.sqlite3")
    ld = loader(client, store)
    tally = gather.Tally([LINH_CHI, HANA])
    ld.prefetch("engagement", [LINH_CHI, HANA], START, END, tally=tally)   # 2 windows x 2 pages
    ld.prefetch("customers", [LINH_CHI, HANA], START, END, tally=tally)    # 2 runs of days x 2 pages
    assert tally.counts().calls == 8
    drawn = []
    tally.listener = drawn.append
    a = ld.load("engagement", [LINH_CHI, HANA], START, END, tally=tally)   # joins the calls in flight
    b = ld.load("customers", [LINH_CHI, HANA], START, END, tally=tally)
    assert not a.errors and not b.errors
    assert tally.counts() == gather.Counts(calls_done=8, calls=8, pages_done=2, pages=2)
    assert drawn and drawn[-1] == gather.Counts(8, 8, 2, 2)
    store.close()


def test_a_view_whose_days_are_stored_asks_nothing_and_its_page_is_done(tmp_path):
    _, client = sim_client()
    store = SQLiteStore(tmp_path / "stats.sqlite3")
    try:
        loader(client, store).load("customers", [LINH_CHI], START, END)
        tally = gather.Tally([LINH_CHI])
        loader(client, store).prefetch("customers", [LINH_CHI], START, END, tally=tally)
        assert tally.counts() == gather.Counts(calls_done=0, calls=0, pages_done=1, pages=1)
    finally:
        store.close()


def test_kinds_asked_after_the_first_go_out_when_the_first_are_answered(tmp_path):
    _, client = sim_client()
    store = SQLiteStore(tmp_path / "stats.sqlite3")
    try:
        ld = loader(client, store)
        tally = gather.Tally([LINH_CHI])
        first: Future = Future()                                  # the cards' kind, still in flight
        ld.prefetch("customers", [LINH_CHI], START, END, tally=tally, after=[first])
        assert tally.counts().calls == 0                          # nothing asked yet
        first.set_result(None)                                    # answered: the rest goes out now
        assert tally.counts().calls == 2                          # 40 days: two runs of days
        got = ld.load("customers", [LINH_CHI], START, END, tally=tally)
        assert not got.errors and tally.counts() == gather.Counts(2, 2, 1, 1)
    finally:
        store.close()
