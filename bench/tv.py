"""The idle TV's API budget: ``python -m bench.tv [--pages 24] [--minutes 60]``.

The standup screen (``kiosk=1``, ``refresh=1``, the six sections rotating) for every page, run
in AppTest once a minute of an injected clock: ``time.time`` and ``time.monotonic`` are moved
on a minute between runs (the dashboard's TTLs, the loader's memory, the conversations'
freshness, Streamlit's caches all read them), so an hour of the TV costs a minute or two of
real time. The simulator runs in this process and counts the calls it answers (the client's
5 calls/s/page pace runs on a fake clock: no real waiting). The shop's own clock is the real
one: an idle TV, not an idle shop (a waiting list that changes still costs its one call).

Printed and written to ``--out`` (default /tmp/bench-tv.md): the first run's calls (a cold
start), the next ``--warmup`` minutes (the first walks' background rest), then the calls per
minute over the next ``--minutes`` minutes (the idle TV), by endpoint. Target:
under ``TARGET_PER_MINUTE`` calls a minute for 24 pages; exits 1 when missed or a run raised.
"""
from __future__ import annotations

import time as _time

# The injected clock first: the modules imported below bind time.time / time.monotonic as
# default arguments when they are imported.
_REAL_TIME, _REAL_MONO = _time.time, _time.monotonic
_OFFSET = [0.0]
_time.time = lambda: _REAL_TIME() + _OFFSET[0]
_time.monotonic = lambda: _REAL_MONO() + _OFFSET[0]

import argparse  # noqa: E402 - after the clock
import logging  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.pages import _client_factory, _quiet_streamlit  # noqa: E402
from bench.sim_server import many_pages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
N_PAGES = 24
MINUTES = 60
WARMUP = 10
TARGET_PER_MINUTE = 30
SECTIONS = "overview,staff,ads,customers,activity,tags"
SIMS: list = []


def use_simulator(n_pages: int) -> None:
    """Demo mode's setup with the simulator kept at hand (its call log)."""
    from pancake.api.simulator import Simulator
    from pancake.data import core
    pages = many_pages(n_pages)

    def transport(settings, clock):
        sim = Simulator(timezone=settings.timezone, pages=pages, clock=clock, sleep=clock.sleep,
                        include_inactive_page=False)
        SIMS.append(sim)
        return sim.transport()
    core.make_client = _client_factory(transport)


def endpoint(path: str) -> str:
    """``/api/public_api/v1/pages/<id>/statistics/pages`` -> ``v1 statistics/pages``."""
    m = re.search(r"/(v\d)/pages/[^/]+/(.+)$", path)
    if m:
        return f"{m.group(1)} {re.sub(r'/[0-9]{6,}(?=/|$)', '/{id}', m.group(2))}"
    m = re.search(r"/(v\d)/(.+)$", path)
    return f"{m.group(1)} {m.group(2)}" if m else path


def calls() -> list:
    return [c for sim in SIMS for c in sim.calls]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tv", description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=N_PAGES)
    ap.add_argument("--minutes", type=int, default=MINUTES, help="minutes of the TV measured after its first run")
    ap.add_argument("--warmup", type=int, default=WARMUP,
                    help="minutes after the first run left out of the idle figure (the first walks' background rest)")
    ap.add_argument("--out", default="/tmp/bench-tv.md")
    a = ap.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("PANCAKE_")]:
        del os.environ[key]
    os.environ["PANCAKE_DEMO"] = "1"
    os.environ["PANCAKE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-tv-")
    sys.path.insert(0, str(ROOT))
    logging.getLogger("pancake").setLevel(logging.ERROR)
    use_simulator(a.pages)
    from streamlit.testing.v1 import AppTest
    _quiet_streamlit()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params.update({"pages": "all", "lang": "vi", "kiosk": "1", "refresh": "1", "rotate": SECTIONS})
    at.run()
    failed = len(at.exception)
    cold = len(calls())
    cold_by = Counter(endpoint(c.path) for c in calls())
    print(f"first run: {cold} calls", flush=True)
    mark = cold
    per_minute = []
    warm_mark = cold
    for minute in range(1, a.warmup + a.minutes + 1):
        _OFFSET[0] += 60.0
        at.run()
        failed += len(at.exception)
        n = len(calls())
        per_minute.append(n - mark)
        mark = n
        if minute == a.warmup:
            warm_mark = n
        if minute % 10 == 0:
            print(f"  minute {minute}: {sum(per_minute[-10:]) / 10:.1f} calls/min over the last 10", flush=True)
    warm = sum(per_minute[:a.warmup]) / max(1, a.warmup)
    steady = calls()[warm_mark:]
    idle = per_minute[a.warmup:]
    by = Counter(endpoint(c.path) for c in steady)
    rate = len(steady) / max(1, a.minutes)
    met = rate < TARGET_PER_MINUTE or a.pages != N_PAGES
    print(f"{'PASS' if met else 'MISS'}  {rate:.1f} calls/min over {a.minutes} idle min after {a.warmup} "
          f"(target < {TARGET_PER_MINUTE} for {N_PAGES} pages); busiest idle minute {max(idle, default=0)}; "
          f"the first {a.warmup} min: {warm:.1f} calls/min", flush=True)
    for name, n in by.most_common():
        print(f"  {name:<40} {n / a.minutes:6.1f}/min", flush=True)
    command = " ".join(["python -m bench.tv", *(argv if argv is not None else sys.argv[1:])])
    rows = "\n".join(f"| {name} | {n / a.minutes:.1f} | {cold_by.get(name, 0)} |" for name, n in by.most_common())
    Path(a.out).write_text(
        f"# The idle TV's API calls: {a.pages} pages, refresh=1, six sections rotating\n\n"
        f"Command: `{command}`. First run (cold): {cold} calls; the next {a.warmup} minutes (the first "
        f"walks' background rest): {warm:.1f} calls/min. Then {a.minutes} idle minutes of an injected "
        f"clock: {rate:.1f} calls/min (busiest minute {max(idle, default=0)}), target < "
        f"{TARGET_PER_MINUTE}: {'met' if met else 'MISSED'}. Exceptions: {failed}.\n\n"
        "| endpoint | calls/min (idle) | first run |\n|---|---:|---:|\n" + rows + "\n", encoding="utf-8")
    print(f"written to {a.out}")
    return 0 if met and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
