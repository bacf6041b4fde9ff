"""Browser suite: the simulator over HTTP, the app talking HTTP to it, Debian's Chromium.

One simulator and one app server per session, each stopped by its own pid. Never runs
``playwright install``: it drives /usr/bin/chromium through ``executable_path``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pancake.delivery import appserver, picture
from tests.pancake import unpaced

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = picture.CHROMIUM_ARGS
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def pytest_collection_modifyitems(config, items):
    skip = None
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Debian chromium not installed: apt-get install chromium")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            skip = pytest.mark.skip(reason="playwright is not installed: pip install -r requirements-dev.txt")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


_stop = appserver.stop   # one home: pancake.delivery.appserver (stop a process we started, by its pid)


@pytest.fixture(scope="session")
def sim_url():
    """``python -m pancake.api.simulator --port 0 --no-rate-limit``: read the port it prints (the
    dashboards on it are unpaced: ``running_app``)."""
    proc = subprocess.Popen([sys.executable, "-m", "pancake.api.simulator", "--port", "0", "--no-rate-limit"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/api)", line)
        if not m:
            raise RuntimeError(f"simulator did not start: {line!r}")
        yield m.group(1)
    finally:
        _stop(proc)


# Before the dashboard's own start-up (``appserver.PRELOAD``): its clients unpaced
# (``tests.pancake.unpaced.SERVER``), on simulators that count no rate limit. Pacing is tested where
# it is the point (the limiters' tests, the fault matrix, the procs tests); here it only made every
# view wait ~0.2 s a call in real time. The messages fillers it starts stay paced unless a test
# waits for their fill (``unpaced_filler=True``): nobody waits for the others, which unpaced would
# fill every conversation asked, at full speed, on the cores the other tests run on.
UNPACED_FILLER = f"""
from pancake.data import filler as _filler
_filler.COMMAND = {unpaced.FILLER!r}
"""


class UnpacedAppServer(appserver.AppServer):
    """``appserver.AppServer`` with ``preload`` run first in the dashboard's process."""

    def __init__(self, *args, preload: str = unpaced.SERVER, **kw) -> None:
        super().__init__(*args, **kw)
        self.preload = preload

    def spawn(self) -> appserver.AppServer:
        preload = appserver.PRELOAD
        appserver.PRELOAD = self.preload + preload
        try:
            return super().spawn()
        finally:
            appserver.PRELOAD = preload


@contextmanager
def running_app(base_url: str, log_name: str, *, demo_tokens: bool = True, script: str = "app.py",
                unpaced_filler: bool = False, **env_extra: str) -> Iterator[str]:
    """The dashboard (``pancake.delivery.appserver``: a free loopback port, stopped by its pid) on the
    simulator at ``base_url``, with none of this machine's ``PANCAKE_*`` settings but the
    simulator's user token (and its demo page tokens unless ``demo_tokens`` is False) and
    ``env_extra``; its output in ``ARTIFACTS/log_name``; its clients unpaced, and its messages fillers
    too with ``unpaced_filler`` (``UnpacedAppServer``). Yields its URL."""
    from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(PANCAKE_BASE_URL=base_url, PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN)
    if demo_tokens:
        env["PANCAKE_PAGE_TOKENS"] = ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items())
    env.update(env_extra)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / log_name, "w") as log:
        server = UnpacedAppServer(env, log=log, script=script,
                                  preload=unpaced.SERVER + (UNPACED_FILLER if unpaced_filler else ""))
        try:
            server.start()
        except appserver.AppServerError as exc:
            raise RuntimeError(f"streamlit did not start ({exc}); see {ARTIFACTS / log_name}") from None
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session")
def app_url(sim_url):
    """``streamlit run app.py`` configured with the simulator's demo tokens over HTTP."""
    with running_app(sim_url, "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


VIEWPORT = {"width": 1400, "height": 900}
_CONTEXTS: dict[tuple[int, str], object] = {}


def open_page(browser, base_url: str, viewport: dict | None = None, *, timeout_ms: float = 45_000):
    """A new page (a new Streamlit session) on the dashboard at ``base_url``, in one browser
    context per dashboard kept for the whole run: its HTTP cache keeps Streamlit's scripts, so a
    test's first screen loads in ~2.3 s instead of ~3.1 s in a new context. ``close_page`` closes
    it and clears the context's cookies; a test about what a new browser knows (sign-in, cookies)
    makes a context of its own."""
    key = (id(browser), base_url)
    context = _CONTEXTS.get(key)
    if context is None:
        context = _CONTEXTS[key] = browser.new_context(viewport=VIEWPORT, accept_downloads=True,
                                                       base_url=base_url)
    pg = context.new_page()
    if viewport is not None:
        pg.set_viewport_size(viewport)
    pg.set_default_timeout(timeout_ms)
    return pg


def close_page(pg) -> None:
    context = pg.context
    pg.close()
    context.clear_cookies()


@pytest.fixture
def page(browser, app_url):
    pg = open_page(browser, app_url)
    yield pg
    close_page(pg)


# The app is drawn and idle: Streamlit's own markers on its root (``data-test-script-state``,
# ``data-test-connection-state``, what Streamlit's end-to-end tests wait on), a title drawn, and
# no spinner, skeleton or "Running…" widget left on screen.
IDLE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.dataset.testScriptState === "notRunning" && app.dataset.testConnectionState === "CONNECTED"
    && !!document.querySelector("[data-testid='stAppViewContainer'] h1")
    && !document.querySelector("[data-testid='stStatusWidget'], [data-testid='stSpinner'], [data-testid='stSkeleton']");
}"""


def settle(page, *, timeout_s: float = 90) -> None:
    """Wait until the app has drawn and Streamlit has stopped running the script: idle (``IDLE``)
    at two looks 150 ms apart (a rerun asked right after a run ends flips the marker back)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        try:
            page.wait_for_function(IDLE, timeout=left_ms, polling=100)
        except Exception as exc:   # playwright's TimeoutError: say which screen
            raise AssertionError(f"{page.url} still running after {timeout_s}s") from exc
        page.wait_for_timeout(150)
        if page.evaluate(IDLE):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} still running after {timeout_s}s")


def metrics_on(page) -> list[tuple[str, str]]:
    """(label, value) of every KPI card on screen."""
    out = []
    for card in page.locator("[data-testid='stMetric']").all():
        label = card.locator("[data-testid='stMetricLabel']").inner_text().strip()
        value = card.locator("[data-testid='stMetricValue']").inner_text().strip()
        out.append((label, value))
    return out


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
