"""The session cookie's two ends: the signing key (one per process, from ``pancake.delivery.session``)
and the HTTP endpoint ``/_pancake/session`` that ``serve.py`` mounts beside Streamlit (Streamlit
itself can read cookies, ``st.context.cookies``, but not set them).

After a sign-in the gate hands the browser a one-use ticket (:func:`hand_over`: a ``fetch``
POST from the page, the ticket in the body, never in a URL); the endpoint answers with the
session cookie: HttpOnly, SameSite=Lax, Path=/, Secure when the request came over HTTPS (or a
proxy says so), Max-Age the session's lifetime. A DELETE clears it (sign-out).
"""
from __future__ import annotations

import json
import threading
import time

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pancake.config import load_settings
from pancake.data import store as store_mod
from pancake.delivery import session
from ui import cache

PATH = "/_pancake/session"
_KEY: dict[str, bytes] = {}
_LOCK = threading.Lock()


def signing_key() -> bytes:
    """The process's signing key (``PANCAKE_SESSION_KEY`` or the cache folder's ``session.key``)."""
    with _LOCK:
        if "key" not in _KEY:
            secrets = cache.secrets()
            folder = store_mod.cache_dir(load_settings(secrets=secrets))
            _KEY["key"] = session.signing_key(folder, secrets=secrets)
        return _KEY["key"]


def endpoint() -> str:
    """The endpoint's path under ``server.baseUrlPath``."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{PATH}" if base else PATH


def hand_over(ticket: str) -> None:
    """Ask the browser to trade ``ticket`` for the session cookie (a zero-size element)."""
    st.html(f"<script>fetch({json.dumps(endpoint())}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(ticket)}}});</script>",
            unsafe_allow_javascript=True, width="content")


def forget() -> None:
    """Ask the browser to drop the session cookie (sign-out; the cookie is refused anyway)."""
    st.html(f"<script>fetch({json.dumps(endpoint())}, {{method: 'DELETE', credentials: 'same-origin'}});</script>",
            unsafe_allow_javascript=True, width="content")


def _secure(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


async def route(request: Request) -> Response:
    """POST a ticket: the cookie is set (204), or 403 for a bad, used or expired ticket.
    DELETE: the cookie is cleared (204). Nothing is logged."""
    if request.method == "DELETE":
        resp = Response(status_code=204)
        resp.delete_cookie(session.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
        return resp
    body = (await request.body())[:4096].decode("utf-8", "replace").strip()
    now = time.time()
    claims = session.TICKETS.take(signing_key(), body, now)
    if claims is None:
        return Response(status_code=403)
    token = session.sign(signing_key(), "session", claims)
    resp = Response(status_code=204, headers={"Cache-Control": "no-store"})
    resp.set_cookie(session.COOKIE, token, max_age=max(1, int(float(claims["exp"]) - now)), path="/",
                    httponly=True, samesite="lax", secure=_secure(request))
    return resp


def routes() -> list[Route]:
    return [Route(PATH, route, methods=["POST", "DELETE"])]
