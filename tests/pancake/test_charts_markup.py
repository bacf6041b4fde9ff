"""Names are text in every figure (issue 23): Plotly draws a subset of HTML in labels, legend
names, axis categories, hover and bar texts and titles (``<a href>`` is a link), so every
builder in pancake.numbers.charts writes ``&``, ``<`` and ``>`` as entities. Expectations are literal."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pancake.numbers import charts
from pancake.numbers.views import ads as va

LINK = "Shop <a href=http://evil.test/p>A</a> & <b>B</b>"
SAFE = "Shop &lt;a href=http://evil.test/p&gt;A&lt;/a&gt; &amp; &lt;b&gt;B&lt;/b&gt;"


def _no_markup(fig) -> None:
    """No raw tag of the name anywhere in the figure's data."""
    text = json.dumps(fig.to_plotly_json(), ensure_ascii=False, default=str)
    assert "<a " not in text and "</a>" not in text and "<b>" not in text
    assert SAFE in text


@pytest.mark.parametrize("given, shown", [
    ("<a href='x'>y</a>", "&lt;a href='x'&gt;y&lt;/a&gt;"),
    ("Trà & Bánh", "Trà &amp; Bánh"),
    ("&lt;", "&amp;lt;"),                 # an entity in a name is shown as typed
    ("a<br>b", "a&lt;br&gt;b"),
    ("Cửa hàng 1", "Cửa hàng 1"),
    (1001, "1001"),
])
def test_plain(given, shown):
    assert charts.plain(given) == shown


def test_plains_keeps_unknowns_as_gaps_not_words():
    assert charts.plains(["<i>", None, float("nan"), pd.NA, "x"]) == ["&lt;i&gt;", None, None, None, "x"]
    assert charts.plains(None) is None
    assert charts.plains([]) == []


def test_bars_labels_texts_and_value_label_are_text():
    fig = charts.bars([LINK, "Plain"], [3, 5], lang="vi", text=[LINK, "5"], value_label=LINK)
    bar = fig.data[0]
    assert list(bar.y) == ["Plain", SAFE]                  # horizontal: first on top
    assert list(bar.text) == ["5", SAFE]
    assert bar.name == SAFE
    assert bar.hovertemplate == f"%{{y}}<br>{SAFE}: %{{customdata}}<extra></extra>"
    _no_markup(fig)
    vertical = charts.bars([LINK], [3], lang="en", horizontal=False)
    assert list(vertical.data[0].x) == [SAFE]


def test_time_series_legend_and_hover_names_are_text():
    frame = pd.DataFrame({"date": pd.date_range("2026-11-01", periods=2, freq="D"), "t1": [1, 2]})
    fig = charts.time_series(frame, "date", {"t1": LINK}, lang="en", named=True, title=LINK, subtitle="<i>s</i>",
                             y_title="<u>y</u>")
    assert fig.data[0].name == SAFE
    assert fig.data[0].hovertemplate == f"{SAFE}: %{{customdata}}<extra></extra>"
    # our own <br> (a title over 44 characters takes two lines) and <sup> stay
    assert fig.layout.title.text == ("Shop &lt;a href=http://evil.test/p&gt;A&lt;/a&gt; &amp;<br>&lt;b&gt;B&lt;/b&gt;"
                                     "<br><sup>&lt;i&gt;s&lt;/i&gt;</sup>")
    assert fig.layout.yaxis.title.text == "&lt;u&gt;y&lt;/u&gt;"
    _no_markup(fig)


def test_grouped_bars_categories_and_series_are_text():
    frame = pd.DataFrame({"page_name": [LINK, "B", None], "inbox": [1, 2, 3]})
    fig = charts.grouped_bars(frame, "page_name", {"inbox": "<s>Inbox</s>"}, lang="vi", horizontal=True)
    assert list(fig.data[0].y) == [SAFE, "B", None]         # an unknown name is a gap, never "nan"
    assert fig.data[0].name == "&lt;s&gt;Inbox&lt;/s&gt;"
    _no_markup(fig)


def test_heatmap_rows_columns_and_colour_bar_are_text():
    grid = pd.DataFrame([[1.0, 2.0]], index=[LINK], columns=["<h1>", "x"])
    fig = charts.heatmap(grid, lang="vi", value_label="<b>n</b>")
    hm = fig.data[0]
    assert list(hm.y) == [SAFE]
    assert list(hm.x) == ["&lt;h1&gt;", "x"]
    assert hm.colorbar.title.text == "&lt;b&gt;n&lt;/b&gt;"
    assert "<b>n</b>" not in hm.hovertemplate
    fig2 = charts.heatmap(grid, lang="vi", value_label="n", y_labels=[LINK], x_labels=["a", "b"])
    assert list(fig2.data[0].y) == [SAFE]


def test_ads_hover_built_by_the_view_names_the_ad_as_text():
    table = pd.DataFrame({"currency": ["USD"], "spend": [12.5], "purchases": [0], "cost_per_purchase": [None],
                          "flag": [True], "name": ["<a href=x>A</a> & B"], "ad_id": ["9"]})
    fig = va.spend_purchases_figure(table, "USD", "en")
    assert fig.data[0].hovertext[0] == ("&lt;a href=x&gt;A&lt;/a&gt; &amp; B<br>Spend: $12.50<br>Purchases: 0"
                                        "<br>Cost per purchase: —")
    assert list(fig.data[0].y) == ["&lt;a href=x&gt;A&lt;/a&gt; &amp; B"]
