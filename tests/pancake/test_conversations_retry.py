"""A load in which a page failed is not kept (the dashboard asks again on its next run): the next
load takes the pages that came from the first one and asks only the failed page (issue 20: ten
viewers at once, the API timing out on one page of 24, each load asked all 24 again)."""
from __future__ import annotations

from datetime import date, datetime

import httpx

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import conversations as dc
from tests.conftest import UNPACED

TZ = "Asia/Ho_Chi_Minh"
P1, P2 = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[1]
DAY = date(2026, 7, 5)


class FailsOnce:
    """The simulator, P2's first conversations call refused (400, not retried); calls counted per page."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = {P1: 0, P2: 0}
        self.failed = False

    def handle_request(self, request):
        for pid in self.calls:
            if f"/pages/{pid}/conversations" in request.url.path:
                self.calls[pid] += 1
                if pid == P2 and not self.failed:
                    self.failed = True
                    return httpx.Response(400, json={"success": False, "message": "bad request"}, request=request)
        return self.inner.handle_request(request)


def test_the_next_load_asks_only_the_page_that_failed():
    sim = Simulator(now=datetime(2026, 7, 6, 14, 30), rate_limit_per_second=0)
    t = FailsOnce(sim.transport())
    cl = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                       base_url="https://pages.fm/api", transport=t, timezone=TZ, rate_per_second=UNPACED)
    first = dc.load_conversations(cl, [P1, P2], DAY, DAY, TZ, deadline=60)
    assert [e.page_id for e in first.errors] == [P2] and first.pages_ok == [P1] and not first.late
    p1_calls = t.calls[P1]
    assert p1_calls >= 1
    second = dc.load_conversations(cl, [P1, P2], DAY, DAY, TZ, deadline=60)
    assert not second.errors and second.pages_ok == [P1, P2]
    assert t.calls[P1] == p1_calls                       # P1 came from the first load
    truth = sim.truth.conversations(P2, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59))
    assert sorted(second.frame.loc[second.frame["page_id"] == P2, "conversation_id"]) == sorted(x.id for _, x in truth)
    assert sorted(second.frame.loc[second.frame["page_id"] == P1, "conversation_id"]) == \
        sorted(first.frame.loc[first.frame["page_id"] == P1, "conversation_id"])
    # every page collected: the next load asks the API again
    third = dc.load_conversations(cl, [P1, P2], DAY, DAY, TZ, deadline=60)
    assert not third.errors and t.calls[P1] == 2 * p1_calls


def test_without_a_deadline_nothing_is_kept_between_loads():
    sim = Simulator(now=datetime(2026, 7, 6, 14, 30), rate_limit_per_second=0)
    t = FailsOnce(sim.transport())
    cl = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                       base_url="https://pages.fm/api", transport=t, timezone=TZ, rate_per_second=UNPACED)
    first = dc.load_conversations(cl, [P1, P2], DAY, DAY, TZ)          # the CLI: every page waited for
    assert [e.page_id for e in first.errors] == [P2]
    p1_calls = t.calls[P1]
    second = dc.load_conversations(cl, [P1, P2], DAY, DAY, TZ)
    assert not second.errors and t.calls[P1] == 2 * p1_calls
