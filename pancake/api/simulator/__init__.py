"""A fake Pancake (pages.fm) API: demo backend for the dashboard and test backend.

In process::

    sim = Simulator(seed=0, now=datetime(2026, 7, 6, 14, 30))        # naive = local time
    client = httpx.Client(transport=sim.transport(), base_url="https://pages.fm/api")
    client.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN})

Over HTTP: ``python -m pancake.api.simulator --port 0`` prints
``Pancake simulator listening on http://127.0.0.1:PORT/api``; or ``serve(sim, "127.0.0.1", 0)
-> (server, thread)`` in process (stop: ``server.shutdown(); server.server_close()``).

Where to read more: the constructor's options and the test hooks (``calls``, ``set_now``,
``regenerate_page_token``, ``revoke``, ``expire_user_token``) on :class:`Simulator`; the routes
(user API ``/api/v1``, page API ``/api/public_api/v1|v2/pages/{id}/...``; anything else 404/406)
and the answers in ``_app.py``; the data, its invariants and the ground truth (``sim.truth``: what
each endpoint must return, naive local datetimes, the same "now" as the API) in ``_data.py``;
faults in ``_faults.py``.

Answers follow the reference: a bad, revoked or foreign token is HTTP 200 ``error_code`` 102, a
renewed page token 105, an expired user token 103 or HTTP 401; bad parameters HTTP 400; more than
``rate_limit_per_second`` accepted calls in a sliding second for one page (user API: ``"user"``)
HTTP 429 (rejected calls do not count). Order of checks: faults, latency, route, rate limit, auth,
parameters. Hour strings are local without a suffix, conversation and message times UTC.
While "now" is fixed (``now=``, ``set_now``) the answers of read routes, a window's sorted
conversations and a conversation's messages are kept for the next request (bounded, keyed by the
parameters, the exact "now" and the conversations' state; ``Simulator._memoised``).
The simulator never logs or prints a token.
"""
from pancake.api.simulator._app import (
                                        DEMO_PAGE_TOKENS,
                                        DEMO_USER_TOKEN,
                                        ERR_102,
                                        ERR_103,
                                        ERR_105,
                                        INACTIVE_DEMO_PAGE,
                                        RATE_LIMIT_BODY,
                                        CallRecord,
                                        Simulator,
)
from pancake.api.simulator._data import DEMO_PAGES, AdSpec, PageSpec, StaffSpec, Truth
from pancake.api.simulator._faults import FaultRule, Faults
from pancake.api.simulator.server import make_server, serve

DEMO_PAGE_IDS = [p.id for p in DEMO_PAGES]
BASE_URL = "https://pages.fm/api"

__all__ = ["Simulator", "Faults", "FaultRule", "PageSpec", "StaffSpec", "AdSpec", "Truth", "CallRecord",
           "DEMO_USER_TOKEN", "DEMO_PAGE_TOKENS", "DEMO_PAGES", "DEMO_PAGE_IDS", "INACTIVE_DEMO_PAGE",
           "BASE_URL", "RATE_LIMIT_BODY", "ERR_102", "ERR_103", "ERR_105", "serve", "make_server"]
