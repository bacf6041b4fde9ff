"""Running ``digest`` and ``alert`` as a scheduler would: a subprocess talking HTTP to the
simulator on loopback, sending to a receiver on loopback.

Through ``python -m pancake`` once ``pancake/delivery/cli.py`` wires ``pancake.delivery.cli_notify`` in; until then
through a stand-in entry point that builds the same subcommands with ``cli_notify.add_parsers``
and dispatches to ``cli_notify.run`` (what the wiring does), so the same tests hold either way.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
from tests import forkrun
from tests.pancake.unpaced import PRELUDE

ROOT = Path(__file__).resolve().parents[2]

STAND_IN = """
import argparse, sys
from pancake.delivery import cli_notify
from pancake.redact import install_log_redaction
install_log_redaction()
parser = argparse.ArgumentParser(prog="python -m pancake")
cli_notify.add_parsers(parser.add_subparsers(dest="command", required=True))
sys.exit(cli_notify.run(parser.parse_args(sys.argv[1:]), sys.stdout, sys.stderr))
"""


def wired() -> bool:
    """Whether ``python -m pancake`` has the digest and alert commands (the lead's wiring)."""
    from pancake.delivery import cli
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return "digest" in sub.choices and "alert" in sub.choices


# the same entry point with every log record at DEBUG on stderr (what a curious admin would turn on)
DEBUG = """
import logging, runpy, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
runpy.run_module("pancake", run_name="__main__", alter_sys=True)
"""


MAIN = """
import runpy
runpy.run_module("pancake", run_name="__main__", alter_sys=True)
"""


# a test's one "now" (``TEST_NOW_UTC``, ISO with its offset) for the command, as the dashboard's is
# pinned with ``ui.cache.now_utc``: ``cli_notify.now_utc`` and the loader's today
PIN_NOW = """
import os as _os
if _os.environ.get("TEST_NOW_UTC"):
    from datetime import datetime as _dt
    from pancake import timeutil as _tu
    from pancake.delivery import cli_notify as _cn
    _pinned = _dt.fromisoformat(_os.environ["TEST_NOW_UTC"])
    _cn.now_utc = lambda: _pinned
    _local_today = _tu.local_today
    _tu.local_today = lambda tz, now=None: _local_today(tz, now or _pinned)
"""


def command(debug: bool = False) -> list[str]:
    """Unpaced (``tests.pancake.unpaced``): the simulator these commands talk to counts no rate
    limit (``sim_server``)."""
    if debug:
        return [sys.executable, "-c", PRELUDE + PIN_NOW + (DEBUG if wired() else "import logging, sys\n"
                "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n" + STAND_IN)]
    return [sys.executable, "-c", PRELUDE + PIN_NOW + (MAIN if wired() else STAND_IN)]


def environment(base_url: str, cache_dir, *, access_token: str | None = DEMO_USER_TOKEN, page_tokens=None,
                env_extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env["PANCAKE_CACHE_DIR"] = str(cache_dir)
    env["PANCAKE_BASE_URL"] = base_url
    if access_token:
        env["PANCAKE_ACCESS_TOKEN"] = access_token
    tokens = DEMO_PAGE_TOKENS if page_tokens is None else page_tokens
    if tokens:
        env["PANCAKE_PAGE_TOKENS"] = ",".join(f"{k}:{v}" for k, v in tokens.items())
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    return env


def run(args, base_url: str, cache_dir, *, access_token: str | None = DEMO_USER_TOKEN, page_tokens=None,
        env_extra: dict | None = None, timeout: float = 120, debug: bool = False) -> subprocess.CompletedProcess:
    """``debug``: every log record at DEBUG goes to stderr too."""
    env = environment(base_url, cache_dir, access_token=access_token, page_tokens=page_tokens, env_extra=env_extra)
    return forkrun.run([*command(debug), *args], capture_output=True, env=env, cwd=cache_dir, timeout=timeout)


def start(args, base_url: str, cache_dir, **kw) -> subprocess.Popen:
    """The same command started, not waited for (several runs at once); read it with
    ``communicate``."""
    env = environment(base_url, cache_dir, **kw)
    return subprocess.Popen([*command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=cache_dir)
