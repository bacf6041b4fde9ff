"""Server work and memory of the dashboard for an agency: ``python -m bench.pages``.

The overview, engagement and staff pages for 24 pages × 90 days (``range=last_90``, compared
with the 90 days before), each run once in AppTest (app.py and the page: loads, reshaping,
views, figures, Streamlit's own work). The client runs on a fake clock, so the API's
5 calls/s/page pace costs no real waiting: what is timed is our own work.

- cold: a fresh process state (no frame in memory, an empty store): every call goes out;
- warm: the same page opened again (the next viewer, the next refresh): frames from memory;
  the median of ``WARM_RUNS`` runs (one run varies by a few tenths of a second).

Then every other page of the app (conversations, ads, tags, customers, activity, settings and
the standup screen, ``kiosk=1``) is visited with the memory kept, and ``--viewers`` more
viewers (5 by default: new sessions, kept open) visit every page. The process's resident
memory is printed after each page, with the in-memory cache's entries and bytes.

The API: by default ``bench.sim_server`` in its own process on loopback (no pacing, no
latency), as the real API is another machine: its generated shop data is not the dashboard's
memory. ``--api in-process`` puts the simulator in the dashboard's process instead, as demo
mode does (its generated days are then counted too).

``--paced`` measures a first view instead of our own work (issue 18): the API in its own process
answering in 200 ms with the 5 calls/s/page limit enforced, the client on the real clock, and
for each timed page when each kind's data (both periods) was in, from the start of the run (the
overview draws each section then), the statistics calls made and the calls over the limit.

Targets: a warm overview in under 1 s of server work; after a visit to every page, the
process's peak RSS under 400 MB. The figures are printed and written, with the command that
made them, to ``--out`` (default /tmp/bench-pages.md); the run exits 1 when a target is
missed or a run raised.
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.sim_server import SimProcess, many_pages

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "engagement", "staff")
N_PAGES = 24
RANGE = "last_90"
WARM_OVERVIEW_TARGET = 1.0
WARM_RUNS = 3
OTHER_PAGES = ("conversations", "ads", "tags", "customers", "activity", "settings", "standup")
ALL_PAGES = PAGES + OTHER_PAGES
VIEWERS = 5
RSS_TARGET_MB = 400
CUT_ICON = ":material/content_cut:"   # a "the range is very large: the newest N per page" notice


def _failing(at) -> int:
    """Warnings naming failing pages: every warning but the notices that a large range was
    capped (those say what was fetched, nothing failed)."""
    return sum(1 for w in at.warning if getattr(w, "icon", "") != CUT_ICON)
TIMEZONE = "Asia/Ho_Chi_Minh"   # the demo configuration's zone (pancake.config's default)


def _client_factory(transport=None, base_url="https://pages.fm/api", *, real_clock: bool = False):
    """``core.make_client`` for the bench: demo mode's client (the user token; page tokens
    generated from it) on a fake clock (or the real one), against ``transport`` (in process) or
    ``base_url``."""
    from pancake.api import client as client_mod
    from pancake.api.simulator import DEMO_USER_TOKEN
    from tests.clock import FakeClock

    def make_client(settings, **_options):
        if real_clock:
            return client_mod.PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens={}, base_url=base_url,
                                            timezone=settings.timezone)
        clock = FakeClock()
        tr = transport(settings, clock) if transport is not None else None
        return client_mod.PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens={}, base_url=base_url,
                                        timezone=settings.timezone, transport=tr, clock=clock, sleep=clock.sleep)
    return make_client


def use_simulator(n_pages: int) -> None:
    """The simulator in this process (demo mode's setup), ``n_pages`` pages, a fake clock
    shared by the simulator and the client."""
    from pancake.api.simulator import Simulator
    from pancake.data import core

    pages = many_pages(n_pages)

    def transport(settings, clock):
        sim = Simulator(timezone=settings.timezone, pages=pages, clock=clock, sleep=clock.sleep,
                        include_inactive_page=False)
        return sim.transport()
    core.make_client = _client_factory(transport)


class ApiServer(SimProcess):
    """``bench.sim_server`` in its own process (loopback, no pacing, no latency, the shops'
    clock at the real local time), stopped by its pid."""

    def __init__(self, n_pages: int, *, paced: bool = False) -> None:
        now = datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)
        if paced:   # 200 ms an answer, the limit enforced (429 over it)
            super().__init__(n_pages, PACED_LATENCY, "--now", now.isoformat(), memo=False)
        else:
            super().__init__(n_pages, 0, "--no-rate-limit", "--now", now.isoformat(), memo=False)


def use_server(server: ApiServer, *, paced: bool = False) -> None:
    from pancake.data import core
    core.make_client = _client_factory(base_url=server.url, real_clock=paced)


PACED_LATENCY = 0.2
ARRIVALS: list[tuple[str, float]] = []    # (kind, perf_counter) as each kind's pair of periods is in


def record_arrivals() -> None:
    """Note when each kind's data (both periods) is in during a page's run (``--paced``)."""
    from ui.page import Page
    real = Page.load_pair

    def load_pair(self, kind, **options):
        out = real(self, kind, **options)
        ARRIVALS.append((kind, time.perf_counter()))
        return out
    Page.load_pair = load_pair


# --- memory -------------------------------------------------------------------------------

def rss_mb() -> tuple[float, float]:
    """(resident now, peak so far) of this process in MB."""
    now = peak = 0.0
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return now, peak


def memo_state() -> tuple[int, float]:
    """(entries, MB) of the dashboard's in-memory cache of frames (all sessions)."""
    from ui import cache
    try:
        info = cache.memory_info()
    except Exception:  # noqa: BLE001 - no loader yet
        return 0, 0.0
    return info["entries"], info["bytes"] / 2**20


# --- runs ---------------------------------------------------------------------------------

def _quiet_streamlit() -> None:
    for name in list(logging.root.manager.loggerDict):   # "no runtime" warnings of bare AppTest
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def new_session(timeout: float = 600):
    """A viewer: app.py's first run made cheap (a one-day range in the future), then the
    sidebar set to ``RANGE``."""
    from streamlit.testing.v1 import AppTest
    _quiet_streamlit()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update({"pages": "all", "from": "2031-01-01", "to": "2031-01-01", "lang": "vi"})
    at.run()
    at.selectbox(key="w_preset.vi").set_value(RANGE)
    return at


def open_in(at, page: str) -> tuple[float, int, int]:
    """(seconds, exceptions, warnings) of one run of ``page`` in the session ``at``."""
    at.switch_page(f"app_pages/{page}.py")
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.query_params.get("range") not in (RANGE, [RANGE]):
        raise RuntimeError(f"the run of {page} did not show {RANGE}: {dict(at.query_params)}")
    return seconds, len(at.exception), _failing(at)


def open_standup(timeout: float = 600):
    """(session, seconds, exceptions, warnings): the standup screen (``kiosk=1``, a TV's
    session of its own) over ``RANGE``."""
    from streamlit.testing.v1 import AppTest
    _quiet_streamlit()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update({"pages": "all", "range": RANGE, "lang": "vi", "kiosk": "1"})
    t0 = time.perf_counter()
    at.run()
    return at, time.perf_counter() - t0, len(at.exception), _failing(at)


def visit(page: str, at=None) -> tuple[object, float, int, int]:
    """(session, seconds, exceptions, warnings) of a visit to ``page``, in ``at`` or a new session."""
    if page == "standup":
        return open_standup()
    at = at if at is not None else new_session()
    return (at, *open_in(at, page))


def run_page(page: str, *, cold: bool, timeout: float = 600) -> tuple[float, int, int]:
    """(seconds, exceptions, warnings) of one AppTest run of ``page`` over ``RANGE``, every page,
    in a new session. A warning is a page named as failing (a timeout, for example): its
    numbers are missing."""
    import streamlit as st
    if cold:
        st.cache_data.clear()
        st.cache_resource.clear()   # a new loader: empty memory, a new store
    return visit(page)[1:]


def apptest_overhead() -> float:
    """Seconds of an AppTest run of a script that draws one line (the harness, not the app)."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string("import streamlit as st\nst.write('x')\n")
    at.run()
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=N_PAGES, help="simulated pages")
    ap.add_argument("--out", default="/tmp/bench-pages.md", help="the figures in Markdown")
    ap.add_argument("--only", nargs="*", choices=PAGES, default=list(PAGES), help="the timed pages")
    ap.add_argument("--api", choices=("server", "in-process"), default="server",
                    help="the simulator in its own process (default) or in this one (demo mode)")
    ap.add_argument("--visit", nargs="*", choices=OTHER_PAGES, default=list(OTHER_PAGES),
                    help="the other pages visited (every page by default)")
    ap.add_argument("--viewers", type=int, default=VIEWERS, help="more viewers visiting every page")
    ap.add_argument("--paced", action="store_true",
                    help="a first view: 200 ms answers, the limit enforced, the real clock (API in its own process)")
    a = ap.parse_args(argv)
    if a.paced and a.api != "server":
        ap.error("--paced needs the API in its own process (--api server)")
    kept = {k: v for k, v in os.environ.items() if k.startswith("PANCAKE_MEMORY_")}  # the bounds measured
    for key in [k for k in os.environ if k.startswith("PANCAKE_")]:
        del os.environ[key]
    os.environ.update(kept)
    os.environ["PANCAKE_DEMO"] = "1"
    os.environ["PANCAKE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-pages-")
    sys.path.insert(0, str(ROOT))
    logging.getLogger("pancake").setLevel(logging.ERROR)
    server = None
    if a.api == "server":
        server = ApiServer(a.pages, paced=a.paced)
        use_server(server, paced=a.paced)
    else:
        use_simulator(a.pages)
    try:
        return _paced(a, argv, server) if a.paced else _measure(a, argv)
    finally:
        if server is not None:
            server.stop()


def _paced(a: argparse.Namespace, argv: list[str] | None, server: ApiServer) -> int:
    """A first view of each ``--only`` page and a second session on it, against a paced API."""
    from bench.store import over_limit
    record_arrivals()
    lines, failed = [], False
    for page in a.only:
        server.reset()
        ARRIVALS.clear()
        cpu0 = time.process_time()
        cold, c_exc, c_warn = run_page(page, cold=True)
        cpu = time.process_time() - cpu0        # this process's CPU (every thread), app.py's first run too
        begun = time.perf_counter() - cold      # the page's run (after app.py's first, cheap one)
        arrivals = [(k, t - begun) for k, t in ARRIVALS if t >= begun]
        calls = server.raw_calls()
        stats = [c for c in calls if "/statistics/" in c[1]]
        by_path: dict[str, int] = {}
        for c in stats:
            name = c[1].split("/statistics/")[1].split("?")[0]
            by_path[name] = by_path.get(name, 0) + 1
        print(f"{page}: statistics calls by endpoint {dict(sorted(by_path.items()))}", flush=True)
        over = over_limit(calls)
        server.reset()
        second, w_exc, w_warn = run_page(page, cold=False)
        again = [c for c in server.raw_calls() if "/statistics/" in c[1]]
        failed |= bool(c_exc or w_exc)
        kinds_in = ", ".join(f"{k} {t:.1f} s" for k, t in arrivals)
        line = (f"{page}: first view {cold:.1f} s ({kinds_in}; {cpu:.1f} s of CPU); {len(stats)} statistics calls, "
                f"{over} over the limit; "
                f"a second session {second:.2f} s, {len(again)} calls"
                + (f"; {c_exc + w_exc} exceptions" if c_exc or w_exc else "")
                + (f"; {c_warn + w_warn} pages named failing" if c_warn or w_warn else ""))
        print(line, flush=True)
        lines.append(line)
    command = " ".join(["python -m bench.pages", *(argv if argv is not None else sys.argv[1:])])
    Path(a.out).write_text(
        f"# First view: {a.pages} pages × 90 days (and the 90 before), paced API\n\nCommand: `{command}` — "
        f"bench.sim_server in its own process, {PACED_LATENCY * 1000:.0f} ms an answer, 5 calls/s/page enforced; "
        f"one AppTest run (the page's own run timed); {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end.\n\n" + "\n".join(f"- {x}" for x in lines) + "\n", encoding="utf-8")
    print(f"written to {a.out}")
    return 1 if failed else 0


def _measure(a: argparse.Namespace, argv: list[str] | None) -> int:
    from ui import cache
    load_before = os.getloadavg()[0]   # other work on the machine slows the cold runs most
    start_rss = rss_mb()[0]
    rows, failed, mem_rows = [], False, []

    def memory_row(what: str) -> None:
        now, peak = rss_mb()
        entries, memo_mb = memo_state()
        mem_rows.append((what, now, peak, entries, memo_mb))
        print(f"  {what:<34} RSS {now:6.0f} MB  peak {peak:6.0f} MB  cache {entries:5d} entries {memo_mb:6.1f} MB",
              flush=True)

    for page in a.only:
        cold, c_exc, c_warn = run_page(page, cold=True)
        warm_runs = [run_page(page, cold=False) for _ in range(WARM_RUNS)]
        warm = statistics.median(r[0] for r in warm_runs)
        w_exc, w_warn = sum(r[1] for r in warm_runs), sum(r[2] for r in warm_runs)
        failed |= bool(c_exc or w_exc)
        note = "; ".join(f"{what}: {n} {label}" for what, n, label in
                         (("cold", c_exc, "exceptions"), ("warm", w_exc, "exceptions"),
                          ("cold", c_warn, "pages named failing"), ("warm", w_warn, "pages named failing")) if n)
        rows.append((page, cold, warm, note))
        print(f"{page:<13} cold {cold:6.2f} s   warm {warm:6.2f} s   {note}", flush=True)
        memory_row(f"{page} (cold + {WARM_RUNS} warm)")
    visits = []
    pages = [p for p in ALL_PAGES if p in a.only or p in a.visit]
    for page in pages:                  # a visit to every page (memory kept), for the memory figure
        if page in a.only:
            continue
        seconds, exc, warn = run_page(page, cold=False)
        failed |= bool(exc)
        visits.append((page, seconds, exc, warn))
        print(f"{page:<13} {seconds:6.2f} s{f'   {exc} exceptions' if exc else ''}"
              f"{f'   {warn} pages named failing' if warn else ''}", flush=True)
        memory_row(page)
    peak_mb = rss_mb()[1]
    rss_met = peak_mb < RSS_TARGET_MB
    print(f"{'PASS' if rss_met else 'MISS'}  peak RSS after a visit to every page {peak_mb:.0f} MB "
          f"(target < {RSS_TARGET_MB} MB)", flush=True)
    sessions = []
    viewer_seconds = []
    for i in range(a.viewers):          # more viewers, each a session kept open, visiting every page
        at = new_session()
        sessions.append(at)
        for page in pages:
            other, seconds, exc, _ = visit(page, at)
            if other is not at:
                sessions.append(other)
            failed |= bool(exc)
            viewer_seconds.append(seconds)
        memory_row(f"viewer {i + 2} (every page)")
    viewers_peak = rss_mb()[1]
    if a.viewers:
        print(f"peak RSS with {a.viewers} more viewers {viewers_peak:.0f} MB", flush=True)
    mem = cache.memory_info()
    overhead = apptest_overhead()
    print(f"AppTest's own run (empty script): {overhead:.2f} s")
    warm_overview = next((w for p, _, w, _ in rows if p == "overview"), None)
    met = warm_overview is None or warm_overview < WARM_OVERVIEW_TARGET
    if warm_overview is not None:
        print(f"{'PASS' if met else 'MISS'}  warm overview {warm_overview:.2f} s (target < {WARM_OVERVIEW_TARGET:g} s)")
    command = " ".join(["python -m bench.pages", *(argv if argv is not None else sys.argv[1:])])
    table = ["| page | cold (s) | warm, median (s) | notes |", "|---|---:|---:|---|",
             *(f"| {p} | {c:.2f} | {w:.2f} | {n} |" for p, c, w, n in rows),
             *(f"| {p} (visit) | | {s:.2f} | {f'{x} exceptions ' if x else ''}"
               f"{f'{w} pages named failing' if w else ''} |" for p, s, x, w in visits)]
    mtable = ["| after | RSS (MB) | peak RSS (MB) | cache entries | cache (MB) |", "|---|---:|---:|---:|---:|",
              f"| start (imports) | {start_rss:.0f} | | | |",
              *(f"| {w} | {n:.0f} | {p:.0f} | {e} | {m:.1f} |" for w, n, p, e, m in mem_rows)]
    api = ("bench.sim_server in its own process (loopback, no pacing)" if a.api == "server"
           else "the simulator in this process (demo mode; its generated days counted)")
    viewers_text = (f"Peak RSS with {a.viewers} more viewers (sessions kept open, every page): {viewers_peak:.0f} MB; "
                    f"their page runs took {statistics.median(viewer_seconds):.2f} s (median), "
                    f"{max(viewer_seconds):.2f} s (longest).\n\n" if a.viewers else "")
    Path(a.out).write_text(
        f"# Server work and memory: {a.pages} pages × 90 days (and the 90 before)\n\n"
        f"Command: `{command}` — one AppTest run of each page (app.py and the page); cold = empty "
        f"memory and store, warm = the same page again (median of {WARM_RUNS} runs). API: {api}. "
        f"Fake clock: the API's pace costs no real time. {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} at the start. In-memory cache bounds: {mem['max_entries']} entries, "
        f"{mem['max_bytes'] / 2**20:.0f} MB.\n\n" + "\n".join(table) + "\n\n"
        f"AppTest's own run (empty script): {overhead:.2f} s (not the app's work).\n\n"
        f"Target: warm overview < {WARM_OVERVIEW_TARGET:g} s: "
        f"{'met' if met else 'MISSED'}{'' if warm_overview is None else f' ({warm_overview:.2f} s)'}\n\n"
        f"Peak RSS after a visit to every page: {peak_mb:.0f} MB (target < {RSS_TARGET_MB} MB: "
        f"{'met' if rss_met else 'MISSED'})\n\n" + viewers_text + "\n".join(mtable) + "\n",
        encoding="utf-8")
    print(f"written to {a.out}")
    return 0 if met and rss_met and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
