"""A partial today compared with the same hours of the previous period (issue 8): the previous
period's last day is cut at the time today's figures were fetched. Its whole days come from the
store like any load; the cut day is asked of the API with a time-bounded range, never stored as
a closed day, and merged by the kind's own rule. Checked for every kind against the API's own
cut and against the simulator's truth."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest

from pancake.api.simulator import FaultRule, Faults
from pancake.data import core, kinds
from pancake.data.store import SQLiteStore
from pancake.numbers import metrics
from tests.pancake.store.test_store import (
    CO_BA,
    LINH_CHI,
    SNEAKER,
    VARIANTS,
    loader,
    page_frame,
    sim_client,
    stat_calls,
)

PIDS = [LINH_CHI, SNEAKER, CO_BA]
CUT = time(10, 30)
# the previous period of "this month" on TODAY (2026-11-24): 24 days ending 31/10
START, END = date(2026, 10, 8), date(2026, 10, 31)
# what the API's one cut call and the loader's merge (whole days + the cut day) cannot share:
# reach is not additive, so two windows blank it, and the API's own per-window ratios are
# recomputed from the summed fields (metrics.merge_ads; the screens use paired sums anyway)
NOT_ADDITIVE = {("ads", "ads"): ["reach", "cpc", "cpm", "ctr", "purchase_roas"]}
# the kinds whose endpoint can be asked to a time of day (ads and tags count whole days)
CUT_KINDS = [(k, o) for k, o in VARIANTS if kinds.get(k).cuts_by_time]


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "stats.sqlite3")
    yield s
    s.close()


@pytest.mark.parametrize("kind,options", CUT_KINDS, ids=lambda v: str(v))
def test_a_range_cut_at_a_time_equals_the_apis_own_cut(store, kind, options):
    sim, client = sim_client()
    result = loader(client, store).load(kind, PIDS, START, END, until=CUT, **options)
    assert not result.errors, result.errors
    assert result.pages_ok == PIDS
    for pid in PIDS:
        direct = core.fetch_page(client, kind, pid, START, END, until=CUT, **options)
        for name, frame in direct.items():
            got = page_frame(result, name, pid)
            want = frame.reset_index(drop=True)
            drop = NOT_ADDITIVE.get((kind, name), [])
            sort = [c for c in ("date", "hour", "user_id", "tag_id", "ad_id") if c in want.columns]
            got = got.drop(columns=drop).sort_values(sort).reset_index(drop=True)
            want = want.drop(columns=drop).sort_values(sort).reset_index(drop=True)
            # the API rounds a range's average response time to whole ms; the merge weighs the
            # two parts' rounded means: within a ms of the API's one-call figure
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-5,
                                          obj=f"{kind} {options} {name} page {pid}")


def test_the_cut_day_counts_only_the_hours_before_the_cut():
    sim, client = sim_client()
    day = END
    full = core.Loader(client).load("engagement", PIDS, day, day)
    cut = core.Loader(client).load("engagement", PIDS, day, day, until=CUT)
    for pid in PIDS:
        truth = sim.truth.engagement_day(pid, day, None, datetime.combine(day, time(0)),
                                         datetime.combine(day, CUT))
        whole = sim.truth.engagement_day(pid, day)
        rows = page_frame(cut, "daily", pid)
        assert metrics.total(rows, "total") == truth["total"]
        assert metrics.total(page_frame(full, "daily", pid), "total") == whole["total"]
        assert truth["total"] < whole["total"]          # the cut is real: fewer hours
    hours = core.Loader(client).load("activity", PIDS, day, day, until=CUT)["hourly"]
    assert not hours.empty and (hours["hour"] < datetime.combine(day, CUT)).all()


def test_new_customers_are_cut_by_hour_since_their_endpoint_takes_dates_only():
    sim, client = sim_client()
    day = END
    data = core.Loader(client).load("customers", PIDS, day, day, until=CUT)["data"]
    for pid in PIDS:
        want = sum(sim.truth.new_customers_hour(pid, datetime.combine(day, time(h)))["new_customer_count"]
                   for h in range(CUT.hour + 1))          # 10:00-10:59 started before 10:30: counted whole
        assert metrics.total(page_frame(core.Result({"data": data}), "data", pid),
                             "new_customer_count") == want
    sent = [c for c in sim.calls if "customers" in c.path]
    assert sent and all(c.params.get("group_by") == "hour" for c in sent)


def test_the_cut_day_is_never_stored_and_whole_days_are_read_from_the_store(store):
    sim, client = sim_client()
    ld = loader(client, store, memo=core.FrameMemo())
    ld.load("engagement", PIDS, START, END, until=CUT)
    stored = store.get("test", "engagement", "", core.GRAIN_RANGE, PIDS, START, END)
    assert stored and all(e.end < END for e in stored)          # the cut day is not among them
    sim.reset_calls()
    ld.load("engagement", PIDS, START, END, until=CUT)            # same view again: memory
    assert stat_calls(sim) == []
    sim.reset_calls()
    loader(client, store).load("engagement", PIDS, START, END, until=CUT)   # a new process
    asked = stat_calls(sim)
    assert len(asked) == len(PIDS)                                 # only the cut day, once per page
    assert all(c.params["date_range"] == f"{END:%d/%m/%Y} 00:00:00 - {END:%d/%m/%Y} 10:30:00" for c in asked)
    sim.reset_calls()
    loader(client, store).load("engagement", PIDS, START, END, until=time(11, 0))   # another cut
    assert len(stat_calls(sim)) == len(PIDS)


def test_a_page_that_fails_the_cut_day_is_left_out_of_both_parts(store, monkeypatch):
    sim, client = sim_client()
    real = core.fetch_page

    def failing(client, kind, pid, start, end, **kw):
        if pid == SNEAKER and kw.get("until") is not None:
            raise core.errors.ServerError("boom", endpoint="statistics/users", page_id=pid)
        return real(client, kind, pid, start, end, **kw)

    monkeypatch.setattr(core, "fetch_page", failing)
    result = loader(client, store).load("staff", PIDS, START, END, until=CUT)
    assert result.pages_ok == [LINH_CHI, CO_BA]
    assert [e.page_id for e in result.errors] == [SNEAKER]
    for frame in result.frames.values():
        assert SNEAKER not in set(frame["page_id"])


def test_a_single_day_cut_makes_one_call_per_page_and_prefetch_skips_it():
    sim, client = sim_client()
    ld = core.Loader(client)
    ld.prefetch("activity", PIDS, END, END, until=CUT)
    assert stat_calls(sim) == []
    ld.load("activity", PIDS, END, END, until=CUT)
    assert len(stat_calls(sim)) == len(PIDS)
    assert {int(c.params["until"]) for c in stat_calls(sim)} == {
        int(datetime.combine(END, CUT, tzinfo=client.tz).timestamp())}


def test_every_kind_takes_the_cut():
    # a kind added without passing ``until`` to its call would compare a whole day again
    sim, client = sim_client()
    for kind in kinds.names():
        if not kinds.get(kind).cuts_by_time:
            continue
        sim.reset_calls()
        core.fetch_page(client, kind, LINH_CHI, END, END, until=CUT)
        asked = stat_calls(sim)
        assert asked, kind
        for c in asked:
            ends = c.params.get("date_range", "").endswith("10:30:00") or (
                "until" in c.params and int(c.params["until"]) ==
                int(datetime.combine(END, CUT, tzinfo=client.tz).timestamp()))
            assert ends or c.params.get("group_by") == "hour", (kind, c.path, c.params)


@pytest.mark.parametrize("kind", ["ads", "tags"])
def test_a_kind_counted_by_whole_days_is_never_cut(kind):
    """Regression (issue 17, 5): ads and tags were 'cut' by sending since/until to the minute,
    but their endpoints count whole days (the reference's statistics/tags answers per day, the
    ads statistics come from Facebook's daily reports): the 'same hours' were the whole of
    yesterday. The loader now refuses the cut (the screens then show no change and say why),
    and makes no call."""
    assert kinds.get(kind).cuts_by_time is False
    sim, client = sim_client()
    with pytest.raises(ValueError, match="whole days"):
        core.Loader(client).load(kind, PIDS, END, END, until=CUT)
    with pytest.raises(ValueError, match="whole days"):
        core.fetch_page(client, kind, LINH_CHI, END, END, until=CUT)
    core.Loader(client).prefetch(kind, PIDS, START, END, until=CUT)
    assert stat_calls(sim) == []


def test_the_kinds_that_are_cut_by_time():
    assert {k for k in kinds.names() if kinds.get(k).cuts_by_time} == {
        "engagement", "staff", "activity", "customers"}


def test_a_day_before_the_cut_is_unchanged():
    sim, client = sim_client()
    a = core.Loader(client).load("engagement", PIDS, END - timedelta(days=3), END - timedelta(days=1))
    b = core.Loader(client).load("engagement", PIDS, END - timedelta(days=3), END, until=CUT)
    before = b["daily"][b["daily"]["date"] < pd.Timestamp(END)].sort_values(["page_id", "date"])
    pd.testing.assert_frame_equal(before.reset_index(drop=True),
                                  a["daily"].sort_values(["page_id", "date"]).reset_index(drop=True))


# --- issue 17 item 4: the cut day refused for every page -------------------------------------


@pytest.mark.parametrize("kind,options", CUT_KINDS, ids=lambda v: str(v))
def test_every_page_refusing_the_cut_day_gives_no_page_not_an_exception(store, kind, options):
    """Regression (issue 17, 4): "this month" compares today until now with the previous period
    cut at the same hour; when the cut day's call fails for every page (a 403 on every page from
    the simulator, the whole days already in the store) the load merged a part with no frames
    and raised. Now: no page answered, one error per page, and the frames (if any) are empty."""
    sim, client = sim_client()
    ld = loader(client, store)
    whole = ld.load(kind, PIDS, START, END - timedelta(days=1), **options)
    assert whole.pages_ok == PIDS                      # the whole days are stored
    sim.faults.rules.append(FaultRule("403", every=1, path_contains="/statistics/"))
    result = ld.load(kind, PIDS, START, END, until=CUT, **options)
    assert result.pages_ok == []
    assert [e.page_id for e in result.errors] == PIDS
    assert {e.kind for e in result.errors} == {"auth"}
    for frame in result.frames.values():
        assert frame.empty


@pytest.mark.parametrize("kind,options", CUT_KINDS, ids=lambda v: str(v))
def test_a_single_day_refused_for_every_page_gives_no_page(kind, options):
    sim, client = sim_client(faults=Faults([FaultRule("403", every=1, path_contains="/statistics/")]))
    result = core.Loader(client).load(kind, PIDS, END, END, until=CUT, **options)
    assert result.pages_ok == [] and [e.page_id for e in result.errors] == PIDS
    assert all(f.empty for f in result.frames.values())


def test_one_page_answering_the_cut_day_keeps_its_rows_only(store):
    """The same with one page still answering: its whole days and its cut day, merged; the
    others left out of both (hand count: 2 refused of 3)."""
    sim, client = sim_client()
    ld = loader(client, store)
    ld.load("staff", PIDS, START, END - timedelta(days=1))
    sim.faults.rules.extend(FaultRule("403", every=1, path_contains="/statistics/", page_id=p) for p in (SNEAKER, CO_BA))
    result = ld.load("staff", PIDS, START, END, until=CUT)
    assert result.pages_ok == [LINH_CHI]
    assert sorted(e.page_id for e in result.errors) == sorted([SNEAKER, CO_BA])
    assert set(result["totals"]["page_id"]) == {LINH_CHI}
