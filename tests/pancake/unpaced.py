"""The command line as a subprocess, without the 5 calls a second per page: for the tests whose
point is what a command prints, sends or stores, not how it paces (pacing has its own tests:
``tests/pancake/test_ratelimit.py``, ``test_shared_limiter.py``, the ``procs`` tests). Paired with
a simulator that counts no rate limit (``Simulator(rate_limit_per_second=0)``, the ``sim_server``
fixture): the real client would otherwise wait ~0.2 s a call, the whole of a command's run.

``PRELUDE`` runs before ``pancake``'s entry point in the child: the loader's client
(``core.make_client``) gets an unpaced in-process limiter and no shared limiter (and in demo mode
its simulator counts no rate limit). ``SERVER`` does the same in a dashboard's process (the
browser tests start theirs with it); ``FILLER`` is ``pancake fill`` unpaced."""
from __future__ import annotations

import sys

CLIENT = """
from pancake.api.ratelimit import RateLimiter
from pancake.data import core
_made = core.make_client
def _unpaced(settings, **options):
    options.pop("shared_limiter", None)
    client = _made(settings, **options)
    client.limiter = RateLimiter(1e6)
    if settings.use_demo:   # the demo's own simulator (in the child) counts no rate limit either
        client._http._transport.handler.__self__.rate_limit_per_second = 0
    return client
core.make_client = _unpaced
"""

MAIN = """
import runpy
runpy.run_module("pancake", run_name="__main__", alter_sys=True)
"""

# ``pancake fill``, the messages filler a dashboard starts, unpaced (``filler.COMMAND``): for the
# tests that wait for its fill (``unpaced_filler`` in tests/conftest.py)
FILLER = [sys.executable, "-c", CLIENT + MAIN, "fill"]
# what a dashboard process runs first (``appserver.PRELOAD``; the browser tests'): its clients
# unpaced (the fillers it starts stay paced: nobody waits for them)
SERVER = CLIENT
PRELUDE = CLIENT

# ``python -m pancake`` without pacing: ``[*PANCAKE, "export", ...]``
PANCAKE = [sys.executable, "-c", PRELUDE + MAIN]
