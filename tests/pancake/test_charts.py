"""Figure builders (pancake.numbers.charts and the pages' figure functions) read in pure tests: the
language of axes and hovers, colours, the partial last bucket, hours after now, long hourly
ranges, staff labels. Plotly figures are plain data: what the browser draws is in them."""
from __future__ import annotations

import functools
import json
import math
import re
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from pancake.numbers import charts, metrics
from pancake.numbers.views import activity as av
from pancake.numbers.views import ads as va
from pancake.numbers.views import customers as cv
from pancake.numbers.views import engagement as ev
from pancake.numbers.views import staff as sv
from pancake.numbers.views import standup as kv
from pancake.numbers.views import tags as tv

LANGS = ("vi", "en")
MONTHS = re.compile(r"%b|%B|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def engagement_hourly(start: str, days: int, value: int = 3) -> pd.DataFrame:
    hours = pd.date_range(start, periods=24 * days, freq="h")
    n = len(hours)
    counts = pd.array([value] * n, dtype="Int64")
    return pd.DataFrame({"page_id": ["p1"] * n, "hour": hours, "total": counts, "inbox": counts,
                         "comment": pd.array([1] * n, dtype="Int64"), "new_customer": counts,
                         "new_customer_from_inbox": counts})


def engagement_daily(start: str, days: int) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    c = pd.array(range(1000, 1000 + days), dtype="Int64")
    return pd.DataFrame({"page_id": "p1", "date": dates, **{f: c for f in ev.DAILY_FIELDS}})


def activity_hourly(start: str, days: int) -> pd.DataFrame:
    hours = pd.date_range(start, periods=24 * days, freq="h")
    c = pd.array([4] * len(hours), dtype="Int64")
    return pd.DataFrame({"page_id": "p1", "hour": hours, **{f: c for f in av.PROFILE_FIELDS},
                         "new_inbox_count": c, "phone_number_count": c})


def customers_frame(start: str, periods: int, freq: str) -> pd.DataFrame:
    when = pd.date_range(start, periods=periods, freq=freq)
    c = pd.array([5] * periods, dtype="Int64")
    return pd.DataFrame({"page_id": "p1", "date": when, **{f: c for f in cv.FIELDS}})


@functools.cache
def view_figures(lang: str) -> dict[str, object]:
    """One of each of the pages' figures, built from small frames (built once: tests only read)."""
    day_s = ev.series(engagement_daily("2026-03-01", 5), ev.DAILY_FIELDS, date(2026, 3, 1), date(2026, 3, 5))
    hour_s = ev.series(engagement_hourly("2026-03-01", 2), ev.HOURLY_FIELDS, date(2026, 3, 1), date(2026, 3, 2),
                       grain="hour")
    act = activity_hourly("2026-03-02", 2)
    cust = cv.series(customers_frame("2026-03-01", 5, "D"), date(2026, 3, 1), date(2026, 3, 5))
    tags = pd.DataFrame({"page_id": ["p1", "p2"], "date": pd.to_datetime(["2026-03-01", "2026-03-02"]),
                         "tag_id": ["1", "2"], "tag_name": ["Hỏi giá", "Chốt"],
                         "count": pd.array([1200, 3], dtype="Int64")})
    top = tv.top_tags(tags, tags.assign(count=pd.array([2, 1], dtype="Int64")))
    return {
        "eng_trend": ev.trend_figure(day_s, lang, partial=True),
        "eng_customers": ev.customers_orders_figure(day_s, lang),
        "eng_trend_hour": ev.trend_figure(hour_s, lang, grain="hour", partial=True),
        "eng_heatmap": ev.heatmap_figure(ev.heatmap_grid(hour_s), lang),
        "eng_per_page": ev.per_page_figure(ev.per_page_table(engagement_daily("2026-03-01", 3), {}), lang),
        "act_hourly": av.hourly_figure(av.hourly_series(act, date(2026, 3, 2), date(2026, 3, 3)), lang),
        "act_profile": av.profile_figure(av.hour_profile(act), lang),
        "act_unanswered": av.unanswered_figure(av.unanswered_grid(act), lang),
        "cust_trend": cv.trend_figure(cust, lang, partial=True),
        "cust_rate": cv.rate_figure(cust, lang),
        "tags_trend": tv.trend_figure(tv.trend(tags, ["Hỏi giá"], date(2026, 3, 1), date(2026, 3, 3)), lang),
        "tags_top": tv.top_figure(top, lang),
        "tags_matrix": tv.matrix_figure(tv.page_matrix(tags, ["Hỏi giá", "Chốt"]), lang),
        "kiosk_trend": kv.trend_figure(engagement_daily("2026-03-01", 3), date(2026, 3, 1), date(2026, 3, 3),
                                       {"inbox": "Inbox"}, "dark", lang=lang, partial=True),
    }


# --- the language of every figure --------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_uses_the_languages_separators(lang):
    for name, fig in view_figures(lang).items():
        assert fig.layout.separators == charts.SEPARATORS[lang], name
    assert charts.SEPARATORS == {"vi": ",.", "en": ".,"}   # plotly: decimal mark first


def test_no_english_month_name_in_vietnamese_figures():
    for name, fig in view_figures("vi").items():
        assert not MONTHS.search(fig.to_json()), name


def test_date_axes_read_dd_mm_in_vietnamese_and_day_month_in_english():
    vi, en = view_figures("vi")["eng_trend"].layout.xaxis, view_figures("en")["eng_trend"].layout.xaxis
    # a daily chart never labels a tick "00:00", even when plotly picks one tick a day
    assert [s.value for s in vi.tickformatstops] == ["%d/%m", "%m/%Y"]
    assert vi.hoverformat == "%d/%m/%Y"
    assert [s.value for s in en.tickformatstops] == ["%-d %b", "%b %Y"]
    hour = view_figures("vi")["eng_trend_hour"].layout.xaxis
    assert hour.hoverformat == "%H:%M · %d/%m/%Y"
    assert [s.value for s in hour.tickformatstops] == ["%H:%M<br>%d/%m", "%d/%m", "%m/%Y"]
    assert hour.tickformatstops[0].dtickrange[1] < 86_400_000    # a one-day tick reads as a day


def test_one_day_of_hours_reads_hours_only():
    frame = kv.hourly_today(activity_hourly("2026-03-02", 1), date(2026, 3, 2))
    fig = kv.hourly_figure(frame, {"customer_inbox_count": "Khách"}, "light", lang="vi")
    assert [s.value for s in fig.layout.xaxis.tickformatstops] == ["%H:%M"]


@pytest.mark.parametrize("lang, thousand", [("vi", "1.200"), ("en", "1,200")])
def test_hovers_and_cells_are_formatted_in_the_language(lang, thousand):
    figs = view_figures(lang)
    assert thousand in figs["tags_matrix"].data[0].text[0]                   # cell texts
    assert figs["tags_matrix"].data[0].texttemplate == "%{text}"
    trend = figs["eng_trend"].data[0]
    assert trend.customdata[0] == ("1.000" if lang == "vi" else "1,000")  # hover of the first day
    assert trend.hovertemplate.endswith("%{customdata}<extra></extra>")
    assert figs["cust_rate"].data[0].customdata[0] == ("100,0 %" if lang == "vi" else "100.0%")


def test_count_axes_group_thousands_through_the_separators():
    fig = view_figures("vi")["eng_trend"]
    assert fig.layout.yaxis.tickformat == ",~f" and fig.layout.separators == ",."


# --- money and percent axes ------------------------------------------------------------------------

def _ads_table(spends, currency="VND"):
    n = len(spends)
    return pd.DataFrame({"page_id": "p1", "ad_id": [f"a{i}" for i in range(n)], "name": [f"Ad {i}" for i in range(n)],
                         "currency": currency, "spend": spends, "purchases": [1.0] * n,
                         "cost_per_purchase": spends, "flag": [""] * n})


def test_money_axes_are_compact_in_words():
    tb = _ads_table([1_500_000.0, 600_000.0])
    vi = va.spend_purchases_figure(tb, "VND", "vi").layout.xaxis
    en = va.spend_purchases_figure(tb, "VND", "en").layout.xaxis
    assert list(vi.tickvals) == [0, 500_000, 1_000_000, 1_500_000]
    assert list(vi.ticktext) == ["0", "500 nghìn ₫", "1 tr ₫", "1,5 tr ₫"]
    assert list(en.ticktext) == ["0", "₫500K", "₫1M", "₫1.5M"]
    big = va.spend_purchases_figure(_ads_table([2e9]), "VND", "vi").layout.xaxis
    assert "2 tỷ ₫" in big.ticktext and not any("M" in t or "B" in t for t in big.ticktext)


@pytest.mark.parametrize("lang, hundred", [("vi", "100 %"), ("en", "100%")])
def test_percent_axes_run_from_0_to_100(lang, hundred):
    rate = view_figures(lang)["cust_rate"].layout.yaxis
    assert list(rate.tickvals) == [0, 0.25, 0.5, 0.75, 1.0] and rate.ticktext[-1] == hundred
    assert rate.range[0] == 0 and rate.range[1] >= 1
    profile = view_figures(lang)["act_profile"].layout.yaxis2
    assert list(profile.tickvals) == [0, 25, 50, 75, 100] and profile.ticktext[0] == ("0 %" if lang == "vi" else "0%")


def test_percent_axis_grows_past_100_when_a_value_does():
    axis = charts.value_axis("ratio", "vi", [0.4, 1.3])
    assert axis["tickvals"][-1] == 1.5 and axis["ticktext"][-1] == "150 %"


def test_nice_ticks():
    assert charts.nice_ticks(1_400_000) == [0, 500_000, 1_000_000, 1_500_000]
    assert charts.nice_ticks(9) == [0, 2, 4, 6, 8, 10]
    assert charts.nice_ticks(0) == [0.0] and charts.nice_ticks(math.nan) == [0.0]


# --- colour bars carry the metric's name -----------------------------------------------------

@pytest.mark.parametrize("lang, total, unanswered, replies", [
    ("vi", "Tổng tương tác", "Tin nhắn chưa được trả lời", "Trả lời"),
    ("en", "Total engagements", "Unanswered messages", "Replies"),
])
def test_colour_bars_are_titled_with_the_metric(lang, total, unanswered, replies):
    figs = view_figures(lang)
    assert figs["eng_heatmap"].data[0].colorbar.title.text.startswith(total)
    assert figs["act_unanswered"].data[0].colorbar.title.text.startswith(unanswered[:9])
    m = sv.hour_matrix(pd.DataFrame({"page_id": ["p1"], "user_id": ["u"], "user_name": ["An"],
                                     "hour": [datetime(2026, 3, 2, 9)], "inbox_count": [3], "comment_count": [1]}))
    assert sv.heatmap_figure(m, lang).data[0].colorbar.title.text == replies
    for fig in figs.values():
        for tr in fig.data:
            if tr.type == "heatmap":
                assert tr.colorbar.title.text not in ("Giá trị", "Value", "", None)


# --- colours ---------------------------------------------------------------------------------------

def test_a_colour_keeps_its_meaning_across_pages():
    figs = view_figures("en")
    colours = {}
    for fig in figs.values():
        for tr in fig.data:
            if tr.type in ("bar", "scatter") and tr.name and tr.meta != "partial":
                c = tr.marker.color if tr.type == "bar" else tr.line.color
                if isinstance(c, str):
                    colours.setdefault(tr.name, set()).add(c)
    assert all(len(c) == 1 for c in colours.values()), colours
    inbox = figs["eng_trend"].data[0]
    customer_msgs = figs["act_hourly"].data[0]
    assert inbox.marker.color == customer_msgs.line.color == charts.BLUE   # what customers send: blue
    assert figs["act_hourly"].data[1].line.color == charts.GREEN            # what the page answers: green
    assert figs["act_profile"].data[1].marker.color == charts.GREEN


def test_the_previous_period_is_grey():
    top = view_figures("vi")["tags_top"]
    prev = [tr for tr in top.data if tr.name == "Kỳ trước"]
    assert prev and prev[0].marker.color == charts.PREVIOUS == charts.color("previous")
    assert charts.PREVIOUS not in charts.CATEGORICAL and charts.RED not in charts.CATEGORICAL


def test_colour_lookup():
    assert charts.color("inbox") == charts.color("customer_inbox_count")
    assert charts.color("unknown tag", 1) == charts.CATEGORICAL[1]


# --- hours after now, the partial last bucket ------------------------------------------------------

def test_hours_after_now_are_unknown_not_zero():
    now = datetime(2026, 3, 2, 10, 30)
    s = ev.series(engagement_hourly("2026-03-02", 1), ev.HOURLY_FIELDS, date(2026, 3, 2), date(2026, 3, 2),
                  grain="hour", now=now)
    assert s.loc[s["hour"] == pd.Timestamp("2026-03-02 10:00"), "inbox"].item() == 3   # the running hour
    assert s.loc[s["hour"] > pd.Timestamp("2026-03-02 10:00"), ev.HOURLY_FIELDS].isna().all().all()
    fig = ev.trend_figure(s, "vi", grain="hour", partial=True)
    drawn = [t for t in fig.data if t.name and t.meta != "partial"]
    for tr in drawn:
        assert max(tr.x) == pd.Timestamp("2026-03-02 10:00")            # nothing drawn after now
        assert 0 not in list(tr.y)                                       # and never a 0 for it
    assert fig.layout.xaxis.range[1] == pd.Timestamp("2026-03-03 00:00")  # the whole day is still shown
    band = fig.layout.shapes[0]                                              # the running hour, shaded
    assert (band.x0, band.x1) == (pd.Timestamp("2026-03-02 10:00"), pd.Timestamp("2026-03-02 11:00"))


def test_hours_after_now_on_the_standup_and_activity_charts():
    act = activity_hourly("2026-03-02", 1)
    today = kv.hourly_today(act, date(2026, 3, 2), now=datetime(2026, 3, 2, 8, 5))
    assert today["customer_inbox_count"].iloc[8] == 4 and today["customer_inbox_count"].iloc[9:].isna().all()
    fig = kv.hourly_figure(today, {"customer_inbox_count": "Khách"}, "light", lang="vi", partial=True)
    assert len(fig.data[0].y) == 9 and list(fig.data[0].marker.pattern.shape)[-1] == "/"
    s = av.hourly_series(act, date(2026, 3, 2), date(2026, 3, 2), now=datetime(2026, 3, 2, 8, 5))
    assert s["customer_inbox_count"].iloc[9:].isna().all()
    assert len(av.hourly_figure(s, "en").data[0].x) == 9


def test_days_after_today_are_unknown_too():
    s = ev.series(engagement_daily("2026-03-01", 2), ["inbox"], date(2026, 3, 1), date(2026, 3, 4),
                  now=datetime(2026, 3, 2, 12))
    assert list(s["inbox"].isna()) == [False, False, True, True]


@pytest.mark.parametrize("lang, entry, so_far", [("vi", "Hôm nay (chưa hết ngày)", "(tạm tính)"),
                                                  ("en", "Today (not over yet)", "(so far)")])
def test_partial_day_bars_are_hatched_and_named(lang, entry, so_far):
    fig = view_figures(lang)["eng_trend"]
    bar = fig.data[0]
    assert list(bar.marker.opacity)[-1] == charts.PARTIAL_OPACITY and list(bar.marker.opacity)[0] == 1
    assert list(bar.marker.pattern.shape)[-1] == "/" and list(bar.marker.pattern.shape)[0] == ""
    assert bar.customdata[-1].endswith(so_far) and not bar.customdata[0].endswith(so_far)
    assert [t.name for t in fig.data if t.meta == "partial"] == [entry]


def test_partial_day_lines_end_in_a_dotted_segment():
    fig = view_figures("vi")["kiosk_trend"]
    solid, dotted, point, legend = fig.data
    assert solid.line.dash is None and len(solid.x) == 2
    assert dotted.line.dash == "dot" and list(dotted.x) == [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-03")]
    assert dotted.hoverinfo == "skip" and "tạm tính" in point.customdata[0]
    assert legend.name == "Hôm nay (chưa hết ngày)" and legend.line.dash == "dot"


def test_partial_hour_on_an_area_chart_is_shaded():
    fig = view_figures("en")["eng_trend_hour"]
    assert fig.layout.shapes and fig.layout.shapes[0].type == "rect"
    assert [t.name for t in fig.data if t.meta == "partial"] == ["This hour (not over yet)"]


def test_not_partial_draws_no_mark():
    fig = view_figures("vi")["eng_customers"]
    assert not [t for t in fig.data if t.meta == "partial"] and not fig.layout.shapes


# --- long hourly ranges stay readable --------------------------------------------------------------

def test_hourly_engagement_over_14_days_is_drawn_per_day():
    start = date(2026, 3, 1)
    long = ev.series(engagement_hourly("2026-03-01", 30), ev.HOURLY_FIELDS, start, start + timedelta(days=29),
                     grain="hour")
    fig = ev.trend_figure(long, "vi", grain="hour")
    assert all(t.type == "bar" for t in fig.data) and len(fig.data[0].x) == 30
    assert fig.data[0].y[0] == 72                     # 24 hours × 3, summed per day (metrics.daily_series)
    assert fig.layout.title.text.startswith("Tương tác theo ngày") and "Hơn 14 ngày" in fig.layout.title.text
    cust = ev.customers_orders_figure(long, "en", grain="hour")
    assert len(cust.data[0].x) == 30 and "Over 14 days" in cust.layout.title.text
    short = ev.series(engagement_hourly("2026-03-01", 14), ev.HOURLY_FIELDS, start, start + timedelta(days=13),
                      grain="hour")
    assert len(ev.trend_figure(short, "vi", grain="hour").data[0].x) == 14 * 24   # up to 14 days: hours


def test_hourly_activity_and_customers_over_14_days_are_drawn_per_day():
    act = activity_hourly("2026-03-01", 20)
    s = av.hourly_series(act, date(2026, 3, 1), date(2026, 3, 20))
    fig = av.hourly_figure(s, "en")
    assert len(fig.data[0].x) == 20 and fig.data[0].type == "bar" and fig.data[0].y[0] == 96
    hours = cv.series(customers_frame("2026-03-01", 24 * 20, "h"), date(2026, 3, 1), date(2026, 3, 20), "hour")
    trend = cv.trend_figure(hours, "vi", "hour")
    assert len(trend.data[0].x) == 20 and trend.data[0].y[0] == 120 and "14 ngày" in trend.layout.title.text
    rate = cv.rate_figure(hours, "vi", "hour")
    assert len(rate.data[0].x) == 20 and rate.data[0].y[0] == pytest.approx(1.0)   # from the day's sums


def test_by_day_leaves_the_future_unknown():
    s = ev.series(engagement_hourly("2026-03-01", 2), ["inbox"], date(2026, 3, 1), date(2026, 3, 3), grain="hour")
    s = ev.future_unknown(s, "hour", datetime(2026, 3, 2, 5))
    days = charts.by_day(s, "hour", ["inbox"])
    assert days["inbox"].iloc[0] == 72 and days["inbox"].iloc[1] == 18 and math.isnan(days["inbox"].iloc[2])
    assert days["inbox"].iloc[0] == metrics.daily_series(s, "inbox", date(2026, 3, 1), date(2026, 3, 1),
                                                         date_col="hour")[0]


# --- staff by name ---------------------------------------------------------------------------------

def test_engagement_staff_namesakes_get_their_pages_never_an_id():
    staff = pd.DataFrame({"page_id": ["p1", "p2", "p1"], "user_id": ["uuid-1", "uuid-2", "uuid-3"],
                          "user_name": ["An", "An", "Bình"],
                          **{f: pd.array([5, 3, 1], dtype="Int64") for f in ev.STAFF_FIELDS}})
    share = ev.staff_share(staff)
    fig = ev.staff_figure(share, "vi", pages=ev.staff_pages(staff, {"p1": "Shop A", "p2": "Shop B"}))
    assert set(fig.data[0].y) == {"An · Shop A", "An · Shop B", "Bình"}
    assert not any("uuid" in str(y) for y in fig.data[0].y)
    fig = ev.staff_figure(share, "en")   # pages unknown: numbered, still two bars
    assert sorted(fig.data[0].y) == ["An (1)", "An (2)", "Bình"]


def test_standup_staff_bars_never_merge_namesakes():
    totals = pd.DataFrame({"page_id": ["a", "a"], "user_id": ["u1", "u2"], "user_name": ["Lan", "Lan"],
                           "inbox_count": pd.array([5, 3], "Int64"), "comment_count": pd.array([0, 0], "Int64"),
                           "unique_inbox_count": pd.array([1, 1], "Int64"),
                           "unique_comment_count": pd.array([0, 0], "Int64"), "average_response_time": [1.0, 2.0]})
    fig = kv.staff_figure(totals, {"a": "Shop A"}, "vi", "light")
    assert list(fig.data[0].y) == ["Lan (2)", "Lan (1)"]   # first on top


def test_figures_serialise():
    for fig in view_figures("vi").values():
        json.loads(fig.to_json())


def test_customers_page_names_the_grain_the_charts_draw():
    hours = cv.series(customers_frame("2026-03-01", 24 * 20, "h"), date(2026, 3, 1), date(2026, 3, 20), "hour")
    assert cv.chart_grain(hours, "hour") == "day"
    short = cv.series(customers_frame("2026-03-01", 24 * 3, "h"), date(2026, 3, 1), date(2026, 3, 3), "hour")
    assert cv.chart_grain(short, "hour") == "hour" and cv.chart_grain(short, "day") == "day"


def test_standup_money_bars_are_compact_in_the_language():
    ads = pd.DataFrame({"page_id": "a", "ad_id": ["x", "y"], "name": ["Ad X", "Ad Y"], "currency": "VND",
                        "spend": [2_500_000.0, 900_000.0], "purchases": [1.0, 0.0]})
    vi = kv.top_ads_figure(ads, "VND", "vi", "light")
    assert "2,5 tr ₫" in vi.layout.xaxis.ticktext and vi.data[0].marker.color == charts.color("spend")
    en = kv.top_ads_figure(ads, "VND", "en", "dark")
    assert "₫2.5M" in en.layout.xaxis.ticktext and en.layout.separators == ".,"


@pytest.mark.parametrize("days", [1, 2, 7, 14])
def test_a_short_daily_axis_has_one_tick_a_day_never_a_repeated_date(days):
    # Plotly's own ticks on a one- or two-day axis fall every 12 hours, and a day format then
    # writes each date twice ("25/11 25/11 26/11")
    frame = engagement_daily("2026-11-20", days)
    for lang in LANGS:
        fig = charts.time_series(frame, "date", {"total": "Total"}, lang=lang, partial=True)
        axis = fig.layout.xaxis
        assert axis.dtick == charts.DAY_MS
        assert pd.Timestamp(axis.tick0) == pd.Timestamp("2026-11-20")
    long = charts.time_series(engagement_daily("2026-08-01", 60), "date", {"total": "Total"}, lang="vi")
    assert long.layout.xaxis.dtick is None           # a long axis keeps Plotly's own spacing


# --- long category labels on a phone (issue 19: the Staff charts' labels were cut at 390 px) ---

@pytest.mark.parametrize("text,want", [
    ("Bùi Quốc Huy", "Bùi Quốc Huy"),                                            # short: as it is
    ("Lý Hoàng Long · Mỹ Phẩm Hana Beauty #17", "Lý Hoàng Long<br>Mỹ Phẩm Hana Beauty #17"),
    ("Sneaker sale 9.9 · Giày Sneaker Sài Gòn #18 · …4821",                      # the id's end stays
     "Sneaker sale 9.9<br>Giày Sneaker…#18 · …4821"),
    ("Nguyễn Thị Minh Khai Phương Thảo Linh", "Nguyễn Thị Minh Khai<br>Phương Thảo Linh"),  # at a space
    ("A" * 30, "A" * 25 + "…"),                                                  # no space: cut
    ("<b>Shop & Co</b> · a very long page name here", "&lt;b&gt;Shop &amp; Co&lt;/b&gt;<br>a very long page name here"),
    ("", ""),
])
def test_axis_label_wraps_long_labels_in_two_cut_lines(text, want):
    assert charts.axis_label(text) == want
    assert all(len(line) <= 26 for line in charts.axis_label(text.replace("<", "(").replace(">", ")")
                                                                .replace("&", "+")).split("<br>"))


def test_long_bar_labels_take_two_lines_and_taller_rows_never_a_cut():
    """Regression: at 390 px "Lý Hoàng Long · Mỹ Phẩm Hana Beauty #17" was cut at the chart's
    left edge; now it is drawn on two lines, the bar (and its hover) keep the whole label."""
    names = ["Bùi Quốc Huy", "Lý Hoàng Long · Mỹ Phẩm Hana Beauty #17", "Lý Hoàng Long · Mỹ Phẩm Hana Beauty #2"]
    fig = charts.bars(names, [30, 20, 10], lang="vi")
    ax = fig.layout.yaxis
    assert list(fig.data[0].y) == names[::-1]                         # the categories whole
    assert dict(zip(ax.tickvals, ax.ticktext)) == {
        "Bùi Quốc Huy": "Bùi Quốc Huy",
        "Lý Hoàng Long · Mỹ Phẩm Hana Beauty #17": "Lý Hoàng Long<br>Mỹ Phẩm Hana Beauty #17",
        "Lý Hoàng Long · Mỹ Phẩm Hana Beauty #2": "Lý Hoàng Long<br>Mỹ Phẩm Hana Beauty #2"}
    assert fig.layout.height == max(240, 38 * 3 + 80)
    assert fig.layout.uniformtext.minsize == 11 and fig.layout.uniformtext.mode == "show"   # never tiny
    short = charts.bars(["An", "Bình"], [2, 1], lang="en")
    assert short.layout.yaxis.ticktext is None and short.layout.height == 240     # short labels: unchanged
    assert charts.bars([], [], lang="en").layout.yaxis.ticktext is None           # nothing to draw


def test_long_heatmap_and_stacked_bar_labels_wrap_and_their_rows_grow():
    grid = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["An", "Vũ Đức Anh · Mỹ Phẩm Hana Beauty #22"],
                        columns=["00:00", "01:00"])
    fig = charts.heatmap(grid, lang="vi", value_label="Trả lời")
    assert list(fig.layout.yaxis.ticktext) == ["An", "Vũ Đức Anh<br>Mỹ Phẩm Hana Beauty #22"]
    assert list(fig.data[0].y) == ["An", "Vũ Đức Anh · Mỹ Phẩm Hana Beauty #22"]
    assert fig.layout.height == max(260, 38 * 2 + 100)
    frame = pd.DataFrame({"label": ["An", "Châu Văn Phúc · Mỹ Phẩm Hana Beauty #12"], "inbox_count": [5, 3],
                          "comment_count": [1, None]})
    bars = charts.grouped_bars(frame, "label", {"inbox_count": "Tin nhắn", "comment_count": "Bình luận"},
                               lang="vi", horizontal=True, stacked=True, height=100)
    assert list(bars.layout.yaxis.ticktext) == ["An", "Châu Văn Phúc<br>Mỹ Phẩm Hana Beauty #12"]
    assert bars.layout.height == 38 * 2 + 110
    upright = charts.grouped_bars(frame, "label", {"inbox_count": "Tin nhắn"}, lang="vi", height=200)
    assert upright.layout.yaxis.ticktext is None and upright.layout.height == 200   # columns: as before


@pytest.mark.parametrize("title,lines", [
    ("Tương tác theo ngày", ["Tương tác theo ngày"]),
    ("Chi tiêu và lượt mua: 25 quảng cáo chi nhiều nhất (VND)",            # after its ": "
     ["Chi tiêu và lượt mua:", "25 quảng cáo chi nhiều nhất (VND)"]),
    ("Nhu cầu và trả lời theo giờ trong ngày (cộng dồn cả khoảng)",        # at the last space within 44
     ["Nhu cầu và trả lời theo giờ trong ngày (cộng", "dồn cả khoảng)"]),
    ("Ads: spend and purchases of the ads that spent the most (USD)",      # ": " too early: a space
     ["Ads: spend and purchases of the ads that", "spent the most (USD)"]),
    ("X" * 50, ["X" * 50]),                                                # no space: left whole
])
def test_a_long_chart_title_takes_two_lines_a_phone_shows_whole(title, lines):
    """Regression (issue 19, 390 px): "Chi tiêu và lượt mua: 25 quảng cáo chi nhiều nhất (" was cut
    at the phone's edge (Plotly never wraps a title)."""
    assert charts.title_lines(title) == lines
    fig = charts.bars(["a"], [1], lang="vi", title=title, height=300)
    assert fig.layout.title.text == "<br>".join(lines)
    assert fig.layout.margin.t == 50 + 22 * (len(lines) - 1)           # room for the second line...
    assert fig.layout.height == 300 + 22 * (len(lines) - 1)            # ...taken from no plot
