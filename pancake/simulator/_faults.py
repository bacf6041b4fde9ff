"""Fault injection: deterministic schedules of bad answers."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ._data import rng_for

FAULT_KINDS = ("429", "500", "502", "504", "non_json", "bad_json", "slow")

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
    (counted 1, 2, 3, ... per rule) it *fires* on: the first ``first_n``; every ``every``-th;
    with ``probability`` (deterministic: seeded by rule index and call number).

    kinds: ``"429"`` (observed JSON body; ``Retry-After: retry_after`` header when set),
    ``"500"`` (JSON error), ``"502"``/``"504"`` (nginx HTML pages), ``"non_json"`` (HTTP 200 HTML
    page), ``"bad_json"`` (HTTP 200 truncated JSON), ``"slow"`` (sleep ``latency`` seconds via
    the injectable ``Faults.sleep``, then answer normally).
    """
    kind: str
    first_n: int | None = None
    every: int | None = None
    probability: float = 0.0
    page_id: str | None = None
    path_contains: str | None = None
    retry_after: float | None = None
    latency: float = 0.0

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
                 "retry_after": ("retry_after", float), "latency": ("latency", float)}
        for part in filter(None, rest.split(",")):
            k, _, v = part.partition("=")
            if k not in names:
                raise ValueError(f"unknown fault option {k!r} in {text!r}")
            attr, conv = names[k]
            kw[attr] = conv(v)
        return FaultRule(kind, **kw)
