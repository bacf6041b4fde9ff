"""Reshaping, fuzzed with hypothesis on payloads shaped like the reference (dates in every form the
API uses, numbers as strings, nulls, missing and extra keys, containers of the wrong type): every
reshaper returns a typed frame (the schema's columns first, in order, with their dtypes) or
raises the project's own ``ReshapeError``, never anything else. Example counts stay modest so the
suite stays fast; ``HYPOTHESIS_PROFILE=long`` runs more."""
from __future__ import annotations

import os
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pancake.data import reshape
from pancake.data.reshape import ReshapeError

settings.register_profile("default_fuzz", max_examples=60, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("long", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default_fuzz")

START, END = date(2025, 12, 20), date(2026, 1, 19)     # a window across New Year
PAGE = "104857392015873"

# --- values ------------------------------------------------------------------------------
# Each payload is drawn "clean" (values the API sends: numbers, numbers as strings, nulls, every
# date form) or "dirty" (any junk may appear anywhere), so both the typed frames and the
# ReshapeError paths are exercised.

good_numbers = st.one_of(
    st.integers(0, 10**6), st.integers(0, 10**6).map(str), st.none(), st.just(""),
    st.floats(0, 1e6, allow_nan=False).map(lambda f: round(f)), st.integers(0, 999).map(float),
)
bad_numbers = st.one_of(
    st.integers(-2**70, 2**70), st.integers(-2**1100, 2**1100), st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from([" ", "abc", "1,5", "1e3", "1e400", "NaN", "null", "-0", "12 ", "١٢"]), st.booleans(),
)
junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
good_days = st.one_of(
    st.builds(lambda d: f"{d.day}/{d.month}", st.dates(START, END)),
    st.builds(lambda d: f"{d.day}/{d.month}/{d.year}", st.dates(START, END)),
    st.dates(START, END).map(date.isoformat),
)
bad_days = st.one_of(
    st.builds(lambda d: f"{d.day}/{d.month}/{d.year}", st.dates(date(1, 1, 1), date(9999, 12, 31))),
    st.sampled_from(["29/2", "31/4", "0/0", "32/13", "26/8/20266", "", "yesterday", "2026-02-30"]),
    st.text(max_size=10),
)
good_hours = st.datetimes(datetime(2025, 12, 20), datetime(2026, 1, 19, 23)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:00:00"))
bad_hours = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S") + "Z"),
    st.sampled_from(["2026-13-01T00:00:00", "2026-01-01T25:00:00", "", "noon", "0001-01-01T00:00:00"]),
    st.text(max_size=12),
)
good_ids = st.one_of(st.integers(1, 10**15), st.integers(1, 10**6).map(str))
bad_ids = st.one_of(st.text(max_size=6), st.none(), st.floats())


class V:
    """The value strategies of one payload: clean or dirty."""

    def __init__(self, clean: bool) -> None:
        self.clean = clean
        mix = (lambda good, bad: good) if clean else (lambda good, bad: st.one_of(good, good, bad))
        self.num = mix(good_numbers, bad_numbers)
        self.day = mix(good_days, bad_days)
        self.hour = mix(good_hours, bad_hours)
        self.id = mix(good_ids, bad_ids)
        self.text = st.text(max_size=6)

    def record(self, known: dict):
        """A record with the known fields (each may be missing), plus unknown ones."""
        extra = st.dictionaries(st.sampled_from(["zz_new", "score"]),
                                self.num if self.clean else junk, max_size=2)
        return st.tuples(st.fixed_dictionaries({}, optional=dict(known)), extra).map(lambda t: {**t[1], **t[0]})

    def wrong(self, strategy):
        """Dirty payloads sometimes have a value of another type where a container should be."""
        return strategy if self.clean else st.one_of(strategy, strategy, strategy, junk)

    def wrapped(self, inner, key="data"):
        options = [st.fixed_dictionaries({"success": st.just(True), key: self.wrong(inner)}),
                   st.fixed_dictionaries({key: self.wrong(inner)})]
        if not self.clean:
            options += [st.fixed_dictionaries({"success": st.sampled_from([False, "true", 1, None])}), junk]
        return st.one_of(*options)


def both(build):
    """A strategy drawing clean and dirty payloads."""
    return st.one_of(build(V(True)), build(V(False)))


# --- payloads shaped like the reference --------------------------------------------------

def engagement_daily_payload(v: V):
    @st.composite
    def draw_it(draw):
        cats = draw(st.lists(v.day, max_size=8, unique=v.clean))
        names = draw(st.lists(st.sampled_from(list(reshape.ENGAGEMENT_SERIES) + ["zz_new"]
                                              + ([] if v.clean else ["page_id", "date"])),
                              max_size=9, unique=True))
        ragged = not v.clean and draw(st.booleans()) and draw(st.booleans())
        n = len(cats) + (1 if ragged else 0)
        series = [{"name": name, "data": draw(st.lists(v.num, min_size=n, max_size=n))} for name in names]
        if draw(st.booleans()):
            series = {x["name"]: x["data"] for x in series}
        users = draw(st.lists(v.wrong(v.record({
            "user_id": v.id, "name": v.text, "user_name": v.text, "inbox_count": v.num, "order_count": v.num,
            "old_order_count": v.num, "total_engagement": v.num})), max_size=3))
        data = {"categories": v.wrong(st.just(cats)), "series": v.wrong(st.just(series))}
        body = draw(st.fixed_dictionaries(data) if v.clean else st.fixed_dictionaries({}, optional=data))
        return draw(st.one_of(st.just({"success": True, "data": body, "users_engagements": users}),
                              st.just({"data": {**body, "users_engagements": users}}),
                              v.wrapped(st.just(body))))
    return draw_it()


def hourly_payload(v: V):
    rec = v.record({"hour": v.hour, "inbox": v.num, "comment": v.num, "total": v.num,
                    "new_customer": v.num, "new_customer_from_inbox": v.num})
    rows = st.lists(v.wrong(rec), max_size=5)
    return st.one_of(st.fixed_dictionaries({"statistics": v.wrong(rows)}),
                     v.wrapped(st.fixed_dictionaries({"statistics": rows})))


def users_payload(v: V):
    rec = v.record({"user_id": v.id, "user_name": v.text, "name": v.text, "hour": v.hour,
                    "inbox_count": v.num, "comment_count": v.num, "phone_number_count": v.num,
                    "private_reply_count": v.num, "unique_inbox_count": v.num,
                    "unique_comment_count": v.num, "average_response_time": v.num, "order_count": v.num,
                    "user_fb_id": v.id, "fb_id": v.id})
    uid = good_ids.map(str) if v.clean else st.one_of(good_ids.map(str), st.text(max_size=4))
    stats = st.dictionaries(uid, v.wrong(st.lists(v.wrong(rec), max_size=4)), max_size=3)
    users = st.dictionaries(uid, v.wrong(rec), max_size=3)
    inner = st.fixed_dictionaries({}, optional={"statistics": v.wrong(stats), "users": v.wrong(users)})
    return st.one_of(st.fixed_dictionaries({"success": st.just(True), "data": inner}), inner, v.wrapped(stats))


def ads_payload(v: V):
    text_cols = ("ad_id", "adset_id", "account_id", "name", "status")
    rec = v.record({**{c: (v.id if c in text_cols else v.num) for c in reshape.ADS_COLUMNS
                       if c not in ("page_id", "currency")},
                    "currency": st.sampled_from(["VND", "USD", "JPY", "", None] + ([] if v.clean else ["XXX", 3]))})
    rows = st.lists(v.wrong(rec), max_size=4)
    return st.one_of(rows, v.wrapped(rows))


def tags_payload(v: V):
    @st.composite
    def draw_it(draw):
        cats = draw(st.lists(v.day, max_size=6, unique=v.clean))
        tag_ids = draw(st.lists(st.integers(0, 30).map(str) if v.clean else st.text(max_size=3),
                                max_size=4, unique=True))
        extra = 0 if v.clean else draw(st.sampled_from([0, 0, 1]))
        series = {t: draw(st.lists(v.num, min_size=len(cats) + extra, max_size=len(cats) + extra))
                  for t in tag_ids}
        if draw(st.booleans()):
            series = [{"id": t, "name": t, "data": vals} for t, vals in series.items()]
        tags = draw(st.lists(v.record({"id": v.id, "text": v.text}), max_size=3))
        body = {"categories": cats, "series": series}
        return draw(st.one_of(st.just({"success": True, "data": body, "tags": tags}), v.wrapped(st.just(body))))
    return draw_it()


def customers_payload(v: V):
    rec = v.record({"date": st.one_of(v.day, v.hour), "new_customer_count": v.num,
                    "new_page_inbox_count": v.num, "new_phone_number_count": v.num, "phone_number_count": v.num})
    return st.one_of(v.wrapped(st.lists(v.wrong(rec), max_size=5)),
                     v.wrapped(st.dictionaries(good_ids.map(str), st.lists(rec, max_size=3), max_size=2)))


def activity_payload(v: V):
    rec = v.record({"hour": v.hour, **{c: v.num for c in reshape.PAGE_ACTIVITY_COLUMNS[2:]}})
    return v.wrapped(st.lists(v.wrong(rec), max_size=5))


CASES = {
    "engagement_daily": (both(engagement_daily_payload),
                         lambda p: reshape.engagement_daily(p, PAGE, START, END), "engagement_daily"),
    "engagement_users": (both(engagement_daily_payload), lambda p: reshape.users_engagements(p, PAGE),
                         "users_engagements"),
    "engagement_hourly": (both(hourly_payload), lambda p: reshape.engagement_hourly(p, PAGE), "engagement_hourly"),
    "user_hourly": (both(users_payload), lambda p: reshape.user_hourly(p, PAGE), "user_hourly"),
    "user_totals": (both(users_payload), lambda p: reshape.user_totals(p, PAGE), "user_totals"),
    "ads": (both(ads_payload), lambda p: reshape.ads_frame(p, PAGE), "ads"),
    "tags": (both(tags_payload), lambda p: reshape.tags_frame(p, PAGE, START, END), "tags"),
    "customers": (both(customers_payload), lambda p: reshape.new_customers_frame(p, PAGE, START, END), "customers"),
    "activity": (both(activity_payload), lambda p: reshape.page_activity_frame(p, PAGE), "activity"),
}


def check_typed(frame, schema: str) -> None:
    assert isinstance(frame, pd.DataFrame)
    empty = reshape.empty_frame(schema)
    assert list(frame.columns[:len(empty.columns)]) == list(empty.columns)
    for col in empty.columns:
        assert frame[col].dtype == empty[col].dtype, (col, frame[col].dtype, empty[col].dtype)
    assert frame.columns[0] == "page_id"


@pytest.mark.parametrize("case", list(CASES))
def test_reshapers_return_typed_frames_or_raise_reshape_error(case):
    strategy, fn, schema = CASES[case]

    @settings(settings.get_profile(PROFILE))
    @given(strategy)
    def run(payload):
        try:
            frame = fn(payload)
        except ReshapeError:
            return
        check_typed(frame, schema)

    run()


# the crashes the fuzzing found (each raised something other than ReshapeError before)
FOUND = [
    ("tags", {"success": True, "data": {"categories": ["20/12"], "series": {"0": [9.223372036854776e+18]}}}),
    ("tags", {"success": True, "data": {"categories": ["1/1/0001"], "series": {"0": [1]}}}),
    ("activity", {"data": [{"hour": "2026-01-01T00:00:00", "new_customer_count": 2 ** 1100}]}),
    ("user_totals", {"data": {"users": {"1": {"inbox_count": 1, "zz_new": float("inf")}}}}),
    ("user_totals", {"data": {"users": {"1": {"inbox_count": 1, "zz_new": "1e400"}}}}),
]


@pytest.mark.parametrize("case,payload", FOUND)
def test_the_crashes_fuzzing_found(case, payload):
    _, fn, schema = CASES[case]
    try:
        frame = fn(payload)
    except ReshapeError:
        return
    check_typed(frame, schema)
