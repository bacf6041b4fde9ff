"""PancakeClient against httpx.MockTransport handlers: errors, retries, tokens, windows, leaks."""
from __future__ import annotations

import logging
import threading
import traceback
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pancake.api import errors
from pancake.api.client import Chunk, PancakeClient, backoff_delay, parse_retry_after
from pancake.config import Settings
from pancake.timeutil import day_bounds_unix, parse_date_range
from tests.clock import FakeClock

USER = "CANARY-USER-7f3a9c1e5b"
PAGE = "CANARY-PAGE-4d2b8e6a0f"
GEN = "CANARY-GEN-9e1c7a3b5d"
GEN2 = "CANARY-GEN2-2a8f4c6e1b"
CANARIES = (USER, PAGE, GEN, GEN2)
PID = "111222333"


def ok(payload=None, **extra):
    body = {"success": True}
    body.update(payload or {})
    body.update(extra)
    return httpx.Response(200, json=body)


class Recorder:
    """Wraps a handler; keeps every request."""

    def __init__(self, handler):
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.requests.append(request)
        return self.handler(request)

    def paths(self):
        return [r.url.path for r in self.requests]


def make(handler, *, user=USER, pages=None, max_retries=4, jitter=lambda: 1.0, **kw):
    clock = FakeClock()
    rec = Recorder(handler)
    client = PancakeClient(access_token=user, page_tokens={PID: PAGE} if pages is None else pages,
                           base_url="https://pages.test/api", transport=httpx.MockTransport(rec),
                           sleep=clock.sleep, clock=clock, max_retries=max_retries, jitter=jitter, **kw)
    return client, rec, clock


def text_of(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(exc.args),
             "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    seen = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        parts += [str(cur), repr(cur), repr(cur.args)]
        cur = cur.__cause__ or cur.__context__
    return "\n".join(parts)


def assert_no_token(text: str):
    for tok in CANARIES:
        assert tok not in text, f"token leaked: {text[:500]}"


def raises(client_call, exc_type):
    with pytest.raises(exc_type) as info:
        client_call()
    assert_no_token(text_of(info.value))
    return info.value


D1, D2 = date(2024, 3, 1), date(2024, 3, 5)


# --------------------------------------------------------------------------- error mapping

@pytest.mark.parametrize("response,exc_type,needle", [
    (httpx.Response(200, json={"success": False, "error_code": 102, "message": "Invalid access_token"}),
     errors.AuthError, "(102)"),
    (httpx.Response(200, json={"success": False, "error_code": 103, "message": "expired"}),
     errors.AuthError, "expired (103)"),
    (httpx.Response(200, json={"success": False, "error_code": 77, "message": "Bad param date_range"}),
     errors.ApiError, "Bad param date_range"),
    (httpx.Response(401, json={"message": "Unauthorized"}), errors.AuthError, "HTTP 401"),
    (httpx.Response(403, text="forbidden"), errors.AuthError, "HTTP 403"),
    (httpx.Response(404, text="not here"), errors.EndpointNotFound, "HTTP 404"),
    (httpx.Response(406, json={"success": False}), errors.EndpointNotFound, "HTTP 406"),
    (httpx.Response(400, json={"success": False, "message": "bad"}), errors.ApiError, "HTTP 400"),
    (httpx.Response(200, text="hello, not json", headers={"content-type": "text/plain"}),
     errors.BadResponseError, "not JSON"),
    (httpx.Response(200, text="<html><body>login</body></html>", headers={"content-type": "text/html"}),
     errors.BadResponseError, "HTML page"),
    (httpx.Response(200, content=b""), errors.BadResponseError, "empty body"),
    (httpx.Response(200, json="just a string"), errors.BadResponseError, "unexpected JSON"),
])
def test_error_classes_and_messages(response, exc_type, needle):
    client, rec, _ = make(lambda req: response, user=None, max_retries=0)
    err = raises(lambda: client.user_stats(PID, D1, D2), exc_type)
    assert type(err) is exc_type
    msg = str(err)
    assert "statistics/users" in msg and f"page {PID}" in msg and needle in msg
    assert err.endpoint == "statistics/users" and err.page_id == PID
    assert len(rec.requests) == 1


def test_html_502_short_message_and_retried():
    html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>"
    client, rec, clock = make(lambda req: httpx.Response(502, text=html, headers={"content-type": "text/html"}),
                              max_retries=2)
    err = raises(lambda: client.page_stats(PID, D1, D2), errors.ServerError)
    assert "HTTP 502 from a proxy (HTML page)" in str(err)
    assert "<html" not in str(err).lower() and len(str(err)) < 200
    assert "statistics/pages" in str(err) and PID in str(err)
    assert len(rec.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_json_500_message():
    client, _, _ = make(lambda req: httpx.Response(500, json={"message": "boom"}), max_retries=0)
    err = raises(lambda: client.tag_stats(PID, D1, D2), errors.ServerError)
    assert "HTTP 500" in str(err) and "boom" in str(err) and "statistics/tags" in str(err)


def test_server_message_echoing_token_is_redacted():
    def handler(req):
        return httpx.Response(200, json={"success": False, "error_code": 1,
                                         "message": f"bad url {req.url}"})
    client, _, _ = make(handler, max_retries=0)
    err = raises(lambda: client.tags(PID), errors.ApiError)
    assert "***" in str(err)


def test_transport_error_retried_then_success():
    calls = {"n": 0}

    def handler(req):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise httpx.ReadTimeout(f"timed out reading {req.url}", request=req)
        return ok({"data": []})

    client, rec, clock = make(handler)
    chunks = client.page_stats(PID, D1, D2)
    assert len(chunks) == 1 and chunks[0].payload == {"success": True, "data": []}
    assert clock.sleeps == [0.5, 1.0]


def test_transport_error_exhausted_no_url_no_chain():
    def handler(req):
        raise httpx.ConnectError(f"connection refused for {req.url}", request=req)

    client, rec, clock = make(handler, max_retries=3)
    err = raises(lambda: client.tags(PID), errors.TransportError)
    assert err.__cause__ is None and err.__context__ is None
    assert "tags" in str(err) and PID in str(err) and "4 attempts" in str(err)
    assert len(rec.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_after_a_call_gave_up_connecting_the_next_calls_try_once_until_the_api_answers():
    """A view of many pages with the network down says so at once after the first give-up,
    instead of every later call waiting through its own retries; an answer ends that."""
    up = {"v": False}

    def handler(req):
        if not up["v"]:
            raise httpx.ConnectError("refused", request=req)
        return ok({"tags": []})

    client, rec, clock = make(handler, max_retries=3)
    raises(lambda: client.tags(PID), errors.TransportError)
    assert len(rec.requests) == 4                          # the first call: every retry
    clock.sleeps.clear()
    err = raises(lambda: client.tags(PID), errors.TransportError)
    assert len(rec.requests) == 5 and clock.sleeps == []   # the next: one try, no waiting
    assert "tried once" in str(err) and PID in str(err)
    clock.advance(61)                                      # a minute on: retries again
    raises(lambda: client.tags(PID), errors.TransportError)
    assert len(rec.requests) == 9
    up["v"] = True                                         # the API is back: asked at once, answers
    client.tags(PID)
    up["v"] = False                                        # and a later failure has its retries again
    raises(lambda: client.tags(PID), errors.TransportError)
    assert len(rec.requests) == 10 + 4


def test_a_timeout_or_a_server_error_is_not_taken_for_an_unreachable_api():
    seq = [httpx.ReadTimeout("slow")] * 4 + [httpx.Response(502, text="bad gateway")] * 4

    def handler(req):
        item = seq.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    client, rec, clock = make(handler, max_retries=3)
    raises(lambda: client.tags(PID), errors.TransportError)
    raises(lambda: client.tags(PID), errors.ServerError)
    assert len(rec.requests) == 8                           # both calls had all their retries


# --------------------------------------------------------------------------- retries

def test_429_with_retry_after_seconds_honoured_and_capped():
    seq = [httpx.Response(429, headers={"Retry-After": "3"}, json={"success": False}),
           httpx.Response(429, headers={"Retry-After": "600"}, json={"success": False}),
           ok({"data": {}})]
    client, rec, clock = make(lambda req: seq.pop(0))
    client.user_stats(PID, D1, D2)
    assert clock.sleeps == [3.0, 60.0]


def test_429_retry_after_http_date():
    future = datetime.now(UTC) + timedelta(seconds=3600)
    seq = [httpx.Response(429, headers={"Retry-After": format_datetime(future, usegmt=True)}),
           ok({"data": {}})]
    client, _, clock = make(lambda req: seq.pop(0))
    client.user_stats(PID, D1, D2)
    assert clock.sleeps == [60.0]


def test_parse_retry_after_forms():
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Mon, 01 Jan 2024 12:00:10 GMT"}, now=lambda: now) == 10.0
    assert parse_retry_after({"retry-after": "Mon, 01 Jan 2024 11:00:00 GMT"}, now=lambda: now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_429_without_retry_after_exponential_capped():
    client, rec, clock = make(lambda req: httpx.Response(429, json={"success": False, "error_code": 429}),
                              max_retries=6)
    err = raises(lambda: client.engagements(PID, D1, D2), errors.RateLimitError)
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(rec.requests) == 7
    assert "statistics/customer_engagements" in str(err) and "too many requests" in str(err)


def test_success_false_429_on_http_200_is_retried():
    seq = [httpx.Response(200, json={"success": False, "error_code": 429, "message": "Too many requests"}),
           ok({"data": {}})]
    client, _, clock = make(lambda req: seq.pop(0))
    client.engagements(PID, D1, D2)
    assert clock.sleeps == [0.5]


def test_full_jitter_default_in_range():
    delays = [backoff_delay(3, None, __import__("random").random) for _ in range(200)]
    assert all(0.0 <= d <= 4.0 for d in delays) and len(set(delays)) > 100
    assert backoff_delay(0, None, lambda: 0.25) == 0.125
    assert backoff_delay(10, None, lambda: 1.0) == 8.0
    assert backoff_delay(0, 5.0, lambda: 0.0) == 5.0


def test_5xx_retries_then_success():
    seq = [httpx.Response(500, json={}), httpx.Response(503, text="unavailable"),
           httpx.Response(504, text="<html>gw</html>", headers={"content-type": "text/html"}),
           ok({"data": []})]
    client, rec, clock = make(lambda req: seq.pop(0))
    assert client.page_stats(PID, D1, D2)[0].payload["data"] == []
    assert clock.sleeps == [0.5, 1.0, 2.0] and len(rec.requests) == 4


def test_503_retry_after_honoured_and_default_timeout():
    seq = [httpx.Response(503, headers={"Retry-After": "7"}, text="busy"), ok({"data": []})]
    client, _, clock = make(lambda req: seq.pop(0))
    client.page_stats(PID, D1, D2)
    assert clock.sleeps == [7.0]
    t = client._http.timeout
    assert (t.connect, t.read, t.write, t.pool) == (5.0, 30.0, 10.0, 5.0)


def test_retry_debug_log_is_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    seq = [httpx.Response(500, json={"message": f"echo {PAGE}"}), ok({"data": []})]
    client, _, _ = make(lambda req: seq.pop(0))
    client.page_stats(PID, D1, D2)
    retry_lines = [r.getMessage() for r in caplog.records if "retry 1/4" in r.getMessage()]
    assert retry_lines and "statistics/pages" in retry_lines[0] and PID in retry_lines[0]
    assert_no_token("\n".join(r.getMessage() for r in caplog.records))


def test_post_not_retried_on_500_but_on_429_and_connect_error():
    client, rec, clock = make(lambda req: httpx.Response(500, json={}))
    raises(lambda: client.mark_read(PID, "c1"), errors.ServerError)
    assert len(rec.requests) == 1 and clock.sleeps == []

    seq = [httpx.Response(429, json={"success": False}), ok()]
    client, rec, clock = make(lambda req: seq.pop(0))
    assert client.tag_conversation(PID, "c1", 5) == {"success": True}
    assert len(rec.requests) == 2 and clock.sleeps == [0.5]
    assert rec.requests[-1].method == "POST"

    calls = {"n": 0}

    def connect_then_ok(req):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=req)
        return ok()
    client, rec, _ = make(connect_then_ok)
    client.assign_conversation(PID, "c1", ["u1"])
    assert len(rec.requests) == 2


def test_post_not_retried_on_read_timeout():
    def handler(req):
        raise httpx.ReadTimeout("slow", request=req)
    client, rec, _ = make(handler)
    raises(lambda: client.mark_unread(PID, "c1"), errors.TransportError)
    assert len(rec.requests) == 1


def test_non_retriable_errors_not_retried():
    client, rec, _ = make(lambda req: httpx.Response(200, json={"success": False, "error_code": 9}))
    raises(lambda: client.tags(PID), errors.ApiError)
    assert len(rec.requests) == 1


# --------------------------------------------------------------------------- tokens

def test_tokens_travel_as_query_params():
    client, rec, _ = make(lambda req: ok({"pages": []}))
    client.list_pages()
    client.tags(PID)
    assert rec.requests[0].url.params["access_token"] == USER
    assert str(rec.requests[0].url).startswith("https://pages.test/api/v1/pages?")
    assert rec.requests[1].url.params["page_access_token"] == PAGE
    assert rec.requests[1].url.path == f"/api/public_api/v1/pages/{PID}/tags"
    assert all("authorization" not in r.headers for r in rec.requests)


def regen_handler(bad_codes, state):
    """Page calls fail with the given codes while using a token in ``bad``; generate hands out GEN/GEN2."""
    def handler(req):
        if req.url.path.endswith("/generate_page_access_token"):
            state["generated"] += 1
            return ok(page_access_token=GEN if state["generated"] == 1 else GEN2)
        token = req.url.params.get("page_access_token")
        if token in state["bad"]:
            return httpx.Response(200, json={"success": False, "error_code": bad_codes,
                                             "message": "Invalid access_token"})
        return ok({"tags": [{"id": 1}]})
    return handler


@pytest.mark.parametrize("code", [102, 105])
def test_a_generated_token_refused_is_regenerated_once(code):
    """No pasted token: the generated one, renewed elsewhere, is generated again once."""
    state = {"generated": 0, "bad": {GEN}}
    client, rec, _ = make(regen_handler(code, state), pages={})
    assert client.tags(PID) == {"success": True, "tags": [{"id": 1}]}
    assert state["generated"] == 2
    assert [r.url.params.get("page_access_token") for r in rec.requests if "tags" in r.url.path] == [GEN, GEN2]
    # the new token is remembered
    client.tags(PID)
    assert state["generated"] == 2


def test_regenerate_only_once_then_auth_error():
    state = {"generated": 0, "bad": {GEN, GEN2}}
    client, rec, _ = make(regen_handler(102, state), pages={})
    err = raises(lambda: client.tags(PID), errors.AuthError)
    assert state["generated"] == 2          # the first token, then one renewal
    assert "still refused (102)" in str(err) and PID in str(err)
    assert len([r for r in rec.requests if r.url.path.endswith("/tags")]) == 2


@pytest.mark.parametrize("code", [102, 105])
def test_a_pasted_token_refused_is_reported_never_replaced_by_a_generated_one(code):
    """#23: a one-character typo in a pasted token made the tool generate a new one, which
    killed the shop's real token everywhere else (105)."""
    state = {"generated": 0, "bad": {PAGE}}
    client, rec, _ = make(regen_handler(code, state))
    err = raises(lambda: client.tags(PID), errors.AuthError)
    assert state["generated"] == 0
    assert not any(r.url.path.endswith("/generate_page_access_token") for r in rec.requests)
    assert str(err) == (f"[tags · page {PID}] the page token pasted for page {PID} is refused ({code}); it is not "
                        "replaced by a generated one (that would stop the page's token everywhere else): paste "
                        "the page's current token (Pancake: page Settings → Tools)")
    assert PAGE not in text_of(err)
    err = raises(lambda: client.tags(PID), errors.AuthError)      # asked again: still never generated
    assert state["generated"] == 0


class _Vault:
    def __init__(self, tokens):
        self.tokens = dict(tokens)

    def get(self, page_id):
        return self.tokens.get(page_id)

    def put(self, page_id, token):
        self.tokens[page_id] = token

    def lock(self, page_id):
        return threading.Lock()


def test_a_pasted_token_refused_takes_another_processs_working_one_but_never_generates():
    state = {"generated": 0, "bad": {PAGE}}
    client, rec, _ = make(regen_handler(105, state), token_vault=_Vault({PID: GEN}))
    assert client.tags(PID) == {"success": True, "tags": [{"id": 1}]}
    assert state["generated"] == 0
    assert [r.url.params.get("page_access_token") for r in rec.requests if "tags" in r.url.path] == [PAGE, GEN]


@pytest.mark.parametrize("bad", ["", " ", "12 3", "1/2", "..", "a?b", "x#", "%2F"])
def test_a_page_id_that_is_not_one_never_reaches_the_api(bad):
    client, rec, _ = make(lambda req: ok(page_access_token=GEN), pages={})
    for call in (lambda: client.tags(bad), lambda: client.generate_page_token(bad)):
        err = raises(call, ValueError)
        assert str(err) == f"{bad!r} is not a page id"
    assert rec.requests == []


def test_invalid_page_token_without_user_token_clear_message():
    state = {"generated": 0, "bad": {PAGE}}
    client, rec, _ = make(regen_handler(102, state), user=None)
    err = raises(lambda: client.user_stats(PID, D1, D2), errors.AuthError)
    assert str(err) == (f"[statistics/users · page {PID}] page token for page {PID} is invalid (102) — "
                        "paste a new one or configure PANCAKE_ACCESS_TOKEN")
    assert err.error_code == 102 and state["generated"] == 0


def test_missing_page_token_without_user_token():
    client, rec, _ = make(lambda req: ok(), user=None, pages={})
    err = raises(lambda: client.tags(PID), errors.AuthError)
    assert "no page token for page" in str(err) and "PANCAKE_ACCESS_TOKEN" in str(err)
    assert rec.requests == []


def test_missing_page_token_generated_once_under_concurrency():
    state = {"generated": 0, "bad": set()}
    gate = threading.Event()
    base = regen_handler(102, state)

    def handler(req):
        if req.url.path.endswith("/generate_page_access_token"):
            gate.wait(2)  # hold the generation so other threads pile up
        return base(req)

    client, rec, _ = make(handler, pages={})
    results, errs = [], []

    def work():
        try:
            results.append(client.tags(PID))
        except Exception as exc:  # pragma: no cover
            errs.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert not errs and len(results) == 8
    assert state["generated"] == 1
    gen_req = [r for r in rec.requests if r.url.path.endswith("/generate_page_access_token")]
    assert len(gen_req) == 1 and gen_req[0].method == "POST"
    assert gen_req[0].url.params["access_token"] == USER
    assert {r.url.params["page_access_token"] for r in rec.requests if r.url.path.endswith("/tags")} == {GEN}


def test_generate_page_token_bad_user_token():
    client, _, _ = make(lambda req: ok({"success": False, "error_code": 102}), pages={})
    err = raises(lambda: client.tags(PID), errors.AuthError)
    assert "user token is invalid (102)" in str(err) and "generate_page_access_token" in str(err)


def test_generate_page_token_missing_in_answer():
    client, _, _ = make(lambda req: ok(), pages={})
    raises(lambda: client.generate_page_token(PID), errors.BadResponseError)


def test_user_api_without_user_token():
    client, rec, _ = make(lambda req: ok(), user=None)
    err = raises(client.list_pages, errors.AuthError)
    assert "PANCAKE_ACCESS_TOKEN" in str(err) and rec.requests == []


def test_token_status():
    client, _, _ = make(lambda req: ok({"tags": [{"id": 1}, {"id": 2}]}))
    good, message = client.token_status(PID)
    assert good and "2 tag(s)" in message
    state = {"generated": 0, "bad": {PAGE}}
    client, _, _ = make(regen_handler(102, state))
    good, message = client.token_status(PID)
    assert not good and "(102)" in message and state["generated"] == 0
    assert_no_token(message)


# --------------------------------------------------------------------------- list pages

PAGES_A = {"pages": [{"id": "1", "name": "Shop A", "platform": "facebook", "avatar_url": "a.png"},
                     {"id": 2, "name": "Shop B"}]}
PAGES_B = {"success": True, "categorized": {
    "activated": [{"id": "1", "name": "Shop A", "platform": "instagram_official", "avatar_url": "a.png"},
                  {"id": "2", "name": "Shop B"}],
    "activated_page_ids": ["1", "2"],
    "inactivated": [{"id": "3", "name": "Old"}]}}


@pytest.mark.parametrize("body", [PAGES_A, PAGES_B])
def test_list_pages_both_shapes(body):
    client, rec, _ = make(lambda req: httpx.Response(200, json=body))
    pages = client.list_pages()
    assert [p["id"] for p in pages] == ["1", "2"]
    assert pages[1]["name"] == "Shop B" and pages[1]["platform"] == "facebook"
    assert set(pages[0]) >= {"id", "name", "platform", "avatar_url"}
    assert rec.requests[0].url.path == "/api/v1/pages"


def test_list_pages_unexpected_shape():
    client, _, _ = make(lambda req: ok({"something": 1}))
    err = raises(client.list_pages, errors.BadResponseError)
    assert "[pages]" in str(err)


# --------------------------------------------------------------------------- new customers fallback

def test_new_customers_fallback_remembered():
    def handler(req):
        if req.url.path.endswith("/statistics/customers"):
            return httpx.Response(404, text="Not Found")
        return ok({"data": [{"date": "2024-03-01", "new_customer_count": 1}]})

    client, rec, _ = make(handler)
    chunks = client.new_customers(PID, D1, D2)
    assert chunks[0].payload["data"][0]["new_customer_count"] == 1
    assert [p.rsplit("/", 1)[-1] for p in rec.paths()] == ["customers", "page_customers"]
    assert client.new_customers_route == "statistics/page_customers"
    req = rec.requests[-1]
    assert req.url.params["date_range"] == "01/03/2024 - 05/03/2024"
    assert req.url.params["group_by"] == "day"
    client.new_customers(PID, D1, D2, group_by="hour")
    assert rec.paths()[-1].endswith("/statistics/page_customers") and len(rec.requests) == 3


def test_new_customers_first_route_works_and_406_unknown_route():
    client, rec, _ = make(lambda req: ok({"data": []}))
    client.new_customers(PID, D1, D2)
    client.new_customers(PID, D1, D2)
    assert [p.rsplit("/", 1)[-1] for p in rec.paths()] == ["customers", "customers"]

    def h406(req):
        if req.url.path.endswith("/statistics/customers"):
            return httpx.Response(200, json={"success": False, "message": "Route not found"})
        return ok({"data": []})
    client, rec, _ = make(h406)
    client.new_customers(PID, D1, D2)
    assert client.new_customers_route == "statistics/page_customers"


def test_new_customers_both_missing():
    client, _, _ = make(lambda req: httpx.Response(406, text="nope"))
    err = raises(lambda: client.new_customers(PID, D1, D2), errors.EndpointNotFound)
    assert "statistics/customers and statistics/page_customers" in str(err)
    assert client.new_customers_route is None


# --------------------------------------------------------------------------- windows

def test_eight_month_range_every_day_once():
    start, end = date(2023, 11, 15), date(2024, 7, 14)
    client, rec, _ = make(lambda req: ok({"data": {}}))
    chunks = client.user_stats(PID, start, end)
    assert all(isinstance(c, Chunk) for c in chunks)
    days = []
    for c in chunks:
        assert (c.end - c.start).days + 1 <= 31
        days += [c.start + timedelta(days=i) for i in range((c.end - c.start).days + 1)]
    assert days == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert len(rec.requests) == len(chunks)
    for c, r in zip(chunks, rec.requests):
        s = r.url.params["date_range"]
        assert s == f"{c.start:%d/%m/%Y} 00:00:00 - {c.end:%d/%m/%Y} 23:59:59"
        d1, d2 = parse_date_range(s)
        assert d1.date() == c.start and d2.date() == c.end
    assert rec.requests[0].url.params["date_range"] == "15/11/2023 00:00:00 - 15/12/2023 23:59:59"


def test_since_until_windows_in_local_zone():
    start, end = date(2024, 1, 1), date(2024, 3, 10)
    client, rec, _ = make(lambda req: httpx.Response(200, json=[{"ad_id": "1", "spend": None}]))
    chunks = client.ads_campaigns(PID, start, end)
    assert chunks[0].payload == [{"ad_id": "1", "spend": None}]
    for c, r in zip(chunks, rec.requests):
        assert (int(r.url.params["since"]), int(r.url.params["until"])) == day_bounds_unix(
            c.start, c.end, "Asia/Ho_Chi_Minh")
    # 2024-01-01 00:00 in UTC+7
    assert int(rec.requests[0].url.params["since"]) == 1704042000


def test_until_ends_only_the_last_window_at_a_time_of_day():
    from datetime import time as dt_time
    start, end = date(2024, 1, 1), date(2024, 3, 10)          # three windows
    client, rec, _ = make(lambda req: ok({"data": {}}))
    client.user_stats(PID, start, end, until=dt_time(9, 15))
    ranges = [r.url.params["date_range"] for r in rec.requests]
    assert len(ranges) == 3
    assert all(r.endswith("23:59:59") for r in ranges[:-1])
    assert ranges[-1].endswith("10/03/2024 09:15:00")
    rec.requests.clear()
    client.tag_stats(PID, start, end, until=dt_time(9, 15))
    untils = [int(r.url.params["until"]) for r in rec.requests]
    assert untils[:-1] == [day_bounds_unix(a, b, "Asia/Ho_Chi_Minh")[1]
                           for a, b in [(r_.start, r_.end) for r_ in client.tag_stats(PID, start, end)][:-1]]
    assert untils[-1] == day_bounds_unix(end, end, "Asia/Ho_Chi_Minh")[0] + 9 * 3600 + 15 * 60


def test_statistics_params():
    client, rec, _ = make(lambda req: ok({"data": {}}))
    client.engagements(PID, D1, D2, by_hour=True, user_ids=["u1", "u2"])
    p = rec.requests[-1].url.params
    assert p["by_hour"] == "true" and p["user_ids"] == "u1,u2"
    assert p["date_range"] == "01/03/2024 00:00:00 - 05/03/2024 23:59:59"
    client.ads(PID, D1, D2, type="by_time")
    assert rec.requests[-1].url.params["type"] == "by_time"
    assert rec.requests[-1].url.path.endswith("/statistics/ads")
    with pytest.raises(ValueError):
        client.ads(PID, D1, D2, type="weird")
    client.multi_page_user_stats(["a", "b"], D1, D2)
    r = rec.requests[-1]
    assert r.url.path == "/api/v1/statistics/user" and r.url.params["page_ids"] == "a,b"
    assert r.url.params["access_token"] == USER
    assert r.url.params["date_range"] == "01/03/2024 00:00:00 - 05/03/2024 23:59:59"


def test_every_page_endpoint_route():
    client, rec, _ = make(lambda req: ok({"conversations": [], "messages": [], "data": []}))
    client.page_stats(PID, D1, D1)
    client.tag_stats(PID, D1, D1)
    client.users(PID)
    client.conversations(PID, D1, D2, page_number=2, tags=[1, 2])
    client.conversations_v2(PID, last_conversation_id="c9", type=["INBOX"])
    client.messages(PID, "c1", "cust1", current_count=30)
    client.tag_conversation(PID, "c1", 7, action="remove")
    client.page_customers(PID, D1, D2, page_size=500)
    client.export_data(PID, D1, D2, offset=60)
    paths = [r.url.path.replace("/api/public_api/", "").replace(f"pages/{PID}/", "") for r in rec.requests]
    assert paths == ["v1/statistics/pages", "v1/statistics/tags", "v1/users", "v1/conversations",
                     "v2/conversations", "v1/conversations/c1/messages", "v1/conversations/c1/tags",
                     "v1/page_customers", "v1/export_data"]
    conv = rec.requests[3].url.params
    assert conv["page_number"] == "2" and conv["tags"] == "1,2"
    assert rec.requests[4].url.params["last_conversation_id"] == "c9"
    assert rec.requests[5].url.params["current_count"] == "30"
    assert rec.requests[5].url.params["customer_id"] == "cust1"
    assert b'"action":"remove"' in rec.requests[6].content.replace(b" ", b"")
    assert rec.requests[7].url.params["page_size"] == "100"
    assert rec.requests[8].url.params["action"] == "conversations_from_ads"
    with pytest.raises(ValueError):
        client.conversations(PID, date(2024, 1, 1), date(2024, 3, 1))


# --------------------------------------------------------------------------- pace

def test_client_paces_calls_per_page():
    client, rec, clock = make(lambda req: ok({"tags": []}),
                              pages={"A": PAGE, "B": GEN})
    stamps = {"A": [], "B": []}
    orig = rec.handler

    def timed(req):
        stamps[req.url.path.split("/")[-2]].append(clock())
        return orig(req)
    rec.handler = timed
    for _ in range(12):
        client.tags("A")
    for _ in range(5):
        client.tags("B")
    for key in stamps:
        s = sorted(stamps[key])
        for i in range(len(s) - 5):
            assert s[i + 5] - s[i] >= 1.0 - 1e-9
    assert len(stamps["B"]) == 5
    # B's five calls came right after A's and never waited
    assert stamps["B"][-1] == stamps["B"][0]


# --------------------------------------------------------------------------- leaks

def test_no_token_in_logs_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "pancake"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    state = {"generated": 0, "bad": {GEN}}
    client, rec, _ = make(regen_handler(105, state), pages={})   # generated, refused, generated again
    client.tags(PID)
    client.list_pages = client.list_pages  # noqa
    with pytest.raises(errors.PancakeError):
        make(lambda req: httpx.Response(500, json={}), max_retries=1)[0].tags(PID)
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "HTTP Request" in text  # httpx did log the URL...
    assert "page_access_token=***" in text  # ...redacted
    assert_no_token(text)
    assert_no_token(caplog.text)


def test_exceptions_carry_no_token_anywhere():
    def handler(req):
        raise httpx.ConnectError(f"failed {req.url}", request=req)
    client, _, _ = make(handler, max_retries=1)
    for call in (lambda: client.tags(PID), client.list_pages,
                 lambda: client.multi_page_user_stats(["1", "2"], D1, D2)):
        with pytest.raises(errors.TransportError) as info:
            call()
        exc = info.value
        assert exc.__cause__ is None and exc.__context__ is None
        assert_no_token(text_of(exc))
        assert_no_token(repr(exc.__dict__))


def test_pickled_error_has_no_token():
    import pickle
    client, _, _ = make(lambda req: httpx.Response(200, json={"success": False, "message": PAGE}))
    with pytest.raises(errors.ApiError) as info:
        client.tags(PID)
    data = pickle.dumps(info.value)
    for tok in CANARIES:
        assert tok.encode() not in data
    again = pickle.loads(data)
    assert str(again) == str(info.value)


def test_client_repr_and_settings():
    s = Settings(access_token=USER, page_tokens={PID: PAGE}, base_url="https://x.test/api/",
                 timezone="Asia/Bangkok")
    c = PancakeClient(s, transport=httpx.MockTransport(lambda r: ok()))
    assert_no_token(repr(c) + str(c))
    assert c.base_url == "https://x.test/api/".rstrip("/") and c.tz.key == "Asia/Bangkok"
    assert c.has_user_token and c.has_page_token(PID)
    c2 = PancakeClient(s, access_token="OTHER-USER-token", page_tokens={}, timezone="UTC",
                       transport=httpx.MockTransport(lambda r: ok()))
    assert not c2.has_page_token(PID) and c2.tz.key == "UTC"
    with c2 as inside:
        assert inside is c2
    err = raises(lambda: c2.tags(PID), errors.TransportError)
    assert "closed" in str(err)


def test_new_customers_route_remembered_per_page():
    def handler(req):
        page = req.url.path.split("/")[-3]
        route = req.url.path.rsplit("/", 1)[-1]
        if (page, route) in {("A", "page_customers"), ("B", "customers")}:
            return httpx.Response(404, text="no")
        return ok({"data": []})

    client, rec, _ = make(handler, pages={"A": PAGE, "B": GEN})
    client.new_customers("A", D1, D2)
    client.new_customers("B", D1, D2)
    assert client.new_customers_route_for("A") == "statistics/customers"
    assert client.new_customers_route_for("B") == "statistics/page_customers"
    n = len(rec.requests)
    client.new_customers("A", D1, D2)
    client.new_customers("B", D1, D2)
    assert [r.url.path.rsplit("/", 1)[-1] for r in rec.requests[n:]] == ["customers", "page_customers"]
