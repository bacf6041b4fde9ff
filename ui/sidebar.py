"""The shared controls in the sidebar. Widgets are bound to the session's View.

Streamlit drops a widget's state when it is not drawn (another page, kiosk mode), so the View is
the source of truth and each widget is seeded from it when its own state is missing. A select
widget keeps the label of its option, which matches nothing after a language switch (Streamlit
then fell back to the first option): widgets with translated options have one key per language
(``_lang_key``).
"""
from __future__ import annotations

import threading
from datetime import date

import streamlit as st

from pancake import config, i18n, timeutil
from pancake.delivery import picture
from ui import auth, cache, components, state

LANG_LABELS = {"vi": "Tiếng Việt", "en": "English"}


def _seed(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _lang_key(name: str, lang: str) -> str:
    """The key of a widget whose option labels are translated: one per language, the other
    languages' state dropped so that switching back seeds from the View again."""
    for other in i18n.LANGS:
        if other != lang:
            st.session_state.pop(f"{name}.{other}", None)
    return f"{name}.{lang}"


def render(*, grain: bool = False) -> state.View:
    """Draw the controls; return the (possibly changed) view."""
    view = state.current()
    lang = view.lang
    tr = lambda k, **kw: i18n.t(k, lang, **kw)  # noqa: E731
    today = cache.today()
    frame, error = cache.pages()
    ids = [str(p) for p in frame["page_id"]]
    names = dict(zip(ids, frame["name"].astype(str)))

    with st.sidebar:
        _seed("w_lang", view.lang)
        new_lang = st.segmented_control(tr("sb.lang"), list(LANG_LABELS), key="w_lang",
                                        format_func=LANG_LABELS.get, required=True)
        lang = new_lang or view.lang
        tr = lambda k, **kw: i18n.t(k, lang, **kw)  # noqa: E731

        if error:
            st.error(tr("sb.pages_error", msg=components.escape_markdown(error)))
        chosen = [p for p in view.pages if p in ids]
        _seed("w_all", not chosen)
        all_pages = st.toggle(tr("sb.all_pages", n=len(ids)), key="w_all")
        if all_pages:
            pages: tuple[str, ...] = ()
        else:
            _seed("w_pages", chosen or ids[:1])
            # no built-in "Select all" (English only): the "All pages" toggle above does that
            picked = st.multiselect(tr("sb.pages_pick"), ids, key="w_pages", select_all=False,
                                    placeholder=tr("sb.pages_placeholder"),
                                    format_func=components.labels_of(names))
            pages = tuple(picked)
            if not picked:
                st.caption(tr("sb.pages_none"))

        preset_key = _lang_key("w_preset", lang)
        _seed(preset_key, view.preset)
        preset = st.selectbox(tr("sb.range"), list(timeutil.PRESETS), key=preset_key,
                              format_func=lambda p: tr(f"preset.{p}"))
        start, end = view.resolved(today)
        if preset == "custom":
            _seed("w_dates", (start, end))
            picked_dates = st.date_input(tr("sb.custom_range"), key="w_dates", max_value=max(today, end),
                                         format="DD/MM/YYYY")
            if isinstance(picked_dates, (tuple, list)) and len(picked_dates) == 2:
                start, end = picked_dates
            elif isinstance(picked_dates, (tuple, list)) and len(picked_dates) == 1:
                start = end = picked_dates[0]
            elif isinstance(picked_dates, date):
                start = end = picked_dates
        else:
            start, end = timeutil.preset_range(preset, today)
            st.session_state.pop("w_dates", None)
            st.caption(f"{start:%d/%m/%Y} – {end:%d/%m/%Y}")

        _seed("w_cmp", view.compare)
        compare = st.toggle(tr("sb.compare"), key="w_cmp", help=tr("sb.compare_help"))

        new_grain = view.grain
        if grain:
            grain_key = _lang_key("w_grain", lang)
            _seed(grain_key, view.grain)
            new_grain = st.segmented_control(tr("sb.grain"), ["day", "hour"], key=grain_key,
                                             format_func=lambda g: tr(f"sb.grain.{g}"),
                                             required=True) or view.grain
        st.caption(tr("sb.tz", tz=cache.tz_name()))
        tv = st.empty()          # the standup link, once the view below is known
        shot = st.empty()        # the standup as a picture, drawn on click
        auth.sign_out_button()

    new = state.update(pages=pages, preset=preset, start=start, end=end, compare=compare,
                       grain=new_grain, lang=lang)
    # the same pages and range on the office TV: a new tab, the URL ready to copy to the TV's browser
    tv.link_button(tr("sb.standup"), state.kiosk_link(new, today), icon=":material/tv:",
                   help=tr("sb.standup_help"), width="stretch")
    picture_button(shot, new, state.selected_pages(ids), today, lang)
    return new


_PICTURE = threading.Lock()   # one picture at a time per server: each starts a dashboard and a browser


def picture_button(slot, view: state.View, page_ids: list[str], today: date, lang: str) -> None:
    """"Download the standup as a picture": the standup screen of the view's pages (the session's
    scope: ``page_ids`` come from ``cache.pages()``), range and language, as the digest's picture.
    Nothing is drawn before the click: the button's data is a function Streamlit calls then."""
    chromium, why = config.chromium()
    start, end = view.resolved(today)
    label, kw = i18n.t("sb.picture", lang), {"icon": ":material/photo_camera:", "width": "stretch"}
    if chromium is None or not page_ids:
        slot.button(label, disabled=True, help=i18n.t("sb.picture_none", lang, why=why or "—"), **kw)
        return

    def png() -> bytes:
        if not _PICTURE.acquire(blocking=False):
            raise RuntimeError(i18n.t("sb.picture_busy", lang))
        try:
            return picture.render(page_ids, start, end, lang=lang, chromium=chromium).png
        except picture.PictureError as exc:   # shown by Streamlit where the download was asked
            raise RuntimeError(i18n.t("sb.picture_failed", lang, why=str(exc))) from None
        finally:
            _PICTURE.release()

    slot.download_button(label, data=png, file_name=picture.file_name(page_ids, end, lang), mime="image/png",
                         on_click="ignore", help=i18n.t("sb.picture_help", lang), **kw)
