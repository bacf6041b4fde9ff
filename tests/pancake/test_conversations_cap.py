"""No cap that fakes a trend (issue 17 item 9): when pages keep only their newest
conversations, the dashboard's figures cover only the period every page gave in full."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import conversations as dc
from pancake.numbers import conversations as conv
from pancake.numbers.views import conversations as v
from tests.conftest import UNPACED

TZ = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 7, 6, 14, 30)
P1, P2 = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[1]


def frame_of(rows):
    """rows: (page, created_at) -> a conversations frame (the columns complete_from reads)."""
    f = conv.empty_conversations()
    data = pd.DataFrame({"page_id": [r[0] for r in rows],
                         "created_at": pd.to_datetime([r[1] for r in rows]).astype("datetime64[s]")})
    return pd.concat([f, data], ignore_index=True) if rows else f


def test_complete_from_takes_the_latest_capped_page_and_whole_days():
    f = frame_of([("a", "2026-12-03 15:20:00"), ("a", "2026-12-06 10:00:00"),
                  ("b", "2026-12-02 09:00:00"), ("b", "2026-12-05 23:59:59"),
                  ("c", "2026-11-30 01:00:00")])       # c was not capped: it has the whole range
    # a is complete after 03/12 15:20, b after 02/12 09:00: every page from 04/12 00:00
    assert dc.complete_from(f, ["a", "b"], date(2026, 12, 6)) == datetime(2026, 12, 4)
    assert dc.complete_from(f, ["b"], date(2026, 12, 6)) == datetime(2026, 12, 3)


def test_complete_from_within_the_last_day_is_the_second_after():
    f = frame_of([("a", "2026-12-06 14:05:00"), ("a", "2026-12-06 16:00:00")])
    assert dc.complete_from(f, ["a"], date(2026, 12, 6)) == datetime(2026, 12, 6, 14, 5, 1)


def test_complete_from_nothing_capped_or_nothing_kept_is_none():
    f = frame_of([("a", "2026-12-06 14:05:00")])
    assert dc.complete_from(f, [], date(2026, 12, 6)) is None
    assert dc.complete_from(frame_of([]), ["a"], date(2026, 12, 6)) is None     # empty frame
    assert dc.complete_from(f, ["zz"], date(2026, 12, 6)) is None               # capped page kept nothing
    nat = frame_of([("a", "2026-12-06 14:05:00")])
    nat["created_at"] = pd.NaT
    assert dc.complete_from(nat, ["a"], date(2026, 12, 6)) is None


def test_covers_label_in_both_languages():
    assert v.covers_label(datetime(2026, 12, 3), date(2026, 12, 6), "vi") == "03/12 – 06/12/2026"
    assert v.covers_label(datetime(2026, 12, 3), date(2026, 12, 6), "en") == "3 – 6 Dec 2026"
    assert v.covers_label(datetime(2026, 12, 6, 14, 5, 1), date(2026, 12, 6), "vi") == "14:05 06/12/2026"  \
        " – 06/12/2026"


def client_for(sim):
    """Unpaced, against a simulator counting no rate limit: the cap is the point, not the pace."""
    return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                         base_url="https://pages.fm/api", transport=sim.transport(), timezone=TZ,
                         rate_per_second=UNPACED)


def test_a_capped_range_keeps_only_complete_days_that_match_the_truth_and_the_tags_page():
    sim = Simulator(now=NOW, rate_limit_per_second=0)
    start, end = date(2026, 7, 1), date(2026, 7, 5)
    truth = {p: sim.truth.conversations(p, datetime(2026, 7, 1), datetime(2026, 7, 5, 23, 59, 59)) for p in (P1, P2)}
    per_day = {p: Counter(t.date() for t, _ in truth[p]) for p in (P1, P2)}
    # a cap of a little over two days of P1: its newest kept reach into 03/07, so 04/07 on is complete
    cap = per_day[P1][date(2026, 7, 5)] + per_day[P1][date(2026, 7, 4)] + 10
    assert cap < len(truth[P1]) and cap < len(truth[P2])
    loaded = dc.load_conversations(client_for(sim), [P1, P2], start, end, TZ, cap=cap, complete_only=True)
    assert sorted(loaded.capped) == sorted([P1, P2])
    first = loaded.covers_from.date()
    assert loaded.covers_from.time() == datetime.min.time() and date(2026, 7, 4) <= first <= date(2026, 7, 5)
    days = v.by_day(loaded.frame, start, end)
    got = dict(zip(days["date"].dt.date, days["conversations"]))
    for d in (date(2026, 7, 1) + timedelta(days=i) for i in range(5)):
        want = per_day[P1][d] + per_day[P2][d] if d >= first else 0   # nothing drawn before the period
        assert got[d] == want, d
    # tag counts over the covered days: the Tags page's numbers (statistics/tags) for those days
    tags = Counter()
    for tid_list in loaded.frame["tag_ids"]:
        tags.update(int(x) for x in str(tid_list).split(conv.LIST_SEP) if x)
    assert sum(tags.values()) > 0
    covered = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    for tid in set(tags) | {1, 2, 3}:
        want = sum(sim.truth.tag_day(p, tid, d) for p in (P1, P2) for d in covered)
        assert tags[tid] == want, tid


def test_the_cli_keeps_every_conversation_it_fetched():
    sim = Simulator(now=NOW, rate_limit_per_second=0)
    loaded = dc.load_conversations(client_for(sim), [P1], date(2026, 7, 4), date(2026, 7, 5), TZ, cap=100)
    assert loaded.capped == [P1] and len(loaded.frame) == 100 and loaded.covers_from is None
