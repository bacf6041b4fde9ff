"""Page furniture shared by every page: header, banners, per-page errors, KPI cards,
empty states and downloads. Pure computations live in ``pancake.numbers.views``; this module
only draws."""
from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from datetime import time as dt_time
from typing import Any

import pandas as pd
import streamlit as st

from pancake import fmt, i18n
from pancake.data import kinds
from pancake.data.core import PageError, Result
from pancake.delivery import export
from pancake.numbers import views
from pancake.numbers.views import cards as vcards
from pancake.numbers.views import conversations as vconv
from pancake.numbers.views import tables as vtables
from pancake.numbers.views.cards import Kpi
from pancake.numbers.views.tables import Table
from ui import auth, cache, state


def t(key: str, **kw) -> str:
    return state.t(key, **kw)


def page_scope(page_ids: Sequence[str]) -> str:
    """The pages in the scope line (markdown: a page's name escaped)."""
    names = cache.page_names()
    if len(page_ids) == 1:
        return escape_markdown(names.get(page_ids[0], page_ids[0]))
    return i18n.t("common.n_pages", state.lang(), n=len(page_ids))


def header(title_key: str, page_ids: Sequence[str]) -> None:
    """Title, the scope line (pages · range · zone), the demo banner and URL problems."""
    lang = state.lang()
    start, end = state.date_range()
    st.title(i18n.t(title_key, lang))
    scope = i18n.t("common.scope", lang, pages=page_scope(page_ids),
                   range=fmt.date_range(start, end, lang), tz=cache.tz_name())
    if state.current().compare:
        scope += " · " + vcards.vs_text(*state.previous_range(), lang)
    st.caption(scope)
    banner()
    url_notice()


def url_notice() -> None:
    """Name the URL input the view ignored (unknown page ids, bad dates, unknown values), in
    the user's language, the echoed values as plain text."""
    problems = state.problems()
    if problems:
        lines = state.notice_lines(problems, state.lang(), pages_left=bool(state.current().pages),
                                   today=cache.today())
        st.warning("\n".join([t("url.heading"), ""] + [f"- {line}" for line in lines]), icon=":material/link_off:")


def banner() -> None:
    err = cache.settings_error()
    if err:
        st.error(t("common.config_error", msg=escape_markdown(err)) + "\n\n" + t("faults.config_demo"),
                 icon=":material/settings_alert:")
    elif cache.is_demo():
        st.info(t("common.demo_banner"), icon=":material/science:")


# --- the run's state: problems named, failing pages, card grids drawn ---------------------------

class _Run:
    """What this run has drawn so far: the failing pages (by page, each with its errors), the
    slot that names them, and how many card grids (for their keys). Lives in the run's set of
    problems named, which ``ui.page.open_page`` starts afresh every run."""

    def __init__(self) -> None:
        self.failed: dict[str, list[PageError]] = {}
        self.slot = None
        self.grids = 0
        self.same_hours: dt_time | None = None   # today's cut: the previous period ends at it too
        self.whole_days: list[str] = []           # kinds not compared: their endpoint counts whole days
        self.of = 0                               # the most pages one load of this run asked for


def _run() -> _Run:
    shown = st.session_state.setdefault("_shown_errors", set())
    found = next((x for x in shown if isinstance(x, _Run)), None)
    if found is None:
        found = _Run()
        shown.add(found)
    return found


REASON_ORDER = ("auth", "config", "rate_limit", "timeout", "network", "server", "bad_response", "api", "error")


def reason(kind: str, lang: str) -> str:
    """A ``PageError.kind`` in plain words ("its token no longer works")."""
    return i18n.t(f"errors.reason.{kind if kind in REASON_ORDER else 'error'}", lang)


# The one escaping rule for text from the API or the URL in markdown (``fmt.literal``), under
# the name the pages use.
escape_markdown = fmt.literal


def error_lines(failed: Mapping[str, Sequence[PageError]], lang: str) -> list[str]:
    """One line per failing page (markdown, names escaped): the page and the main reason in
    plain words, however many loads of it failed and for whatever endpoints."""
    lines = []
    for errors in failed.values():
        first = errors[0]
        kind = min((e.kind for e in errors), key=lambda k: REASON_ORDER.index(k) if k in REASON_ORDER else 99)
        page = first.page_name or first.page_id or i18n.t("errors.these_pages", lang)
        lines.append(i18n.t("errors.line", lang, page=escape_markdown(page), reason=reason(kind, lang)))
    return lines


def error_details(failed: Mapping[str, Sequence[PageError]]) -> str:
    """The technical detail (plain text, never markdown): each distinct message once."""
    seen = dict.fromkeys(f"{e.page_name or e.page_id}: [{e.kind}] {e.message}"
                         for errors in failed.values() for e in errors)
    return "\n".join(seen)


def show_errors(errors: Iterable[PageError], of: int = 0) -> None:
    """The failing pages, grouped per page in one notice (the rest of the page still renders):
    one short line per page with the reason in the viewer's language, a link to Settings that
    keeps the view, and the technical detail in an expander. Later loads in the same run that
    fail add to the same notice. ``of``: how many pages the load asked for (when every one of
    them failed, the notice does not promise a rest)."""
    run = _run()
    run.of = max(run.of, of)
    new = False
    for err in errors:
        group = run.failed.setdefault(err.page_id or err.page_name, [])
        if all((e.kind, e.message) != (err.kind, err.message) for e in group):
            group.append(err)
            new = True
    if not new:
        return
    lang = state.lang()
    if run.slot is None:
        run.slot = st.empty()
    with run.slot.container():
        lines = "\n".join(f"- {line}" for line in error_lines(run.failed, lang))
        title = "errors.title_all" if run.of and len(run.failed) >= run.of else "errors.title"
        st.warning(i18n.t(title, lang, n=len(run.failed)) + "\n\n" + lines, icon=":material/warning:")
        if not state.current().kiosk and _admin():
            st.page_link("app_pages/settings.py", label=i18n.t("errors.settings", lang), icon=":material/settings:",
                         query_params=state.to_query(state.current(), cache.today()))
        with st.expander(i18n.t("errors.details", lang), icon=":material/info:"):
            st.code(error_details(run.failed), language=None, wrap_lines=True)


def _admin() -> bool:
    """Whether this session may open Settings (``ui.auth``; open dashboards: everyone)."""
    return auth.identity().admin


def empty_state(message_key: str = "common.empty") -> None:
    st.info(f"{t(message_key)} {t('common.empty_hint')}", icon=":material/inbox:")


def compared_until(until: dt_time) -> None:
    """Record that this run compares today until ``until`` with the same hours of the previous
    period (``ui.page.Page.load_pair``); the cards and the note say so. With several loads the
    earliest cut is named."""
    run = _run()
    run.same_hours = until if run.same_hours is None else min(run.same_hours, until)


def whole_days_only(kind: str) -> None:
    """Record that this run does not compare ``kind`` while today is partial: its endpoint
    counts whole days, so there are no same hours to compare with (``Page.load_pair``). Its
    cards say "not compared" and the note says why."""
    run = _run()
    if kind not in run.whole_days:
        run.whole_days.append(kind)


def _whole_days_text() -> str | None:
    kinds_ = _run().whole_days
    if not kinds_:
        return None
    lang = state.lang()
    return ", ".join(kinds.get(k).label(lang) for k in kinds_)


def _same_hours_text() -> str | None:
    cut = _run().same_hours
    return None if cut is None else fmt.clock(cut, state.lang())


def partial_today_note() -> None:
    """Say that today, inside the range, is partial (and, when the cards compare it, that the
    previous period is cut at the same hour)."""
    if state.partial_today():
        cut = _same_hours_text()
        if state.current().compare and cut is not None:
            st.caption(":material/schedule: " + t("common.partial_today_cmp", time=cut))
        else:
            st.caption(":material/schedule: " + t("common.partial_today"))
        whole = _whole_days_text()
        if state.current().compare and whole is not None:
            st.caption(":material/schedule: " + t("common.partial_today_whole_days", kinds=whole))


# --- KPI cards ----------------------------------------------------------------------------------

MIN_CARD = 200      # px: the narrowest card; its value shrinks to fit ("6 phút 25 giây" in full)
CARD_GAP = 16       # px between cards (Streamlit's "small" gap)
MAX_COLUMNS = 8
VALUE_REM = 2.25    # the value's largest size (Streamlit's own)
CHAR_EM = 0.6       # a value character's width, in em, with a margin (digits and Vietnamese letters)


def grid_columns(n: int, fit: int) -> int:
    """How many cards per row for ``n`` cards when ``fit`` fit side by side: all of them when
    they fit, else the fewest rows without a lone card on the last one (4 + 3 rather than
    6 + 1), the rows as even as possible; ``fit`` when every choice leaves a lone card (it then
    spans the row)."""
    if n <= fit or fit <= 1:
        return max(1, min(n, fit))
    ok = [k for k in range(2, fit + 1) if n % k != 1]
    if not ok:
        return fit
    return min(ok, key=lambda k: (-(-n // k), k))


# A table's totals row is a grid of its own under the rows' (``_grids``), in a container keyed
# ``TOTALS_KEY``-something: its header (blank) is clipped off, so the row sits right under the rows.
TOTALS_KEY = "pinned-totals-"
GRID_HEADER_PX = 35          # the height of a grid's header row (Streamlit's default row height)

# Streamlit's own English on every screen: the "Press Enter to submit form" hint under a form's
# inputs (Enter still submits) and the "Running… Stop" status in the toolbar (each page's spinner
# says what is loading, in the viewer's language); the totals grids' blank headers.
CHROME_CSS = f"""<style>
[data-testid="InputInstructions"] {{ display: none !important; }}
[data-testid="stStatusWidget"] {{ visibility: hidden !important; }}
[class*="st-key-{TOTALS_KEY}"] {{ overflow: hidden; margin-top: -0.5rem; }}
[class*="st-key-{TOTALS_KEY}"] [data-testid="stDataFrame"] {{ margin-top: -{GRID_HEADER_PX}px; }}
</style>"""


def app_chrome() -> None:
    """Hide Streamlit's English chrome (``CHROME_CSS``); app.py calls it before the gate."""
    st.html(CHROME_CSS)


def grid_css(key: str, n: int, longest: int, *, min_width: int = MIN_CARD, value_rem: float = VALUE_REM) -> str:
    """The CSS of one card grid (the container keyed ``key``, its row keyed ``key-row``): as
    many columns as :func:`grid_columns` gives for the grid's width (container queries, so it
    follows the window and the sidebar), a lone last card spanning its row, labels wrapping,
    and the value sized to fit its card (``longest``: the longest value's length in characters)."""
    outer, row = f".st-key-{key}", f".st-key-{key}-row"
    rules = [f"{outer} {{ container-type: inline-size; }}",
             f"{row} {{ display: grid !important; gap: {CARD_GAP}px; grid-template-columns: minmax(0, 1fr); "
             f"align-items: stretch !important; }}",
             f"{row} > div {{ width: auto !important; min-width: 0 !important; }}",
             f"{row} [data-testid='stMetric'] {{ container-type: inline-size; height: 100%; }}",
             f"{row} [data-testid='stMetricValue'] {{ font-size: min({value_rem}rem, "
             f"calc(100cqi / {max(longest, 4) * CHAR_EM:.2f})) !important; }}",
             f"{row} :is([data-testid='stMetricValue'], [data-testid='stMetricLabel'], "
             f"[data-testid='stMetricDeltaDescription']) :is(div, p) "
             f"{{ white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}"]
    last = 1
    for fit in range(2, min(n, MAX_COLUMNS) + 1):
        k = grid_columns(n, fit)
        if k == last:
            continue
        last = k
        width = fit * min_width + (fit - 1) * CARD_GAP
        span = f" {row} > div:last-child {{ grid-column: {'1 / -1' if n % k == 1 else 'auto'}; }}"
        rules.append(f"@container (min-width: {width}px) {{ {row} {{ grid-template-columns: "
                     f"repeat({k}, minmax(0, 1fr)); }}{span} }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def cards(kpis: Iterable[Kpi], *, compare: bool | None = None, width: int | str = MIN_CARD,
          value_rem: float = VALUE_REM) -> None:
    """The one KPI card renderer (every page and the standup screen): the value, the change
    against the previous period (arrow by its sign, colour by the metric's better direction),
    a sparkline where given and the metric's definition in the tooltip.

    The cards fill a grid whose column count fits their number (:func:`grid_columns`: no lone
    card on a row) and the width on screen; ``width`` is the narrowest card in px (a string
    such as "stretch" keeps the default: cards always fill their column). A value is never
    cut off: it shrinks to fit its card, up to ``value_rem``."""
    lang = state.lang()
    compare = state.current().compare if compare is None else compare
    kpis = list(kpis)
    drawn = vcards.cards(kpis, lang, compare=compare)
    if not drawn:
        return
    cut = _run().same_hours if state.partial_today() else None
    vs_prev = vcards.vs_text(*state.previous_range(), lang, until=cut)
    run = _run()
    run.grids += 1
    key = f"kpis-{run.grids}"
    min_width = width if isinstance(width, int) else MIN_CARD
    st.html(grid_css(key, len(drawn), max(len(c.value) for c in drawn), min_width=min_width, value_rem=value_rem))
    uncut = set(run.whole_days) if compare and state.partial_today() else set()
    with st.container(key=key), st.container(key=f"{key}-row", horizontal=True, gap="small"):
        for k, c in zip(kpis, drawn):
            described = c.delta is not None
            if not described and k.source in uncut:   # counted by whole days: said on the card
                c = replace(c, delta=t("card.whole_days"), color="gray", arrow="off",
                            help="\n\n".join(x for x in (c.help, t("card.whole_days_help")) if x))
            st.metric(c.label, c.value, delta=c.delta, delta_color=c.color, delta_arrow=c.arrow,
                      help=c.help or None, border=True, width="stretch",
                      chart_data=list(c.spark) if c.spark else None, chart_type="area",
                      delta_description=vs_prev if described else None)


# --- the conversation reader ---------------------------------------------------------------------

CHAT_ICON = {"customer": ":material/person:", "page": ":material/storefront:", "unknown": ":material/help:"}


def _label_of(labels: Mapping[Any, str], value: Any) -> str:
    return labels.get(value, str(value))


def labels_of(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` from its options' labels (an unknown value shows as itself).
    Pages pass this, not a lambda: a widget keeps its ``format_func`` for as long as the session,
    and a function made in a page script would keep that script's every frame alive with it."""
    return functools.partial(_label_of, dict(labels))


MAX_PICKABLE = 500   # conversations offered in a reader's picker (the newest first, as the frame is sorted)


def pick_conversation(frame: pd.DataFrame, label: str, key: str, page_name, *, with_time: bool = False):
    """A reader's picker over ``frame``'s conversations (its first ``MAX_PICKABLE``): "customer ·
    page" (and the creation time with ``with_time``). Returns the picked row (a namedtuple of the
    frame's columns) or None."""
    options = list(zip(frame["page_id"], frame["conversation_id"]))[:MAX_PICKABLE]
    rows = {f"{p}|{c}": r for (p, c), r in zip(options, frame.itertuples())}

    def shown(r) -> str:
        text = f"{r.customer_name or r.conversation_id} · {page_name(r.page_id)}"
        return f"{text} · {r.created_at:%d/%m %H:%M}" if with_time else text

    # the labels only (the widget keeps its format_func as long as the session: not the rows)
    labels = {k: shown(r) for k, r in rows.items()}
    pick = st.selectbox(label, list(rows), index=None, key=key, placeholder=t("conv.pick"), format_func=labels_of(labels))
    return rows[pick] if pick else None


def chat(lines: Iterable[vconv.ChatLine]) -> None:
    """The reader as a chat (``views.conversations.chat_lines``): the customer's messages on the
    left, the page's on the right, each with who sent it and when (a bot's reply marked with its
    icon). Names and texts from the API are shown as they are: escaped in the caption, plain
    text (``st.text``) in the bubble, never markdown."""
    for line in lines:
        page_side = line.side == "page"
        left, right = st.columns([1, 4] if page_side else [4, 1])
        icon = ":material/smart_toy:" if line.bot else CHAT_ICON.get(line.side, CHAT_ICON["unknown"])
        with right if page_side else left, st.container(border=True):
            st.caption(f"{icon} " + escape_markdown(" · ".join(x for x in (line.who, line.at) if x)))
            st.text(line.text)


def _file_name(kind: str, page_ids: Sequence[str], ext: str) -> str:
    start, end = state.date_range()
    return export.safe_filename(kind, views.pages_label(page_ids), start.isoformat(), end.isoformat()) + ext


def download_csv(data: Table | pd.DataFrame, kind: str, page_ids: Sequence[str], *, key: str | None = None) -> None:
    """A CSV of a table as people open it (``tables.for_download``: every column, ids too,
    headed in the viewer's language with units, values rounded), or of a frame as it is.
    None for a read-only link that does not allow downloads."""
    if not state.downloads_allowed():
        return
    lang = state.lang()
    frame = data.frame if isinstance(data, Table) else data

    def build() -> bytes:  # run only when the button is clicked: a page run never pays for it
        return export.to_csv_bytes(vtables.for_download(data, lang) if isinstance(data, Table) else data)

    st.download_button(
        t("common.download_csv"), data=build,
        file_name=_file_name(kind, page_ids, ".csv"), mime="text/csv",
        key=key or f"dl_{kind}", icon=":material/download:", on_click="ignore",
        disabled=frame is None or frame.empty)


def _sheet_name(key: str, lang: str) -> str:
    return i18n.t(f"sheet.{key}", lang) if i18n.has(f"sheet.{key}") else key


def download_everything(tables: Mapping[str, Table | pd.DataFrame | None], kind: str, page_ids: Sequence[str]) -> None:
    """The whole view: a ZIP of the CSVs and an Excel workbook with a sheet per table. A
    :class:`Table` is written as people read it (``tables.for_download``; in the workbook with
    number formats and its totals row: ``export.excel_sheet``); a frame as it is. None for a
    read-only link that does not allow downloads."""
    if not state.downloads_allowed():
        return
    lang = state.lang()
    items = {_sheet_name(k, lang): v for k, v in tables.items()
             if v is not None and not (v.frame if isinstance(v, Table) else v).empty}
    if not items:
        return

    def zip_file() -> bytes:  # built when clicked, not on every run of the page
        return export.zip_bytes({k: vtables.for_download(v, lang) if isinstance(v, Table) else v
                                 for k, v in items.items()})

    def xlsx_file() -> bytes:
        return export.xlsx_bytes({k: export.excel_sheet(v, lang) if isinstance(v, Table) else v
                                  for k, v in items.items()})

    c1, c2 = st.columns(2)
    with c1:
        st.download_button(t("common.download_zip"), data=zip_file,
                           file_name=_file_name(kind, page_ids, ".zip"), mime="application/zip",
                           key=f"dl_zip_{kind}", icon=":material/folder_zip:", on_click="ignore")
    with c2:
        st.download_button(
            t("common.download_xlsx"), data=xlsx_file,
            file_name=_file_name(kind, page_ids, ".xlsx"),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"dl_xlsx_{kind}", icon=":material/table_view:", on_click="ignore")


def table(tbl: Table, kind: str, page_ids: Sequence[str], *, key: str | None = None,
          download: Table | pd.DataFrame | None = None, downloadable: bool = True) -> None:
    """The one table renderer: numbers stay numbers (a header click sorts them as numbers),
    each shown column is formatted by its unit in the viewer's language, labelled and given
    its definition as a tooltip, an unknown cell "—"; the totals row
    last, shaded. The CSV below is ``download`` or the table itself (``tables.for_download``:
    ids included); none when ``downloadable`` is False (help tables, for example)."""
    lang = state.lang()
    if len(tbl.frame) > MAX_TABLE_ROWS:
        st.caption(t("common.table_head", shown=fmt.number(MAX_TABLE_ROWS, lang),
                     total=fmt.number(len(tbl.frame), lang)))
    _grids(grids_key(tbl, lang, page_ids), tbl, lang)
    if downloadable:
        download_csv(download if download is not None else tbl, kind, page_ids, key=key)


# Drawn tables kept for every session of the process: ten viewers of the same page and scope
# draw the same grids, and a pandas Styler's text for every cell is the costliest part of a
# page run (issue 20: ~1.5 s for a 2,000-row table). An entry is the grids' messages (Arrow
# bytes of the rows and their display text), at most a few MB for the largest table.
GRIDS_MAX_ENTRIES = 48
GRIDS_TTL_SECONDS = 15 * 60


def grids_key(tbl: Table, lang: str, page_ids: Sequence[str]) -> str:
    """What the grids of ``tbl`` show, as a digest: the viewer's pages in scope, the language,
    every drawn row's exact values (pickled, so equal bytes mean equal cells), the columns
    (labels, tooltips, units, currencies) and the totals row. Two sessions share drawn grids
    only when they would draw the very same cells."""
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((lang, sorted(map(str, page_ids)), tbl.columns)).encode())
    h.update(pickle.dumps(tbl.frame.iloc[:MAX_TABLE_ROWS], protocol=pickle.HIGHEST_PROTOCOL))
    h.update(pickle.dumps(vtables.total_only(tbl, lang), protocol=pickle.HIGHEST_PROTOCOL))
    return h.hexdigest()


@st.cache_data(max_entries=GRIDS_MAX_ENTRIES, ttl=GRIDS_TTL_SECONDS, show_spinner=False)
def _grids(key: str, _tbl: Table, lang: str) -> None:
    """The rows' grid and, pinned under it, the totals row's (``key``: ``grids_key``). Drawn
    once per distinct table; Streamlit replays the drawn grids in any session asking with the
    same key."""
    tbl = _tbl
    widths = vtables.column_widths(tbl, lang)
    shown = [c for c in tbl.columns if c.key in tbl.shown]
    st.dataframe(styled(tbl, lang), hide_index=True, column_order=tbl.shown, placeholder=fmt.MISSING,
                 column_config={c.key: st.column_config.Column(c.label, help=c.help or None, width=widths[c.key])
                                for c in shown})
    total = vtables.total_only(tbl, lang)
    if not total.empty:
        # the totals row pinned under the rows: its own grid, so sorting the rows never moves it;
        # the same column widths keep it aligned, and its header, blank, is clipped off (CHROME_CSS)
        with st.container(key=f"{TOTALS_KEY}{key[:16]}"):
            st.dataframe(styled_total(tbl, total, lang), hide_index=True, column_order=tbl.shown,
                         placeholder=fmt.MISSING,
                         column_config={c.key: st.column_config.Column(" ", width=widths[c.key]) for c in shown})


TOTAL_STYLE = "background-color: rgba(128, 128, 128, 0.14); font-weight: 600"
# Rows drawn on screen (the totals row, computed over every row, is drawn under them; the CSV has
# every row). A Styler's text for every cell cost 1.3 s a run and ~100 MB of peak memory for the
# tags page's 17,280-row detail table at 24 pages x 90 days (bench.pages).
MAX_TABLE_ROWS = 2000


def _format(styler, frame: pd.DataFrame, tbl: Table, lang: str):
    """``tables.formatter``'s text for the shown columns; money without a fixed currency
    follows each row's ``currency``."""
    row_cur = frame["currency"] if "currency" in frame.columns else None
    for c in tbl.columns:
        if c.key not in frame.columns:
            continue
        if c.unit == "money" and c.currency is None and row_cur is not None:
            codes = row_cur.map(lambda k: "" if views.is_missing(k) else str(k))
            for code in codes.unique():
                rows = list(frame.index[codes == code])
                styler = styler.format(vtables.formatter(c, lang, code or None),
                                       subset=pd.IndexSlice[rows, [c.key]])
        else:
            styler = styler.format(vtables.formatter(c, lang), subset=[c.key])
    return styler


def styled(tbl: Table, lang: str):
    """A pandas Styler of the table's rows (the first ``MAX_TABLE_ROWS``) whose shown columns'
    display values are ``tables.formatter``'s text and whose data stays numeric, so a header
    click sorts numbers (the other columns, ids for example, are there for ``column_order`` to
    leave out). The totals row is not among them: ``styled_total``."""
    frame = tbl.frame.iloc[:MAX_TABLE_ROWS]
    return _format(frame.style, frame, tbl, lang)


def styled_total(tbl: Table, total: pd.DataFrame, lang: str):
    """The totals row (``tables.total_only``), formatted like the rows and shaded."""
    styler = _format(total.style, total, tbl, lang)
    return styler.apply(lambda row: [TOTAL_STYLE] * len(row), axis=1)


def note(text: str) -> None:
    """A short caption on the page, shown once per run however many loads raise it."""
    shown = st.session_state.setdefault("_shown_errors", set())
    if ("note", text) in shown:
        return
    shown.add(("note", text))
    st.caption(":material/info: " + text)


def load(kind: str, page_ids: Sequence[str], start: date, end: date, *, progress: bool = True,
         warn: bool = True, **options) -> Result:
    """Load through the data layer with a spinner named after the kind, then name the failing
    pages (unless ``warn`` is False: the standup screen shows them as flags)."""
    with st.spinner(t("common.loading", what=kinds.get(kind).label(state.lang()))):
        result = cache.load(kind, page_ids, start, end, progress=progress, **options)
    if warn:
        show_errors(result.errors, of=len(page_ids))
    return result
