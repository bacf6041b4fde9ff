"""The Ads page in AppTest: KPI values per currency against the simulator's ground truth,
both languages, one page and all pages, the status filter in the URL, the empty state, and a
failing page that warns while the rest renders."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pancake import fmt, metrics, views
from pancake.simulator import DEMO_PAGES, Simulator, serve
from tests.conftest import ROOT, app_test

PAGE = "app_pages/ads.py"
P1 = "104857392015873"        # VND: normal, no-purchase, paused, null-metrics ads
P2 = "igo_17841405793187218"  # VND and USD ads
P3 = "231904857736412"        # VND
P4 = "zl_1993284756120394"    # no ads
ALL = [p.id for p in DEMO_PAGES]


def truth_rows(page_ids, start, end, sim=None):
    sim = sim or Simulator(seed=0)
    return [r for p in page_ids for r in sim.truth.ads(p, start, end)]


def _sum(rows, key, *also):
    vals = [r[key] for r in rows if r[key] is not None and all(r[a] is not None for a in also)]
    return sum(vals) if vals else None


def _div(a, b, scale=1.0):
    return None if a is None or not b else a / b * scale


def expected_cards(rows, currency, lang):
    """The eight KPI values of one currency, computed by hand from the truth and formatted."""
    rs = [r for r in rows if r["currency"] == currency]
    spend = _sum(rs, "spend")
    value = _sum(rs, "purchases_conversion_value")
    purchases = _sum(rs, "purchases")
    conv = _sum(rs, "messaging_conversation_started_7d")
    roas = _div(_sum(rs, "purchases_conversion_value", "spend"), _sum(rs, "spend", "purchases_conversion_value"))
    cpp = _div(_sum(rs, "spend", "purchases"), _sum(rs, "purchases", "spend"))
    cpc = _div(_sum(rs, "spend", "messaging_conversation_started_7d"),
               _sum(rs, "messaging_conversation_started_7d", "spend"))
    ctr = _div(_sum(rs, "link_click", "impressions"), _sum(rs, "impressions", "link_click"), 100.0)
    money = lambda x: fmt.money(x, currency, lang)  # noqa: E731
    return {
        metrics.label("spend", lang): money(spend),
        metrics.label("purchases_conversion_value", lang): money(value),
        metrics.label("roas", lang): fmt.number(roas, lang, decimals=2),
        metrics.label("purchases", lang): fmt.number(purchases, lang),
        metrics.label("cost_per_purchase", lang): money(cpp),
        metrics.label("messaging_conversation_started_7d", lang): fmt.number(conv, lang),
        metrics.label("cost_per_conversation", lang): money(cpc),
        metrics.label("ctr", lang): fmt.percent(ctr, lang),
    }


def cards(at):
    """[(label, value, delta)] of the KPI cards, in order."""
    return [(m.label, m.value, m.delta) for m in at.metric]


def blocks(at, n_per_block=8):
    got = cards(at)
    return [dict((lab, val) for lab, val, _ in got[i:i + n_per_block]) for i in range(0, len(got), n_per_block)]


def all_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def past_range(days_back=12, length=7):
    today = Simulator(seed=0).today()
    end = today - timedelta(days=days_back)
    return end - timedelta(days=length - 1), end


def test_all_pages_english_matches_truth_per_currency():
    start, end = past_range()
    params = {"lang": "en", "pages": "all", "from": start.isoformat(), "to": end.isoformat()}
    at = app_test(PAGE, params=params)
    assert not at.exception
    rows = truth_rows(ALL, start, end)
    got = blocks(at)
    assert [s.value for s in at.subheader][:2] == ["Totals in VND", "Totals in USD"]
    assert got == [expected_cards(rows, "VND", "en"), expected_cards(rows, "USD", "en")]
    # the warning names the ads that spend with 0 purchases, per currency (never added up)
    zero = [r for r in rows if r["spend"] and r["purchases"] == 0]
    assert len(zero) == 2 and {r["currency"] for r in zero} == {"VND", "USD"}
    warning = " ".join(w.value for w in at.warning)
    assert f"**{len(zero)} ad(s)**" in warning
    for r in zero:
        assert fmt.money(r["spend"], r["currency"], "en") in warning
    # per-page table shown for several pages; every ad listed once
    assert "By page and currency" in [s.value for s in at.subheader]
    ad_table = at.dataframe[-1].value
    assert len(ad_table) == len(rows)
    assert sorted(ad_table["Ad"]) == sorted(r["name"] for r in rows)
    assert dict(at.query_params) == params


def test_one_page_vietnamese_default_range_with_deltas():
    sim = Simulator(seed=0)
    at = app_test(PAGE, params={"pages": P1})
    assert not at.exception
    today = sim.today()
    start, end = today - timedelta(days=6), today
    prev_start, prev_end = start - timedelta(days=7), start - timedelta(days=1)
    # "today" is scaled by the hour: accept the truth of the hour before or after the run
    candidates = [expected_cards(truth_rows([P1], start, end, s), "VND", "vi")
                  for s in (sim, Simulator(seed=0))]
    (got,) = blocks(at)
    assert got in candidates
    assert list(got)[0] == "Chi tiêu"  # Vietnamese labels
    spend_now = _sum([r for r in truth_rows([P1], start, end)], "spend")
    spend_prev = _sum(truth_rows([P1], prev_start, prev_end), "spend")
    delta = cards(at)[0][2]
    assert delta in {views.delta_text(spend_now, spend_prev, "vi"),
                     views.delta_text(_sum(truth_rows([P1], start, end, sim), "spend"), spend_prev, "vi")}
    assert "Theo từng trang và tiền tệ" not in [s.value for s in at.subheader]  # one page: no per-page table
    assert [s.value for s in at.subheader][0] == "Tổng chi tiêu bằng VND"
    qp = dict(at.query_params)
    assert qp["pages"] == P1 and qp["lang"] == "vi" and qp["range"] == "last_7"


def test_status_filter_from_url_and_widget():
    start, end = past_range()
    at = app_test(PAGE, params={"pages": P1, "from": start.isoformat(), "to": end.isoformat(),
                                "ad_status": "PAUSED", "lang": "en"})
    assert not at.exception
    ads = at.dataframe[-1].value
    assert list(ads["Ad"]) == ["QC FB thúc đẩy doanh thu"] and list(ads["Status"]) == ["Paused"]
    assert at.query_params["ad_status"] == "PAUSED"
    (pills,) = [b for b in at.button_group if b.key != "w_lang"]
    pills.set_value(["ACTIVE"]).run()
    assert not at.exception
    assert at.query_params["ad_status"] == "ACTIVE"
    rows = [r for r in truth_rows([P1], start, end) if r["status"] == "ACTIVE"]
    assert blocks(at) == [expected_cards(rows, "VND", "en")]
    assert len(at.dataframe[-1].value) == len(rows) == 3


def test_page_without_ads_shows_empty_state():
    at = app_test(PAGE, params={"pages": P4, "lang": "en"})
    assert not at.exception
    assert not at.metric
    assert any("No ads in this date range." in i.value for i in at.info)


def test_long_range_merges_windows_without_double_counting():
    start, end = past_range(days_back=3, length=45)  # two API windows
    at = app_test(PAGE, params={"pages": P3, "from": start.isoformat(), "to": end.isoformat(), "lang": "en"})
    assert not at.exception
    assert blocks(at) == [expected_cards(truth_rows([P3], start, end), "VND", "en")]


@pytest.fixture
def served_sim():
    sim = Simulator(seed=0)
    server, thread = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def open_directly(page, *, params, secrets):
    """The page as the first page opened (a shared link): conftest.app_test runs the default
    page first, and AppTest then runs pages/*.py without app.py, so the per-run reset of
    "errors already named" does not happen and a failure named on Overview is not named again."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for k, v in params.items():
        at.query_params[k] = v
    for k, v in secrets.items():
        at.secrets[k] = v
    at.switch_page(page)
    return at.run()


def test_failing_page_warns_and_the_rest_renders(served_sim):
    sim, url = served_sim
    wrong = "WRONG-ADS-TOKEN-7x6c5v"
    good = sim.page_token(P1)
    at = open_directly(PAGE, params={"pages": "all", "lang": "en"},
                       secrets={"PANCAKE_PAGE_TOKENS": f"{P1}:{good},{P3}:{wrong}", "PANCAKE_BASE_URL": url})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(P3 in w and "could not be loaded" in w for w in warnings)
    today = sim.today()
    start = today - timedelta(days=6)
    got = blocks(at)
    assert got[0][metrics.label("spend", "en")] in {
        expected_cards(truth_rows([P1], start, today, s), "VND", "en")[metrics.label("spend", "en")]
        for s in (sim, Simulator(seed=0))}
    text = all_text(at)
    assert wrong not in text and good not in text
