"""Issue 21: ``python -m pancake sync`` fills the conversations' messages; ``export replies``
writes one row per customer turn, equal to the simulator's truth, and asks for no message the
store already keeps; a bad hours file is named (its line) and the export uses calendar time."""
from __future__ import annotations

import io
import tempfile
from datetime import datetime, timedelta

import pandas as pd
import pytest

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator, serve
from pancake.delivery import cli

pytestmark = pytest.mark.usefixtures("unpaced_clients")   # the commands in process, unpaced

SMALL = DEMO_PAGE_IDS[4]
COLUMNS = ["page_id", "conversation_id", "customer_id", "type", "turn_start", "replied_at", "replied_by",
           "automated", "wait_seconds", "business_wait_seconds", "first", "within_target"]


@pytest.fixture(scope="module")
def sim_server():
    sim = Simulator(rate_limit_per_second=0)   # now: the sync counts its days back from today; unpaced
    server, thread = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def env(sim_server, monkeypatch):
    _, url = sim_server
    values = {"PANCAKE_BASE_URL": url, "PANCAKE_ACCESS_TOKEN": DEMO_USER_TOKEN,
              "PANCAKE_PAGE_TOKENS": ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()),
              "PANCAKE_CACHE_DIR": tempfile.mkdtemp(prefix="pancake-replies-export-")}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)


def messages_calls(sim) -> int:
    return sum(1 for c in sim.calls if c.path.endswith("/messages"))


def test_sync_then_export_replies_asks_no_message_again(sim_server, env, tmp_path, monkeypatch):
    sim, _ = sim_server
    day = sim.today() - timedelta(days=1)
    hours = tmp_path / "hours.toml"
    hours.write_text('bots = ["BotcakeAI"]\n[targets]\nfirst_reply_minutes = 15\nnext_reply_minutes = 30\n',
                     encoding="utf-8")
    monkeypatch.setenv("PANCAKE_HOURS_FILE", str(hours))
    sim.reset_calls()
    err = io.StringIO()
    assert cli.main(["sync", "--page", SMALL, "--days", "1", "--kinds", "replies"], io.StringIO(), err) == 0, err.getvalue()
    assert messages_calls(sim) > 0 and f"replies {day}..{sim.today()}" in err.getvalue()
    sim.reset_calls()
    out = tmp_path / "replies.csv"
    err = io.StringIO()
    rc = cli.main(["export", "replies", "--page", SMALL, "--since", day.isoformat(), "--until", day.isoformat(),
                   "-o", str(out)], io.StringIO(), err)
    assert rc == 0, err.getvalue()
    assert messages_calls(sim) == 0                   # the sync kept them; nothing moved on a closed day
    frame = read_csv(out.read_bytes())
    assert list(frame.columns) == COLUMNS
    # the truth: every turn that started on DAY, in the conversations created on DAY
    truth = []
    first_instant = datetime.combine(day, datetime.min.time())
    for t, c in sim.truth.conversations(SMALL, first_instant, first_instant + timedelta(hours=23, minutes=59, seconds=59)):
        for turn in sim.truth.turns(SMALL, t, c):
            if turn["start"].date() == day:
                truth.append((c.id, turn))
    assert len(frame) == len(truth) > 20
    rows = {(r["conversation_id"], r["turn_start"]): r for _, r in frame.iterrows()}
    for cid, turn in truth:
        row = rows.get((cid, turn["start"].replace(microsecond=0).isoformat(sep=" ")))
        assert row is not None, (cid, turn)
        assert row["first"] == ("true" if turn["first"] else "false")
        if turn["end"] is None:
            assert row["replied_at"] == "" and row["automated"] == ""
            continue
        assert abs(int(row["wait_seconds"]) - turn["wait_seconds"]) <= 1
        assert row["wait_seconds"] == row["business_wait_seconds"]       # no [hours]: every hour counts
        assert row["replied_by"] == turn["by"] and row["automated"] == "false"
        target = 900 if turn["first"] else 1800
        assert row["within_target"] == ("true" if int(row["business_wait_seconds"]) <= target else "false")


def test_a_bad_hours_file_is_named_and_calendar_time_used(sim_server, env, tmp_path, monkeypatch):
    day = sim_server[0].today() - timedelta(days=1)
    hours = tmp_path / "hours.toml"
    hours.write_text('[hours]\nmon = ["08:00-12:00"]\ntue = ["8 to 12"]\n', encoding="utf-8")
    monkeypatch.setenv("PANCAKE_HOURS_FILE", str(hours))
    out = tmp_path / "r.csv"
    err = io.StringIO()
    rc = cli.main(["export", "replies", "--page", SMALL, "--since", day.isoformat(), "--until", day.isoformat(),
                   "-o", str(out), "-q"], io.StringIO(), err)
    assert rc == 0
    assert f"{hours} line 3:" in err.getvalue() and "using calendar time" in err.getvalue()
    frame = read_csv(out.read_bytes())
    assert (frame["wait_seconds"] == frame["business_wait_seconds"]).all()
    assert (frame["within_target"] == "").all()
