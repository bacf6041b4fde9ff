"""AppTest of /conversations: the simulator's counts in both languages (demo), the waiting list
against the simulator's truth, paging back through messages, the drill-down filter through the
URL, and the write actions: none shown and none sent when off, exactly one request per
confirmed action when on, whatever the reruns."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.api.errors import ServerError
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_PAGES, DEMO_USER_TOKEN, Simulator, serve
from pancake.api.simulator._data import resolved_staff
from pancake.numbers import conversations as conv
from tests.conftest import app_test, pin_dashboard_now

PAGE = "app_pages/conversations.py"
ONE, WA = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[4]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _writes_unset(monkeypatch):
    monkeypatch.delenv("PANCAKE_ALLOW_WRITES", raising=False)


def local_today() -> date:
    return datetime.now(TZ).date()


DAY = local_today() - timedelta(days=3)   # a closed day: the same answer from any simulator


def open_directly(params, secrets=None):
    """The page as the first page opened (a shared link), not after the Overview page."""
    return app_test(PAGE, params=params, secrets=secrets, timeout=90)


def truth_day(page_id: str, day: date = DAY):
    return [c for _, c in Simulator().truth.conversations(page_id, datetime.combine(day, datetime.min.time()),
                                                          datetime.combine(day, datetime.max.time()))]


def first_metrics(at) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def conversations_table(at):
    return next(d.value for d in at.dataframe if {"type_name", "from_ads", "conversation_id"} <= set(d.value.columns))


@pytest.mark.parametrize("lang, labels", [
    ("vi", ("Hội thoại", "Tin nhắn", "Bình luận", "Có số điện thoại", "Từ quảng cáo")),
    ("en", ("Conversations", "Inbox", "Comment", "Phone captured", "From ads")),
])
def test_demo_counts_match_the_simulator(lang, labels):
    # with a drill parameter that does not parse: ignored, every conversation of the day is listed
    at = open_directly({"pages": ONE, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": lang,
                        "drill": "type:POST"})
    assert not at.exception
    assert conv.parse_drill("type:POST") is None
    truth = truth_day(ONE)
    m = first_metrics(at)
    total, inbox, comment, phone, ads = labels
    from pancake import fmt
    assert m[total] == fmt.number(len(truth), lang)
    assert m[inbox] == fmt.number(sum(c.type == "INBOX" for c in truth), lang)
    assert m[comment] == fmt.number(sum(c.type == "COMMENT" for c in truth), lang)
    assert m[phone] == fmt.number(sum(c.has_phone for c in truth), lang)
    assert m[ads] == fmt.number(sum(c.from_ad for c in truth), lang)
    table = conversations_table(at)
    assert sorted(table["conversation_id"]) == sorted(c.id for c in truth)
    assert dict(at.query_params)["lang"] == lang
    # one day: no "by day" chart of one bar across the page (its hours are in the heatmap)
    assert not any(x.value in ("**Theo ngày**", "**By day**") for x in at.markdown)
    # the tags' table sits under the tags' chart (in the tags' column), not beside "From ads"
    bold = [x.value for x in at.markdown if x.value.startswith("**")]
    assert bold.index("**" + ("Từ quảng cáo" if lang == "vi" else "From ads") + "**") == len(bold) - 2


def test_a_range_of_days_draws_its_days():
    at = open_directly({"pages": ONE, "from": (DAY - timedelta(days=2)).isoformat(), "to": DAY.isoformat(),
                        "lang": "en"})
    assert not at.exception
    assert any(x.value == "**By day**" for x in at.markdown)


# --- over HTTP, the simulator's request log at hand ---------------------------------------------------

@pytest.fixture
def served(unpaced_clients, monkeypatch):
    """Unpaced (``unpaced_clients``, a simulator counting no rate limit): pacing is not what these
    tests look at. One "now" for the simulator and the dashboard (``ui.cache.now_utc`` and the
    loaders' today): 15:00 yesterday, a working hour. At the real clock the waiting list was empty
    from 08:00 to 09:00 (the demo's staff had answered everyone) and a test of it failed then."""
    local = (datetime.now(TZ) - timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    pin_dashboard_now(monkeypatch, local.astimezone(UTC))
    sim = Simulator(now=local.replace(tzinfo=None), rate_limit_per_second=0)
    server, thread = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    secrets = {"PANCAKE_BASE_URL": f"http://{host}:{port}/api",
               "PANCAKE_PAGE_TOKENS": ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items())}
    yield sim, secrets
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_waiting_list_matches_the_truth(served):
    sim, secrets = served
    yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
    at = open_directly({"pages": f"{ONE},{WA}", "from": yesterday, "to": yesterday, "lang": "en"}, secrets)
    assert not at.exception
    since = sim.now() - timedelta(days=2)
    truth = sorted((pd.Timestamp(t).floor("s"), cid) for pid in (ONE, WA) for cid, t in sim.truth.waiting(pid, since))
    assert truth, "the simulator should have someone waiting"
    shown = frame_with(at, "wait_ms")
    assert list(shown["conversation_id"]) == [cid for _, cid in truth]   # longest wait first
    assert first_metrics(at)["Waiting for a reply"] == str(len(truth))
    threshold = dict(at.query_params).get("wait")
    assert threshold is None   # the default, 15 min, stays out of the link
    over = [w >= 15 * 60_000 for w in shown["wait_ms"]]
    assert list(shown["breach"]) == over


def test_threshold_lives_in_the_url(served):
    sim, secrets = served
    yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
    at = open_directly({"pages": ONE, "from": yesterday, "to": yesterday, "lang": "en", "wait": "45"}, secrets)
    assert not at.exception
    assert any(m.label == "Waiting over 45 min" for m in at.metric)
    at.number_input[0].set_value(30).run()
    assert dict(at.query_params)["wait"] == "30"
    assert any(m.label == "Waiting over 30 min" for m in at.metric)


def test_messages_page_back_thirty_at_a_time():
    at = open_directly({"pages": ONE, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en"})
    table = conversations_table(at)
    row = table[table["message_count"] > 60].iloc[0]
    at.selectbox(key="conv_pick").set_value(f"{ONE}|{row['conversation_id']}").run()
    assert not at.exception
    sim = Simulator()
    client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                           base_url="https://pages.fm/api", transport=sim.transport())
    newest = client.messages(ONE, row["conversation_id"], row["customer_id"])["messages"]
    older = client.messages(ONE, row["conversation_id"], row["customer_id"], current_count=30)["messages"]
    msgs = frame_with(at, "message_id")
    assert sorted(msgs["message_id"]) == sorted(m["id"] for m in newest)
    assert list(msgs["sent_at"]) == sorted(msgs["sent_at"])   # read top to bottom, oldest first
    at.button(key="conv_older").click().run()
    msgs = frame_with(at, "message_id")
    assert sorted(msgs["message_id"]) == sorted(m["id"] for m in newest + older)
    assert len(msgs) == 60


def test_drill_down_round_trips_through_the_url():
    truth = truth_day(ONE)
    at = open_directly({"pages": ONE, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en",
                        "drill": "type:COMMENT"})
    assert not at.exception
    table = conversations_table(at)
    assert sorted(table["conversation_id"]) == sorted(c.id for c in truth if c.type == "COMMENT")
    assert dict(at.query_params)["drill"] == "type:COMMENT"
    assert any(r"Filtered: By type\: Comment" in i.value for i in at.info)   # the value as text (fmt.literal)
    at.button(key="conv_clear").click().run()
    assert "drill" not in dict(at.query_params)
    assert len(conversations_table(at)) == len(truth)
    # the same filter picked with the widgets lands in the URL
    next(s for s in at.selectbox if s.label == "Filter by").set_value("phone").run()
    next(s for s in at.selectbox if s.label == "Value").set_value("1").run()
    assert dict(at.query_params)["drill"] == "phone:1"
    assert sorted(conversations_table(at)["conversation_id"]) == sorted(c.id for c in truth if c.has_phone)


def pick_first(at):
    table = conversations_table(at)
    cid = table.iloc[0]["conversation_id"]
    at.selectbox(key="conv_pick").set_value(f"{ONE}|{cid}").run()
    return cid


def writes(sim):
    return [c for c in sim.calls if c.method != "GET"]


def test_writes_off_shows_no_control_and_sends_nothing(served):
    sim, secrets = served
    yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
    at = open_directly({"pages": ONE, "from": yesterday, "to": yesterday, "lang": "en"}, secrets)
    pick_first(at)
    assert not at.exception
    keys = [b.key for b in at.button] + [s.key for s in at.selectbox]
    assert not [k for k in keys if k and k.startswith("conv_w_")]
    assert not any("Conversation actions" in (m.value or "") for m in at.markdown)
    at.run()
    assert sim.calls and writes(sim) == []


@pytest.mark.parametrize("action", ["read", "tag_add"])
def test_writes_on_send_exactly_one_request_per_confirmation(served, action):
    sim, secrets = served
    yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
    at = open_directly({"pages": ONE, "from": yesterday, "to": yesterday, "lang": "en"},
                       {**secrets, "PANCAKE_ALLOW_WRITES": "1"})
    cid = pick_first(at)
    at.selectbox(key="conv_w_action").set_value(action).run()
    at.button(key="conv_w_prepare").click().run()
    assert writes(sim) == []                      # prepared, not sent: it asks first
    assert any("Confirm" in w.value for w in at.warning)
    at.button(key="conv_w_confirm").click().run()
    sent = writes(sim)
    assert len(sent) == 1 and sent[0].path.endswith(f"/conversations/{cid}/{'read' if action == 'read' else 'tags'}")
    assert any("Pancake accepted" in s.value for s in at.success)
    at.run()
    at.run()
    assert len(writes(sim)) == 1                  # reruns send nothing more
    assert not [b for b in at.button if b.key == "conv_w_confirm"]


def test_send_once_guard():
    from ui import conversations_data as cd
    store: dict = {}
    calls = []
    store[cd.PENDING_KEY] = {"id": "a1", "action": "read", "label": "Mark read"}
    pending = dict(store[cd.PENDING_KEY])
    assert cd.send_once(store, lambda p: calls.append(p) or {"success": True}) is True
    assert cd.send_once(store, lambda p: calls.append(p) or {"success": True}) is False   # a rerun
    store[cd.PENDING_KEY] = pending                # a stale second click of the same confirmation
    assert cd.send_once(store, lambda p: calls.append(p) or {"success": True}) is False
    assert len(calls) == 1 and store[cd.SENT_KEY]["a1"]["ok"] is True

    def fail(p):
        raise ServerError("[conversations/read · page 1] HTTP 502 page_access_token=SECRET-CANARY-9z",
                          endpoint="conversations/read")
    from pancake.redact import register_secret
    register_secret("SECRET-CANARY-9z")
    store[cd.PENDING_KEY] = {"id": "b2", "action": "read", "label": "Mark read"}
    assert cd.send_once(store, fail) is True
    answer = store[cd.SENT_KEY]["b2"]
    assert answer["ok"] is False and "SECRET-CANARY-9z" not in str(answer)


def test_the_conversations_memory_is_bounded_in_entries_and_bytes():
    import pandas as pd

    from pancake.data import conversations as dc
    from ui import conversations_data as cd

    def loaded(n: int):
        return dc.Loaded(frame=pd.DataFrame({"conversation_id": [f"c{i:06d}" for i in range(n)]}))
    one = int(loaded(1000).frame.memory_usage(index=True, deep=True).sum())
    memo = cd.new_memo(max_entries=3, max_bytes=int(one * 2.5))
    for k in range(3):
        memo.put(("conversations", k), loaded(1000), 60)
    assert memo.get(("conversations", 0)) is None             # two fit in the bytes, not three
    assert memo.get(("conversations", 2)) is not None and memo.bytes <= memo.max_bytes
    memo.put(("conversations", "big"), loaded(10_000), 60)    # bigger than the bound: not kept
    assert memo.get(("conversations", "big")) is None and memo.get(("conversations", 2)) is not None
    small = cd.new_memo(max_entries=2, max_bytes=10**9)
    for k in range(3):
        small.put(("waiting", k), loaded(1), 60)
    assert small.get(("waiting", 0)) is None and len(small) == 2
    small.discard(lambda key, _expires: key[0] == "waiting")
    assert len(small) == 0 and small.bytes == 0


def test_the_reader_shows_a_chat_with_sides_and_staff_names():
    """Regression (issue 17, 11): the reader said "Unknown" as the side of every message. Now a
    chat: the customer's messages (left) named by the customer, the page's (right) by the staff
    member who sent them (the simulator names one on every page reply), texts as plain text."""
    at = open_directly({"pages": ONE, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en"})
    table = conversations_table(at)
    row = table[table["message_count"] >= 4].iloc[0]
    at.selectbox(key="conv_pick").set_value(f"{ONE}|{row['conversation_id']}").run()
    assert not at.exception
    msgs = frame_with(at, "message_id")
    assert "Unknown" not in set(msgs["who"])
    assert set(msgs["who"]) == {"Customer", "Page"}
    sim = Simulator()
    staff = {s.name for s in sim.truth.staff(ONE)} | {sim.truth.BOT_NAME}   # BotcakeAI answers some first
    bubbles = [c.value for c in at.caption if c.value.startswith((":material/person:", ":material/storefront:"))]
    assert len(bubbles) == len(msgs)
    page_side = [b for b in bubbles if b.startswith(":material/storefront:")]
    assert page_side and all(any(components_escaped(n) in b for n in staff) for b in page_side)
    texts = [t.value for t in at.text]
    assert all(m in texts for m in msgs["text"])


def components_escaped(name: str) -> str:
    from ui.components import escape_markdown
    return escape_markdown(name)


# --- by assignee: staff by id (the demo has namesakes: two people called Lý Hoàng Long) --------------

LONG_A = "79083226-2980-4251-a5cc-56b1bc6ca1e3"   # Lý Hoàng Long on Mỹ Phẩm Hana Beauty
LONG_B = "28123161-5389-46fd-ab08-44c8360ba51a"   # Lý Hoàng Long on Thời Trang Linh Chi
HUY = "2f737431-2bfa-4254-a70b-5f8295ad7b60"      # Bùi Quốc Huy: one person on two pages


def assigned_to(user_id: str, pages=None) -> list[str]:
    """The day's conversations the simulator assigns to ``user_id`` (its rule, every page or ``pages``)."""
    out = []
    for p in pages or DEMO_PAGES:
        staff = resolved_staff(p)
        out += [c.id for c in truth_day(p.id) if staff[int(c.psid[-2:]) % len(staff)].id == user_id]
    return sorted(out)


def test_namesakes_are_two_assignees_and_the_filter_picks_one():
    at = open_directly({"pages": "all", "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en"})
    assert not at.exception
    next(s for s in at.selectbox if s.label == "Filter by").set_value("assignee").run()
    values = next(s for s in at.selectbox if s.label == "Value")
    assert "Lý Hoàng Long · Mỹ Phẩm Hana Beauty" in values.options
    assert "Lý Hoàng Long · Thời Trang Linh Chi" in values.options
    assert "Lý Hoàng Long" not in values.options and "Bùi Quốc Huy" in values.options
    values.set_value(LONG_A).run()
    assert dict(at.query_params)["drill"] == f"assignee:{LONG_A}"
    assert sorted(conversations_table(at)["conversation_id"]) == assigned_to(LONG_A)
    # two people, two sets (each non-empty on any day: every staff member gets every n-th customer)
    assert assigned_to(LONG_A) and assigned_to(LONG_B) and not set(assigned_to(LONG_A)) & set(assigned_to(LONG_B))
    assert any("Lý Hoàng Long · Mỹ Phẩm Hana Beauty" in i.value for i in at.info)


@pytest.mark.parametrize("lang, words", [("en", "2 people"), ("vi", "2 nhân viên")])
def test_an_old_link_with_a_shared_name_is_dropped_with_a_notice(lang, words):
    at = open_directly({"pages": "all", "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": lang,
                        "drill": "assignee:Lý Hoàng Long"})
    assert not at.exception
    assert any(words in w.value and "Lý Hoàng Long" in w.value for w in at.warning)
    assert "drill" not in dict(at.query_params)
    assert len(conversations_table(at)) == sum(len(truth_day(p)) for p in DEMO_PAGE_IDS)


def test_an_old_link_with_one_persons_name_becomes_their_id():
    at = open_directly({"pages": "all", "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en",
                        "drill": "assignee:Bùi Quốc Huy"})
    assert not at.exception
    assert dict(at.query_params)["drill"] == f"assignee:{HUY}"
    assert sorted(conversations_table(at)["conversation_id"]) == assigned_to(HUY)
    # one person on two pages: the conversations of both pages
    his = [p for p in DEMO_PAGES if any(s.id == HUY for s in resolved_staff(p))]
    assert len(his) == 2 and all(assigned_to(HUY, [p]) for p in his)
