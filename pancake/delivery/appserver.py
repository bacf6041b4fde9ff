"""The dashboard started on a free loopback port and stopped by its own pid (no Streamlit here).

One home for it: the standup picture (``pancake.delivery.picture``) and the browser tests
(``tests/browser/conftest.py``) both start ``streamlit run app.py`` this way.

    with AppServer(env) as server:      # waits for /_stcore/health
        server.url                      # http://127.0.0.1:<port>
    # stopped: SIGTERM to its pid, then SIGKILL after ``grace`` seconds

Only loopback: the server is never reachable from another machine.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from pancake.procs import stop as stop  # stop a process we started, by its pid (the tests' too)

ROOT = Path(__file__).resolve().parents[2]   # where app.py is
HOST = "127.0.0.1"


# ``python -m streamlit`` after importing what every page imports: the imports run while the
# server starts (and the caller starts its browser), not during the first page's run. It also
# ends itself when the process that started it is gone (killed: no ``finally`` ran there).
PRELOAD = """
import os, sys, threading, time
_parent = int(sys.argv.pop(1))   # the starter's pid, given: it may be gone before this line runs
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])


def _orphaned():
    while os.getppid() == _parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=_orphaned, daemon=True, name="pancake-parent-watch").start()
try:
    import pandas, plotly.graph_objects  # noqa: F401
    import pancake.numbers.charts, pancake.delivery.digest, pancake.numbers.views.standup  # noqa: F401
except Exception:  # noqa: BLE001 - only a head start: the page imports them again if need be
    pass
from streamlit.web.cli import main
sys.argv[0] = "streamlit"
sys.exit(main())
"""


class AppServerError(RuntimeError):
    """The dashboard did not start (it exited, or did not answer in time)."""


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` (or ``script``, e.g. serve.py) on a free loopback port with ``env`` as its whole environment.
    ``log``: a file for its output (default: discarded). ``start()`` raises
    :class:`AppServerError` (after stopping it) when it does not answer within ``timeout`` s."""

    def __init__(self, env: Mapping[str, str], *, log: IO | None = None, timeout: float = 60.0,
                 port: int | None = None, script: str = "app.py") -> None:
        self.env = dict(env)
        self.script = script          # app.py, or serve.py (the same app with the session endpoint)
        self.env.update(STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", STREAMLIT_SERVER_HEADLESS="true")
        self.log = log
        self.timeout = timeout
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> AppServer:
        """Spawn it and wait until it answers."""
        self.spawn()
        self.wait_ready()
        return self

    def spawn(self) -> AppServer:
        """Start the process without waiting (do something else meanwhile, then ``wait_ready``)."""
        out = self.log if self.log is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PRELOAD, str(os.getpid()), "run", str(ROOT / self.script), "--server.port", str(self.port),
             "--server.address", HOST, "--server.headless", "true", "--server.fileWatcherType", "none",
             "--server.baseUrlPath", "",   # at the root, whatever the deployment's config says
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self) -> None:
        """Until ``/_stcore/health`` answers; stopped and :class:`AppServerError` when it exits or
        does not answer within ``timeout`` s."""
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc is not None and self.proc.poll() is not None:
                raise AppServerError(f"the dashboard exited at start (status {self.proc.returncode})")
            if time.monotonic() > deadline:
                raise AppServerError(f"the dashboard did not answer within {self.timeout:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

