"""A webhook receiver on loopback for the notification tests: apprise's ``json://`` target (and
the Telegram and Zalo plugins pointed at it) post here. Every request is kept (path, headers,
body); a path containing ``/fail`` answers 500 while ``failing`` is set; a path containing
``/slow`` answers after ``delay`` seconds (a slow webhook: the request is kept when it arrives). Also a guard that
refuses any connection off loopback, so a test can never reach a real service."""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.failing = True
        self.delay = 0.0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                with owner._lock:
                    owner.requests.append(Request(self.command, self.path, dict(self.headers), body))
                if "/slow" in self.path and owner.delay:
                    time.sleep(owner.delay)      # the server is slow to answer (not a test waiting)
                fail = owner.failing and "/fail" in self.path
                payload = b'{"ok": false, "error": "boom"}' if fail else b'{"ok": true, "result": {}}'
                self.send_response(500 if fail else 200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = _handle

            def log_message(self, *args) -> None:   # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", scheme: str = "json", auth: str = "") -> str:
        return f"{scheme}://{auth + '@' if auth else ''}127.0.0.1:{self.port}{path}"

    def posts(self, path_part: str = "") -> list[Request]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def guard_network(monkeypatch) -> None:
    """Any socket connection to another host than loopback raises (in this process)."""
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in LOOPBACK:
            raise OSError(f"test guard: no network except loopback (tried {host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK:
            raise OSError(f"test guard: no name resolution except loopback (asked {host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
