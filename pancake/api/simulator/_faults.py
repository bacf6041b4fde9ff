"""Fault injection: deterministic schedules of bad answers."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from pancake.api.simulator._data import rng_for

FAULT_KINDS = ("429", "403", "500", "502", "504", "non_json", "bad_json", "slow",
               # answers that claim success without what they should carry
               "no_data", "null_data", "empty_object", "not_object",
               # success:false with any error_code (``code``), a timeout, a page token renewed
               # elsewhere mid-run, extra or missing fields in the real answer's records
               "error_code", "timeout", "renew", "extra_fields", "missing_fields")
# kinds that let the call go on (the others replace the answer)
PASS_THROUGH = frozenset({"slow", "renew", "extra_fields", "missing_fields"})
MUTATIONS = frozenset({"extra_fields", "missing_fields"})

HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
            "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_504 = ("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway "
            "Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_MAINTENANCE = ("<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Pancake</title>"
                    "</head><body><h1>Hệ thống đang bảo trì</h1><p>Vui lòng thử lại sau.</p></body></html>")


@dataclass
class FaultRule:
    """One fault. It *matches* a call when ``page_id`` (``"user"`` for the user API) and
    ``path_contains`` (substring of the URL path) match (None = any). Among matching calls
    (counted per rule) it *fires* on the first ``first_n``, every ``every``-th, with
    ``probability`` (seeded by rule index and call number), or once after ``after`` calls.

    ``kind`` is one of ``FAULT_KINDS``: HTTP errors (``"429"``, ``"403"``, ``"500"``, ``"502"``, ``"504"``;
    ``retry_after`` sets Retry-After; 502 and 504 are nginx HTML pages), answers of the wrong shape (HTML, cut
    JSON, success without data), ``"error_code"`` (``code``), ``"timeout"`` (the transport raises;
    over HTTP use ``"slow"`` with ``latency``), ``"renew"`` (the page's token renewed: 105 from now
    on) and ``"extra_fields"``/``"missing_fields"`` (``field`` added to or removed from every record).
    """
    kind: str
    first_n: int | None = None
    every: int | None = None
    probability: float = 0.0
    page_id: str | None = None
    path_contains: str | None = None
    retry_after: float | None = None
    latency: float = 0.0
    code: int | None = None        # error_code for "error_code"
    after: int | None = None       # fire once, on matching call number after + 1
    field: str | None = None       # the field "missing_fields" removes / "extra_fields" adds

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    sleep: Callable[[float], None] = time.sleep
    dead_token_pages: frozenset[str] = frozenset()  # these pages answer error_code 105

    def __post_init__(self) -> None:
        self._counts = [0] * len(self.rules)
        self._lock = threading.Lock()
        self.dead_token_pages = frozenset(self.dead_token_pages)

    def pick(self, page_key: str | None, path: str) -> list[FaultRule]:
        """The rules that fire for this call (advances the per-rule counters)."""
        fired = []
        with self._lock:
            if len(self._counts) != len(self.rules):
                self._counts += [0] * (len(self.rules) - len(self._counts))
            for i, r in enumerate(self.rules):
                if r.page_id is not None and r.page_id != page_key:
                    continue
                if r.path_contains is not None and r.path_contains not in path:
                    continue
                self._counts[i] += 1
                n = self._counts[i]
                if (r.first_n is not None and n <= r.first_n) or \
                        (r.after is not None and n == r.after + 1) or \
                        (r.every and n % r.every == 0) or \
                        (r.probability > 0 and rng_for(self.seed, "fault", i, n).random() < r.probability):
                    fired.append(r)
        return fired

    @staticmethod
    def parse(text: str) -> FaultRule:
        """CLI form ``KIND[:key=value,...]``, keys: first, every, prob, page, path, retry_after, latency.
        E.g. ``429:every=7,retry_after=1``, ``502:prob=0.05``, ``slow:latency=2,path=statistics``."""
        kind, _, rest = text.partition(":")
        kw: dict = {}
        names = {"first": ("first_n", int), "every": ("every", int), "prob": ("probability", float),
                 "page": ("page_id", str), "path": ("path_contains", str),
                 "retry_after": ("retry_after", float), "latency": ("latency", float),
                 "code": ("code", int), "after": ("after", int), "field": ("field", str)}
        for part in filter(None, rest.split(",")):
            k, _, v = part.partition("=")
            if k not in names:
                raise ValueError(f"unknown fault option {k!r} in {text!r}")
            attr, conv = names[k]
            kw[attr] = conv(v)
        return FaultRule(kind, **kw)


def _json_response(status: int, body: Any, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"content-type": "application/json; charset=utf-8", **(headers or {})})


def fault_response(rule: FaultRule, rate_limit_body: dict) -> httpx.Response:
    """The answer that replaces the real one (kinds not in ``PASS_THROUGH``)."""
    k = rule.kind
    hdr = {"retry-after": f"{rule.retry_after:g}"} if rule.retry_after is not None else {}
    html = {"content-type": "text/html; charset=utf-8"}
    if k == "429":
        return _json_response(429, rate_limit_body, hdr)
    if k == "403":
        return _json_response(403, {"success": False, "message": "Forbidden"})
    if k == "500":
        return _json_response(500, {"errors": {"detail": "Internal Server Error"}}, hdr)
    if k == "502":
        return httpx.Response(502, content=HTML_502.encode(), headers={**html, **hdr})
    if k == "504":
        return httpx.Response(504, content=HTML_504.encode(), headers={**html, **hdr})
    if k == "non_json":
        return httpx.Response(200, content=HTML_MAINTENANCE.encode(),
                              headers={"content-type": "text/html; charset=utf-8"})
    if k == "no_data":
        return _json_response(200, {"success": True})
    if k == "null_data":
        return _json_response(200, {"success": True, "data": None})
    if k == "empty_object":
        return _json_response(200, {})
    if k == "not_object":
        return _json_response(200, "ok")
    if k == "error_code":
        code = 100 if rule.code is None else rule.code
        return _json_response(200, {"success": False, "error_code": code, "message": f"Simulated error {code}"})
    if k == "timeout":
        raise httpx.ReadTimeout("simulated read timeout")
    return httpx.Response(200, content=b'{"success": true, "data": {"categories": ["2',
                          headers={"content-type": "application/json"})


def _records(obj: Any):
    """Every dict that is an item of a list, anywhere in the payload."""
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict):
                yield item
            yield from _records(item)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _records(v)


def mutate(resp: httpx.Response, rules: list[FaultRule]) -> httpx.Response:
    """The real answer with fields added or removed in its records (``extra_fields``,
    ``missing_fields``); answers that are not a JSON success pass unchanged."""
    if not rules or resp.status_code != 200:
        return resp
    try:
        body = json.loads(resp.content)
    except ValueError:
        return resp
    for rule in rules:
        for rec in _records(body):
            if rule.kind == "extra_fields":
                rec[rule.field or "zz_extra"] = "7"
            else:
                rec.pop(rule.field or "", None)
        if rule.kind == "extra_fields" and isinstance(body, dict):
            body.setdefault("zz_meta", {"note": "a field this client does not know"})
    return _json_response(200, body, {k: v for k, v in resp.headers.items()
                                      if k.lower() not in ("content-length", "content-type")})
