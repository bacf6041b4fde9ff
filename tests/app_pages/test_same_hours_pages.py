"""Issue 17, items 4 and 5, on screen: a partial today compared with the same hours of the
previous period. Ads and tags are counted by whole days (they cannot be cut at an hour): their
cards say "not compared" instead of a change against a whole day. A cut day refused for every
page leaves its cards without a change and a note, never an exception."""
from __future__ import annotations

import functools

from pancake.api import errors, simulator
from pancake.api.simulator import FaultRule, Faults
from pancake.data import core
from tests.conftest import app_test


def _with_faults(monkeypatch, *rules: FaultRule) -> None:
    """The demo's simulator (``core.make_client``) answers with these faults."""
    monkeypatch.setattr(simulator, "Simulator", functools.partial(simulator.Simulator, faults=Faults(list(rules))))


def _text(at) -> str:
    return "\n".join(str(e.value) for kind in ("caption", "warning", "info", "markdown")
                     for e in getattr(at, kind))


def test_ads_today_say_not_compared_on_every_card_in_both_languages():
    for lang, word, note in (("en", "Not compared", "No comparison for ad figures"),
                             ("vi", "Không so sánh", "Không so sánh số liệu quảng cáo")):
        at = app_test("app_pages/ads.py", params={"pages": "all", "lang": lang, "range": "today"})
        assert not at.exception
        assert at.metric, "the ads page shows cards today"
        assert {m.delta for m in at.metric} == {word}     # no % against the whole of yesterday
        assert note in _text(at)
        assert "nan" not in _text(at) and "None" not in _text(at)


def test_tags_today_are_not_compared_either():
    at = app_test("app_pages/tags.py", params={"pages": "all", "lang": "en", "range": "today"})
    assert not at.exception
    assert at.metric and {m.delta for m in at.metric} == {"Not compared"}


def test_ads_over_a_closed_range_still_compare():
    at = app_test("app_pages/ads.py", params={"pages": "all", "lang": "en", "range": "last_7"})
    assert not at.exception
    deltas = [m.delta for m in at.metric]
    assert any(d and "%" in d for d in deltas)
    assert "Not compared" not in deltas


def test_this_month_with_ads_refused_and_the_cut_day_refused_on_every_page(monkeypatch):
    """Regression (issue 17, 4): the overview on "this month" raised when the previous period's
    cut day failed for every page. Ads statistics refused (403) on every page by the simulator,
    and the engagement cut day refused for every page: the overview draws its cards, the
    engagement cards without a change and a note saying why, the ads section says there are no
    ads, and the failing pages are named."""
    _with_faults(monkeypatch, FaultRule("403", every=1, path_contains="statistics/pages_campaigns"))
    real = core.fetch_page

    def cut_refused(client, kind, page_id, first, last, **options):
        if kind == "engagement" and options.get("until") is not None:
            raise errors.AuthError(f"statistics/customer_engagements for {page_id}: HTTP 403",
                                   endpoint="statistics/customer_engagements", page_id=page_id)
        return real(client, kind, page_id, first, last, **options)

    monkeypatch.setattr(core, "fetch_page", cut_refused)
    at = app_test("app_pages/overview.py", params={"pages": "all", "lang": "en", "range": "this_month"})
    assert not at.exception
    shown = {m.label: m for m in at.metric}
    assert shown["Total engagements (inbox + comment)"].value not in ("", "—")
    assert not shown["Total engagements (inbox + comment)"].delta
    text = _text(at)
    assert "No comparison" in text
    assert "No ads" in text or "no ads" in text.lower()
    assert at.warning                        # the pages whose ads were refused are named
    assert "nan" not in text and "None" not in text


def test_overview_today_compares_the_same_hours_and_leaves_ads_uncompared():
    """On the overview today: the kinds that can be cut compare the same hours (a % change, "vs
    the same hours"), the ads cards say "not compared" (no % against the whole of yesterday)."""
    at = app_test("app_pages/overview.py", params={"pages": "all", "lang": "en", "range": "today"})
    assert not at.exception
    shown = {m.label: m.delta for m in at.metric}
    assert shown["Total engagements (inbox + comment)"] and "%" in shown["Total engagements (inbox + comment)"]
    ads = [m.delta for m in at.metric if m.label.startswith(("Ad spend", "Spend", "Purchases"))]
    assert ads and set(ads) == {"Not compared"}
    text = _text(at)
    assert "same hours of the previous period" in text and "No comparison for ad figures" in text
