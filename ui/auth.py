"""The gate: nothing but a sign-in form before sign-in, when a gate is configured
(``pancake.delivery.access``). ``app.py`` calls :func:`gate` first; it returns who is looking, or stops
the run after drawing the form.

The identity lives in the session. Its page scope is what ``ui.cache.pages`` returns
for the session (``cache.set_scope``), so the page picker, the URL's ``pages=``, the loads,
downloads, error messages and the standup screen never see a page outside it.
"""
from __future__ import annotations

import ipaddress
import logging
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pancake import fmt, i18n
from pancake.config import ConfigError
from pancake.delivery import access, session
from pancake.redact import redact, register_secret
from ui import cache, cookie, state

log = logging.getLogger("pancake.auth")

IDENTITY = "_identity"
THROTTLE = access.Throttle()
COOLDOWN = access.Cooldown(seconds=10.0)


def config() -> access.AccessConfig:
    return access.load_access(secrets=cache.secrets())


def identity() -> access.Identity:
    """Who is looking in this session (open when no gate is configured)."""
    found = st.session_state.get(IDENTITY)
    return found if isinstance(found, access.Identity) else access.OPEN


def _client() -> str:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001
        ip = None
    return ip if isinstance(ip, str) and ip else "unknown"


def _enter(ident: access.Identity) -> access.Identity:
    """This session is ``ident`` from now on. When its scope differs from the one the view was
    read under (the sign-in run, a changed access file), the URL is read again against the
    new scope, so a linked page outside it is named in the notice, never dropped silently."""
    old = st.session_state.get(cache.SCOPE, "unset")
    st.session_state[IDENTITY] = ident
    cache.set_scope(ident.pages)
    if old != st.session_state.get(cache.SCOPE):
        state.reread_url()
    return ident


def _leave() -> None:
    """Forget this session's identity (its tab shows the sign-in form again)."""
    st.session_state.pop(IDENTITY, None)
    st.session_state.pop(KIOSK_KEY, None)
    st.session_state.pop(SINCE, None)
    st.session_state.pop(TICKET, None)
    st.session_state.pop(LINK_HASH, None)
    st.session_state.pop(LINK_PAGE, None)
    st.session_state.pop(state.NO_DOWNLOADS, None)
    cache.set_scope(frozenset())     # nothing in scope until someone signs in again


KIOSK_KEY = "_kiosk_key"


def _kiosk(cfg: access.AccessConfig, key: str, lang: str) -> access.Identity:
    """The kiosk a key opens; a wrong key says so in one sentence and stops the run. A key
    this process has seen open before is let in at once; any other waits out the throttle
    (per address, and for every key together: ten browsers are slowed as one)."""
    held = st.session_state.get(IDENTITY)
    today = cache.today()
    if isinstance(held, access.Identity) and held.kiosk and st.session_state.get(KIOSK_KEY) == key:
        fresh = cfg.current(held, today)
        if fresh is not None:
            return _enter(fresh)
    if cfg.kiosk_expired(key, today):
        _leave()
        st.error(i18n.t("auth.kiosk_expired", lang), icon=":material/event_busy:")
        st.stop()
    ident = cfg.kiosk_known(key, today)
    if ident is None:
        keys = ("kiosk-addr:" + _client(), "kiosk:*")
        if THROTTLE.wait(*keys) is None:      # too many wrong keys just now: not even checked
            _leave()
            st.error(i18n.t("auth.too_many", lang), icon=":material/timer:")
            st.stop()
        ident = cfg.kiosk(key, today)
        if ident is None:
            THROTTLE.failed(*keys)
            _leave()
            expired = cfg.kiosk_expired(key, today)
            st.error(i18n.t("auth.kiosk_expired" if expired else "auth.kiosk_wrong", lang),
                     icon=":material/event_busy:" if expired else ":material/key_off:")
            st.stop()
    st.session_state[KIOSK_KEY] = key
    return _enter(ident)


def _still_granted(cfg: access.AccessConfig, held: access.Identity) -> access.Identity | None:
    """The session's identity as the configuration grants it now, or None (removed, password
    changed, signed out in another tab, OIDC account gone)."""
    fresh = cfg.current(held, cache.today())
    if fresh is not None and held.method == "password" and _ended_since(held.key, st.session_state.get(SINCE)):
        return None
    if fresh is not None and held.method == "oidc":
        email = _oidc_email() if _oidc_signed_in() else None
        if cfg.by_email(email) is None or cfg.by_email(email).grant != held.grant:
            return None
    return fresh


def gate() -> access.Identity:
    """Who is looking; draws the sign-in form and stops the run when nobody is signed in yet.

    Order: a kiosk key in the URL (the standup screen of its pages, no sign-in; a wrong key
    is told so in one sentence), the session's identity (checked on every run against the
    access file as it is now and the sign-out record), an OIDC sign-in, then the password
    form. An access file that grants nobody keeps the dashboard closed. With no gate
    configured everyone is let in (as on demo data), with a warning when real data is served
    on an address other than loopback."""
    lang = state.lang()
    try:
        cfg = config()
    except ConfigError as exc:   # a broken access file closes the door, it never opens it
        _leave()
        st.error(i18n.t("auth.config_error", lang, msg=fmt.literal(str(exc))))
        st.stop()
    held = st.session_state.get(IDENTITY)
    secret = st.query_params.get(session.LINK_PARAM)
    if secret is not None or (isinstance(held, access.Identity) and held.method == "link"):
        return _link(secret, lang)      # a read-only link opens its one view, whatever else is set
    key = st.query_params.get("key")
    if key is not None and (cfg.kiosks or (isinstance(held, access.Identity) and held.kiosk)):
        return _kiosk(cfg, key, lang)   # a TV whose kiosk was removed is told so, not shown a form
    if cfg.closed:
        _leave()
        st.error(i18n.t("auth.nobody_granted", lang), icon=":material/lock:")
        st.stop()
    if not cfg.gated:
        _open_warning()
        return _enter(access.OPEN)
    held = st.session_state.get(IDENTITY)
    if isinstance(held, access.Identity) and not held.kiosk and held.method != "open":
        fresh = _still_granted(cfg, held)
        if fresh is not None:
            return _enter(fresh)
        _leave()
        st.info(i18n.t("auth.ended", lang), icon=":material/logout:")
    else:
        cache.set_scope(frozenset())
    restored = _restore(cfg)
    if restored is not None:
        return restored
    if cfg.oidc and _oidc_signed_in():
        ident = cfg.by_email(_oidc_email())
        if ident is not None:
            return _enter(ident)
        st.warning(i18n.t("auth.not_allowed", lang), icon=":material/block:")
        st.button(i18n.t("auth.sign_out", lang), on_click=st.logout)
        st.stop()
    _remember_asked_page()
    if _cookie_value():
        cookie.forget()      # a cookie that no longer opens anything: the browser drops it
    signed = _sign_in_form(cfg, lang)
    if signed is None:
        st.stop()
    return signed


# --- the session cookie (pancake.delivery.session, ui.cookie) ------------------------------------------------

SINCE = "_signed_in_at"      # when this session's sign-in was issued (wall clock)
TICKET = "_session_ticket"   # a ticket waiting to be handed to the browser


def _cookie_value() -> str | None:
    try:
        value = st.context.cookies.get(session.COOKIE)
    except Exception:  # noqa: BLE001 - no request context (tests)
        return None
    return str(value) if value else None


def store():
    """The statistics store (links, sign-outs), or None when there is none."""
    try:
        return cache.loader().store
    except Exception:  # noqa: BLE001 - no store: the process's own record still holds
        return None


def _record_end(who: str, at: float) -> None:
    """Every session of ``who`` issued before ``at`` is over, in every process on the store."""
    found = store()
    if found is None:
        return
    try:
        found.end_sessions(who, at)
    except Exception as exc:  # noqa: BLE001 - the cookie is still cleared in this browser
        log.warning("could not record a sign-out in the store (%s)", redact(str(exc)))


def _ended_since(who: str, issued: float | None) -> bool:
    """Whether ``who`` signed out (here or in any process on the store) after ``issued``."""
    if issued is None:
        return False
    ended = [access.SIGN_OUTS.ended_at(who)]
    found = store()
    if found is not None:
        try:
            ended.append(found.sessions_ended_at(who))
        except Exception:  # noqa: BLE001 - unreadable store: this process's record only
            pass
    return any(e is not None and e >= issued for e in ended)


def _keep(cfg: access.AccessConfig, ident: access.Identity, now: float | None = None) -> None:
    """After a password sign-in: a ticket for the session cookie, handed over by :func:`hand_over`."""
    now = time.time() if now is None else now
    found = cfg.session_grant(ident.key, ident.method)
    if found is None:
        return
    try:
        key = cookie.signing_key()
    except (ConfigError, OSError) as exc:    # no key: the sign-in lasts as long as the tab
        log.warning("session cookie unavailable (%s)", redact(str(exc)))
        return
    st.session_state[SINCE] = now
    c = session.claims(key, ident.key, ident.method, found[1], now, cache.settings().session_hours)
    st.session_state[TICKET] = session.TICKETS.make(key, c, now)


def _restore(cfg: access.AccessConfig, now: float | None = None) -> access.Identity | None:
    """The identity a session cookie carries, when it is signed by this key, unexpired, not
    ended by a sign-out since, and what granted it (the password, the viewer) unchanged."""
    value = _cookie_value()
    if not value:
        return None
    now = time.time() if now is None else now
    try:
        key = cookie.signing_key()
    except (ConfigError, OSError):
        return None
    found_session = session.read(key, value, now)
    if found_session is None:
        return None
    found = cfg.session_grant(found_session.who, found_session.method)
    if found is None or session.digest(key, found[1]) != found_session.grant:
        return None
    if _ended_since(found_session.who, found_session.issued):
        return None
    st.session_state[SINCE] = found_session.issued
    return _enter(found[0])


def hand_over() -> None:
    """Hand a waiting ticket to the browser (called once per run, after navigation)."""
    ticket = st.session_state.pop(TICKET, None)
    if ticket:
        cookie.hand_over(ticket)


# --- read-only links (issue 22) ---------------------------------------------------------------------

LINK_HASH = "_link_hash"     # the hash of the link this session opened (never the secret)
LINK_PAGE = "_link_page"     # the page it opens
LINK_TOUCH_S = 60.0          # "last used" is written at most once a minute per link


def find_link(secret_hash: str | None) -> access.SharedLink | None:
    """The stored link of a secret's hash (None: unknown, unreadable, or no store)."""
    found = store()
    if found is None or not secret_hash:
        return None
    try:
        row = found.link_by_hash(secret_hash)
    except Exception as exc:  # noqa: BLE001 - an unreadable store opens nothing
        log.warning("links unavailable (%s)", redact(str(exc)))
        return None
    return access.SharedLink.from_row(row) if row else None


def _link(secret: str | None, lang: str, now: float | None = None) -> access.Identity:
    """The one view a read-only link opens, checked against the store on every run (a revoked
    or expired link stops at once). Its first run pins the URL to the link's view (pages,
    range, language, page); the navigation then has nothing else (``app.py``)."""
    now = time.time() if now is None else now
    held = st.session_state.get(IDENTITY)
    if secret:
        register_secret(secret)        # masked wherever a log line might carry it
    wanted = session.link_hash(secret) if secret else st.session_state.get(LINK_HASH)
    known = isinstance(held, access.Identity) and held.method == "link" and st.session_state.get(LINK_HASH) == wanted
    if not known:
        keys = ("link-addr:" + _client(), "link:*")
        if THROTTLE.wait(*keys) is None:
            _leave()
            st.error(i18n.t("auth.too_many", lang), icon=":material/timer:")
            st.stop()
    link = find_link(wanted)
    status = link.status(now) if link is not None else "wrong"
    if status != "active":
        if status == "wrong" and not known:
            THROTTLE.failed("link-addr:" + _client(), "link:*")
        _leave()
        st.error(i18n.t(f"auth.link_{status}", lang), icon=":material/link_off:")
        st.stop()
    if not known:
        st.session_state[LINK_HASH] = wanted
        st.query_params.from_dict({**dict(link.query), session.LINK_PARAM: secret})
        state.reread_url()
        if link.last_used is None or now - link.last_used >= LINK_TOUCH_S:
            try:
                store().touch_link(link.id, now)
            except Exception:  # noqa: BLE001 - "last used" is a courtesy
                pass
    st.session_state[state.NO_DOWNLOADS] = not link.downloads
    st.session_state[LINK_PAGE] = link.page
    return _enter(link.identity())


def link_page() -> str | None:
    """The page a read-only link opens (``access.STANDUP`` for the TV), or None for anyone else."""
    held = st.session_state.get(IDENTITY)
    if not (isinstance(held, access.Identity) and held.method == "link"):
        return None
    return st.session_state.get(LINK_PAGE)


def recheck() -> None:
    """For runs that do not go through :func:`gate` (a self-refreshing fragment): when the
    session's identity is no longer granted, rerun the whole app (the gate then says so)."""
    held = st.session_state.get(IDENTITY)
    if not isinstance(held, access.Identity) or held.method == "open":
        return
    try:
        cfg = config()
    except ConfigError:
        cfg = None
    if held.method == "link":
        link = find_link(st.session_state.get(LINK_HASH))
        if link is None or link.status(time.time()) != "active":
            st.rerun(scope="app")      # the gate says why
        return
    if cfg is None or _still_granted(cfg, held) is None:
        _leave()
        st.rerun(scope="app")


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


ASKED_PAGE = "_asked_page"


def _remember_asked_page() -> None:
    """The page the URL named when the sign-in form was first drawn (``/staff``): the form's
    own runs lose the path, so :func:`go_to_asked_page` opens it after sign-in."""
    if ASKED_PAGE in st.session_state:
        return
    try:
        ctx = get_script_run_ctx()
        name = ctx.pages_manager.intended_page_name if ctx is not None else None
    except Exception:  # noqa: BLE001 - Streamlit internals: without them the default page opens
        name = None
    st.session_state[ASKED_PAGE] = str(name or "")


def go_to_asked_page(current: str, pages: list) -> None:
    """Right after sign-in, open the page the link named (once) when the run is on another."""
    asked = st.session_state.pop(ASKED_PAGE, "")
    if asked and asked != current:
        target = next((p for p in pages if p.url_path == asked), None)
        if target is not None:
            st.switch_page(target)


def _sign_in_form(cfg: access.AccessConfig, lang: str) -> access.Identity | None:
    """The sign-in form; the identity when this run signed someone in (the form is then
    cleared and the run goes on to the page the URL names), else None."""
    slot = st.empty()
    with slot.container():
        st.title(i18n.t("auth.title", lang))
        if cfg.oidc:
            st.button(i18n.t("auth.oidc", lang), on_click=st.login, icon=":material/login:", key="w_oidc")
        if not cfg.password_sign_in:
            return None
        with st.form("sign_in", border=True):
            name = st.text_input(i18n.t("auth.name", lang), key="w_auth_name") if cfg.names_asked else ""
            password = st.text_input(i18n.t("auth.password", lang), type="password", key="w_auth_password")
            sent = st.form_submit_button(i18n.t("auth.submit", lang), type="primary")
        if not sent:
            return None
        # counted per name tried (from any address), per address, and against the shared
        # password (every wrong password is also a wrong guess at it)
        keys = ["name:" + access.name_key(name), "addr:" + _client()]
        if cfg.shared_password:
            keys.append("name:" + access.OWNER)
        if THROTTLE.wait(*keys) is None:     # repeated failures slow down; too many: not checked
            st.error(i18n.t("auth.too_many", lang), icon=":material/timer:")
            return None
        ident = cfg.sign_in(name, password)
        if ident is None:
            THROTTLE.failed(*keys)
            st.error(i18n.t("auth.failed" if cfg.names_asked else "auth.failed_password", lang),
                     icon=":material/lock:")
            return None
    THROTTLE.succeeded("name:" + ident.key)    # only the name it signed in
    slot.empty()
    _keep(cfg, ident)
    return _enter(ident)


def sign_out_button() -> None:
    """In the sidebar: who is signed in and a sign-out button (nothing when the gate is open).
    Signing out ends every session of the same name (other tabs, other devices)."""
    ident = identity()
    if ident.method in ("open", "kiosk"):
        return
    lang = state.lang()
    if ident.name:
        st.caption(i18n.t("auth.signed_in_as", lang, name=fmt.literal(ident.name)))
    if st.button(i18n.t("auth.sign_out", lang), icon=":material/logout:", key="w_sign_out"):
        now = time.time()
        access.SIGN_OUTS.sign_out(ident.key, at=now)
        _record_end(ident.key, now)
        _leave()
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


def beyond_loopback(address: str | None = None) -> bool:
    """Whether the server listens beyond this machine (``server.address``; empty: every
    interface, Streamlit's default)."""
    address = str(st.get_option("server.address") or "") if address is None else str(address)
    try:
        return not (bool(address) and ipaddress.ip_address(address).is_loopback)
    except ValueError:
        return address != "localhost"


def metrics_warning() -> None:
    """Settings: Streamlit 1.67 always serves ``/_stcore/metrics`` (no option closes it), outside
    any gate. Served beyond loopback, say that the reverse proxy must deny it (README)."""
    if beyond_loopback():
        st.warning(i18n.t("set.metrics_public", state.lang()), icon=":material/monitoring:")


def _open_warning() -> None:
    """Real data, no gate, and a server reachable from other machines: say so."""
    if cache.is_demo():
        return
    if beyond_loopback():
        st.warning(i18n.t("auth.open_warning", state.lang()), icon=":material/lock_open:")
