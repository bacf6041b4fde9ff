"""Shared fixtures. Every test starts with empty Streamlit caches and no Pancake
configuration from the developer's environment (so the dashboard runs on demo data)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pancake.config import VARIABLES  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch, tmp_path_factory):
    """No PANCAKE_* variable leaks in from the machine running the tests, and every test has
    its own empty statistics store (never the user's cache directory)."""
    for var in VARIABLES:       # every PANCAKE_* variable the product reads
        monkeypatch.delenv(var.name, raising=False)
    monkeypatch.setenv("PANCAKE_CACHE_DIR", str(tmp_path_factory.mktemp("pancake-cache")))
    yield


@pytest.fixture(autouse=True, scope="session")
def _components_scanned_once():
    """Streamlit looks through every installed package's metadata for components at each
    AppTest run (0.14 s of CPU each, hundreds of runs); the packages do not change during the
    run, so the first answer serves every run of this process."""
    import functools

    from streamlit.components.v2 import manifest_scanner
    real = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(real)
    yield
    manifest_scanner.scan_component_manifests = real


@pytest.fixture(autouse=True)
def _no_filler_left():
    """The messages fillers the dashboards of a test started (``pancake fill``, their own session)
    are stopped by their pid when the test ends. Kept to the end of the run, they went on filling
    demo stores nobody looked at any more, paced, beside every later test: 100 s of CPU in a run
    of the suite, on its two cores. (And a pytest-xdist worker leaves without the interpreter's
    exit handlers, which once left them filling after the run.)"""
    yield
    from pancake.data import filler
    filler.stop_started()


# Pacing is tested where it is the point (tests/pancake/test_ratelimit.py, test_shared_limiter.py,
# the procs tests, each with its own clock); elsewhere the demo's 5 calls a second per page only
# made every AppTest run wait in real time (~2 s of a 2.5 s run) for the rate limit.
UNPACED = 1e6


@pytest.fixture(autouse=True)
def _unpaced_demo(monkeypatch):
    """The demo's client (``core.make_client`` with demo settings: what AppTest runs on) paces at
    UNPACED calls a second and its simulator counts no rate limit. Any other client or simulator,
    the tests' own, keeps its pacing (``Simulator()`` answers 429 over 5 calls a second), and so
    does the messages filler process a dashboard starts, unless the test waits for its fill
    (``unpaced_filler``)."""
    from pancake.api.ratelimit import RateLimiter
    from pancake.data import core
    made = core.make_client

    def make_client(settings, **options):
        client = made(settings, **options)
        if settings.use_demo:
            client.limiter = RateLimiter(UNPACED)
            sim = getattr(getattr(client._http._transport, "handler", None), "__self__", None)
            if hasattr(sim, "rate_limit_per_second"):                          # the demo's simulator
                sim.rate_limit_per_second = 0
        return client
    monkeypatch.setattr(core, "make_client", make_client)
    yield


@pytest.fixture
def unpaced_filler(monkeypatch):
    """The messages filler process the dashboards of this test start (``pancake fill``) unpaced
    (``tests.pancake.unpaced``): for a test that waits for its fill (paced, it waited ~0.2 s a
    call). Elsewhere a filler nobody waits for stays paced: unpaced, it filled every conversation
    asked in the background at full speed, on the cores the other tests run on."""
    from pancake.data import filler
    from tests.pancake.unpaced import FILLER
    monkeypatch.setattr(filler, "COMMAND", FILLER)
    yield


@pytest.fixture
def unpaced_clients(monkeypatch):
    """Every client ``core.make_client`` makes in this process (the commands run in process:
    ``cli.main``) unpaced, with no shared limiter: for a module whose simulator counts no rate
    limit (``Simulator(rate_limit_per_second=0)``) and whose point is not pacing."""
    from pancake.api.ratelimit import RateLimiter
    from pancake.data import core
    made = core.make_client

    def make_client(settings, **options):
        options.pop("shared_limiter", None)
        client = made(settings, **options)
        client.limiter = RateLimiter(UNPACED)
        return client
    monkeypatch.setattr(core, "make_client", make_client)
    yield


@pytest.fixture(autouse=True)
def _clear_streamlit_cache():
    """st.cache_data/cache_resource survive between tests in one process: clear them."""
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def app_test(page: str | None = None, *, params: dict[str, str] | None = None,
             secrets: dict | None = None, timeout: float = 30, after_overview: bool = False):
    """Run app.py in AppTest (demo data unless secrets/env say otherwise), optionally on one page.

    ``page`` is the file path, e.g. "app_pages/engagement.py". Query parameters are set before
    the first run, as opening a shared URL would. ``after_overview``: the overview (the default
    page) runs first and the session then goes to ``page``, as a viewer clicking through does.
    """
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if after_overview:
        at.run()
        if page:
            at.switch_page(page)
    elif page and Path(page).stem != "overview":
        # straight onto the page, as opening its URL does: url_path is the file's stem, which is
        # how AppTest names a page before the first run (the overview is the default page: "")
        at.switch_page(page)
    at.run()
    return at


def pin_dashboard_now(monkeypatch, now) -> None:
    """The dashboard's one "now" (``ui.cache.now_utc``, an aware time) and the loaders' today
    pinned to ``now``: surfaces compared with each other, or with a simulator at a fixed "now",
    read the same moment."""
    from pancake import timeutil
    from ui import cache
    monkeypatch.setattr(cache, "now_utc", lambda: now)
    local_today = timeutil.local_today
    monkeypatch.setattr(timeutil, "local_today", lambda tz, at=None: local_today(tz, at or now))


def drawn_text(at) -> str:
    """Every element an AppTest run drew, as its protobuf text (labels, bodies, values, options):
    what a canary or an escaping check searches."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None) or {}
        for child in (children.values() if isinstance(children, dict) else children):
            walk(child)
    walk(at._tree)
    return "\n".join(out)


@pytest.fixture
def run_app():
    return app_test
