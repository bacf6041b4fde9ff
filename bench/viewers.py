"""Several viewers at once: ``python -m bench.viewers [--viewers 10] [--pages 24] [--range last_30] [--dwell 5]``.

Issue 20's "ten viewers at once", measurable on the development machine: ``--viewers`` sessions
(AppTest, each in its own thread, all at the same time) each move through ``PAGES`` once,
starting at a different page, reading each page ``--dwell`` seconds on average before the next,
on ``--pages`` simulated pages over ``--range``. Then, from an empty memory and store again, the
same viewers one at a time: the same page loads, each with one viewer on the server ("one
viewer's page loads on the same pages"). The API is ``bench.sim_server`` in its own process (no
pacing, no latency: its data is not our memory); the dashboard's client runs on a fake clock, so
what is timed is our own work, the simulator's and the waiting for each other; the messages'
filler (``bench.fill_worker``) is paced on the real clock, as against the API.

Printed and written to ``--out`` (default /tmp/bench-viewers.md): every page load's seconds
(median, p90, slowest) for the viewers together and for one viewer, the API calls of each
(single flight: at once they should cost what they cost one at a time, not more), our CPU and the
API's, and the process's peak RSS (while they are at once). Targets: p90 with the viewers within
2× one viewer's, peak RSS < 400 MB, API calls < 1.5× one viewer's. Exits 1 when one is missed or a
run raised. ``--at-once-only`` also prints each page's median and slowest load.

Last figures: README "Viewers who read, a fill paced like the API's, a faster simulator" (at once
median 0.2 s, p90 7.3 s, peak RSS 602 MB; one at a time median 0.2 s, p90 0.5 s; single flight met:
0.56×). The p90 at once is the ten first loads of a process started on an empty store, all at
the same moment; every later load took at most 1.0 s. The figures of the filler come from its own
/proc VmHWM (a forked child's ``ru_maxrss`` counts its parent's pages).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.pages import ApiServer, _quiet_streamlit, rss_mb, use_server

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "engagement", "staff", "conversations", "tags", "ads", "customers", "activity")
VIEWERS = 10
N_PAGES = 24
RANGE = "last_30"
DWELL = 5.0
P90_FACTOR = 2.0
RSS_TARGET_MB = 400
CALLS_FACTOR = 1.5


def cpu_seconds() -> float:
    """This process's CPU seconds so far (user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def children() -> float:
    """The ended child processes' CPU seconds: the fillers once stopped (the API server is a
    child too, but ends only with the run). (Not their ``ru_maxrss``: a child forked from this
    process counts this process's resident pages until its exec.)"""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def process_cpu(pid: int) -> float:
    """A running process's CPU seconds (user + system, all its threads), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fillers_peak_mb() -> float:
    """The largest peak RSS (VmHWM, MB) of the filler processes still running (before they are
    stopped); 0 when none runs."""
    from pancake.data import filler
    peak = 0.0
    for pid in list(filler._STARTED):
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return peak


def p90(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))] if xs else float("nan")


def api_calls(server: ApiServer) -> int:
    with urllib.request.urlopen(server.url.rsplit("/api", 1)[0] + "/__bench/calls", timeout=30) as r:
        return len(json.loads(r.read()))


def reset_calls(server: ApiServer) -> None:
    req = urllib.request.Request(server.url.rsplit("/api", 1)[0] + "/__bench/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=30).read()


def fresh_state() -> None:
    """An empty memory and a new, empty store (a process just started)."""
    import streamlit as st
    os.environ["PANCAKE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-viewers-")
    st.cache_data.clear()
    st.cache_resource.clear()


HARNESS_POLL = 0.02   # seconds between AppTest's looks for the end of a run (its own: 0.001)


def quiet_harness() -> None:
    """AppTest waits for a run's end by looking every millisecond through the run's events: ten
    such loops took ~15% of the process's CPU away from the sessions (cProfile, thread time),
    work a browser session does not cause. Look every ``HARNESS_POLL`` s instead, in both phases
    (a run's end is seen at most that much later)."""
    from streamlit.testing.v1 import local_script_runner as lsr

    def require_widgets_deltas(runner, timeout: float = 3) -> None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            time.sleep(HARNESS_POLL)
            if runner.script_stopped():
                return
        runner.request_stop()
        runner.join()
        raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")
    lsr.require_widgets_deltas = require_widgets_deltas


def viewer(order: list[str], range_: str, out: list[tuple[str, float, int]], *, dwell: float = 0.0,
           seed: int = 0) -> None:
    """One session moving through ``order``: (page, seconds, exceptions) per page load. Between two
    loads the viewer reads the page for ``dwell`` seconds on average (uniformly 0.5× to 1.5×, from
    ``seed``), as a person does; 0: the next page at once."""
    from streamlit.testing.v1 import AppTest
    rng = random.Random(seed)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params.update({"pages": "all", "range": range_, "lang": "vi"})
    for k, page in enumerate(order):
        if k and dwell > 0:
            time.sleep(dwell * rng.uniform(0.5, 1.5))
        at.switch_page(f"app_pages/{page}.py")
        t0 = time.perf_counter()
        try:
            at.run()
            out.append((page, time.perf_counter() - t0, len(at.exception)))
            for e in at.exception:
                print(f"exception on {page}: {str(e.message).splitlines()[0][:300]}", file=sys.stderr, flush=True)
        except Exception as exc:  # noqa: BLE001 - a run that raised (a timeout) counts as an exception
            out.append((page, time.perf_counter() - t0, 1))
            print(f"run of {page} raised: {exc!r}"[:300], file=sys.stderr, flush=True)


def phase(n: int, range_: str, *, at_once: bool, dwell: float = 0.0) -> tuple[list[tuple[str, float, int]], float]:
    """``n`` viewers, viewer i starting at page i, all at once or one after another (the same
    loads without each other's company): (every load, wall seconds)."""
    loads: list[tuple[str, float, int]] = []
    orders = [[PAGES[(i + k) % len(PAGES)] for k in range(len(PAGES))] for i in range(n)]
    t0 = time.perf_counter()
    if not at_once:
        for i, o in enumerate(orders):
            viewer(o, range_, loads, dwell=dwell, seed=i)
        return loads, time.perf_counter() - t0
    threads = [threading.Thread(target=viewer, args=(o, range_, loads), kwargs={"dwell": dwell, "seed": i},
                                name=f"viewer-{i}")
               for i, o in enumerate(orders)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return loads, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.viewers", description=__doc__.splitlines()[0])
    ap.add_argument("--viewers", type=int, default=VIEWERS)
    ap.add_argument("--pages", type=int, default=N_PAGES)
    ap.add_argument("--range", default=RANGE)
    ap.add_argument("--dwell", type=float, default=DWELL,
                    help="seconds a viewer reads a page before the next, on average (0: none)")
    ap.add_argument("--out", default="/tmp/bench-viewers.md")
    ap.add_argument("--at-once-only", action="store_true",
                    help="only the viewers at once (figures to set beside an earlier run's one at a time)")
    a = ap.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("PANCAKE_") and not k.startswith("PANCAKE_MEMORY_")]:
        del os.environ[key]
    os.environ["PANCAKE_DEMO"] = "1"
    sys.path.insert(0, str(ROOT))
    logging.getLogger("pancake").setLevel(logging.ERROR)
    _quiet_streamlit()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    quiet_harness()
    from pancake.data import filler
    server = ApiServer(a.pages)
    load_start = os.getloadavg()
    try:
        use_server(server)
        # the messages' filler process (one per store) against the same server, on a fake clock too
        filler.COMMAND = [sys.executable, "-m", "bench.fill_worker", server.url]
        fresh_state()
        reset_calls(server)
        cpu0, api0 = cpu_seconds(), process_cpu(server.proc.pid)
        many, many_wall = phase(a.viewers, a.range, at_once=True, dwell=a.dwell)
        many_calls = api_calls(server)
        many_cpu, many_api = cpu_seconds() - cpu0, process_cpu(server.proc.pid) - api0
        peak = rss_mb()[1]
        fill_peak = fillers_peak_mb()
        stopped = filler.stop_started()       # by pid; the next phase starts from an empty store
        fill_cpu = children()
        print(f"{a.viewers} viewers: {len(many)} loads in {many_wall:.1f} s, {many_calls} API calls, "
              f"peak RSS {peak:.0f} MB, {many_cpu:.0f} s CPU (the API's: {many_api:.0f} s); filler processes stopped: {len(stopped)} "
              f"(their CPU {fill_cpu:.0f} s, peak RSS {fill_peak:.0f} MB)", flush=True)
        if a.at_once_only:
            print(f"10 viewers at once only: median {statistics.median([s for _, s, _ in many]):.1f} s, "
                  f"p90 {p90([s for _, s, _ in many]):.1f} s (dwell {a.dwell:g} s), slowest {max(s for _, s, _ in many):.1f} s; "
                  f"filler peak RSS {fill_peak:.0f} MB; load {load_start[0]:.1f} -> {os.getloadavg()[0]:.1f}; "
                  f"exceptions {sum(x for _, _, x in many)}; staff median "
                  f"{statistics.median([s for q, s, _ in many if q == 'staff']):.1f} s", flush=True)
            print("per page, median / slowest (s): " + ", ".join(
                f"{p} {statistics.median([s for q, s, _ in many if q == p]):.1f} / "
                f"{max(s for q, s, _ in many if q == p):.1f}" for p in PAGES), flush=True)
            return 0
        fresh_state()
        reset_calls(server)
        cpu0, api0 = cpu_seconds(), process_cpu(server.proc.pid)
        one, one_wall = phase(a.viewers, a.range, at_once=False, dwell=a.dwell)
        one_calls = api_calls(server)
        one_cpu, one_api = cpu_seconds() - cpu0, process_cpu(server.proc.pid) - api0
        filler.stop_started()
        print(f"{a.viewers} viewers one at a time: {len(one)} loads in {one_wall:.1f} s, {one_calls} API calls, "
              f"{one_cpu:.0f} s CPU", flush=True)
    finally:
        filler.stop_started()
        server.stop()
    secs_many, secs_one = [s for _, s, _ in many], [s for _, s, _ in one]
    exc = sum(x for _, _, x in many) + sum(x for _, _, x in one)
    p90_met = p90(secs_many) <= P90_FACTOR * p90(secs_one)
    rss_met = peak < RSS_TARGET_MB
    calls_met = many_calls <= CALLS_FACTOR * max(1, one_calls)
    lines = [
        "| | loads | median (s) | p90 (s) | slowest (s) | API calls | wall (s) | CPU (s) | the API's CPU (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {a.viewers} viewers at once | {len(many)} | {statistics.median(secs_many):.1f} | {p90(secs_many):.1f} "
        f"| {max(secs_many):.1f} | {many_calls} | {many_wall:.0f} | {many_cpu:.0f} | {many_api:.0f} |",
        f"| the same viewers one at a time | {len(one)} | {statistics.median(secs_one):.1f} | {p90(secs_one):.1f} | {max(secs_one):.1f} "
        f"| {one_calls} | {one_wall:.0f} | {one_cpu:.0f} | {one_api:.0f} |",
    ]
    verdict = (f"p90 within {P90_FACTOR:g}× one viewer's: {'met' if p90_met else 'MISSED'} "
               f"({p90(secs_many) / p90(secs_one):.1f}×); API calls within {CALLS_FACTOR:g}× one viewer's: "
               f"{'met' if calls_met else 'MISSED'} ({many_calls / max(1, one_calls):.2f}×); peak RSS "
               f"{peak:.0f} MB (target < {RSS_TARGET_MB}: {'met' if rss_met else 'MISSED'}); exceptions: {exc}")
    print("\n".join(lines) + "\n" + verdict, flush=True)
    by_page = "\n".join(f"| {p} | {statistics.median([s for q, s, _ in many if q == p]):.1f} | "
                        f"{statistics.median([s for q, s, _ in one if q == p]):.1f} |" for p in PAGES)
    command = " ".join(["python -m bench.viewers", *(argv if argv is not None else sys.argv[1:])])
    Path(a.out).write_text(
        f"# {a.viewers} viewers at once: {a.pages} pages, {a.range}\n\nCommand: `{command}`. {os.cpu_count()} CPUs, "
        f"load average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; the filler "
        f"processes of the first phase: {fill_cpu:.0f} s CPU, peak RSS {fill_peak:.0f} MB; a viewer reads each page "
        f"{a.dwell:g} s on average before the next; AppTest looks for a run's end every "
        f"{HARNESS_POLL * 1000:.0f} ms.\n\n" + "\n".join(lines) + f"\n\n{verdict}\n\n"
        "| page | median at once (s) | median one at a time (s) |\n|---|---:|---:|\n" + by_page + "\n",
        encoding="utf-8")
    print(f"written to {a.out}")
    return 0 if p90_met and rss_met and calls_met and not exc else 1


if __name__ == "__main__":
    sys.exit(main())
