"""/conversations and who may write (issue 23): a viewer never gets the write controls nor
sends one, whatever PANCAKE_ALLOW_WRITES says; a write answered too late has an unknown outcome,
said so, with a button that reads the conversation again; ``wait=`` never overflows."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from pancake import i18n
from pancake.api.client import PancakeClient
from pancake.api.errors import ServerError, TransportError
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, Simulator, serve
from pancake.api.simulator._faults import FaultRule, Faults
from pancake.delivery import access
from tests.conftest import app_test

PAGE = "app_pages/conversations.py"
ONE = DEMO_PAGE_IDS[0]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VIEWER_PW = "CANARY-VIEWER-PW-81aa"


def open_page(params, secrets=None):
    """The page as the first page opened (a shared link), not after the Overview page."""
    return app_test(PAGE, params=params, secrets=secrets, timeout=90)


def serve_sim(sim):
    server, thread = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    secrets = {"PANCAKE_BASE_URL": f"http://{host}:{port}/api",
               "PANCAKE_PAGE_TOKENS": ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()),
               "PANCAKE_ALLOW_WRITES": "1"}
    return server, thread, secrets


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def writes(sim):
    return [c for c in sim.calls if c.method != "GET"]


def pick_first(at):
    table = next(d.value for d in at.dataframe
                 if {"type_name", "from_ads", "conversation_id"} <= set(d.value.columns))
    cid = table.iloc[0]["conversation_id"]
    at.selectbox(key="conv_pick").set_value(f"{ONE}|{cid}").run()
    return cid


def test_a_viewer_gets_no_write_controls_and_sends_nothing(tmp_path, monkeypatch, unpaced_clients):
    path = tmp_path / "access.toml"
    path.write_text(f'[[viewer]]\nname = "Shop A"\npassword_hash = "{access.hash_secret(VIEWER_PW)}"\n'
                    f'pages = ["*"]\nrole = "viewer"\n', encoding="utf-8")
    monkeypatch.setenv("PANCAKE_ACCESS_FILE", str(path))
    sim = Simulator(now=datetime.now(TZ).replace(tzinfo=None, second=0, microsecond=0), rate_limit_per_second=0)
    server, thread, secrets = serve_sim(sim)
    try:
        yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
        at = open_page({"pages": ONE, "from": yesterday, "to": yesterday, "lang": "en"}, secrets)
        at.text_input(key="w_auth_name").input("Shop A")
        at.text_input(key="w_auth_password").input(VIEWER_PW)
        next(b for b in at.button if "FormSubmitter" in b.id).click().run()
        assert not at.exception and at.metric
        pick_first(at)
        keys = [b.key for b in at.button] + [s.key for s in at.selectbox]
        assert not [k for k in keys if k and k.startswith("conv_w_")]
        assert not any(i18n.t("conv.actions", "en") in (m.value or "") for m in at.markdown)
        assert writes(sim) == []
    finally:
        stop(server, thread)


def test_the_send_is_refused_for_a_viewer_even_with_a_pending_action(monkeypatch):
    import streamlit as st

    from ui import auth
    from ui import conversations_data as cd
    sent = []
    monkeypatch.setattr(cd.dc, "perform", lambda *a, **k: sent.append(a) or {"success": True})
    monkeypatch.setenv("PANCAKE_ALLOW_WRITES", "1")
    viewer = access.Identity(name="Shop A", pages=None, admin=False, method="password")
    st.session_state[auth.IDENTITY] = viewer
    try:
        st.session_state[cd.PENDING_KEY] = {"id": "x1", "action": "read", "page_id": ONE,
                                            "conversation_id": "c1", "value": None, "label": "Mark read"}
        cd.confirm()                               # a forged or stale callback
        assert sent == [] and cd.PENDING_KEY not in st.session_state
        cd.prepare("read", ONE, "c1")
        assert cd.PENDING_KEY not in st.session_state
        st.session_state[auth.IDENTITY] = access.Identity(name="Boss", admin=True, method="password")
        cd.prepare("read", ONE, "c1", label="Mark read")
        cd.confirm()
        assert len(sent) == 1                      # an admin's goes out, once
    finally:
        for k in (auth.IDENTITY, cd.PENDING_KEY, cd.SENT_KEY, cd.LAST_KEY):
            st.session_state.pop(k, None)


def test_a_write_answered_too_late_has_an_unknown_outcome_and_can_be_checked(monkeypatch, unpaced_clients):
    """Unpaced (``unpaced_clients``, a simulator counting no rate limit): the page's reads did not
    need to wait 5 s in real time for a write's test; the write still waits out its read timeout."""
    release = threading.Event()
    faults = Faults(rules=[FaultRule("slow", first_n=1, path_contains="/read", latency=45.0)],
                    sleep=lambda _s: release.wait(30))       # the server holds the write until released
    sim = Simulator(now=datetime.now(TZ).replace(tzinfo=None, second=0, microsecond=0), faults=faults,
                    rate_limit_per_second=0)
    monkeypatch.setitem(PancakeClient.__init__.__kwdefaults__, "timeout",
                        httpx.Timeout(connect=5.0, read=1.5, write=5.0, pool=5.0))
    server, thread, secrets = serve_sim(sim)
    try:
        yesterday = (sim.now() - timedelta(days=1)).date().isoformat()
        at = open_page({"pages": ONE, "from": yesterday, "to": yesterday, "lang": "en"}, secrets)
        cid = pick_first(at)
        at.selectbox(key="conv_w_action").set_value("read").run()
        at.button(key="conv_w_prepare").click().run()
        at.button(key="conv_w_confirm").click().run()
        assert not at.exception
        warnings = [w.value for w in at.warning]
        assert any(w.startswith("Outcome unknown: Mark read was sent") for w in warnings), (warnings, [e.value for e in at.error], [s.value for s in at.success], [j.value for j in at.json], writes(sim))
        assert not any("Pancake refused" in e.value for e in at.error)
        release.set()                               # the server finishes the write it was given
        for _ in range(200):
            if any(c.path.endswith(f"/conversations/{cid}/read") and c.status for c in writes(sim)):
                break
            time.sleep(0.05)
        at.button(key="conv_w_check").click().run()
        infos = [i.value for i in at.info]
        assert any("the conversation shows Mark read done" in i for i in infos), infos
        assert len(writes(sim)) == 1                # checking sent nothing
    finally:
        release.set()
        stop(server, thread)


def test_outcome_unknown_only_when_no_answer_came_after_sending():
    from ui import conversations_data as cd
    timeout = TransportError("timed out (ReadTimeout)", endpoint="conversations/read")
    connect = TransportError("could not connect", endpoint="conversations/read")
    connect.unreachable = True
    assert cd.outcome_unknown(timeout) is True
    assert cd.outcome_unknown(connect) is False
    assert cd.outcome_unknown(ServerError("HTTP 504", status_code=504)) is True
    assert cd.outcome_unknown(ServerError("HTTP 500", status_code=500)) is False


@pytest.mark.parametrize("row,action,value,expected", [
    ({"tag_ids": "3; 7", "assignee_ids": "", "seen": True}, "tag_add", "7", True),
    ({"tag_ids": "3; 17", "assignee_ids": "", "seen": True}, "tag_add", "7", False),
    ({"tag_ids": "", "assignee_ids": "", "seen": True}, "tag_remove", "7", True),
    ({"tag_ids": None, "assignee_ids": None, "seen": None}, "tag_add", "7", False),
    ({"tag_ids": "", "assignee_ids": "u1; u2", "seen": False}, "assign", "u2", True),
    ({"tag_ids": "", "assignee_ids": "u1", "seen": False}, "assign", ["u1", "u3"], False),
    ({"tag_ids": "", "assignee_ids": "", "seen": False}, "read", None, False),
    ({"tag_ids": "", "assignee_ids": "", "seen": False}, "unread", None, True),
    ({"tag_ids": "", "assignee_ids": "", "seen": None}, "read", None, None),
])
def test_took_effect_reads_the_row_as_it_is_now(row, action, value, expected):
    from types import SimpleNamespace

    from ui import conversations_data as cd
    assert cd.took_effect(action, value, SimpleNamespace(**row)) is expected


@pytest.mark.parametrize("raw,minutes,as_is", [
    ("1e309", 1440, False), ("-1e309", 1, False), ("nan", 15, False), ("inf", 1440, False),
    ("45", 45, True), ("45.5", 45, False), ("0", 1, False), ("99999", 1440, False), ("", 15, True),
    (None, 15, True), ("abc", 15, False),
])
def test_parse_wait_clamps_and_never_raises(raw, minutes, as_is):
    from ui import conversations_data as cd
    assert cd.parse_wait(raw) == (minutes, as_is)


def test_wait_1e309_is_named_not_an_overflow():
    at = open_page({"pages": ONE, "lang": "en", "wait": "1e309"})
    assert not at.exception
    assert any(r"wait\=1e309" in w.value for w in at.warning)
    assert any(m.label == "Waiting over 1440 min" for m in at.metric)
