"""Issue 21: each conversation's messages fetched within the limit and kept in the store; the
turns computed from them equal the simulator's truth per turn."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import conversations as dc
from pancake.data import replies as dr
from pancake.data.store import memory_store
from pancake.numbers import hours as hmod
from pancake.numbers import replies

TZ = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 7, 6, 14, 30)          # local
P1 = DEMO_PAGE_IDS[0]
DAY = date(2026, 7, 6)


@pytest.fixture
def sim():
    return Simulator(now=NOW, rate_limit_per_second=1e9)


def client_for(sim):
    return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                         base_url="https://pages.fm/api", transport=sim.transport(), timezone=TZ,
                         rate_per_second=1000)


def _calls(sim) -> int:
    return sum(1 for c in sim.calls if c.path.endswith("/messages"))


def _convs(sim, n=40):
    frame = dc.load_conversations(client_for(sim), [P1], DAY, DAY, TZ).frame
    return frame.head(n).reset_index(drop=True)


def test_fill_then_nothing_to_ask_then_only_what_moved(sim):
    convs = _convs(sim)
    store = memory_store()
    cl = client_for(sim)
    sim.reset_calls()
    first = dr.fill(cl, store, "s", convs)
    # one call per 30 messages of each conversation, never more
    expected = sum(-(-int(n) // 30) if int(n) % 30 else int(n) // 30 + 1 for n in convs["message_count"])
    assert first.asked == len(convs) and first.calls == _calls(sim) == expected
    assert dr.kept(store, "s", convs).is_complete
    sim.reset_calls()
    again = dr.fill(cl, store, "s", convs)
    assert (again.asked, again.calls, _calls(sim)) == (0, 0, 0)      # nothing moved: nothing asked
    # three hours later: only the conversations whose updated_at moved are asked, each back to a
    # message already kept: k new messages take k // 30 + 1 calls (the last one reaches a kept one)
    sim.set_now(NOW + timedelta(hours=3))
    later = _convs(sim, 10_000)
    later = later[later["conversation_id"].isin(convs["conversation_id"])].reset_index(drop=True)
    assert len(later) == len(convs)
    before = dict(zip(convs["conversation_id"], convs["updated_at"]))
    moved = sum(before[c] != u for c, u in zip(later["conversation_id"], later["updated_at"]))
    assert 0 < moved < len(convs)
    sim.reset_calls()
    third = dr.fill(cl, store, "s", later)
    counts = dict(zip(convs["conversation_id"], convs["message_count"].astype(int)))
    calls = sum((int(n) - counts[c]) // 30 + 1 for c, n in zip(later["conversation_id"], later["message_count"])
                if int(n) != counts[c])
    assert third.asked == moved and _calls(sim) == third.calls == calls < moved * 2
    have = dr.kept(store, "s", later)
    assert have.complete == have.total == len(later)
    got = have.messages.groupby("conversation_id").size().to_dict()
    assert got == dict(zip(later["conversation_id"], later["message_count"].astype(int)))


def test_store_keeps_no_texts(sim):
    convs = _convs(sim, 3)
    store = memory_store()
    dr.fill(client_for(sim), store, "s", convs)
    body = store.messages_get("s", P1, list(convs["conversation_id"]))
    assert all('"message"' not in b for _, b in body.values())


def test_partial_store_says_how_many(sim):
    convs = _convs(sim, 10)
    store = memory_store()
    dr.fill(client_for(sim), store, "s", convs.head(4))
    have = dr.kept(store, "s", convs)
    assert (have.complete, have.total, len(have.missing)) == (4, 10, 6)
    assert not have.is_complete


@pytest.mark.parametrize("bots_count", [False, True])
def test_turns_equal_the_simulators_truth(sim, bots_count):
    convs = _convs(sim, 60)
    store = memory_store()
    dr.fill(client_for(sim), store, "s", convs)
    hours = hmod.parse(f'bots = ["BotcakeAI"]\nbots_count = {str(bots_count).lower()}\n', TZ)
    now = datetime(2026, 7, 6, 7, 30, tzinfo=UTC)     # 14:30 local
    got, _ = dr.turns(store, "s", convs, hours, now)
    spec = {c.id: (t, c) for t, c in sim.truth.conversations(P1, datetime(2026, 7, 6), NOW)}
    botted = 0
    for cid in convs["conversation_id"]:
        truth = sim.truth.turns(P1, *spec[cid], bots_count=bots_count)
        mine = got[got["conversation_id"] == cid]
        assert len(mine) == len(truth), cid
        for (_, r), t in zip(mine.iterrows(), truth):
            assert r["start"].tz_convert(TZ).tz_localize(None) == pytest.approx(t["start"], abs=timedelta(seconds=1))
            assert bool(r["waiting"]) == (t["end"] is None)
            assert bool(r["first"]) == t["first"]
            assert abs(r["wait_seconds"] - t["wait_seconds"]) <= 1.0
            if t["end"] is not None:
                assert r["replied_by"] == t["by"]
                botted += bool(t["automated"])
    assert (botted > 0) == bots_count          # the bot answers only when it counts


def test_a_failing_page_is_named_and_the_others_kept(sim):
    convs = _convs(sim, 3)
    bad = convs.assign(page_id="999")
    store = memory_store()
    import pandas as pd
    out = dr.fill(client_for(sim), store, "s", pd.concat([convs, bad], ignore_index=True))
    assert [e.page_id for e in out.errors] == ["999"]
    assert dr.kept(store, "s", convs).is_complete


def test_summary_over_the_truth_is_one_function(sim):
    """The same turns through ``replies.summary`` twice (page, export) give the same median."""
    convs = _convs(sim, 30)
    store = memory_store()
    dr.fill(client_for(sim), store, "s", convs)
    hours = hmod.load(None, TZ)
    t, _ = dr.turns(store, "s", convs, hours, datetime(2026, 7, 6, 7, 30, tzinfo=UTC))
    exported = replies.export_frame(t, hours)
    answered = exported[exported["replied_at"] != ""]["wait_seconds"].astype(float)
    assert replies.summary(t, "calendar").count == len(answered)


def test_the_reply_target_alert_reads_every_waiting_conversation(sim):
    """``load_waiting_turns``: the waiting list (however long ago a conversation began) and the
    conversations of yesterday and today, their messages filled, one waiting turn per waiting
    conversation: the simulator's own list, and its customers answered only by the bot (a bot's
    reply ends no turn; the API's list leaves them out, the standup screen does not)."""
    store = memory_store()
    now_utc = NOW - timedelta(hours=7)                                  # 14:30 in Hồ Chí Minh City
    got = dr.load_waiting_turns(client_for(sim), store, "s", [P1], TZ, hmod.calendar(TZ),
                                now_utc.replace(tzinfo=UTC), NOW)
    listed = {cid for cid, _since in sim.truth.waiting(P1, datetime(2015, 1, 1))}
    assert listed, "the simulator has customers waiting at 14:30"
    only_bot = {c.id for t, c in sim.truth.conversations(P1, datetime(2026, 7, 5), NOW)
                if sim.truth.turns(P1, t, c)[-1]["end"] is None and c.id not in listed}
    assert only_bot, "yesterday and today, some customers were answered only by the bot"
    waiting = got.turns[got.turns["waiting"].astype(bool)]
    assert set(waiting["conversation_id"]) == listed | only_bot
    assert got.kept.is_complete and got.errors == []
    # a second look asks for no message of a conversation that has not moved
    sim.reset_calls()
    dr.load_waiting_turns(client_for(sim), store, "s", [P1], TZ, hmod.calendar(TZ), now_utc.replace(tzinfo=UTC), NOW)
    assert _calls(sim) == 0
