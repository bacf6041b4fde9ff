"""The standup screen as a picture (no Streamlit here): ``digest --picture``, ``--picture-out`` and
the sidebar's "Download the standup as a picture". The real screen, never a copy:

1. **The data is in the store first**: :func:`warm` runs the screen's own loads through the CLI's
   loader, so the screen reads closed days from the store and sends no statistics call.
2. **A dashboard of its own** (:class:`pancake.delivery.appserver.AppServer`) on a loopback port,
   with the caller's configuration and one change: its access file holds a single kiosk key made
   for this picture, scoped to its pages, so nothing of another page can be drawn and no other
   sign-in exists on it. The URL names the pages, range, language, theme, day and ``waits=0``.
3. **Headless Chromium** (``config.chromium``) through Playwright (never ``playwright install``)
   opens the screen at a phone's width (:data:`VIEWPORT`), waits until it has drawn, and takes a
   full-page PNG.
4. **Both processes are stopped whatever happens**: the browser, then by its pid if still there,
   and the dashboard (``AppServer.stop``).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pancake.data import gather
from pancake.delivery import access
from pancake.delivery.appserver import AppServer
from pancake.redact import redact, register_secret

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 480, "height": 1040}   # CSS px: a phone held upright (Streamlit stacks the columns)
WINDOW_HEIGHT = 4000                          # CSS px: the browser window, taller than the screen
SCALE = 2.25                                  # device pixels per CSS px: a 1080-pixel-wide PNG
MAX_HEIGHT = WINDOW_HEIGHT                    # CSS px: a longer screen is cut (a 9000-pixel PNG)
FULL_HEIGHT_JS = """() => {
  const block = document.querySelector("[data-testid='stMainBlockContainer'], .block-container");
  return block ? Math.ceil(block.getBoundingClientRect().bottom + window.scrollY) : 0; }"""
TIMEOUT_S = 60.0                              # the whole render gives up after this
QUIET_MS = 400                                # the screen has stopped running for this long
FILE_NAME = "standup-{pages}-{day}-{lang}.png"
RUNNING = ("[data-testid='stStatusWidget'], [data-testid='stSpinner'], [data-testid='stSkeleton'], "
           "[data-testid='stAppSkeleton']")


class PictureError(RuntimeError):
    """The picture could not be made (the message names the step, never a key)."""


@dataclass(frozen=True)
class Picture:
    png: bytes
    text: str          # the screen's text when the picture was taken
    html: str          # the screen's DOM then (tests: what it does not contain)
    seconds: float     # how long it took, from start to the PNG


def file_name(page_ids: Sequence[str], day: date, lang: str) -> str:
    pages = page_ids[0] if len(page_ids) == 1 else f"{len(page_ids)}-pages"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(pages))[:40]
    return FILE_NAME.format(pages=safe, day=day.isoformat(), lang=lang)


def standup_query(page_ids: Sequence[str], start: date, end: date, *, lang: str, theme: str = "light",
                  day: date | None = None, key: str | None = None) -> dict[str, str]:
    """The standup screen's URL parameters (``ui.state`` and ``views.standup.parse_options``) for
    ``page_ids`` over [start, end]: the TV's screen for that range, the five lines of ``day``."""
    q = {"pages": ",".join(page_ids), "from": start.isoformat(), "to": end.isoformat(), "lang": lang,
         "kiosk": "1", "theme": theme, "waits": "0"}
    if day is not None:
        q["day"] = day.isoformat()
    if key:
        q["key"] = key
    return q


def scope_file(folder: str | os.PathLike, page_ids: Iterable[str]) -> tuple[Path, str]:
    """An access file (mode 0600) with one kiosk key for ``page_ids``, and that key: the only way
    into the picture's dashboard. The key is random, used once, and dies with the server."""
    key = secrets.token_urlsafe(24)
    pages = ", ".join(json.dumps(str(p)) for p in page_ids)
    path = Path(folder) / "access.toml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f'[[kiosk]]\nname = "picture"\nkey_hash = "{access.hash_secret(key)}"\npages = [{pages}]\n')
    return path, key


def server_env(env: Mapping[str, str], access_file: str | os.PathLike) -> dict[str, str]:
    """The picture's dashboard: the caller's configuration, its access file replaced by the
    picture's own (the configured gate is not loosened: the only way in is the picture's key)."""
    out = dict(env)
    out[access.ENV_FILE] = str(access_file)
    return out


# --- loads ----------------------------------------------------------------------------------------

def screen_loads(start: date, end: date, day: date, today: date, *, compare: bool = True) -> list[tuple]:
    """The loads the overview standup screen of [start, end] makes, with ``day`` for its five lines
    (``app_pages/standup.py``: the section's pairs, its hourly chart of a single day, and
    ``yesterday``'s loads), as ``(kind, start, end, options)``."""
    out: list[tuple] = [("engagement", start, end, {}), ("staff", start, end, {})]
    if compare:
        n = (end - start).days + 1
        ps, pe = start - timedelta(days=n), start - timedelta(days=1)
        out += [("engagement", ps, pe, {}), ("staff", ps, pe, {})]
    if start == end:
        out.append(("engagement", start, end, {"hourly": True}))
    lw = day - timedelta(days=7)
    act_end = today if day >= today - timedelta(days=1) else day
    out += [("engagement", lw, day, {}), ("activity", lw, act_end, {}), ("customers", lw, day, {}),
            ("staff", lw, day, {}), ("ads", day, day, {}), ("ads", lw, lw, {})]
    return out


def warm(loader: Any, page_ids: Sequence[str], names: Mapping[str, str], start: date, end: date,
         day: date) -> list:
    """Put the screen's loads in the store (every call at once); the results (their errors are
    the screen's too)."""
    plan = screen_loads(start, end, day, loader.today())
    for kind, a, b, opts in plan:
        loader.prefetch(kind, page_ids, a, b, **opts)
    return [loader.load(kind, page_ids, a, b, page_names=names, **opts) for kind, a, b, opts in plan]


# --- the picture ----------------------------------------------------------------------------------

def _settle(page, deadline: float) -> None:
    """Until the screen has drawn its flags and stopped running for ``QUIET_MS``."""
    page.wait_for_selector(".st-key-kiosk-flags, [data-testid='stAlert'], .st-key-kiosk-head h1",
                           timeout=max(1.0, deadline - time.monotonic()) * 1000)
    quiet_since = None
    while time.monotonic() < deadline:
        busy = page.locator(RUNNING).count()
        drawn = page.locator(".st-key-kiosk-status").count() > 0
        if not busy and drawn:
            quiet_since = quiet_since or time.monotonic()
            if (time.monotonic() - quiet_since) * 1000 >= QUIET_MS:
                return
        else:
            quiet_since = None
        page.wait_for_timeout(100)
    raise PictureError("the standup screen did not finish drawing in time")


def _browser_pid(browser) -> int | None:
    try:
        session = browser.new_browser_cdp_session()
        info = session.send("SystemInfo.getProcessInfo")
        session.detach()
        return next((int(p["id"]) for p in info.get("processInfo", []) if p.get("type") == "browser"), None)
    except Exception:  # noqa: BLE001 - only a safety net for the stop below
        return None


def _kill(pid: int | None, executable: str) -> None:
    """SIGKILL to ``pid`` if it is still the Chromium we started (its command line starts with
    ``executable``): never another process that got the number since."""
    if pid is None:
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            if not fh.read().split(b"\0")[0].endswith(os.path.basename(executable).encode()):
                return
    except OSError:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def render(page_ids: Sequence[str], start: date, end: date, *, lang: str, chromium: str,
           theme: str = "light", day: date | None = None, env: Mapping[str, str] | None = None,
           timeout: float = TIMEOUT_S, observe: Callable[[str, int], None] | None = None) -> Picture:
    """The standup screen of ``page_ids`` over [start, end] as a PNG (see the module's text).
    ``env``: the dashboard's configuration (default: this process's environment). ``observe``
    is told ``("server", pid)`` and ``("browser", pid)`` as they start (tests). Raises
    :class:`PictureError`; whatever happens, the dashboard and the browser are stopped."""
    try:
        from playwright.sync_api import Error as PlaywrightError  # optional: said when missing
        from playwright.sync_api import sync_playwright  # the same
    except ImportError:
        raise PictureError("Playwright is not installed (pip install -r requirements.txt)") from None
    started = time.monotonic()
    deadline = started + timeout
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="pancake-picture-") as folder:
        access_file, key = scope_file(folder, page_ids)
        register_secret(key)   # an error naming the URL never shows it
        server = AppServer(server_env(env, access_file), timeout=timeout)
        browser_pid = None
        try:
            server.spawn()          # the dashboard and the browser start together
            if observe:
                observe("server", server.pid)
            url = server.url + "/?" + urlencode(standup_query(page_ids, start, end, lang=lang, theme=theme,
                                                              day=day, key=key))

            def shoot():
                # a thread of its own: Playwright's sync API refuses a thread with an asyncio loop running
                # (a caller's event loop, or another sync Playwright still open in this thread)
                nonlocal browser_pid
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                                timeout=max(1.0, deadline - time.monotonic()) * 1000)
                    try:
                        browser_pid = _browser_pid(browser)
                        if observe and browser_pid:
                            observe("browser", browser_pid)
                        server.wait_ready()
                        context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": WINDOW_HEIGHT}, device_scale_factor=SCALE,
                                                      is_mobile=True, has_touch=True, locale=lang)
                        page = context.new_page()
                        page.goto(url, wait_until="domcontentloaded",
                                  timeout=max(1.0, deadline - time.monotonic()) * 1000)
                        _settle(page, deadline)
                        # the window is taller than any screen (Streamlit's main block scrolls inside
                        # it): the picture is cut at the end of the content
                        height = min(int(page.evaluate(FULL_HEIGHT_JS) or VIEWPORT["height"]) + 8, MAX_HEIGHT)
                        text = page.inner_text("body")
                        html = page.content()
                        png = page.screenshot(type="png", animations="disabled",
                                              clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
                    finally:
                        browser.close()
                return png, text, html

            png, text, html = gather.pool().submit("picture", shoot).result()
        except PlaywrightError as exc:
            raise PictureError(redact(f"the browser failed: {str(exc).splitlines()[0][:300]}")) from None
        except Exception as exc:
            if isinstance(exc, PictureError):
                raise
            raise PictureError(redact(f"{type(exc).__name__}: {str(exc)[:300]}")) from None
        finally:
            server.stop()
            _kill(browser_pid, chromium)   # Playwright closed it; by its pid if it is still there
    return Picture(png=png, text=text, html=html, seconds=time.monotonic() - started)
