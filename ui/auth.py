"""The gate: nothing but a sign-in form before sign-in, when a gate is configured
(``pancake.access``). ``app.py`` calls :func:`gate` first; it returns who is looking, or stops
the run after drawing the form.

The identity lives in the session. Its page scope is what ``pancake.data.cache.pages`` returns
for the session (``cache.set_scope``), so the page picker, the URL's ``pages=``, the loads,
downloads, error messages and the standup screen never see a page outside it.
"""
from __future__ import annotations

import ipaddress
import os

import streamlit as st

from pancake import access, i18n
from pancake.config import ConfigError
from pancake.data import cache

from . import components, state

IDENTITY = "_identity"
THROTTLE = access.Throttle()
COOLDOWN = access.Cooldown(seconds=10.0)


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets file: nothing configured there
        return {}


def config() -> access.AccessConfig:
    return access.load_access(os.environ, _secrets())


def identity() -> access.Identity:
    """Who is looking in this session (open when no gate is configured)."""
    found = st.session_state.get(IDENTITY)
    return found if isinstance(found, access.Identity) else access.OPEN


def _client() -> str:
    try:
        return st.context.ip_address or "unknown"
    except Exception:  # noqa: BLE001
        return "unknown"


def _enter(ident: access.Identity) -> access.Identity:
    st.session_state[IDENTITY] = ident
    cache.set_scope(ident.pages)
    return ident


def gate() -> access.Identity:
    """Who is looking; draws the sign-in form and stops the run when nobody is signed in yet.

    Order: a kiosk key in the URL (the standup screen of its pages, no sign-in; a wrong key
    shows nothing), the session's identity, an OIDC sign-in, then the password form. With no
    gate configured everyone is let in (as on demo data), with a warning when real data is
    served on an address other than loopback."""
    lang = state.lang()
    try:
        cfg = config()
    except ConfigError as exc:   # a broken access file closes the door, it never opens it
        st.error(i18n.t("auth.config_error", lang, msg=components.escape_markdown(str(exc))))
        st.stop()
    key = st.query_params.get("key")
    if key is not None and cfg.kiosks:
        held = st.session_state.get(IDENTITY)
        if isinstance(held, access.Identity) and held.kiosk and st.session_state.get("_kiosk_key") == key:
            return _enter(held)
        THROTTLE.wait(_client())
        ident = cfg.kiosk(key)
        if ident is None:
            THROTTLE.failed(_client())
            st.session_state.pop(IDENTITY, None)
            st.stop()              # a wrong key shows nothing at all
        THROTTLE.succeeded(_client())
        st.session_state["_kiosk_key"] = key
        return _enter(ident)
    if not cfg.gated:
        _open_warning()
        return _enter(access.OPEN)
    held = st.session_state.get(IDENTITY)
    if isinstance(held, access.Identity) and not held.kiosk and held.method != "open":
        return _enter(held)
    if cfg.oidc and _oidc_signed_in():
        ident = cfg.by_email(_oidc_email())
        if ident is not None:
            return _enter(ident)
        st.warning(i18n.t("auth.not_allowed", lang), icon=":material/block:")
        st.button(i18n.t("auth.sign_out", lang), on_click=st.logout)
        st.stop()
    _sign_in_form(cfg, lang)
    st.stop()


def _oidc_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - no [auth] section usable
        return False


def _oidc_email() -> str | None:
    try:
        return st.user.get("email")
    except Exception:  # noqa: BLE001
        return None


def _sign_in_form(cfg: access.AccessConfig, lang: str) -> None:
    st.title(i18n.t("auth.title", lang))
    if cfg.oidc:
        st.button(i18n.t("auth.oidc", lang), on_click=st.login, icon=":material/login:", key="w_oidc")
    if not cfg.password_sign_in:
        return
    with st.form("sign_in", border=True):
        name = st.text_input(i18n.t("auth.name", lang), key="w_auth_name") if cfg.names_asked else ""
        password = st.text_input(i18n.t("auth.password", lang), type="password", key="w_auth_password")
        sent = st.form_submit_button(i18n.t("auth.submit", lang), type="primary")
    if sent:
        client = _client()
        THROTTLE.wait(client)      # repeated failures slow down
        ident = cfg.sign_in(name, password)
        if ident is None:
            THROTTLE.failed(client)
            st.error(i18n.t("auth.failed" if cfg.names_asked else "auth.failed_password", lang),
                     icon=":material/lock:")
            return
        THROTTLE.succeeded(client)
        _enter(ident)
        st.rerun()


def sign_out_button() -> None:
    """In the sidebar: who is signed in and a sign-out button (nothing when the gate is open)."""
    ident = identity()
    if ident.method in ("open", "kiosk"):
        return
    lang = state.lang()
    if ident.name:
        st.caption(i18n.t("auth.signed_in_as", lang, name=components.escape_markdown(ident.name)))
    if st.button(i18n.t("auth.sign_out", lang), icon=":material/logout:", key="w_sign_out"):
        st.session_state.pop(IDENTITY, None)
        cache.set_scope(None)
        if ident.method == "oidc":
            st.logout()
        st.rerun()


def require_admin() -> None:
    """Stop the run of an admin page for anyone else (the navigation hides it from them too)."""
    if not identity().admin:
        st.error(i18n.t("auth.admin_only", state.lang()), icon=":material/block:")
        st.stop()


def may_press(what: str) -> bool:
    """A costly button (clear the cache, check tokens) runs at most once per cooldown, for
    everyone together; a press inside it says so instead."""
    if COOLDOWN.take(what):
        return True
    st.warning(i18n.t("auth.cooldown", state.lang(), s=int(COOLDOWN.seconds)), icon=":material/timer:")
    return False


def _open_warning() -> None:
    """Real data, no gate, and a server reachable from other machines: say so."""
    if cache.is_demo():
        return
    address = str(st.get_option("server.address") or "")
    try:
        loopback = bool(address) and ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = address == "localhost"
    if not loopback:
        st.warning(i18n.t("auth.open_warning", state.lang()), icon=":material/lock_open:")
