"""A fake Pancake (pages.fm) API: demo backend for the dashboard and test backend.

In process::

    sim = Simulator(seed=0, now=datetime(2026, 7, 6, 14, 30))        # naive = local time
    client = httpx.Client(transport=sim.transport(), base_url="https://pages.fm/api")
    client.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN})

Over HTTP: ``python -m pancake.api.simulator --port 0`` prints
``Pancake simulator listening on http://127.0.0.1:PORT/api``; or ``serve(sim, "127.0.0.1", 0)
-> (server, thread)`` in process (stop: ``server.shutdown(); server.server_close()``).

Public API
----------
``Simulator(*, seed=0, now=None, timezone="Asia/Ho_Chi_Minh", user_token=DEMO_USER_TOKEN,
page_tokens=None, pages=None, rate_limit_per_second=5.0, clock=time.monotonic, latency=0.0,
faults=None, sleep=time.sleep, pages_shape="categorized", include_inactive_page=True,
holidays=None)``; ``holidays``: the days the shops are closed (default: Vietnam's public holidays
and Tết, and the day ten days before the first today), ``sim.holidays``, ``truth.closed(day)``

* ``handler(request) -> httpx.Response`` (sync, thread-safe); ``transport() -> httpx.MockTransport``.
* ``calls`` -> snapshot list of ``CallRecord(t, method, path, page_id, status)`` (``page_id`` is
  ``"user"`` for the user API); each record also has ``.params`` (query without tokens).
  ``reset_calls()``.
* ``now()`` (naive local), ``set_now(dt)``, ``today()``.
* tokens: ``page_token(page_id)``, ``page_tokens`` (dict copy), ``regenerate_page_token(page_id)
  -> str`` (old token answers 105), ``revoke(token)`` (answers 102),
  ``expire_user_token("103" | "401" | None)``.
* ``pages_shape``: ``"categorized"`` (default; ``{"success", "categorized": {"activated",
  "activated_page_ids", "inactivated"}}``, with one inactive page unless
  ``include_inactive_page=False``) or ``"documented"`` (``{"pages": [...]}``). Settable.
* ``latency`` seconds (uses ``sleep``) and ``faults`` (``Faults``: ``rules=[FaultRule(kind,
  first_n=, every=, probability=, page_id=, path_contains=, retry_after=, latency=, code=, after=,
  field=)]``, ``seed``, ``sleep``, ``dead_token_pages``; kinds in ``_faults.FAULT_KINDS``: HTTP errors,
  HTML and cut-short answers, success without data, any ``error_code``, timeouts, a page token renewed
  mid-run, extra or missing fields). Fault answers are not rate-limit counted.

Ground truth (``sim.truth``, naive local datetimes, same "now" cut-off as the API)
-------------------------------------------------------------------------------
``engagement_hour(page_id, hour_dt, user_ids=None)``, ``engagement_day(page_id, day,
user_ids=None, start=None, end=None)``, ``user_hour(page_id, user_id, hour_dt)`` (None if idle),
``user_rows(page_id, start_dt, end_dt)``, ``user_totals(page_id, start_dt, end_dt)``,
``page_hour(page_id, hour_dt)`` (None after now), ``new_customers_hour(page_id, hour_dt)``,
``new_customers_day(page_id, day)``, ``tag_day(page_id, tag_id, day) -> int``,
``tag_day_detail(...) -> {"pin", "total"}``, ``ads(page_id, start_date, end_date)`` (numbers, not
strings), ``ad_day(page_id, ad_spec, day)``, ``conversations(page_id, start_dt, end_dt)``,
``thread(page_id, t_local, conv)`` (a conversation's messages sent by now: ``times``,
``from_customer``, ``last_customer_at``), ``waiting(page_id, since_dt)`` (``(conversation id,
customer's unanswered message time)``, longest wait first), ``staff(page_id)``, ``spec(page_id)``. Invariants: see ``pancake.api.simulator._data``.

Routes (base ``/api``; any host)
--------------------------------
user API ``/api/v1`` (``access_token``): ``GET pages``, ``POST pages/{id}/generate_page_access_token``,
``GET statistics/user?page_ids=a,b&date_range=``. Anything else: HTTP 406.
page API ``/api/public_api/v1/pages/{page_id}/`` (``page_access_token``): ``conversations``,
``conversations/{id}/tags|assign|read|unread|messages``, ``page_customers``, ``tags``, ``users``,
``posts``, ``export_data``, ``statistics/{pages_campaigns, ads, customer_engagements, pages, tags,
users, customers, page_customers}``; ``/api/public_api/v2/pages/{id}/conversations``.
Anything else (and a new-customers endpoint the page does not have): HTTP 404.

Answers and errors
------------------
* missing/wrong token, a page token used for another page, a revoked token: HTTP 200
  ``{"success": false, "error_code": 102, "message": "Invalid access token"}``.
* renewed page token (or page in ``Faults.dead_token_pages``): HTTP 200, ``error_code`` 105.
* expired user token: HTTP 200 ``error_code`` 103, or HTTP 401 ``{"success": false, "message": "Unauthorized"}``.
* missing/malformed parameters (date_range, since/until, type, page_number, page_size, group_by,
  action, conversation window > 31 days, ...): **HTTP 400** ``{"success": false, "message": "<what is wrong>"}``.
* more than ``rate_limit_per_second`` accepted calls in a sliding 1 s window (``clock``) for one
  page id (user API: key ``"user"``): HTTP 429 ``{"success": false, "error_code": 429,
  "message": "Too many requests"}``. Rejected calls do not count. Checked after routing, before auth.
* order of checks: faults, latency, route (404/406), rate limit, auth, parameters.

Payload notes: statistics categories newest first, labels per ``PageSpec.category_style``;
``by_hour`` rows newest first, only hours with activity; ``statistics/pages`` one row per visible
hour, oldest first; ``statistics/users`` rows oldest first (no ``order_count``; the user API's
``statistics/user`` adds it and merges staff shared between pages); new customers: day rows newest
first, hour rows oldest first, only non-empty rows; ``group_by=page_id`` -> ``{page_id: [day rows]}``.
Hour strings are local, no suffix; conversation/message timestamps are UTC, no suffix.
``user_ids`` on engagements: inbox/comment/orders are those staff's sessions/orders; new customers
apportioned by their share. ``statistics/ads`` ``by_id`` = ``pages_campaigns`` rows; ``by_time`` =
one row per local day and currency. v1 conversations: 60 per page; v2: 60 per call, last 14 days
unless since/until; messages: 30 per call, newest first, ``current_count`` skips that many.
A conversation shows the messages sent by now (``message_count``, ``updated_at`` = the latest one);
a finished thread ends with the page's answer, a thread still going on whose latest message is the
customer's has ``last_sent_by`` = the customer and ``last_customer_interactive_at`` (waiting).
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
