"""AppTest of /staff in demo mode: KPI values against the simulator, both languages, one and
several pages, URL round trip, empty range."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import core
from tests.conftest import UNPACED, app_test

PAGE = "app_pages/staff.py"
ONE = DEMO_PAGE_IDS[0]
START = date.today() - timedelta(days=9)
END = date.today() - timedelta(days=3)


def simulated(kind, frame, page_ids, start, end, **options) -> pd.DataFrame:
    """One frame of a kind, fetched with a fresh simulator client per page (each page finds
    its own route) and concatenated: the truth a page's numbers are checked against."""
    frames = []
    for pid in page_ids:
        sim = Simulator(rate_limit_per_second=0)          # unpaced: the truth, not the pace
        client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                               base_url="https://pages.fm/api", transport=sim.transport(),
                               rate_per_second=UNPACED)
        r = core.fetch(client, kind, [pid], start, end, **options)
        assert not r.errors, r.errors
        frames.append(r[frame])
    return pd.concat(frames, ignore_index=True)


def expected(page_ids, start, end, lang):
    t = simulated("staff", "totals", page_ids, start, end)
    w = t["unique_inbox_count"].astype(float) + t["unique_comment_count"].astype(float)
    art = (t["average_response_time"] * w).sum() / w.sum()  # weighted by hand
    return {
        "inbox_count": fmt.number(int(t["inbox_count"].sum()), lang),
        "comment_count": fmt.number(int(t["comment_count"].sum()), lang),
        "phone_number_count": fmt.number(int(t["phone_number_count"].sum()), lang),
        "average_response_time": fmt.duration_ms(art, lang),
        "n_users": t["user_id"].nunique(),
    }


def params(pages, lang=None):
    p = {"pages": pages, "from": START.isoformat(), "to": END.isoformat()}
    if lang:
        p["lang"] = lang
    return p


def metrics_by_label(at):
    return {m.label: m.value for m in at.metric}


def test_one_page_vietnamese_matches_simulator():
    at = app_test(PAGE, params=params(ONE))
    assert not at.exception
    exp = expected([ONE], START, END, "vi")
    got = metrics_by_label(at)
    assert got["Tin nhắn đã gửi"] == exp["inbox_count"]
    assert got["Bình luận đã trả lời"] == exp["comment_count"]
    assert got["Số điện thoại thu được"] == exp["phone_number_count"]
    assert got["Thời gian phản hồi TB"] == exp["average_response_time"]
    assert "phút" in got["Thời gian phản hồi TB"]
    assert "Đơn đã chốt" not in got  # statistics/users sends no orders: no card, never 0
    helps = {m.label: m.proto.help for m in at.metric}
    assert "unique_inbox_count" not in helps["Thời gian phản hồi TB"] and any(w in helps["Thời gian phản hồi TB"] for w in ("reply sessions", "số phiên trả lời"))
    board = at.dataframe[0].value
    assert len(board) == exp["n_users"] and "Tổng" not in set(board["user_name"])   # no sort moves the totals:
    assert list(at.dataframe[1].value["user_name"]) == ["Tổng"]                     # they are a grid of their own
    # regression: numbers, not text, so a header click sorts response times as numbers
    assert pd.api.types.is_float_dtype(board["average_response_time"])
    assert pd.api.types.is_numeric_dtype(board["inbox_count"])
    qp = dict(at.query_params)
    assert qp["pages"] == ONE and qp["from"] == START.isoformat() and qp["to"] == END.isoformat()
    assert qp["lang"] == "vi"


def test_all_pages_english_combines_people_across_pages():
    at = app_test(PAGE, params=params("all", "en"))
    assert not at.exception
    exp = expected(list(DEMO_PAGE_IDS), START, END, "en")
    got = metrics_by_label(at)
    assert got["Messages sent"] == exp["inbox_count"]
    assert got["Comment replies"] == exp["comment_count"]
    assert got["Phone numbers collected"] == exp["phone_number_count"]
    assert got["Average response time"] == exp["average_response_time"]
    assert " min " in got["Average response time"] or got["Average response time"].endswith(" s")
    # one leaderboard row per person, even when they work on two pages
    board = at.dataframe[0].value
    assert len(board) == exp["n_users"] and list(at.dataframe[1].value["user_name"]) == ["Total"]   # pinned under
    assert board["user_id"].is_unique
    assert board["user_name"].is_unique      # namesakes (two accounts) told apart by their pages
    assert board["order_count"].notna().all()   # orders closed, from the user API (merged in)
    subheaders = [s.value for s in at.subheader]
    assert "Multi-page statistics (user API)" not in subheaders and "By page" in subheaders
    assert dict(at.query_params)["pages"] == "all" and dict(at.query_params)["lang"] == "en"
    assert len(at.get("download_button")) >= 5  # tables + ZIP + XLSX


def test_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    future = date.today() + timedelta(days=30)
    at = app_test(PAGE, params={"pages": ONE, "from": future.isoformat(), "to": future.isoformat()})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers


def test_the_leaderboard_is_drawn_before_the_messages_are_read(monkeypatch):
    """Issue 21: the leaderboard (the page's first figures) never waits for the conversations and
    their messages: with the replies' load failing, the cards, the board and its table are still
    drawn, and the reply times come in their own section after them."""
    from ui import replies_data

    def never(*_a, **_k):
        raise RuntimeError("the replies' load was not reached before the board")
    monkeypatch.setattr(replies_data, "turns_soon", never)
    at = app_test(PAGE, params=params(ONE, "en"))
    assert len(at.exception) == 1        # the replies' load (its message redacted on screen)
    exp = expected([ONE], START, END, "en")
    assert metrics_by_label(at)["Messages sent"] == exp["inbox_count"]
    assert [s.value for s in at.subheader][:2] == ["Staff leaderboard", "Staff × hour of day (messages + comment replies)"]
    assert at.subheader[-1].value == "Response times from the messages"
    assert len(at.dataframe) >= 2          # the board's table and the by-hour download


def test_the_reply_times_section_beside_pancakes_average(monkeypatch):
    from ui import replies_data as rd
    started: list = []              # the computation's thread, run by the test when it says so
    clock = [1000.0]
    shared = rd.SharedTurns(start=started.append, clock=lambda: clock[0])
    monkeypatch.setattr(rd, "_shared", lambda: shared)
    at = app_test(PAGE, params=params(ONE, "vi"), timeout=120)
    assert not at.exception
    # the run does not wait for the conversations and their messages: the section says so
    assert at.subheader[-1].value == "Thời gian trả lời tính từ tin nhắn"
    assert not [d for d in at.dataframe if "reply_median" in d.value.columns]
    assert any("khi tính xong" in c.value for c in at.caption) and len(started) == 1
    at.run()                        # a run while it is computed starts no second computation
    assert len(started) == 1 and not [d for d in at.dataframe if "reply_median" in d.value.columns]
    started[0]()                    # computed (once for every session)
    at.run()                        # the fragment's rerun of the page once the result is there
    assert not at.exception
    assert at.subheader[-1].value == "Thời gian trả lời tính từ tin nhắn"
    shown = [d.value for d in at.dataframe if "reply_median" in d.value.columns]
    # the members' rows (then the totals row under them), each with Pancake's average beside the messages' figures
    assert shown and list(shown[0].columns[:0]) == [] and {"user_name", "average_response_time", "reply_median",
                                                           "reply_p90", "reply_within"} <= set(shown[0].columns)
    assert len(shown[0]) == expected([ONE], START, END, "vi")["n_users"]
    assert not any("khi tính xong" in c.value for c in at.caption)
    # past its 30 s (a complete result: the store has every conversation, or its 5 s, a partial
    # one): the same table at once while the next is computed, by one thread
    clock[0] += 31
    at.run()
    assert not at.exception and len(started) == 2
    assert [d for d in at.dataframe if "reply_median" in d.value.columns]
    started[1]()
    at.run()
    assert not at.exception and len(started) == 2 and [d for d in at.dataframe if "reply_median" in d.value.columns]
