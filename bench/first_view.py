"""An agency's first view, in Chromium: ``python -m bench.first_view [--runs 3]`` (issue 18).

The overview for 24 pages over the last 90 days compared with the 90 before
(``/?pages=all&range=last_90&lang=en``), as a browser sees it:

- ``bench.sim_server`` in its own process: 200 ms an answer, the 5 calls/s/page limit enforced
  (429 over it), counting every call it is sent. It shares this machine's cores with the
  dashboard, and making up 90 days of data costs it seconds of CPU per view, which the real API
  (another machine) does not cost us: so it answers a repeated request from memory (``--memo``,
  after the limit and token checks), and one untimed first view primes it (``--no-prime``: not);
- the dashboard (``streamlit run app.py`` through ``pancake.delivery.appserver``), a fresh process
  and an empty store for each run, warmed by one visit to the Settings page (no statistics call;
  the API quiet again before the view) so that the process's start is not timed, only the view;
- Debian's Chromium driven by Playwright (never ``playwright install``).

Measured from the navigation's start (the browser's own clock, recorded by a script in the page):

- **true total**: the "Total engagements" card shows the true total of the 24 pages' 90 days,
  summed here from the simulator's own data (``sim.truth``), not through the client or the views;
- **done**: every section drawn (the per-page table too) and nothing running (no progress bar,
  spinner, skeleton or Streamlit status widget) — the first moment of a state that then held;
- **second session**: a new browser context on the same URL (same dashboard process), until done;
- the statistics calls of the first view and the calls over the limit (as the server counts them:
  a 429, or a sixth call of a page within a second);
- the dashboard process's CPU seconds during the first view, and the machine's load average (the
  machine is shared: other work slows the runs).

Targets: true total <= 4 s, done <= 12 s, second session <= 1.5 s, 0 calls over the limit. The
figures are printed and written, with the command, to ``--out`` (default
/tmp/bench-first-view.md). ``--shots DIR``: one more run (not timed) with screenshots at the start,
mid-load (the engagement cards drawn, the rest loading) and done. Exits 1 when a run failed (a wrong total, a timeout, calls over the limit).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.sim_server import SimProcess, many_pages
from bench.store import over_limit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N_PAGES = 24
DAYS = 90
LATENCY = 0.2
TIMEZONE = "Asia/Ho_Chi_Minh"        # the configuration's default zone
VIEW = "/?pages=all&range=last_90&lang=en"
WARMUP = "/settings?lang=en"         # no statistics call (the pages' tags only)
TOTAL_LABEL = "Total engagements"
TARGETS = {"total": 4.0, "done": 12.0, "second": 1.5}
TIMEOUT = 120.0
QUIET = 1.0                          # s a "done" state must hold before it counts

# Recorded in the page, on the browser's clock (ms since the navigation began): when the true
# total first showed, when the first card showed, and when the current "done" state began.
WATCH = """
(() => {
  const want = %(want)s, label = %(label)s;
  const w = window; w.__fv = {total: null, card: null, doneSince: null, progress: null};
  const busy = "[data-testid='stStatusWidget'], [data-testid='stSpinner'], [data-testid='stSkeleton'],"
             + " [data-testid='stProgress']";
  function check() {
    const now = performance.now();
    const cards = document.querySelectorAll("[data-testid='stMetric']");
    if (cards.length && w.__fv.card === null) w.__fv.card = now;
    if (w.__fv.total === null) {
      for (const c of cards) {
        const l = c.querySelector("[data-testid='stMetricLabel']");
        const v = c.querySelector("[data-testid='stMetricValue']");
        if (l && v && l.innerText.trim().startsWith(label)
            && v.innerText.replace(/[^0-9]/g, "") === String(want)) { w.__fv.total = now; break; }
      }
    }
    if (w.__fv.progress === null && document.querySelector("[data-testid='stProgress']")) w.__fv.progress = now;
    const done = w.__fv.total !== null && !document.querySelector(busy)
                 && document.querySelector("[data-testid='stDataFrame'], [data-testid='stTable']") !== null;
    if (done && w.__fv.doneSince === null) w.__fv.doneSince = now;
    if (!done) w.__fv.doneSince = null;
  }
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true,
                                                 attributes: true});
  setInterval(check, 50);
})();
"""


def true_total(now: datetime, n_pages: int) -> int:
    """The 24 pages' total engagements over the 90 whole days ending yesterday (``last_90``),
    from the simulator's data, summed here."""
    from pancake.api.simulator import Simulator
    pages = many_pages(n_pages)
    sim = Simulator(now=now, pages=pages, timezone=TIMEZONE)
    today = now.date()
    days = [today - timedelta(days=i) for i in range(DAYS, 0, -1)]
    return sum(int(sim.truth.engagement_day(p.id, d).get("total", 0)) for p in pages for d in days)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Dashboard:
    """``streamlit run app.py`` on the simulator at ``api``, an empty store in a fresh directory,
    stopped by its own pid."""

    def __init__(self, api: str, page_ids: list[str], log: Path) -> None:
        from pancake.api.simulator import DEMO_USER_TOKEN
        from pancake.delivery import appserver
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
        self.dir = tempfile.mkdtemp(prefix="bench-first-view-")
        env.update(PANCAKE_BASE_URL=api, PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN,
                   PANCAKE_PAGE_TOKENS=",".join(f"{p}:tok-{p}" for p in page_ids),
                   PANCAKE_TIMEZONE=TIMEZONE, PANCAKE_CACHE_DIR=self.dir, XDG_CACHE_HOME=self.dir,
                   PYTHONPATH=str(ROOT))
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.server = appserver.AppServer(env, log=self.log, timeout=90)
        self.server.start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.log.close()


def new_context(browser, base: str, want: int, *, tall: bool = False):
    """A browser context with nothing cached (a new browser profile) that records the view's
    moments (``WATCH``)."""
    import json
    # screenshots: a window tall enough for every section (Streamlit scrolls inside the page)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2600 if tall else 900}, base_url=base)
    ctx.add_init_script(WATCH % {"want": json.dumps(want), "label": json.dumps(TOTAL_LABEL)})
    return ctx


def open_view(browser, base: str, want: int, *, shots: Path | None = None, ctx=None) -> dict:
    """``VIEW`` in a new tab of ``ctx`` (default: a new browser context, closed after): seconds to
    the true total, to the first card, to done."""
    own = ctx is None
    if own:
        ctx = new_context(browser, base, want, tall=shots is not None)
    page = ctx.new_page()
    try:
        page.goto(VIEW, wait_until="commit")
        deadline = time.monotonic() + TIMEOUT
        taken: set[str] = set()
        while time.monotonic() < deadline:
            fv = page.evaluate("window.__fv || {}")
            for name, ready in (("overview-start.png", fv.get("progress") is not None),       # the bar, no card
                                ("overview-mid-load.png", fv.get("total") is not None)):      # the cards, the rest loading
                if shots is not None and name not in taken and ready and fv.get("doneSince") is None:
                    page.screenshot(path=str(shots / name), full_page=True)
                    taken.add(name)
            since = fv.get("doneSince")
            if since is not None and page.evaluate("performance.now()") - since >= QUIET * 1000:
                if shots is not None:
                    page.screenshot(path=str(shots / "overview-done.png"), full_page=True)
                return {"total": fv["total"] / 1000, "card": fv["card"] / 1000, "done": since / 1000,
                        "progress_seen": fv.get("progress") is not None}
            page.wait_for_timeout(100)
        fv = page.evaluate("window.__fv || {}")
        if shots is not None:
            page.screenshot(path=str(shots / "overview-timeout.png"), full_page=True)
        raise TimeoutError(f"the overview was not done within {TIMEOUT:.0f} s: {fv}")
    finally:
        page.close()
        if own:
            ctx.close()


def quiet(sim: SimProcess, seconds: float = 1.5) -> None:
    """Until the simulator has had no new call for ``seconds``."""
    seen, since = -1, time.monotonic()
    while time.monotonic() - since < seconds:
        n = len(sim.raw_calls())
        if n != seen:
            seen, since = n, time.monotonic()
        time.sleep(0.25)


def one_run(browser, sim: SimProcess, page_ids: list[str], want: int, log: Path,
            shots: Path | None = None) -> dict:
    """A fresh dashboard: warmed by a cheap view, then the first view (timed, counted) and a
    second session."""
    dash = Dashboard(sim.url, page_ids, log)
    try:
        ctx = browser.new_context(base_url=dash.url)
        warm = ctx.new_page()
        warm.goto(WARMUP)
        warm.wait_for_selector("[data-testid='stAppViewContainer'] h1", timeout=TIMEOUT * 1000)
        ctx.close()
        quiet(sim)
        sim.reset()
        load0 = os.getloadavg()[0]
        cpu0 = cpu_seconds(dash.server.pid)
        ctx = new_context(browser, dash.url, want, tall=shots is not None)
        try:
            first = open_view(browser, dash.url, want, shots=shots, ctx=ctx)
            cpu = cpu_seconds(dash.server.pid) - cpu0
            calls = sim.raw_calls()
            stats = [c for c in calls if "/statistics/" in c[1]]
            sim.reset()
            tab = open_view(browser, dash.url, want, ctx=ctx)
        finally:
            ctx.close()
        second = open_view(browser, dash.url, want)
        again = [c for c in sim.raw_calls() if "/statistics/" in c[1]]
        return {"total": first["total"], "card": first["card"], "done": first["done"], "second": second["done"],
                "tab": tab["done"],
                "calls": len(stats), "over": over_limit(calls), "again": len(again), "cpu": cpu,
                "last": last_calls(stats),
                "load": (load0 + os.getloadavg()[0]) / 2, "progress_seen": first["progress_seen"]}
    finally:
        dash.stop()


def last_calls(stats: list) -> dict[str, float]:
    """When the last call of each statistics endpoint arrived, in seconds after the view's first
    statistics call (the simulator's clock): less sensitive to the load than the screen's times."""
    if not stats:
        return {}
    t0 = min(c[0] for c in stats)
    out: dict[str, float] = {}
    for t, path, _, _ in stats:
        kind = path.split("/statistics/", 1)[1].split("?", 1)[0]
        out[kind] = max(out.get(kind, 0.0), t - t0)
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def spread(xs: list[float], fmt: str = "{:.2f}") -> str:
    """min / median / max."""
    return " / ".join(fmt.format(x) for x in (min(xs), statistics.median(xs), max(xs)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.first_view", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", type=int, default=N_PAGES)
    ap.add_argument("--out", default="/tmp/bench-first-view.md")
    ap.add_argument("--shots", type=Path, default=None, help="a directory for a mid-load and a done screenshot")
    ap.add_argument("--no-prime", dest="prime", action="store_false",
                    help="no untimed first view to prime the simulator's memory (it then makes up every answer)")
    ap.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()) / "bench-first-view-logs")
    a = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    a.logs.mkdir(parents=True, exist_ok=True)
    now = datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)
    sim = SimProcess(a.pages, LATENCY, "--now", now.isoformat(), memo=a.prime)
    page_ids = [p.id for p in many_pages(a.pages)]
    rows, failed = [], False
    try:
        want = true_total(now, a.pages)
        print(f"true total of engagements, {a.pages} pages × {DAYS} days to {now.date() - timedelta(days=1)}: "
              f"{want:,}", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if a.prime:     # the simulator's answers made up once, untimed
                    one_run(browser, sim, page_ids, want, a.logs / "streamlit-prime.log")
                    print("primed the simulator (one untimed first view)", flush=True)
                for i in range(a.runs):
                    try:
                        r = one_run(browser, sim, page_ids, want, a.logs / f"streamlit-{i + 1}.log")
                    except Exception as exc:  # noqa: BLE001 - a failed run is reported, the others go on
                        print(f"run {i + 1}: FAILED: {exc}", flush=True)
                        failed = True
                        continue
                    rows.append(r)
                    failed |= r["over"] > 0
                    print(f"run {i + 1}: true total {r['total']:.2f} s (first card {r['card']:.2f} s), "
                          f"done {r['done']:.2f} s, second session {r['second']:.2f} s (a new tab "
                          f"{r['tab']:.2f} s); {r['calls']} statistics "
                          f"calls, {r['over']} over the limit, {r['again']} on the second session; "
                          f"dashboard CPU {r['cpu']:.1f} s; load average {r['load']:.1f}; last call of each "
                          f"kind after the first: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["last"].items()),
                          flush=True)
                if a.shots is not None:
                    a.shots.mkdir(parents=True, exist_ok=True)
                    one_run(browser, sim, page_ids, want, a.logs / "streamlit-shots.log", shots=a.shots)
                    print(f"screenshots in {a.shots}", flush=True)
            finally:
                browser.close()
    finally:
        sim.stop()
    if not rows:
        return 1
    table = ["| | min / median / max | target | met |", "| --- | ---: | ---: | --- |"]
    for key, name in (("total", "true total on screen (s)"), ("done", "done (s)"),
                      ("second", "second session (s)")):
        xs = [r[key] for r in rows]
        table.append(f"| {name} | {spread(xs)} | {TARGETS[key]:g} | "
                     f"{'yes' if max(xs) <= TARGETS[key] else 'median' if statistics.median(xs) <= TARGETS[key] else 'no'} |")
    table += [f"| second session in a new tab of the first one's browser (s) | "
              f"{spread([r['tab'] for r in rows])} | | |",
              f"| first card (s) | {spread([r['card'] for r in rows])} | | |",
              f"| statistics calls | {spread([r['calls'] for r in rows], '{:.0f}')} | | |",
              f"| over the limit | {spread([r['over'] for r in rows], '{:.0f}')} | 0 | "
              f"{'yes' if all(r['over'] == 0 for r in rows) else 'no'} |",
              f"| calls, second session | {spread([r['again'] for r in rows], '{:.0f}')} | | |",
              f"| dashboard CPU, first view (s) | {spread([r['cpu'] for r in rows], '{:.1f}')} | | |",
              f"| load average (1 min) | {spread([r['load'] for r in rows], '{:.1f}')} | | |"]
    for kind in dict.fromkeys(k for r in rows for k in r["last"]):
        xs = [r["last"][kind] for r in rows if kind in r["last"]]
        table.append(f"| last {kind} call, after the first call (s) | {spread(xs, '{:.1f}')} | | |")
    print("\n".join(table))
    command = " ".join(["python -m bench.first_view", *(argv if argv is not None else sys.argv[1:])])
    Path(a.out).write_text(
        f"# An agency's first view in Chromium: {a.pages} pages × {DAYS} days, compared\n\n"
        f"Command: `{command}` ({len(rows)} runs, {date.today()}; {os.cpu_count()} CPUs) — bench.sim_server in its "
        f"own process, {LATENCY * 1000:.0f} ms an answer, 5 calls/s/page enforced"
        f"{', answers from its memory (primed by one untimed view)' if a.prime else ', every answer made up'}; "
        f"a fresh dashboard and store each run.\n\n" + "\n".join(table) + "\n", encoding="utf-8")
    print(f"written to {a.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
