"""ui.components: the card grid (columns that fit the card count, values never cut), the error
notice (one line per failing page, in the viewer's language, detail apart, nothing rendered as
markdown), and the visible strings free of API jargon."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pancake import i18n
from pancake.api import errors
from pancake.api.simulator import DEMO_PAGES
from pancake.data import core
from pancake.data.core import PageError
from pancake.numbers import metrics
from tests.conftest import app_test
from ui import components

ROOT = Path(__file__).resolve().parents[2]


# --- card grid -------------------------------------------------------------------------------

@pytest.mark.parametrize("n, fit, cols", [
    (5, 4, 3), (7, 4, 4), (7, 6, 4), (7, 7, 7), (8, 4, 4), (8, 7, 4), (4, 3, 2), (6, 4, 3),
    (3, 7, 3), (1, 4, 1), (5, 1, 1), (2, 2, 2), (9, 4, 3)])
def test_grid_columns_fit_the_count_without_a_lone_card(n, fit, cols):
    assert components.grid_columns(n, fit) == cols
    assert cols == n or n % cols != 1 or cols == 1


def test_grid_columns_fall_back_to_a_spanning_card_only_when_nothing_else_fits():
    assert components.grid_columns(7, 3) == 3           # 3 + 3 + 1: the last card spans its row
    css = components.grid_css("kpis-1", 7, 14)
    assert "@container (min-width: 632px) { .st-key-kpis-1-row { grid-template-columns: repeat(3, " in css
    assert "grid-column: 1 / -1" in css and "grid-column: auto" in css


@pytest.mark.parametrize("width, n, cols", [(905, 7, 4), (980, 5, 3), (1516, 8, 4), (1516, 7, 7), (358, 7, 1)])
def test_the_grid_at_the_widths_people_use(width, n, cols):
    """Content widths at 1366, 1440 and 1920 px with the sidebar, and a phone: the column count
    the container queries pick there."""
    fit = max(1, (width + components.CARD_GAP) // (components.MIN_CARD + components.CARD_GAP))
    assert components.grid_columns(n, fit) == cols


def test_a_long_value_shrinks_to_its_card_instead_of_being_cut():
    css = components.grid_css("kpis-2", 4, len("216.552.300 ₫"))
    assert "font-size: min(2.25rem, calc(100cqi / 7.80))" in css
    assert "text-overflow: clip" in css and "white-space: normal" in css
    assert ".st-key-kpis-2 { container-type: inline-size; }" in css


# --- error notice ----------------------------------------------------------------------------

KINDS = ("auth", "rate_limit", "server", "network", "bad_response", "api", "config", "timeout", "error")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_error_kind_has_plain_words_in_both_languages(lang):
    texts = [components.reason(k, lang) for k in KINDS]
    assert len(set(texts)) == len(KINDS)
    assert not any(re.search(r"\b(10[235]|HTTP|statistics/|token …)\b", t) for t in texts)
    assert components.reason("something-new", lang) == components.reason("error", lang)


def test_errors_are_grouped_per_page_with_the_main_reason():
    failed = {"p1": [PageError("p1", "Shop *A*", "server", "[statistics/users · page p1] HTTP 502"),
                     PageError("p1", "Shop *A*", "auth", "page token for page p1 still refused (105)")],
              "p2": [PageError("p2", "", "rate_limit", "429")]}
    vi = components.error_lines(failed, "vi")
    assert vi == ["**Shop \\*A\\***: " + components.reason("auth", "vi") + ".",
                  "**p2**: " + components.reason("rate_limit", "vi") + "."]
    en = components.error_lines(failed, "en")
    assert en[0].endswith(components.reason("auth", "en") + ".") and "refused" not in en[0]
    detail = components.error_details(failed)
    assert detail.splitlines() == ["Shop *A*: [server] [statistics/users · page p1] HTTP 502",
                                   "Shop *A*: [auth] page token for page p1 still refused (105)", "p2: [rate_limit] 429"]


def test_markdown_in_a_name_is_shown_as_it_is():
    assert components.escape_markdown("[x](http://e) :red[y] $z$") == \
        "\\[x\\]\\(http\\:\u2060\\/\\/e\\) \\:red\\[y\\] \\$z\\$"


def _failing(monkeypatch, page_id):
    real = core.fetch_page

    def fetch(client, kind, pid, first, last, **options):
        if pid == page_id:
            raise errors.AuthError(f"page token for page {pid} still refused (105) after regenerating",
                                   endpoint=f"statistics/{kind}", page_id=pid, error_code=105)
        return real(client, kind, pid, first, last, **options)
    monkeypatch.setattr(core, "fetch_page", fetch)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_failing_page_is_named_once_in_the_language_with_a_settings_link(monkeypatch, lang):
    """Regression: a page with a renewed token stacked five English boxes, one per endpoint."""
    bad = DEMO_PAGES[0]
    _failing(monkeypatch, bad.id)
    at = app_test("app_pages/overview.py", params={"pages": "all", "lang": lang})
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1
    (text,) = notices
    assert text.count(bad.name) == 1 and components.reason("auth", lang) in text
    assert "105" not in text and "refused" not in text                 # the detail is apart
    assert i18n.t("errors.title", lang, n=1) in text
    (box,) = [e for e in at.expander if e.label == i18n.t("errors.details", lang)]
    assert "still refused (105)" in box.code[0].value
    assert "statistics/engagement" in box.code[0].value and "statistics/ads" in box.code[0].value


# --- no API jargon in what people read ------------------------------------------------------

JARGON = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|statistics/|/v1/|\?\w+=|\bGET\b|mili giây|milliseconds")


def test_no_api_field_or_path_in_visible_strings():
    """Captions, titles and messages (every key but tooltips, ``*_help``, and the settings
    page's configuration reference) name no API field or path: those stay in tooltips."""
    table = tomllib.loads((ROOT / "pancake" / "strings.toml").read_text("utf-8"))
    fields = {f for source in metrics.METRICS_BY_SOURCE.values() for f in source}
    found = []
    for key, texts in table.items():
        if key.endswith("_help") or key.startswith("set.env."):
            continue
        for lang, text in texts.items():
            plain = re.sub(r"`[^`]*`", "", text)   # a code span is a name to type (a setting), not jargon
            plain = re.sub(r"\{[^}]*\}", "", plain)   # a placeholder is replaced before anyone sees it
            hits = set(JARGON.findall(plain)) | {f for f in fields if "_" in f and f in plain}
            if hits:
                found.append((key, lang, sorted(hits)))
    assert not found


def test_labels_of_shows_each_option_by_its_label_and_an_unknown_one_as_itself():
    """A widget's format_func made from a mapping: no function of the page script (which would
    keep the script's frames alive with the session's widgets)."""
    from ui.components import labels_of
    shown = labels_of({"": "Không lọc", "tag": "Thẻ"})
    assert [shown(x) for x in ("", "tag", "Thẻ", 3)] == ["Không lọc", "Thẻ", "Thẻ", "3"]
    assert getattr(shown, "__globals__", None) is None     # a partial of a module function, no closure
