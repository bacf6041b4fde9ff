"""The simulator proper: token state, rate limit, faults, routing and payloads."""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx

from pancake.api.simulator._data import (
    AD_NUMERIC,
    DEMO_PAGES,
    ENG_HOUR_FIELDS,
    MESSAGES_CUSTOMER,
    MESSAGES_PAGE,
    NEWC_FIELDS,
    PAGE_FIELDS,
    USER_FIELDS,
    PageSpec,
    Truth,
    default_holidays,
    hours_between,
    resolved_staff,
    rng_for,
    stable_digits,
    stable_uuid,
    totals_of,
)
from pancake.api.simulator._faults import MUTATIONS, PASS_THROUGH, Faults, fault_response, mutate
from pancake.timeutil import parse_date_range, unix_to_local

DEMO_USER_TOKEN = "sim-user-7f3a9c2e1b5d4f60a8e2c9d1b7f4a6e3"
DEMO_PAGE_TOKENS: dict[str, str] = {
    p.id: "sim-page-" + hashlib.sha256(f"demo-page-token|{p.id}".encode()).hexdigest()[:32]
    for p in DEMO_PAGES
}
INACTIVE_DEMO_PAGE = {"id": "109283746501928", "name": "Shop Cũ Tạm Ngưng", "platform": "facebook"}

RATE_LIMIT_BODY = {"success": False, "error_code": 429, "message": "Too many requests"}
ERR_102 = {"success": False, "error_code": 102, "message": "Invalid access token"}
ERR_103 = {"success": False, "error_code": 103, "message": "Access token has expired"}
ERR_105 = {"success": False, "error_code": 105,
           "message": "Page access token has been renewed, please use the new token"}
ERR_401 = {"success": False, "message": "Unauthorized"}

CONV_PAGE_SIZE_V1 = 60
CONV_PAGE_SIZE_V2 = 60
MESSAGES_PER_CALL = 30
EXPORT_PER_CALL = 60
MAX_CONV_WINDOW_S = 31 * 86400  # "<= 1 month"


class _Call(NamedTuple):
    t: float
    method: str
    path: str
    page_id: str | None
    status: int


class CallRecord(_Call):
    """``(t, method, path, page_id, status)``; attribute ``params`` holds the query without tokens."""
    params: dict


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(status: int, body, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"content-type": "application/json; charset=utf-8", **(headers or {})})


def _hour_str(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:00:00")


_PAGE_API = re.compile(r"^/api/public_api/(v\d+)/pages/([^/]+)(?:/(.*))?$")
_USER_API = re.compile(r"^/api/v1(/.*)?$")


class Simulator:
    """A fake Pancake (the package docstring says what it answers). ``pages_shape``: the page
    list as ``"categorized"`` (what the API answers, one inactive page unless not
    ``include_inactive_page``) or ``"documented"`` (``{"pages": [...]}``); ``holidays``: the days
    the shops are closed (default: Vietnam's public holidays and a day ten days before today);
    ``latency`` seconds per call and ``faults`` (:class:`Faults`) slow or break answers."""

    def __init__(self, *, seed: int = 0, now: datetime | None = None,
                 timezone: str = "Asia/Ho_Chi_Minh", user_token: str = DEMO_USER_TOKEN,
                 page_tokens: dict[str, str] | None = None, pages: list[PageSpec] | None = None,
                 rate_limit_per_second: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 latency: float = 0.0, faults: Faults | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 pages_shape: str = "categorized", include_inactive_page: bool = True,
                 holidays: Iterable[date] | None = None) -> None:
        if pages_shape not in ("categorized", "documented"):
            raise ValueError("pages_shape must be 'categorized' or 'documented'")
        self.seed = seed
        self.tz = ZoneInfo(timezone)
        self.set_now(now)
        # closed days: given, else Vietnam's public holidays and a day off ten days before today
        self.holidays: frozenset[date] = frozenset(holidays) if holidays is not None \
            else default_holidays(self.now().date())
        self.pages: list[PageSpec] = list(pages if pages is not None else DEMO_PAGES)
        self._specs = {p.id: p for p in self.pages}
        self._staff = {p.id: resolved_staff(p) for p in self.pages}
        self.user_token = user_token
        if page_tokens is None:
            page_tokens = {p.id: DEMO_PAGE_TOKENS.get(p.id) or self._new_token(p.id, 0) for p in self.pages}
        self._page_tokens: dict[str, str] = dict(page_tokens)
        self._renewed: dict[str, str] = {}  # dead token -> page id (answers 105)
        self._revoked: set[str] = set()  # answers 102
        self._user_expired: str | None = None  # None | "103" | "401"
        self._token_gen = 0
        self.rate_limit_per_second = rate_limit_per_second
        self._clock = clock
        self._sleep = sleep
        self.latency = latency
        self.faults = faults or Faults()
        self.pages_shape = pages_shape
        self.include_inactive_page = include_inactive_page
        self._lock = threading.RLock()
        self._calls: list[CallRecord] = []
        self._windows: dict[str, deque] = {}
        self._conv_state: dict[tuple[str, str], dict] = {}
        self._state_version = 0   # bumped by every write to _conv_state (memo keys carry it)
        self._memos: dict[str, OrderedDict] = {k: OrderedDict() for k in self.MEMO_SIZE}  # _memoised
        # the read routes whose answer depends only on the parameters, "now" and the state (_answer)
        self._readers = frozenset(f.__func__ for f in (
            self._r_conversations_v1, self._r_conversations_v2, self._r_messages, self._r_page_customers,
            self._r_export, self._r_posts, self._r_engagements, self._r_user_stats, self._r_page_stats,
            self._r_tag_stats, self._r_new_customers, self._r_ads, self._r_ads_campaigns,
            self._r_user_stats_multi))
        self._memo_lock = threading.Lock()
        self.truth = Truth(self)

    # --- time ------------------------------------------------------------------------
    def now(self) -> datetime:
        """Naive local 'now' in the simulator zone."""
        if self._now is None:
            return datetime.now(self.tz).replace(tzinfo=None)
        return self._now_local

    def set_now(self, now: datetime | None) -> None:
        """Fix "now" (None: the real clock). An aware time is taken to the simulator's zone once,
        here: ``now()`` is asked for every conversation of every answer."""
        self._now = now
        self._now_local = now.astimezone(self.tz).replace(tzinfo=None) \
            if now is not None and now.tzinfo is not None else now

    def today(self) -> date:
        return self.now().date()

    # --- tokens ----------------------------------------------------------------------
    def _new_token(self, page_id: str, gen: int) -> str:
        return "sim-page-" + hashlib.sha256(f"{self.seed}|{page_id}|{gen}".encode()).hexdigest()[:32]

    def page_token(self, page_id: str) -> str:
        return self._page_tokens[page_id]

    @property
    def page_tokens(self) -> dict[str, str]:
        with self._lock:
            return dict(self._page_tokens)

    def regenerate_page_token(self, page_id: str) -> str:
        """New token for the page; the old one then answers error_code 105."""
        with self._lock:
            if page_id not in self._specs:
                raise KeyError(page_id)
            old = self._page_tokens.get(page_id)
            if old:
                self._renewed[old] = page_id
            self._token_gen += 1
            new = self._new_token(page_id, self._token_gen)
            self._page_tokens[page_id] = new
            return new

    def revoke(self, token: str) -> None:
        """The token then answers error_code 102 (user or page token)."""
        with self._lock:
            self._revoked.add(token)

    def expire_user_token(self, mode: str = "103") -> None:
        """``"103"``: HTTP 200 + error_code 103; ``"401"``: HTTP 401. ``None`` restores it."""
        if mode not in ("103", "401", None):
            raise ValueError("mode is '103', '401' or None")
        with self._lock:
            self._user_expired = mode

    # --- call log --------------------------------------------------------------------
    @property
    def calls(self) -> list[CallRecord]:
        with self._lock:
            return list(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _log(self, t, method, path, key, status, params) -> None:
        rec = CallRecord(t, method, path, key, status)
        rec.params = params
        with self._lock:
            self._calls.append(rec)

    # --- transport -------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def handler(self, request: httpx.Request) -> httpx.Response:
        t = self._clock()
        path = request.url.path
        params = {k: v for k, v in request.url.params.multi_items()}
        safe_params = {k: v for k, v in params.items() if k not in ("access_token", "page_access_token")}
        m = _PAGE_API.match(path)
        key = m.group(2) if m else ("user" if _USER_API.match(path) else None)
        try:
            body = request.read()
        except Exception:  # streamed bodies we cannot read
            body = b""
        try:
            resp = self._handle(request.method.upper(), path, params, body, m, key)
        except httpx.TransportError:   # an injected timeout: logged with status 0
            self._log(t, request.method.upper(), path, key, 0, safe_params)
            raise
        self._log(t, request.method.upper(), path, key, resp.status_code, safe_params)
        return resp

    def _handle(self, method, path, params, body, m, key) -> httpx.Response:
        slow = 0.0
        mutations = []
        for rule in self.faults.pick(key, path):
            if rule.kind == "slow":
                slow = max(slow, rule.latency)
                continue
            if rule.kind == "renew":
                if key in self._specs:
                    self.regenerate_page_token(key)
                continue
            if rule.kind in MUTATIONS:
                mutations.append(rule)
                continue
            if slow:
                self.faults.sleep(slow)
            return self._fault_response(rule)
        if slow:
            self.faults.sleep(slow)
        if self.latency:
            self._sleep(self.latency)
        if key is None:
            return _json(404, {"success": False, "message": "Not found"})
        route = self._route(method, path, m)
        if route is None:
            if key == "user":
                return _json(406, {"success": False, "message": "Not acceptable"})
            return _json(404, {"success": False, "message": "Not found"})
        if not self._rate_ok(key):
            return _json(429, RATE_LIMIT_BODY)
        fn, args = route
        try:
            if key == "user":
                err = self._auth_user(params)
            else:
                err = self._auth_page(key, params)
            if err is not None:
                return err
            return mutate(self._answer(fn, args, params, body), mutations)
        except BadRequest as e:
            return _json(e.status, {"success": False, "message": str(e)})

    def _fault_response(self, rule) -> httpx.Response:
        assert rule.kind not in PASS_THROUGH
        return fault_response(rule, RATE_LIMIT_BODY)

    def _rate_ok(self, key: str) -> bool:
        if not self.rate_limit_per_second:
            return True
        limit = int(self.rate_limit_per_second)
        now = self._clock()
        with self._lock:
            win = self._windows.setdefault(key, deque())
            while win and win[0] <= now - 1.0:
                win.popleft()
            if len(win) >= limit:
                return False
            win.append(now)
            return True

    # --- auth ------------------------------------------------------------------------
    def _auth_user(self, params):
        tok = params.get("access_token")
        with self._lock:
            if not tok or tok in self._revoked or tok != self.user_token:
                return _json(200, ERR_102)
            if self._user_expired == "103":
                return _json(200, ERR_103)
            if self._user_expired == "401":
                return _json(401, ERR_401)
        return None

    def _auth_page(self, page_id, params):
        tok = params.get("page_access_token")
        with self._lock:
            if page_id in self.faults.dead_token_pages:
                return _json(200, ERR_105)
            if not tok or tok in self._revoked:
                return _json(200, ERR_102)
            if self._renewed.get(tok) == page_id:
                return _json(200, ERR_105)
            if page_id not in self._specs or self._page_tokens.get(page_id) != tok:
                return _json(200, ERR_102)
        return None

    # --- routing ---------------------------------------------------------------------
    def _route(self, method, path, m):
        if m is None:
            sub = _USER_API.match(path).group(1) or ""
            if method == "GET" and sub == "/pages":
                return self._r_pages, ()
            mm = re.match(r"^/pages/([^/]+)/generate_page_access_token$", sub)
            if mm and method == "POST":
                return self._r_generate, (mm.group(1),)
            if method == "GET" and sub == "/statistics/user":
                return self._r_user_stats_multi, ()
            return None
        version, page_id, rest = m.group(1), m.group(2), (m.group(3) or "")
        if page_id not in self._specs and version in ("v1", "v2"):
            pass  # auth answers 102 for unknown pages
        if version == "v2":
            if method == "GET" and rest == "conversations":
                return self._r_conversations_v2, (page_id,)
            return None
        if version != "v1":
            return None
        spec = self._specs.get(page_id)
        if rest.startswith("statistics/"):
            name = rest[len("statistics/"):]
            if method != "GET":
                return None
            table = {"pages_campaigns": self._r_ads_campaigns, "ads": self._r_ads,
                     "customer_engagements": self._r_engagements, "pages": self._r_page_stats,
                     "tags": self._r_tag_stats, "users": self._r_user_stats}
            if name in table:
                return table[name], (page_id,)
            if name in ("customers", "page_customers"):
                if spec is not None and name not in spec.new_customers_endpoints:
                    return None
                return self._r_new_customers, (page_id,)
            return None
        simple = {("GET", "conversations"): self._r_conversations_v1,
                  ("GET", "page_customers"): self._r_page_customers,
                  ("GET", "tags"): self._r_tags, ("GET", "users"): self._r_users,
                  ("GET", "posts"): self._r_posts, ("GET", "export_data"): self._r_export}
        if (method, rest) in simple:
            return simple[(method, rest)], (page_id,)
        mm = re.match(r"^conversations/([^/]+)/(tags|assign|read|unread|messages)$", rest)
        if mm:
            cid, action = mm.group(1), mm.group(2)
            if action == "messages" and method in ("GET", "POST"):
                return (self._r_messages if method == "GET" else self._r_send_message), (page_id, cid)
            if action == "assign" and method in ("POST", "GET"):
                return self._r_assign, (page_id, cid)
            if method == "POST" and action == "tags":
                return self._r_tag_conv, (page_id, cid)
            if method == "POST" and action in ("read", "unread"):
                return self._r_read, (page_id, cid, action == "read")
        return None

    # --- param helpers ---------------------------------------------------------------
    def _date_range(self, params, name="date_range") -> tuple[datetime, datetime]:
        text = params.get(name)
        if not text:
            raise BadRequest(f"{name} is required (e.g. 27/07/2021 00:00:00 - 26/08/2021 23:59:59)")
        try:
            return parse_date_range(text)
        except ValueError as e:
            raise BadRequest(f"invalid {name}: {e}") from None

    def _int(self, params, name, *, required=True, default=None, minimum=None, maximum=None):
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise BadRequest(f"{name} is required")
            return default
        try:
            v = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
        if minimum is not None and v < minimum:
            raise BadRequest(f"{name} must be >= {minimum}")
        if maximum is not None and v > maximum:
            raise BadRequest(f"{name} must be <= {maximum}")
        return v

    def _since_until(self, params) -> tuple[datetime, datetime]:
        since = self._int(params, "since")
        until = self._int(params, "until")
        if until < since:
            raise BadRequest("until must be >= since")
        return unix_to_local(since, self.tz), unix_to_local(until, self.tz)

    def _label(self, spec: PageSpec, d: date) -> str:
        return f"{d.day}/{d.month}" if spec.category_style == "dm" else f"{d.day}/{d.month}/{d.year}"

    @staticmethod
    def _days_newest_first(s: datetime, e: datetime) -> list[date]:
        n = (e.date() - s.date()).days
        return [e.date() - timedelta(days=i) for i in range(n + 1)]

    def _body(self, body: bytes) -> dict:
        if not body:
            return {}
        try:
            data = json.loads(body)
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}

    # --- user API --------------------------------------------------------------------
    def _page_obj(self, spec: PageSpec) -> dict:
        return {"id": spec.id, "name": spec.name, "platform": spec.platform,
                "avatar_url": spec.avatar_url or f"https://content.pancake.vn/avatar/{stable_digits(12, spec.id)}.jpg",
                "is_activated": True, "role_in_page": "ADMINISTER", "timezone": 7,
                "inserted_at": "2023-05-12T03:14:15"}

    def _r_pages(self, params, body):
        pages = [self._page_obj(p) for p in self.pages]
        if self.pages_shape == "documented":
            return _json(200, {"pages": pages})
        inactive = []
        if self.include_inactive_page:
            inactive = [{**INACTIVE_DEMO_PAGE, "avatar_url": None, "is_activated": False}]
        return _json(200, {"success": True, "categorized": {
            "activated": pages, "activated_page_ids": [p.id for p in self.pages],
            "inactivated": inactive}})

    def _r_generate(self, params, body, page_id):
        if page_id not in self._specs:
            return _json(403, {"success": False, "message": "You are not an admin of this page"})
        return _json(200, {"success": True, "page_access_token": self.regenerate_page_token(page_id)})

    def _r_user_stats_multi(self, params, body):
        raw = params.get("page_ids")
        if not raw:
            raise BadRequest("page_ids is required (e.g. page_id1,page_id2)")
        ids = [x for x in raw.split(",") if x]
        unknown = [x for x in ids if x not in self._specs]
        if unknown:
            raise BadRequest(f"unknown page_ids: {','.join(unknown)}")
        s, e = self._date_range(params)
        merged: dict[str, dict[datetime, dict]] = {}
        names = {}
        for pid in ids:
            for st in self._staff[pid]:
                names.setdefault(st.id, st)
            for uid, rows in self.truth.user_rows(pid, s, e).items():
                per = merged.setdefault(uid, {})
                for hdt, r in rows:
                    per[hdt] = _merge_rows(per.get(hdt), r)
        statistics, users = {}, {}
        for uid, per in merged.items():
            rows = sorted(per.items())
            statistics[uid] = [_user_row(hdt, r, orders=True) for hdt, r in rows]
            users[uid] = totals_of(rows, names.get(uid))
        return _json(200, {"statistics": statistics, "users": users})

    # --- statistics ------------------------------------------------------------------
    def _r_engagements(self, params, body, page_id):
        spec = self._specs[page_id]
        s, e = self._date_range(params)
        by_hour = str(params.get("by_hour", "")).lower() in ("true", "1")
        raw_ids = params.get("user_ids")
        user_ids = [x for x in raw_ids.split(",") if x] if raw_ids else None
        tr = self.truth
        if by_hour:
            rows = []
            for hdt in hours_between(s, e):
                v = tr.engagement_hour(page_id, hdt, user_ids)
                if any(v[k] for k in ENG_HOUR_FIELDS):
                    rows.append({"comment": v["comment"], "hour": _hour_str(hdt), "inbox": v["inbox"],
                                 "new_customer": v["new_customer"],
                                 "new_customer_from_inbox": v["new_customer_from_inbox"], "total": v["total"]})
            rows.reverse()
            return _json(200, {"statistics": rows, "success": True})
        days = self._days_newest_first(s, e)
        vals = [tr.engagement_day(page_id, d, user_ids, s, e) for d in days]
        names = ("inbox", "comment", "total", "new_customer_replied", "customer_engagement_new_inbox",
                 "order_count", "old_order_count")
        series = [{"data": [v[n] for v in vals], "name": n} for n in names]
        ue = []
        wanted = set(user_ids) if user_ids is not None else None
        staff = {st.id: st for st in self._staff[page_id]}
        for uid, rows in tr.user_rows(page_id, s, e).items():
            if wanted is not None and uid not in wanted:
                continue
            ui = sum(r["unique_inbox_count"] for _, r in rows)
            uc = sum(r["unique_comment_count"] for _, r in rows)
            ue.append({"user_id": uid, "name": staff[uid].name if uid in staff else None,
                       "inbox_count": ui, "order_count": sum(r["order_count"] for _, r in rows),
                       "old_order_count": sum(r["old_order_count"] for _, r in rows),
                       "total_engagement": ui + uc})
        return _json(200, {"data": {"categories": [self._label(spec, d) for d in days], "series": series},
                           "users_engagements": ue, "success": True})

    def _r_user_stats(self, params, body, page_id):
        s, e = self._date_range(params)
        staff = {st.id: st for st in self._staff[page_id]}
        statistics, users = {}, {}
        for uid, rows in self.truth.user_rows(page_id, s, e).items():
            statistics[uid] = [_user_row(hdt, r, orders=False) for hdt, r in rows]
            tot = totals_of(rows, staff.get(uid), with_orders=False)
            users[uid] = tot
        return _json(200, {"data": {"statistics": statistics, "users": users}, "success": True})

    def _r_page_stats(self, params, body, page_id):
        s, e = self._since_until(params)
        rows = []
        for hdt in hours_between(s, e):
            v = self.truth.page_hour(page_id, hdt)
            if v is not None:
                rows.append({"hour": _hour_str(hdt), **{k: v[k] for k in PAGE_FIELDS}})
        return _json(200, {"success": True, "data": rows})

    def _tag_key(self, spec, tid) -> str:
        return f"tag_{tid}" if spec.tag_key_style == "prefixed" else str(tid)

    def _tag_val(self, spec, page_id, tid, d):
        det = self.truth.tag_day_detail(page_id, tid, d)
        return det if spec.tag_value_style == "pin_total" else det["total"]

    def _r_tag_stats(self, params, body, page_id):
        spec = self._specs[page_id]
        s, e = self._since_until(params)
        days = self._days_newest_first(s, e)
        ids = range(len(spec.tags))
        series = {self._tag_key(spec, t): [self._tag_val(spec, page_id, t, d) for d in days] for t in ids}
        today = self.today()
        today_series = {self._tag_key(spec, t): [self._tag_val(spec, page_id, t, today)] for t in ids}
        tags = [{"id": str(t), "text": spec.tags[t][0], "color": spec.tags[t][1],
                 "lighten_color": spec.tags[t][2], "description": None} for t in ids]
        return _json(200, {"success": True,
                           "data": {"categories": [self._label(spec, d) for d in days], "series": series},
                           "data_today": {"categories": [self._label(spec, today)], "series": today_series},
                           "tags": tags})

    def _r_new_customers(self, params, body, page_id):
        s, e = self._date_range(params)
        group_by = params.get("group_by") or "day"
        if group_by not in ("day", "hour", "page_id"):
            raise BadRequest("group_by must be one of day, hour, page_id")
        tr = self.truth
        if group_by == "hour":
            rows = []
            for hdt in hours_between(s, e):
                v = tr.new_customers_hour(page_id, hdt)
                if any(v.values()):
                    rows.append({"date": _hour_str(hdt), **v})
            return _json(200, {"data": rows, "success": True})
        rows = []
        for d in self._days_newest_first(s, e):
            v = dict.fromkeys(NEWC_FIELDS, 0)
            for hdt in hours_between(max(s, datetime(d.year, d.month, d.day)),
                                     min(e, datetime(d.year, d.month, d.day, 23, 59, 59))):
                for k, x in tr.new_customers_hour(page_id, hdt).items():
                    v[k] += x
            if any(v.values()):
                rows.append({"date": d.isoformat(), **v})
        if group_by == "page_id":
            return _json(200, {"data": {page_id: rows}, "success": True})
        return _json(200, {"data": rows, "success": True})

    def _ads_rows(self, page_id, s: datetime, e: datetime) -> list[dict]:
        spec = self._specs[page_id]
        rows = self.truth.ads(page_id, s.date(), e.date())
        if spec.ads_numbers != "string":
            return rows
        return [{k: (_num_str(v) if k in AD_NUMERIC else v) for k, v in r.items()} for r in rows]

    def _ads_wrap(self, spec, rows):
        return _json(200, {"data": rows, "success": True} if spec.ads_wrapped else rows)

    def _r_ads_campaigns(self, params, body, page_id):
        s, e = self._since_until(params)
        return self._ads_wrap(self._specs[page_id], self._ads_rows(page_id, s, e))

    def _r_ads(self, params, body, page_id):
        typ = params.get("type")
        if typ not in ("by_id", "by_time"):
            raise BadRequest("type is required: by_id or by_time")
        s, e = self._since_until(params)
        spec = self._specs[page_id]
        if typ == "by_id":
            return self._ads_wrap(spec, self._ads_rows(page_id, s, e))
        rows = []
        for i in range((e.date() - s.date()).days + 1):
            d = s.date() + timedelta(days=i)
            per_cur: dict[str, dict] = {}
            for ad in spec.ads:
                x = self.truth.ad_day(page_id, ad, d)
                if not x:
                    continue
                acc = per_cur.setdefault(ad.currency, {"date": d.isoformat(), "currency": ad.currency,
                                                       **dict.fromkeys(x, 0)})
                for k, v in x.items():
                    acc[k] += v
            for acc in per_cur.values():
                if acc["currency"] == "USD":
                    acc["spend"] = round(acc["spend"], 2)
                    acc["purchases_conversion_value"] = round(acc["purchases_conversion_value"], 2)
                else:
                    acc["spend"] = int(acc["spend"])
                    acc["purchases_conversion_value"] = int(acc["purchases_conversion_value"])
                if spec.ads_numbers == "string":
                    acc = {k: (v if k in ("date", "currency") else _num_str(v)) for k, v in acc.items()}
                rows.append(acc)
        return self._ads_wrap(spec, rows)

    # --- page API: lists -------------------------------------------------------------
    def _r_tags(self, params, body, page_id):
        spec = self._specs[page_id]
        return _json(200, {"success": True, "tags": [
            {"id": i, "text": t[0], "color": t[1], "lighten_color": t[2]} for i, t in enumerate(spec.tags)]})

    def _r_users(self, params, body, page_id):
        spec = self._specs[page_id]
        staff = self._staff[page_id]
        users = [{"id": s.id, "name": s.name, "fb_id": s.fb_id, "status": "available",
                  "page_permissions": {"permissions": [100, 71, 81]} if i == 0 else None,
                  "status_in_page": "active", "is_online": i % 2 == 0} for i, s in enumerate(staff)]
        disabled = [{"id": i, "name": n, "fb_id": f} for i, n, f in spec.disabled_staff]
        return _json(200, {"success": True, "users": users, "disabled_users": disabled,
                           "round_robin_users": {"comment": [staff[-1].id] if staff else [],
                                                 "inbox": [s.id for s in staff[1:3]]}})

    # --- memo ------------------------------------------------------------------------
    # Dashboards ask the same questions at once, paging a window asks for the same sorted list
    # once per page number, and a conversation's messages are read 30 at a time: an answer of a
    # read route ("responses"), a window's sorted list ("windows") and a conversation's messages
    # ("messages") are kept for the next request. A key carries what the value depends on: the
    # route's parameters, the exact "now" and the version of the conversations' state (bumped by
    # every write: tags, assignees, seen). While "now" is the wall clock, an answer is not kept,
    # and a window's list and a conversation's messages are kept within their second (the key's
    # "now" is the second; paging a list of 2,000 conversations sorted it again for each page of
    # 60: a third of the suite's CPU). A value computed while "now" or the state moved is not
    # kept. At most MEMO_SIZE[store] values per store (an answer is at most ~100 kB), the least
    # recently used dropped first.
    MEMO_SIZE = {"responses": 256, "windows": 64, "messages": 1024}

    def _answer(self, fn, args, params, body) -> httpx.Response:
        if getattr(fn, "__func__", None) not in self._readers:
            return fn(params, body, *args)
        key = (fn.__name__, args, tuple(sorted((k, v) for k, v in params.items()
                                               if k not in ("access_token", "page_access_token"))))

        def compute():
            resp = fn(params, body, *args)
            return resp.status_code, resp.content, resp.headers.raw
        status, content, headers = self._memoised("responses", key, compute)
        return httpx.Response(status, content=content, headers=headers)

    def _moment(self) -> datetime:
        """The memo's "now": the fixed one, else the wall clock's second."""
        return self.now() if self._now is not None else self.now().replace(microsecond=0)

    def _memoised(self, store: str, key: tuple, compute: Callable[[], object]):
        if self._now is None and store == "responses":
            return compute()
        key = (*key, self._moment(), self._state_version)
        memo = self._memos[store]
        with self._memo_lock:
            got = memo.get(key)
            if got is not None:
                memo.move_to_end(key)
                return got
        value = compute()
        if key[-2:] == (self._moment(), self._state_version):
            with self._memo_lock:
                memo[key] = value
                while len(memo) > self.MEMO_SIZE[store]:
                    memo.popitem(last=False)
        return value

    # --- conversations ---------------------------------------------------------------
    def _conv_obj(self, page_id, t_local: datetime, c, now: datetime | None = None) -> dict:
        """A conversation as the API lists it, at ``now`` (default: the simulator's now)."""
        spec = self._specs[page_id]
        staff = self._staff[page_id]
        st = self._conv_state.get((page_id, c.id), {})
        ins = self._utc(t_local)
        th = self.truth.thread(page_id, t_local, c, now)
        upd = self._utc(th.times[-1])
        cust_id = stable_uuid("customer", page_id, c.psid)
        fb_id = f"wa_c.us@{c.psid}" if spec.platform == "whatsapp" else c.psid
        assignee = staff[int(c.psid[-2:]) % len(staff)] if staff else None
        assignee_ids = st.get("assignee_ids", [assignee.id] if assignee else [])
        tags = sorted(st.get("tags", set(c.tags)))
        cust = {"fb_id": fb_id, "id": cust_id, "name": c.name}
        return {
            "id": c.id, "page_id": page_id, "customer_id": cust_id, "type": c.type,
            "inserted_at": ins.isoformat(), "updated_at": upd.isoformat(),
            "post_id": c.id.rsplit("_", 1)[0] if c.type == "COMMENT" else None,
            "snippet": MESSAGES_CUSTOMER[int(c.psid[-3:]) % len(MESSAGES_CUSTOMER)],
            "seen": st.get("seen", c.update_minutes % 3 != 0 and not th.from_customer[-1]),
            "message_count": len(th.times),
            "has_phone": c.has_phone, "tags": tags, "tag_histories": [], "assignee_histories": [],
            "recent_phone_numbers": ([{"phone_number": "09" + c.psid[-8:], "captured": "09" + c.psid[-8:]}]
                                     if c.has_phone else []),
            "customers": [cust], "from": {"id": fb_id, "name": c.name, "email": None},
            "last_sent_by": ({"id": fb_id, "name": c.name, "email": None} if th.from_customer[-1] else
                             {"id": page_id, "name": spec.name,
                              "admin_id": assignee.fb_id if assignee else None,
                              "admin_name": assignee.name if assignee else None}),
            "last_customer_interactive_at": (self._utc(th.last_customer_at).isoformat()
                                             if th.last_customer_at else None),
            "assignee_ids": assignee_ids,
            "current_assign_users": [{"id": s.id, "name": s.name} for s in staff if s.id in assignee_ids],
            "ad_ids": [spec.ads[0].ad_id] if c.from_ad and spec.ads else [],
        }

    def _utc(self, t_local: datetime) -> datetime:
        # = t_local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None), which subtracts this offset
        return t_local - self.tz.utcoffset(t_local)

    def _updated(self, page_id, t_local: datetime, c, now: datetime) -> datetime:
        """Local time of the conversation's latest message sent by ``now``."""
        return self.truth.last_sent(page_id, t_local, c, now)

    def _r_conversations_v1(self, params, body, page_id):
        s, e = self._since_until(params)
        if self._int(params, "until") - self._int(params, "since") > MAX_CONV_WINDOW_S:
            raise BadRequest("the time range (until - since) must be at most 1 month")
        page_number = self._int(params, "page_number", minimum=1)
        order_by = params.get("order_by") or "inserted_at"
        if order_by not in ("inserted_at", "updated_at"):
            raise BadRequest("order_by must be inserted_at or updated_at")
        tags = params.get("tags")

        def compute():
            convs = self._filter_tags(page_id, self.truth.conversations(page_id, s, e), tags)
            now = self.now()       # one "now" for the whole order
            key = (lambda x: x[0]) if order_by == "inserted_at" else \
                (lambda x: self._updated(page_id, *x, now))
            convs.sort(key=key, reverse=True)
            return convs
        convs = self._memoised("windows", ("v1", page_id, s, e, order_by, tags), compute)
        chunk = convs[(page_number - 1) * CONV_PAGE_SIZE_V1: page_number * CONV_PAGE_SIZE_V1]
        now = self.now()
        return _json(200, {"conversations": [self._conv_obj(page_id, t, c, now) for t, c in chunk],
                           "success": True, "total": len(convs)})

    def _filter_tags(self, page_id, convs, raw):
        if not raw:
            return convs
        try:
            want = {int(x) for x in raw.split(",") if x.strip()}
        except ValueError:
            raise BadRequest("tags must be a comma-separated list of tag ids") from None
        out = []
        for t, c in convs:
            tags = self._conv_state.get((page_id, c.id), {}).get("tags", set(c.tags))
            if want & set(tags):
                out.append((t, c))
        return out

    def _r_conversations_v2(self, params, body, page_id):
        if params.get("since") or params.get("until"):
            s, e = self._since_until(params)
        else:
            e = self._moment()     # the memo's key: the same list for every page of a walk
            s = datetime.combine(e.date() - timedelta(days=13), datetime.min.time())
        tags, types = params.get("tags"), params.get("type")

        def compute():
            convs = self._filter_tags(page_id, self.truth.conversations(page_id, s, e), tags)
            if types:
                convs = [x for x in convs if x[1].type in types.split(",")]
            now = self.now()       # one "now" for the whole order
            convs.sort(key=lambda x: (self._updated(page_id, *x, now), x[1].id), reverse=True)
            first_at: dict[str, int] = {}
            for i, (_, c) in enumerate(convs):
                first_at.setdefault(c.id, i)
            return convs, first_at
        convs, first_at = self._memoised("windows", ("v2", page_id, s, e, tags, types), compute)
        last = params.get("last_conversation_id")
        start = 0
        if last:
            idx = first_at.get(last)
            start = len(convs) if idx is None else idx + 1
        chunk = convs[start:start + CONV_PAGE_SIZE_V2]
        now = self.now()
        return _json(200, {"conversations": [self._conv_obj(page_id, t, c, now) for t, c in chunk], "success": True})

    def _find_conv(self, page_id, conv_id):
        m = re.search(r"(\d{8})(\d{2})(\d{5})(\d{2})(?:@c\.us)?$", conv_id)
        if not m or page_id not in self._specs:
            raise BadRequest("conversation not found")
        try:
            d = datetime.strptime(m.group(1), "%Y%m%d").date()
        except ValueError:
            raise BadRequest("conversation not found") from None
        c = self.truth.conv_by_id(page_id, d, conv_id)
        if c is None:
            raise BadRequest("conversation not found")
        return datetime(d.year, d.month, d.day, c.hour, c.minute, c.second), c

    def _r_tag_conv(self, params, body, page_id, conv_id):
        data = {**params, **self._body(body)}
        action, tag_id = data.get("action"), data.get("tag_id")
        if action not in ("add", "remove"):
            raise BadRequest("action is required: add or remove")
        try:
            tid = int(tag_id)
        except (TypeError, ValueError):
            raise BadRequest("tag_id is required") from None
        _, c = self._find_conv(page_id, conv_id)
        with self._lock:
            st = self._conv_state.setdefault((page_id, conv_id), {})
            tags = set(st.get("tags", set(c.tags)))
            (tags.add if action == "add" else tags.discard)(tid)
            st["tags"] = tags
            self._state_version += 1
        return _json(200, {"data": sorted(tags), "success": True,
                           "timestamp": int(datetime.now(UTC).timestamp() * 1_000_000)})

    def _r_assign(self, params, body, page_id, conv_id):
        data = self._body(body)
        ids = data.get("assignee_ids", params.get("assignee_ids"))
        if isinstance(ids, str):
            ids = [x for x in ids.split(",") if x]
        if not isinstance(ids, list):
            raise BadRequest("assignee_ids (array) is required")
        t, c = self._find_conv(page_id, conv_id)
        with self._lock:
            self._conv_state.setdefault((page_id, conv_id), {})["assignee_ids"] = list(ids)
            self._state_version += 1
        obj = self._conv_obj(page_id, t, c)
        return _json(200, {"success": True, "assignee_group_id": None, "assignee_ids": list(ids),
                           "customers": obj["customers"], "from": obj["from"], "id": c.id,
                           "page_id": page_id, "seen": obj["seen"], "updated_at": obj["updated_at"],
                           "tags": obj["tags"], "type": c.type})

    def _r_read(self, params, body, page_id, conv_id, read):
        self._find_conv(page_id, conv_id)
        with self._lock:
            self._conv_state.setdefault((page_id, conv_id), {})["seen"] = read
            self._state_version += 1
        return _json(200, {"success": True})

    def _messages_of(self, page_id, t_local, c) -> list[dict]:
        """The messages of a conversation sent so far (``Truth.thread``), newest first; who sent
        each is ``Truth.senders`` (staff with ``admin_id``/``admin_name``, or BotcakeAI)."""
        spec = self._specs[page_id]
        rng = rng_for(self.seed, "msg", page_id, c.id)
        th = self.truth.thread(page_id, t_local, c)
        fb_id = f"wa_c.us@{c.psid}" if spec.platform == "whatsapp" else c.psid
        out = []
        for i, (sent, (from_customer, member, is_bot)) in enumerate(
                zip(th.times, self.truth.senders_of(page_id, c, th))):
            text = rng.choice(MESSAGES_CUSTOMER if from_customer else MESSAGES_PAGE)
            if from_customer:
                frm = {"id": fb_id, "name": c.name, "email": f"{c.psid}@facebook.com"}
            elif is_bot:
                frm = {"id": page_id, "name": spec.name, "is_automated": True, "admin_name": self.truth.BOT_NAME}
            else:
                frm = {"id": page_id, "name": spec.name, "is_automated": False,
                       **({"admin_id": member.fb_id, "uid": member.id, "admin_name": member.name}
                          if member is not None else {})}
            out.append({
                "attachments": [], "conversation_id": c.id, "from": frm,
                "has_phone": "09" in text, "id": f"m_{hashlib.sha1(f'{c.id}|{i}'.encode()).hexdigest()}",
                "inserted_at": self._utc(sent).strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "is_hidden": False, "is_livestream_order": None, "is_parent": False,
                "is_parent_hidden": False, "is_removed": False, "like_count": None,
                "message": text, "original_message": text, "page_id": page_id, "phone_info": [],
                "type": c.type})
        out.reverse()
        return out

    def _r_messages(self, params, body, page_id, conv_id):
        cc = self._int(params, "current_count", required=False, default=0, minimum=0)
        t, c = self._find_conv(page_id, conv_id)
        msgs = self._memoised("messages", ("messages", page_id, conv_id), lambda: self._messages_of(page_id, t, c))
        fb_id = msgs[-1]["from"]["id"] if msgs else None
        return _json(200, {"success": True, "conversation_id": c.id,
                           "conv_from": {"id": fb_id, "name": c.name},
                           "messages": msgs[cc:cc + MESSAGES_PER_CALL]})

    def _r_send_message(self, params, body, page_id, conv_id):
        data = self._body(body)
        if data.get("message") and data.get("content_ids"):
            raise BadRequest("message and content_ids are mutually exclusive")
        if not data.get("action"):
            raise BadRequest("action is required (reply_inbox, reply_comment, private_replies)")
        self._find_conv(page_id, conv_id)
        mid = "m_" + hashlib.sha1(f"{conv_id}|sent|{data}".encode()).hexdigest()
        return _json(200, {"success": True, "id": mid, "message": data.get("message") or ""})

    def _r_page_customers(self, params, body, page_id):
        s, e = self._since_until(params)
        page_number = self._int(params, "page_number", minimum=1)
        page_size = self._int(params, "page_size", required=False, default=60, minimum=1, maximum=100)
        def compute():
            convs = [(t, c) for t, c in self.truth.conversations(page_id, s, e) if c.is_new]
            convs.reverse()
            return convs
        convs = self._memoised("windows", ("page_customers", page_id, s, e), compute)
        chunk = convs[(page_number - 1) * page_size: page_number * page_size]
        out = []
        for t, c in chunk:
            ins = t.replace(tzinfo=self.tz).astimezone(UTC).replace(tzinfo=None)
            cid = stable_uuid("customer", page_id, c.psid)
            out.append({"id": cid, "customer_id": stable_uuid("gcustomer", c.psid), "name": c.name,
                        "psid": c.psid, "thread_id": None, "birthday": None,
                        "gender": "female" if int(c.psid[-1]) % 3 else "male", "lives_in": None,
                        "can_inbox": c.type == "INBOX", "emails": [],
                        "phone_numbers": ["09" + c.psid[-8:]] if c.has_phone else [],
                        "inserted_at": ins.isoformat(),
                        "updated_at": (ins + timedelta(minutes=c.update_minutes)).isoformat(),
                        "recent_orders": [], "notes": []})
        return _json(200, {"total": len(convs), "customers": out, "success": True})

    def _r_posts(self, params, body, page_id):
        s, e = self._since_until(params)
        page_number = self._int(params, "page_number", minimum=1)
        page_size = self._int(params, "page_size", minimum=1, maximum=30)
        typ = params.get("type")
        spec = self._specs[page_id]
        posts = []
        if spec.platform in ("facebook", "instagram"):
            now = self.now()
            for d in self._days_newest_first(s, e):
                rng = rng_for(self.seed, "posts", page_id, d.isoformat())
                for i in range(rng.randint(1, 3)):
                    t = datetime(d.year, d.month, d.day, rng.choice([9, 11, 12, 19, 20, 21]), rng.randrange(60))
                    if not (s <= t <= e and t <= now):
                        continue
                    ptype = rng.choice(["photo", "photo", "video", "text", "livestream"])
                    if typ and ptype != typ:
                        continue
                    ins = t.replace(tzinfo=self.tz).astimezone(UTC).replace(tzinfo=None)
                    posts.append((t, {
                        "id": f"{page_id}_{stable_digits(15, 'post', page_id, d, i)}", "page_id": page_id,
                        "from": {"id": page_id, "name": spec.name},
                        "message": rng.choice(["Hàng mới về, inbox ngay để được tư vấn ạ!",
                                               "Flash sale cuối tuần - giảm 30% toàn bộ sản phẩm",
                                               "Feedback khách yêu 💕", "Livestream 20h tối nay nhé cả nhà"]),
                        "type": ptype, "inserted_at": ins.isoformat(), "comment_count": rng.randint(0, 80),
                        "reactions": {"angry_count": 0, "care_count": rng.randint(0, 5), "haha_count": rng.randint(0, 9),
                                      "like_count": rng.randint(5, 400), "love_count": rng.randint(0, 60),
                                      "sad_count": 0, "wow_count": rng.randint(0, 7)},
                        "phone_number_count": rng.randint(0, 6)}))
        posts.sort(key=lambda x: x[0], reverse=True)
        chunk = [p for _, p in posts[(page_number - 1) * page_size: page_number * page_size]]
        return _json(200, {"success": True, "total": len(posts), "posts": chunk})

    def _r_export(self, params, body, page_id):
        if params.get("action") != "conversations_from_ads":
            raise BadRequest("action is required and must be conversations_from_ads")
        s, e = self._since_until(params)
        offset = self._int(params, "offset", required=False, default=0, minimum=0)
        convs = [(t, c) for t, c in self.truth.conversations(page_id, s, e) if c.from_ad]
        chunk = convs[offset:offset + EXPORT_PER_CALL]
        staff = self._staff[page_id]
        spec = self._specs[page_id]
        out = []
        now = self.now()
        for t, c in chunk:
            o = self._conv_obj(page_id, t, c, now)
            out.append({"id": c.id, "tags": [str(x) for x in o["tags"]],
                        "from": {"email": f"{c.psid}@facebook.com", "id": c.psid, "name": c.name},
                        "inserted_at": o["inserted_at"], "updated_at": o["updated_at"],
                        "customers": o["customers"],
                        "recent_phone_numbers": [p["phone_number"] for p in o["recent_phone_numbers"]],
                        "recent_seen_users": [], "thread_key": f"t_{c.psid}", "psid": c.psid,
                        "ad_clicks": [spec.ads[0].ad_id] if spec.ads else [], "is_banned": False,
                        "assignees": [{"id": s.id, "name": s.name} for s in staff if s.id in o["assignee_ids"]]})
        return _json(200, {"data": out, "success": True})


def _num_str(v):
    if v is None:
        return None
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


def _user_row(hdt: datetime, r: dict, *, orders: bool) -> dict:
    row = {k: r[k] for k in USER_FIELDS}
    row["hour"] = _hour_str(hdt)
    if orders:
        row["order_count"] = r["order_count"]
    return dict(sorted(row.items()))


def _merge_rows(a: dict | None, b: dict) -> dict:
    """Same staff member, same hour, two pages: sum counts, weight the average."""
    if a is None:
        return dict(b)
    out = {k: a[k] + b[k] for k in a if k != "average_response_time"}
    wa = a["unique_inbox_count"] + a["unique_comment_count"]
    wb = b["unique_inbox_count"] + b["unique_comment_count"]
    out["average_response_time"] = (int(round((a["average_response_time"] * wa + b["average_response_time"] * wb)
                                              / (wa + wb))) if wa + wb else 0)
    return out
