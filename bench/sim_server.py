"""The simulator over HTTP for the benchmarks and the timing tests, in its own process:
``python -m bench.sim_server --pages 20 --latency 0.2 [--port 0] [--now 2026-11-24T15:30]``.

- Pages ``9000…0`` .. ``9000…N-1`` (the demo shops' shapes, repeated), page token ``tok-<id>``.
- The 5 calls/s/page limit is enforced as the simulator does (``--no-rate-limit`` to lift it).
- ``--memo`` answers a repeated request from memory (same route and parameters; tokens are
  still checked): the simulator's own CPU time would otherwise be what is measured (the simulator
  itself keeps only its last few hundred answers).
- ``GET /__bench/calls`` -> ``[[t, path, page_id, status], ...]`` (``t`` on this process's
  monotonic clock, taken when the request arrived); ``POST /__bench/reset`` empties it.
- A listen backlog of 512: the stdlib's 5 makes simultaneous connections wait for SYN retries.

Prints ``listening on http://127.0.0.1:PORT/api`` once ready. Stop it with SIGTERM (its pid).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from datetime import datetime
from pathlib import Path

import httpx

from pancake.api.simulator import DEMO_PAGES, PageSpec, Simulator
from pancake.api.simulator.server import QuietServer, _Handler, serve_until_signalled

NOW = datetime(2026, 11, 24, 15, 30)


def page_ids(n: int) -> list[str]:
    return [f"9{i:014d}" for i in range(n)]


def many_pages(n: int) -> list[PageSpec]:
    """``n`` simulated pages: the demo pages' shapes over and over, each with its own id."""
    base = list(DEMO_PAGES)
    return [PageSpec(**{**base[i % len(base)].__dict__, "id": pid, "name": f"{base[i % len(base)].name} #{i}"})
            for i, pid in enumerate(page_ids(n))]


def token(pid: str) -> str:
    return f"tok-{pid}"


class MemoSimulator(Simulator):
    """Answers a repeated statistics request from memory (after the limit and auth checks)."""

    def __init__(self, *a, memo: bool = False, **kw) -> None:
        super().__init__(*a, **kw)
        self._memo_on = memo
        self._memo: dict[tuple, httpx.Response] = {}
        self._memo_lock = threading.Lock()

    def _route(self, method, path, m):
        route = super()._route(method, path, m)
        if route is None or not self._memo_on:
            return route
        fn, args = route

        def cached(params, body, *a):
            key = (fn.__name__, a, tuple(sorted((k, v) for k, v in params.items()
                                                if k not in ("access_token", "page_access_token"))))
            with self._memo_lock:
                hit = self._memo.get(key)
            if hit is not None:
                return httpx.Response(hit.status_code, content=hit.content, headers=hit.headers)
            resp = fn(params, body, *a)
            with self._memo_lock:
                self._memo[key] = resp
            return httpx.Response(resp.status_code, content=resp.content, headers=resp.headers)
        return cached, args


class _BenchHandler(_Handler):
    def _bridge(self) -> None:
        if self.path.startswith("/__bench/"):
            if self.path.startswith("/__bench/calls"):
                body = json.dumps([[c.t, c.path, c.page_id, c.status] for c in self.sim.calls]).encode()
            else:
                self.sim.reset_calls()
                body = b"[]"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super()._bridge()

    do_GET = do_POST = _bridge


class _Server(QuietServer):
    request_queue_size = 512


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sim_server")
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--now", default=NOW.isoformat(), help="the shops' local now (ISO)")
    ap.add_argument("--memo", action="store_true", help="answer repeated requests from memory")
    ap.add_argument("--no-rate-limit", action="store_true")
    args = ap.parse_args(argv)
    pages = many_pages(args.pages)
    sim = MemoSimulator(now=datetime.fromisoformat(args.now), pages=pages, latency=args.latency,
                        page_tokens={p.id: token(p.id) for p in pages}, memo=args.memo,
                        rate_limit_per_second=0 if args.no_rate_limit else 5.0)
    server = _Server(("127.0.0.1", args.port), type("BenchSim", (_BenchHandler,), {"sim": sim}))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/api", flush=True)

    serve_until_signalled(server)
    return 0


class SimProcess:
    """``python -m bench.sim_server`` in its own process (its CPU does not share our GIL), stopped
    by its pid: ``url``, ``raw_calls()`` (``[[t, path, page_id, status], ...]``), ``reset()``, ``stop()``."""

    def __init__(self, pages: int, latency: float, *extra: str, memo: bool = True) -> None:
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.sim_server", "--pages", str(pages),
                                      "--latency", str(latency), *(["--memo"] if memo else []), *extra], cwd=root,
                                     stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(root)})
        line = self.proc.stdout.readline()
        m = re.search(r"(http://\S+/api)", line)
        if not m:
            self.stop()
            raise RuntimeError(f"bench.sim_server did not start: {line!r}")
        self.url = m.group(1)

    def raw_calls(self) -> list:
        return json.loads(urllib.request.urlopen(self.url.replace("/api", "/__bench/calls"), timeout=30).read())

    def reset(self) -> None:
        req = urllib.request.Request(self.url.replace("/api", "/__bench/reset"), method="POST")
        urllib.request.urlopen(req, timeout=30).read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


if __name__ == "__main__":
    sys.exit(main())
