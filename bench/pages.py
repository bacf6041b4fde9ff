"""Server work of the dashboard's heaviest pages for an agency: ``python -m bench.pages``.

The overview, engagement and staff pages for 24 pages × 90 days (``range=last_90``, compared
with the 90 days before), each run once in AppTest (app.py and the page: loads, reshaping,
views, figures, Streamlit's own work) against the simulator in process. The simulator and the
client share a fake clock, so the API's 5 calls/s/page pace costs no real waiting: what is
timed is our own work.

- cold: a fresh process state (no frame in memory, an empty store): every call goes out;
- warm: the same page opened again (the next viewer, the next refresh): frames from memory;
  the median of ``WARM_RUNS`` runs (one run varies by a few tenths of a second).

AppTest's own cost of a run (an empty script) is printed too: it is not the app's work.

Targets: a warm overview in under 1 s of server work; after a visit to every page, the
process's peak RSS under 400 MB. The figures are printed and written,
with the command that made them, to ``--out`` (default /tmp/bench-pages.md); the run exits 1
when the target is missed or a run raised.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "engagement", "staff")
N_PAGES = 24
RANGE = "last_90"
WARM_OVERVIEW_TARGET = 1.0
WARM_RUNS = 3
OTHER_PAGES = ("ads", "tags", "customers", "activity", "settings")
RSS_TARGET_MB = 400


def many_pages(n: int):
    """``n`` simulated pages: the demo pages' shapes over and over, each with its own id."""
    from pancake.simulator import DEMO_PAGES, PageSpec
    base = list(DEMO_PAGES)
    return [PageSpec(**{**base[i % len(base)].__dict__, "id": f"9{i:014d}", "name": f"{base[i % len(base)].name} #{i}"})
            for i in range(n)]


def use_simulator(n_pages: int) -> None:
    """Demo mode's client, with ``n_pages`` simulated pages (tokens generated from the user
    token) and a fake clock shared by the simulator and the client."""
    from pancake import client as client_mod
    from pancake.data import core
    from pancake.ratelimit import FakeClock
    from pancake.simulator import DEMO_USER_TOKEN, Simulator

    pages = many_pages(n_pages)

    def make_client(settings, **_options):
        clock = FakeClock()
        sim = Simulator(timezone=settings.timezone, pages=pages, clock=clock, sleep=clock.sleep,
                        include_inactive_page=False)
        return client_mod.PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens={},
                                        base_url="https://pages.fm/api", timezone=settings.timezone,
                                        transport=sim.transport(), clock=clock, sleep=clock.sleep)
    core.make_client = make_client


def run_page(page: str, *, cold: bool, timeout: float = 600) -> tuple[float, int, int]:
    """(seconds, exceptions, warnings) of one AppTest run of ``page`` over ``RANGE``, every page.

    The app's first run draws its default page (the overview): it is made cheap with a one-day
    range in the future, then the sidebar is set to ``RANGE`` and the timed run opens ``page``.
    A warning is a page named as failing (a timeout, for example): its numbers are missing."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    for name in list(logging.root.manager.loggerDict):   # "no runtime" warnings of bare AppTest
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if cold:
        st.cache_data.clear()
        st.cache_resource.clear()   # a new loader: empty memory, a new store
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update({"pages": "all", "from": "2031-01-01", "to": "2031-01-01", "lang": "vi"})
    at.run()
    at.selectbox(key="w_preset.vi").set_value(RANGE)
    at.switch_page(f"app_pages/{page}.py")
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.query_params.get("range") not in (RANGE, [RANGE]):
        raise RuntimeError(f"the timed run did not show {RANGE}: {dict(at.query_params)}")
    return seconds, len(at.exception), len(at.warning)


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
    ap.add_argument("--only", nargs="*", choices=PAGES, default=list(PAGES))
    a = ap.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("PANCAKE_")]:
        del os.environ[key]
    os.environ["PANCAKE_DEMO"] = "1"
    os.environ["PANCAKE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-pages-")
    sys.path.insert(0, str(ROOT))
    logging.getLogger("pancake").setLevel(logging.ERROR)
    use_simulator(a.pages)

    load_before = os.getloadavg()[0]   # other work on the machine slows the cold runs most
    rows, failed = [], False
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
        print(f"{page:<11} cold {cold:6.2f} s   warm {warm:6.2f} s   {note}", flush=True)
    for page in OTHER_PAGES:            # a visit to every page (memory kept), for the memory figure
        run_page(page, cold=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_met = peak_mb < RSS_TARGET_MB
    print(f"{'PASS' if rss_met else 'MISS'}  peak RSS after a visit to every page {peak_mb:.0f} MB "
          f"(target < {RSS_TARGET_MB} MB)")
    overhead = apptest_overhead()
    print(f"AppTest's own run (empty script): {overhead:.2f} s")
    warm_overview = next((w for p, _, w, _ in rows if p == "overview"), None)
    met = warm_overview is None or warm_overview < WARM_OVERVIEW_TARGET
    if warm_overview is not None:
        print(f"{'PASS' if met else 'MISS'}  warm overview {warm_overview:.2f} s (target < {WARM_OVERVIEW_TARGET:g} s)")
    command = " ".join(["python -m bench.pages", *(argv if argv is not None else sys.argv[1:])])
    table = ["| page | cold (s) | warm, median (s) | notes |", "|---|---:|---:|---|",
             *(f"| {p} | {c:.2f} | {w:.2f} | {n} |" for p, c, w, n in rows)]
    Path(a.out).write_text(
        f"# Server work per page: {a.pages} pages × 90 days (and the 90 before), simulator in process\n\n"
        f"Command: `{command}` — one AppTest run of each page (app.py and the page); cold = empty "
        f"memory and store, warm = the same page again (median of {WARM_RUNS} runs). Fake clock: the API's pace costs no real "
        f"time. {os.cpu_count()} CPUs, load average {load_before:.1f} at the start.\n\n" + "\n".join(table) + "\n\n"
        f"AppTest's own run (empty script): {overhead:.2f} s (not the app's work).\n\n"
        f"Target: warm overview < {WARM_OVERVIEW_TARGET:g} s: "
        f"{'met' if met else 'MISSED'}{'' if warm_overview is None else f' ({warm_overview:.2f} s)'}\n\n"
        f"Peak RSS after a visit to every page: {peak_mb:.0f} MB (target < {RSS_TARGET_MB} MB: "
        f"{'met' if rss_met else 'MISSED'})\n",
        encoding="utf-8")
    print(f"written to {a.out}")
    return 0 if met and rss_met and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
