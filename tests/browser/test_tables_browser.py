"""Tables in a real browser: a header click sorts the rows, and the totals row stays last
(pinned under the rows in its own grid, never sorted into the middle or to the top)."""
from __future__ import annotations

import pytest

from .conftest import settle, shot

pytestmark = pytest.mark.browser

ROWS = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")].map(d =>
  [...d.querySelectorAll("table [role='row']")].map(r => r.innerText.replace(/\\s+/g, " ").trim()))"""


@pytest.mark.parametrize("path,total", [("/staff?lang=vi&range=yesterday", "Tổng"),
                                        ("/engagement?lang=en&range=last_7", "Total")])
def test_the_totals_row_stays_last_after_a_header_click(page, path, total):
    page.goto(path)
    settle(page)
    grids = page.locator("[data-testid='stDataFrame']")
    # the grids draw their rows (header and body) a moment after the run ends
    page.wait_for_function(f"() => {{ const t = ({ROWS})(); return t.length >= 2 && t[0].length > 1 && t[1].length > 1; }}")
    before = page.evaluate(ROWS)
    # the first table: its rows, then a one-row grid holding the totals, right under it
    assert not any(r.startswith(total) for r in before[0]), before[0]
    assert [r.strip().startswith(total) for r in before[1][1:]] == [True], before[1]
    grids.nth(0).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = grids.nth(0).bounding_box()
    # what shows of the totals grid: its container, which clips the grid's blank header off
    totals_box = page.locator("[class*='st-key-pinned-totals-']").first.bounding_box()
    assert 0 <= totals_box["y"] - (box["y"] + box["height"]) < 16
    assert totals_box["height"] < 45                                  # one row, no header above it
    orders = []
    for _ in (1, 2):    # ascending, then descending
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 17)
        page.wait_for_timeout(600)
        after = page.evaluate(ROWS)
        assert len(after[0]) == len(before[0])                        # the rows drawn (the grid draws what is in view)...
        assert not any(r.startswith(total) for r in after[0]), after[0]
        assert after[1] == before[1]                                 # ...and the totals where they were
        orders.append(after[0][1:])
    assert orders[0] != orders[1]                                     # the clicks did sort
    shot(page, f"table_sorted_{total}")


def test_the_engagement_staff_table_spans_the_page_at_1440(page):
    """Regression (issue 19): at 1440 px the staff share table sat in half the page beside its
    chart, its columns (sized to their labels) wider than that half: names with empty number
    cells, the numbers off to the right. It now spans the page under the chart."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/engagement?lang=vi&range=last_7")
    settle(page)
    full = page.locator(".st-key-eng_heatmap").bounding_box()          # a chart across the page
    table = page.locator("[data-testid='stDataFrame']").first     # the staff share, the page's first table
    table.scroll_into_view_if_needed()
    box, chart = table.bounding_box(), page.locator(".st-key-eng_staff").bounding_box()
    assert box["width"] >= 0.95 * full["width"], (box, full)
    assert box["y"] >= chart["y"] + chart["height"] - 1, (box, chart)      # under its chart, not beside it


def test_the_tags_table_spans_the_page_under_its_chart_at_1400(page):
    """Regression: the most-used tags' table sat beside its chart in two fifths of the page, and at
    1400 px its previous-period and change columns were cut off. It now spans the page under the
    chart, every column in view."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/tags?lang=vi&range=last_7")
    settle(page)
    table = page.locator("[data-testid='stDataFrame']").first     # the most-used tags, the page's first table
    table.scroll_into_view_if_needed()
    box, chart = table.bounding_box(), page.locator(".st-key-tags_top").bounding_box()
    assert box["width"] >= 0.95 * chart["width"], (box, chart)
    assert box["y"] >= chart["y"] + chart["height"] - 1, (box, chart)      # under its chart, not beside it
    widths = page.evaluate("""() => { const g = document.querySelector("[data-testid='stDataFrame'] .dvn-scroller");
        return g ? [g.scrollWidth, g.clientWidth] : null; }""")
    assert widths is None or widths[0] <= widths[1] + 2, widths                # nothing to scroll sideways to
    shot(page, "tags_top_table")
