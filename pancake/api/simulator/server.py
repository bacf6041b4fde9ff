"""Serve a ``Simulator`` over real HTTP (stdlib ``ThreadingHTTPServer``), loopback by default.

Every request is bridged into the same ``Simulator.handler`` the in-process
``httpx.MockTransport`` uses. Request logging is switched off: URLs carry tokens.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from pancake.api.simulator._app import Simulator
from pancake.api.simulator._faults import Faults

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class _Handler(BaseHTTPRequestHandler):
    sim: Simulator  # set on the subclass made by make_server
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle's algorithm the body
    # waited for the client's delayed ACK of the headers, 40 ms an answer on a kept-alive connection
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - never log URLs (they carry tokens)
        pass

    def _bridge(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
        try:
            req = httpx.Request(self.command, f"http://{host}{self.path}", headers=headers, content=body)
            resp = self.sim.handler(req)
            data = resp.content
            status = resp.status_code
            out_headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in _HOP]
        except Exception:  # a bug in the simulator must not kill the server thread
            status, data = 500, b'{"errors":{"detail":"Internal Server Error"}}'
            out_headers = [("content-type", "application/json")]
        self.send_response(status)
        for k, v in out_headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _bridge


class QuietServer(ThreadingHTTPServer):
    """The stdlib's threading server, minus the traceback it prints when a client hangs up
    mid-answer (a stopped dashboard or filler, a test's timeout): that is the client's choice,
    not the simulator's error. Other errors are printed as before."""
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def make_server(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    handler = type("SimHandler", (_Handler,), {"sim": sim})
    return QuietServer((host, port), handler)


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start serving in a daemon thread. Stop with ``server.shutdown(); server.server_close()``.
    The bound port is ``server.server_address[1]``."""
    server = make_server(sim, host, port)
    thread = threading.Thread(target=server.serve_forever, name="pancake-simulator", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pancake.api.simulator", description="Fake Pancake API over HTTP")
    ap.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    ap.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    ap.add_argument("--fault", action="append", default=[],
                    help="KIND[:key=value,...] e.g. 429:every=7,retry_after=1  502:prob=0.05  "
                         "slow:latency=2,path=statistics (repeatable)")
    ap.add_argument("--dead-token-page", action="append", default=[], help="page id answering 105")
    ap.add_argument("--pages-shape", choices=("categorized", "documented"), default="categorized")
    ap.add_argument("--now", help="freeze 'now' (local ISO time, e.g. 2026-07-06T14:30:00)")
    ap.add_argument("--timezone", default="Asia/Ho_Chi_Minh")
    ap.add_argument("--no-rate-limit", action="store_true")
    args = ap.parse_args(argv)
    faults = Faults(rules=[Faults.parse(f) for f in args.fault], seed=args.seed,
                    dead_token_pages=frozenset(args.dead_token_page))
    sim = Simulator(seed=args.seed, latency=args.latency, faults=faults, pages_shape=args.pages_shape,
                    now=datetime.fromisoformat(args.now) if args.now else None, timezone=args.timezone,
                    rate_limit_per_second=0 if args.no_rate_limit else 5.0)
    server = make_server(sim, args.host, args.port)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"Pancake simulator listening on http://{shown}:{port}/api", flush=True)

    serve_until_signalled(server)
    return 0


def serve_until_signalled(server) -> None:
    """Serve until SIGTERM or SIGINT (stop it by its pid), then close the socket."""
    def stop(signum, frame):  # shutdown() blocks until serve_forever returns: call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
