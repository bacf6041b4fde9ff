"""AppTest of /replies (issue 21): "computed over N of M" until the background fill is done,
then the figures equal the simulator's truth; both languages; the basis kept in the URL; a
drill-down through the URL; a bad hours file named with its line and calendar time used."""
from __future__ import annotations

import re
import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pancake import fmt
from pancake.api.simulator import DEMO_PAGE_IDS, Simulator
from pancake.data import filler
from pancake.data import replies as dr
from tests.conftest import ROOT
from ui import replies_data as rd

PAGE = "app_pages/replies.py"
WA = DEMO_PAGE_IDS[4]          # the page with the fewest conversations
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime.now(TZ).date() - timedelta(days=3)


def open_directly(params, env=None):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    return at.run()


def wait_background():
    """The fill is done: in this process (a store in memory) or by the store's filler process
    (which leaves as soon as its queue is empty: ``IDLE_SECONDS`` 0 below)."""
    for _, fut in list(dr.BACKGROUND.items.values()):
        fut.result(timeout=300)
    filler.wait_started(timeout=300)


def wait_turns(shared):
    """The shared turns being computed (``rd.turns_soon``'s thread) are done."""
    for _, fut in list(shared.flights.items.values()):
        fut.result(timeout=300)


def _forget_background() -> None:
    for _, fut in list(dr.BACKGROUND.items.values()):
        try:
            fut.result(timeout=300)
        except Exception:  # noqa: BLE001 - a fill whose store went with its test
            pass
    dr.BACKGROUND.items.clear()
    filler.stop_started()


@pytest.fixture(autouse=True)
def _own_background(monkeypatch, unpaced_filler):
    """Each test sees only its own background fills: those of a test before, in this module or
    in another one the same worker ran (their store closed with their loader), are waited for
    and forgotten, before and after."""
    monkeypatch.setattr(filler, "IDLE_SECONDS", 0.0)
    monkeypatch.setattr(rd, "PARTIAL_TTL_SECONDS", 0)     # the rerun after the fill sees all of it
    _forget_background()
    yield
    _forget_background()


def metrics_of(at) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out


def truth(day: date):
    sim = Simulator()
    waits, first = [], []
    lo = datetime.combine(day, datetime.min.time())
    for t, c in sim.truth.conversations(WA, lo, lo + timedelta(hours=23, minutes=59, seconds=59)):
        for turn in sim.truth.turns(WA, t, c):
            if turn["start"].date() == day and turn["end"] is not None:
                waits.append(turn["wait_seconds"])
                if turn["first"]:
                    first.append(turn["wait_seconds"])
    return waits, first


def test_partial_then_complete_figures_equal_the_truth_in_both_languages():
    params = {"pages": WA, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en", "cmp": "0"}
    at = open_directly(params)
    assert not at.exception
    infos = [i.value for i in at.info]
    assert any("No opening hours file" in x for x in infos)
    assert any(x.startswith("Computed over 0 of ") for x in infos)      # never a partial figure as a whole one
    cards = metrics_of(at)
    assert cards == {} or all("nan" not in v.lower() for v in cards.values())
    wait_background()
    at.run()
    assert not at.exception
    assert not any(i.value.startswith("Computed over") for i in at.info)
    waits, first = truth(DAY)
    cards = metrics_of(at)
    assert cards["Customer turns"] == fmt.number(len(waits), "en")
    assert cards["Median wait"] == fmt.duration_ms(statistics.median(waits) * 1000, "en")
    assert cards["First response time"] == fmt.duration_ms(statistics.median(first) * 1000, "en")
    assert "Within target" not in cards                      # no target without a file
    words = " ".join(str(e.value) for kind in (at.caption, at.markdown, at.info, at.metric, at.subheader)
                     for e in kind).replace("·", " ").split()
    assert "nan" not in words and "None" not in words and "NaN" not in words
    # Vietnamese: the same figures, its own words (a new session, the same process' store)
    at = open_directly({**params, "lang": "vi"})
    assert not at.exception
    vi = metrics_of(at)
    assert vi["Lượt khách hỏi"] == fmt.number(len(waits), "vi")
    assert vi["Thời gian chờ (trung vị)"] == fmt.duration_ms(statistics.median(waits) * 1000, "vi")


def test_basis_and_drill_in_the_url_and_a_bad_hours_file(tmp_path, monkeypatch):
    hours = tmp_path / "hours.toml"
    hours.write_text('[hours]\nmon = ["08:00-12:00"]\ntue = ["8-12"]\n', encoding="utf-8")
    monkeypatch.setenv("PANCAKE_HOURS_FILE", str(hours))
    at = open_directly({"pages": WA, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en",
                        "basis": "calendar", "rdrill": "group:lt5m"})
    assert not at.exception
    warn = [w.value for w in at.warning]
    assert any("line 3" in w and "Calendar time is used" in w for w in warn)
    assert at.query_params["basis"] == "calendar"
    wait_background()
    at.run()
    assert any("Filtered: Wait group: Under 5 min" in i.value for i in at.info)
    waits, _ = truth(DAY)
    under5 = {w for w in waits if w < 300}
    assert any(c.value == f"Conversations ({fmt.number(0, 'en')})" for c in at.caption) is (not under5)
    # on to one conversation: its turns, and the chat with each turn's start and end marked
    at.button(key="replies_clear").click().run()
    pick = at.selectbox(key="replies_pick")
    assert pick.options
    pick.select_index(len(pick.options) - 1).run()      # slowest first: the last one was answered
    assert not at.exception
    bubbles = [c.value for c in at.caption if c.value.startswith((":material/person:", ":material/storefront:",
                                                                   ":material/smart_toy:"))]
    # the reader shows the newest 30 messages first: the turns among them are marked
    assert any(re.search(r"▶ Turn \d+ starts", b) for b in bubbles)
    assert any(re.search(r"■ Turn \d+ answered after", b) for b in bubbles)
    # the switch writes the URL
    at.segmented_control(key="replies_basis_calendar").set_value("business").run()
    assert not at.exception and at.query_params["basis"] == "business"


def test_staff_page_shows_median_p90_beside_pancakes_average(monkeypatch):
    """Issue 21: the Staff page's leaderboard gains each member's median and P90 wait from the
    messages, next to Pancake's average; equal to the simulator's truth per member."""
    params = {"pages": WA, "from": DAY.isoformat(), "to": DAY.isoformat(), "lang": "en", "cmp": "0"}
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    shared = rd.SharedTurns()       # this test's own, to wait for its computations
    monkeypatch.setattr(rd, "_shared", lambda: shared)
    at.switch_page("app_pages/staff.py")
    at.run()
    assert not at.exception
    wait_turns(shared)        # the Staff page's run does not wait for the turns: computed in a thread,
    wait_background()         # which then queued the fill of the messages
    at.run()            # the last result (partial, the fill was going on) while the next is computed
    wait_turns(shared)
    at.run()
    assert not at.exception
    # the leaderboard comes first and never waits for the messages; the reply times are a table of
    # their own after it, beside Pancake's average
    assert "reply_median" not in at.dataframe[0].value.columns
    board = next(d.value for d in at.dataframe if "reply_median" in d.value.columns)
    cols = list(board.columns)
    assert {"reply_median", "reply_p90", "average_response_time"} <= set(cols)
    sim = Simulator()
    per: dict[str, list[float]] = {}
    lo = datetime.combine(DAY, datetime.min.time())
    for t, c in sim.truth.conversations(WA, lo, lo + timedelta(hours=23, minutes=59, seconds=59)):
        for turn in sim.truth.turns(WA, t, c):
            if turn["start"].date() == DAY and turn["end"] is not None:
                per.setdefault(turn["by"], []).append(turn["wait_seconds"])
    shown = board[board["user_name"] != "Total"].set_index("user_name")
    assert set(shown.index) <= set(per)
    for name, row in shown.iterrows():
        assert abs(row["reply_median"] - statistics.median(per[name]) * 1000) <= 1000
    assert not any(c.value.startswith("Not complete") for c in at.caption)
