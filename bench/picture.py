"""The standup as a picture: ``make bench-picture`` (``python -m bench.picture [--runs 3] [--pages 1]``).

Setup: the demo simulator over HTTP on loopback (in this process), a fresh store warmed the way
``digest --picture`` warms it (``picture.warm``, through a CLI loader), then ``picture.render``
of yesterday's standup screen ``--runs`` times per language: each run starts its own dashboard
and Chromium and stops them. Reports per run the seconds from start to the PNG, the API calls
the screen made (the store should leave it only the page list), and the machine's load average
(the machine is shared: read the figure with it). Target (issue 22): under 10 s on 2 cores.
The PNGs are kept in ``test-artifacts/bench-picture/`` to look at.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 10.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", type=int, default=1, help="how many of the demo pages (1-5)")
    ap.add_argument("--out", default=str(ROOT / "test-artifacts" / "bench-picture"))
    args = ap.parse_args(argv)

    from pancake import config
    from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator, serve
    from pancake.delivery import cli_common, picture
    chromium, why = config.chromium()
    if chromium is None:
        print(f"no picture: {why}", file=sys.stderr)
        return 1
    sim = Simulator()
    server, _ = serve(sim, "127.0.0.1", 0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-picture-") as cache:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
            env.update(PANCAKE_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/api",
                       PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN, PANCAKE_CACHE_DIR=cache,
                       PANCAKE_PAGE_TOKENS=",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()))
            os.environ.clear()
            os.environ.update(env)
            loader = cli_common.make_loader(config.load_settings())
            page_ids = list(DEMO_PAGE_TOKENS)[: max(1, min(args.pages, len(DEMO_PAGE_TOKENS)))]
            day = sim.today() - timedelta(days=1)
            t = time.monotonic()
            picture.warm(loader, page_ids, {}, day, day, day)
            print(f"store warmed in {time.monotonic() - t:.1f} s ({len(sim.calls)} API calls); "
                  f"{len(page_ids)} page(s), {day}")
            print("| run | lang | seconds | screen's API calls | PNG | load average (1 min) |")
            print("| ---: | --- | ---: | --- | ---: | ---: |")
            seconds = []
            for lang in ("vi", "en"):
                for run in range(1, args.runs + 1):
                    before = len(sim.calls)
                    pic = picture.render(page_ids, day, day, lang=lang, chromium=chromium, env=env, day=day)
                    calls = sorted({c.path.rsplit("/api", 1)[-1] for c in sim.calls[before:]})
                    seconds.append(pic.seconds)
                    (out / f"standup-{lang}-{run}.png").write_bytes(pic.png)
                    print(f"| {run} | {lang} | {pic.seconds:.1f} | {', '.join(calls) or 'none'} | "
                          f"{len(pic.png) // 1024} KiB | {os.getloadavg()[0]:.1f} |")
            med = statistics.median(seconds)
            print(f"median {med:.1f} s, max {max(seconds):.1f} s (target < {TARGET_S:g} s: "
                  f"{'met' if max(seconds) < TARGET_S else 'NOT met'}); PNGs in {out}")
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
