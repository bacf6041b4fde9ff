"""The standup screen (``?kiosk=1``, app_pages/standup.py) in AppTest (demo data): numbers
against the simulator's ground truth, both languages, one page and all pages, URL round trip,
the five lines, flags, empty ranges, the same ad ratios as the Ads page, orders the API did not
send, and no change when a page failed in one of the two periods."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.data.core import PageError
from pancake.numbers import metrics
from pancake.numbers.views import briefing as bf
from pancake.numbers.views import format_metric
from pancake.numbers.views import standup as sv
from pancake.numbers.views.cards import change_text
from tests.browser import truth
from tests.conftest import app_test
from ui import cache

ONE = "104857392015873"   # VND ads, one of them with null purchases (unknown results)
ACTIVE = list(truth.DEMO_PAGE_IDS)


def metric_map(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def markdowns(at) -> list[str]:
    return [m.value for m in at.markdown]


def unescape(markdown: str) -> str:
    """The text of a markdown line whose names and amounts were escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown_lines(at) -> list[str]:
    return [unescape(re.sub(r"^:\w+\[[▲▼■]\] ", "", t)) for t in markdowns(at) if re.match(r"^:\w+\[[▲▼■]\] ", t)]


def attention_lines(at) -> list[str]:
    """The pages needing attention (several pages), as shown: "page: reasons"."""
    return [unescape(re.sub(r"^:\w+\[:material/\w+:\] ", "", t)) for t in markdowns(at)
            if re.match(r"^:\w+\[:material/(key_off|cloud_off|speaker_notes_off|hourglass_top|timer|money_off):\] ", t)]


def expected_lines(s, ids, lang) -> list[str]:
    today = s.today()
    y, lw = today - timedelta(days=1), today - timedelta(days=8)
    cur, prev = truth.standup_day_values(s, ids, y), truth.standup_day_values(s, ids, lw)
    return [line.text for line in bf.five_lines(cur, prev, lang)]


def paired(rows, currency) -> dict[str, float]:
    """Cost per purchase and ROAS by hand from the truth, over the ads that report both parts."""
    def ratio(num, den):
        both = [r for r in rows if r["currency"] == currency and r[num] is not None and r[den] is not None]
        return sum(r[num] for r in both) / sum(r[den] for r in both)
    return {"cost_per_purchase": ratio("spend", "purchases"), "roas": ratio("purchases_conversion_value", "spend")}


def test_standup_overview_all_pages_vi_matches_truth():
    at = app_test(params={"kiosk": "1"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    prev_start, prev_end = timeutil.previous_period(start, end)
    cur, prev = truth.engagement(s, ACTIVE, start, end), truth.engagement(s, ACTIVE, prev_start, prev_end)
    shown = metric_map(at)
    for f in ("total", "inbox", "comment", "order_count"):
        value, delta = shown[metrics.label(f, "vi", "engagement")]
        assert value == format_metric(f, cur[f], "vi"), f
        assert delta == change_text(f, cur[f], prev[f], "vi", source="engagement"), f
    rt = truth.weighted_ms(truth.staff_totals(s, ACTIVE, start, end))
    assert shown[metrics.label("average_response_time", "vi", "staff")][0] == fmt.duration_ms(rt, "vi")
    assert all(m.help for m in at.metric)  # every card has its definition as help
    # no sidebar, the markers, the five lines as the truth says
    assert len(at.sidebar) == 0
    text = "\n".join(markdowns(at) + [c.value for c in at.caption])
    assert "Cập nhật lúc" in text and "Làm mới thành công lúc" in text and "Tự làm mới mỗi 5 phút" in text
    assert shown_lines(at) == expected_lines(s, ACTIVE, "vi")
    assert len(shown_lines(at)) == 5
    subheaders = [h.value for h in at.subheader]
    assert bf.lines_title(s.today() - timedelta(days=1), s.today(), "vi") in subheaders
    assert "Trang cần chú ý" in subheaders   # several pages: the pages needing attention
    q = dict(at.query_params)
    assert q["kiosk"] == "1" and q["pages"] == "all" and q["lang"] == "vi"
    assert (q["from"], q["to"]) == (start.isoformat(), end.isoformat())


def test_standup_staff_one_page_en_with_refresh_and_url_params():
    at = app_test(params={"kiosk": "1", "lang": "en", "pages": ONE, "section": "staff", "refresh": "0.2",
                          "theme": "dark", "range": "last_30"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_30", s.today())
    rows = truth.staff_totals(s, [ONE], start, end)
    shown = metric_map(at)
    for f in ("inbox_count", "comment_count", "phone_number_count"):
        assert shown[metrics.label(f, "en", "staff")][0] == format_metric(f, sum(r[f] for r in rows), "en"), f
    assert shown["Average response time"][0] == fmt.duration_ms(truth.weighted_ms(rows), "en")
    assert any(t.value.startswith("Refreshes every 12 s") for t in at.caption)
    assert "Updated at" in "\n".join(markdowns(at))
    assert shown_lines(at) == expected_lines(s, [ONE], "en")
    q = dict(at.query_params)
    assert q["pages"] == ONE and q["lang"] == "en" and q["range"] == "last_30" and q["kiosk"] == "1"
    assert q["section"] == "staff" and q["refresh"] == "0.2" and q["theme"] == "dark"


def test_standup_ads_rotation_several_pages():
    pages = ",".join(ACTIVE[:3])
    at = app_test(params={"kiosk": "1", "pages": pages, "rotate": "ads,customers", "every": "45",
                          "silent": "48"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    rows = truth.ads(s, ACTIVE[:3], start, end)
    sums = truth.ads_sums(rows, "VND")
    shown = metric_map(at)
    assert shown[metrics.label("spend", "vi", "ads")][0] == fmt.money(sums["spend"], "VND", "vi")
    assert shown[metrics.label("purchases", "vi", "ads")][0] == format_metric("purchases", sums["purchases"], "vi")
    assert shown[metrics.label("roas", "vi", "ads")][0] == format_metric("roas", paired(rows, "VND")["roas"], "vi",
                                                                         source="ads")
    assert any("Mục 1/2" in c.value and "45 giây" in c.value for c in at.caption)
    # several pages: one line per page needing attention, here for its ads that spent yesterday
    # and reported 0 purchases (null = unknown: never counted)
    y = s.today() - timedelta(days=1)
    rows = truth.ads(s, ACTIVE[:3], y, y)
    wasted: dict[str, list[str]] = {}
    for r in rows:
        if (r["spend"] or 0) > 0 and r["purchases"] == 0:
            wasted.setdefault(r["page_id"], []).append(r["name"])
    names = cache.page_names()
    shown = attention_lines(at)
    # each page's ads reason (a page may have other reasons too, " · "-separated: a staff member
    # slower than their week on that day is its own rule, tested with the briefing's flags)
    ads_shown = {}
    for line in shown:
        page, reasons = line.split(": ", 1)
        ads_shown.update((page, r) for r in reasons.split(" · ") if "quảng cáo" in r)
    want = {names[pid]: (f"quảng cáo “{ads[0]}” chi tiền" if len(ads) == 1 else f"{len(ads)} quảng cáo chi tiền")
            + ", chưa có lượt mua" for pid, ads in wasted.items()}
    assert wasted and ads_shown == want, (ads_shown, shown)
    unknown = [r["name"] for r in rows if (r["spend"] or 0) > 0 and r["purchases"] is None]
    assert unknown and not any(f"“{n}”" in t for n in unknown for t in shown)


def test_standup_and_ads_page_give_the_same_cost_per_purchase_and_roas():
    """Regression: with an ad whose purchases are null, the standup divided all spend by the
    purchases reported (74.969 ₫ against the Ads page's 62.340 ₫ in a review)."""
    params = {"pages": ONE, "lang": "vi"}
    standup = metric_map(app_test(params={**params, "kiosk": "1", "section": "ads"}, timeout=90))
    ads_page = app_test("app_pages/ads.py", params=params, timeout=90)
    assert not ads_page.exception
    page_cards = {m.label: m.value for m in ads_page.metric[:8]}  # VND, the first currency
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    rows = truth.ads(s, [ONE], start, end)
    assert any(r["purchases"] is None and r["spend"] for r in rows)  # the case of the review
    for f in ("cost_per_purchase", "roas"):
        label = metrics.label(f, "vi", "ads")
        assert standup[label][0] == page_cards[label] == format_metric(f, paired(rows, "VND")[f], "vi", "VND",
                                                                       source="ads"), f


def _wrap_load(monkeypatch, change):
    """cache.load as before, its result passed through ``change(kind, start, end, result)``."""
    real = cache.load

    def load(kind, page_ids, start, end, **options):
        return change(kind, start, end, real(kind, page_ids, start, end, **options))
    monkeypatch.setattr(cache, "load", load)


def test_orders_the_api_did_not_send_are_not_shown_as_zero(monkeypatch):
    """Regression: without ``order_count`` in the engagement payload the standup showed 0
    orders; unknown is no card and no line."""
    def no_orders(kind, start, end, result):
        if kind != "engagement" or "daily" not in result.frames:
            return result
        unsent = pd.array([pd.NA] * len(result.frames["daily"]), "Int64")
        daily = result.frames["daily"].assign(order_count=unsent, old_order_count=unsent)
        return replace(result, frames={**result.frames, "daily": daily})
    _wrap_load(monkeypatch, no_orders)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    assert "Orders" not in metric_map(at) and "Inbox engagements" in metric_map(at)
    assert shown_lines(at) and not any(t.startswith("Orders") for t in shown_lines(at))


def test_a_page_failing_in_one_period_shows_no_change(monkeypatch):
    """Regression: a page that failed in the previous period only was compared anyway (all
    pages now against some then); load_pair drops the change and says why."""
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    prev_start, _ = timeutil.previous_period(start, end)
    lost = ACTIVE[1]

    def previous_fails(kind, start, end, result):
        if kind != "engagement" or start != prev_start:
            return result
        frames = {k: v[v["page_id"] != lost] for k, v in result.frames.items()}
        return replace(result, frames=frames, pages_ok=[p for p in result.pages_ok if p != lost],
                       errors=[*result.errors, PageError(lost, "Shop", "server", "HTTP 502")])
    _wrap_load(monkeypatch, previous_fails)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    shown = metric_map(at)
    cur = truth.engagement(s, ACTIVE, start, end)
    for f in ("total", "inbox", "comment", "order_count"):
        assert shown[metrics.label(f, "en", "engagement")] == (format_metric(f, cur[f], "en"), ""), f  # no change
    assert shown["Average response time"][1]  # the staff figures came from every page both times
    assert any(c.value.startswith(":material/info: No comparison") for c in at.caption)


def test_spend_line_needs_the_same_pages_on_both_days(monkeypatch):
    """A page whose ads failed on last week's day: yesterday's spend (all pages) is not set
    against last week's (some pages) in the five lines."""
    s = truth.sim()
    lw = s.today() - timedelta(days=8)

    def last_week_fails(kind, start, end, result):
        if kind != "ads" or (start, end) != (lw, lw):
            return result
        lost, ads = result.pages_ok[0], result.frames["ads"]
        return replace(result, frames={"ads": ads[ads["page_id"] != lost]}, pages_ok=result.pages_ok[1:],
                       errors=[*result.errors, PageError(lost, "Shop", "server", "HTTP 502")])
    _wrap_load(monkeypatch, last_week_fails)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception and shown_lines(at)
    assert not any(t.startswith("Spend") for t in shown_lines(at))
    cur = truth.standup_day_values(s, ACTIVE, s.today() - timedelta(days=1))
    prev = {k: v for k, v in truth.standup_day_values(s, ACTIVE, lw).items() if k[0] != "spend"}
    assert shown_lines(at) == [li.text for li in bf.five_lines(cur, prev, "en")]


def test_standup_token_flag_when_a_page_token_dies(monkeypatch):
    import pancake.api.simulator as simulator
    from pancake.api.simulator import Faults

    dead = ACTIVE[1]

    class DeadTokenSimulator(simulator.Simulator):
        def __init__(self, **kw):
            super().__init__(faults=Faults(dead_token_pages=frozenset({dead})), **kw)

    monkeypatch.setattr(simulator, "Simulator", DeadTokenSimulator)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    flags = [t for t in markdowns(at) if "key_off" in t]
    name = cache.page_names()[dead]
    assert len(flags) == 1 and attention_lines(at)[0] == f"{name}: token stopped working, see Settings"
    assert not at.warning   # named once, in the list, not in a box per load
    # the other pages still render their numbers
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    others = [p for p in ACTIVE if p != dead]
    assert metric_map(at)["Inbox engagements"][0] == format_metric(
        "inbox", truth.engagement(s, others, start, end)["inbox"], "en")


def test_standup_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    at = app_test(params={"kiosk": "1", "from": "2031-01-01", "to": "2031-01-03", "lang": "en"}, timeout=90)
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers


def test_the_dark_screen_keeps_the_cards_sparklines():
    """Regression: ``theme=dark`` dropped every sparkline from the cards."""
    light = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    dark = app_test(params={"kiosk": "1", "lang": "en", "theme": "dark"}, timeout=90)
    assert not dark.exception
    sparks = {m.label: list(m.proto.chart_data) for m in dark.metric}
    assert sparks == {m.label: list(m.proto.chart_data) for m in light.metric}
    assert len(sparks["Inbox engagements"]) == 7


def _failing(pages: set[str], kind: str = "timeout"):
    """cache.load's results with ``pages`` failing (their rows dropped, an error each)."""
    def change(_kind, _start, _end, result):
        frames = {k: v[~v["page_id"].isin(pages)] if "page_id" in v.columns else v for k, v in result.frames.items()}
        errors = [PageError(p, cache.page_names().get(p, p), kind, "no answer in 30 s") for p in sorted(pages)]
        return replace(result, frames=frames, pages_ok=[p for p in result.pages_ok if p not in pages],
                       errors=[*result.errors, *errors])
    return change


def test_failing_pages_are_listed_once_worst_first_and_capped(monkeypatch):
    """Several pages, three of them not loading: one line each in the pages needing attention
    (before the pages with mere ad flags), no warning box per load, and no more lines than fit."""
    failing = set(ACTIVE[:3])
    _wrap_load(monkeypatch, _failing(failing))
    monkeypatch.setattr(sv, "MAX_PAGES_SHOWN", 2)
    at = app_test(params={"kiosk": "1", "lang": "vi"}, timeout=90)
    assert not at.exception and not at.warning
    shown = attention_lines(at)
    names = cache.page_names()
    assert len(shown) == 2 and all(line.endswith(": không tải được số liệu") for line in shown)
    assert {line.split(":")[0] for line in shown} <= {names[p] for p in failing}
    more = [t for t in markdowns(at) if t.startswith("… và ")]
    assert len(more) == 1 and more[0].endswith("trang khác")


def test_one_page_that_did_not_load_is_a_flag_not_a_box(monkeypatch):
    _wrap_load(monkeypatch, _failing({ONE}))
    at = app_test(params={"kiosk": "1", "lang": "en", "pages": ONE}, timeout=90)
    assert not at.exception and not at.warning
    flags = [unescape(t) for t in markdowns(at) if "cloud_off" in t]
    assert len(flags) == 1 and "its data did not load" in flags[0]
    assert "Worth raising" in [h.value for h in at.subheader]


def test_the_standup_screen_lists_the_longest_waits_from_the_simulators_truth(monkeypatch):
    import pancake.api.simulator as simulator
    from pancake.data import conversations as dc
    from pancake.data import core
    from pancake.numbers import conversations as conv
    # one moment for the screen and for the truth: a customer writing between the two would
    # change who is waiting (seen on a busy CI machine)
    frozen = simulator.Simulator(timezone=cache.settings().timezone).now()

    class FrozenSimulator(simulator.Simulator):
        def __init__(self, **kw):
            super().__init__(**{**kw, "now": frozen})

    monkeypatch.setattr(simulator, "Simulator", FrozenSimulator)
    client = core.make_client(cache.settings())
    sim = client._http._transport.handler.__self__
    assert sim.now() == frozen
    ids = [str(p) for p in cache.pages()[0]["page_id"]]
    one = ids[0]
    strip = lambda line: line.rsplit(" · ", 1)[0].replace("\\", "")   # noqa: E731 - a wait may grow by a minute
    # one page: a box of the three longest, as the conversations page computes them
    at = app_test(params={"kiosk": "1", "lang": "en", "pages": one}, timeout=90)
    assert not at.exception
    want = conv.waiting(dc.load_waiting(client, [one], sim.now(), cache.tz_name()).frame, sim.now())
    truth_ids = {cid for cid, _ in sim.truth.waiting(one, sim.now() - timedelta(days=2))}
    assert not want.empty and set(want["conversation_id"]) <= truth_ids
    assert [h for h in at.subheader if h.value == "Longest waits"]
    expected = bf.longest_waits(want, 3, "en", cache.page_names())
    shown = [m for m in markdowns(at) if any(strip(e) in m.replace("\\", "") for e in expected)]
    assert [strip(x) for x in shown] == [strip(x) for x in expected]
    # several pages: the right column is the attention list; the longest wait is one line
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    want = conv.waiting(dc.load_waiting(client, ids, sim.now(), cache.tz_name()).frame, sim.now())
    first = strip(bf.longest_waits(want, 1, "en", cache.page_names())[0])
    assert not [h for h in at.subheader if h.value == "Longest waits"]
    assert [m for m in markdowns(at) if m.replace("\\", "").startswith(":material/hourglass_top: Longest wait: ")
            and first in m.replace("\\", "")]


def test_the_picture_of_a_past_day_shows_that_days_lines_and_flags_and_no_waits():
    """``day=`` (the digest's picture of ``--date``): the five lines and flags of that day against
    the same weekday a week before, said for that day, not "yesterday"; ``waits=0``: no waits."""
    s = truth.sim()
    d = s.today() - timedelta(days=4)
    at = app_test(params={"kiosk": "1", "lang": "en", "pages": ONE, "from": d.isoformat(), "to": d.isoformat(),
                          "day": d.isoformat(), "waits": "0"}, timeout=90)
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert f"{bf.weekday_word(d, 'en')} {fmt.date(d, 'en')} against the same day last week" in heads, heads
    cur, prev = truth.standup_day_values(s, [ONE], d), truth.standup_day_values(s, [ONE], d - timedelta(days=7))
    assert shown_lines(at) == [line.text for line in bf.five_lines(cur, prev, "en")]
    flags = [unescape(t) for t in markdowns(at) if ":material/money_off:" in t]
    assert flags and all("yesterday" not in f and fmt.date(d, "en") in f for f in flags), flags
    assert not [h for h in heads if h == "Longest waits"]
    assert not [m for m in markdowns(at) if "hourglass" in m]
