"""Ground truth for the dashboard's numbers, straight from the simulator (``sim.truth``), summed
by hand here: what a page must show for a range. Shared by the kiosk AppTests and the browser
suite. Nothing here goes through the client, reshape or the views under test."""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pancake.api.simulator import DEMO_PAGE_IDS, Simulator

ENG_FIELDS = ("inbox", "comment", "total", "new_customer_replied", "customer_engagement_new_inbox",
              "order_count", "old_order_count")


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def sim(seed: int = 0) -> Simulator:
    return Simulator(seed=seed)


def engagement(s: Simulator, ids: Iterable[str], start: date, end: date) -> dict[str, int]:
    out = dict.fromkeys(ENG_FIELDS, 0)
    for pid in ids:
        for d in days(start, end):
            for k, v in s.truth.engagement_day(pid, d).items():
                if k in out:
                    out[k] += v
    return out


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime(start.year, start.month, start.day), datetime(end.year, end.month, end.day, 23, 59, 59)


def staff_totals(s: Simulator, ids: Iterable[str], start: date, end: date) -> list[dict]:
    rows = []
    for pid in ids:
        rows.extend(s.truth.user_totals(pid, *_bounds(start, end)).values())
    return rows


def weighted_ms(rows: Iterable[dict]) -> float:
    """Weighted mean of ``average_response_time`` by unique_inbox_count + unique_comment_count."""
    num = den = 0.0
    for r in rows:
        w = (r.get("unique_inbox_count") or 0) + (r.get("unique_comment_count") or 0)
        if w and r.get("average_response_time") is not None:
            num += r["average_response_time"] * w
            den += w
    return num / den if den else math.nan


def staff_day_rows(s: Simulator, ids: Iterable[str], d: date) -> list[dict]:
    rows = []
    for pid in ids:
        for hours in s.truth.user_rows(pid, *_bounds(d, d)).values():
            rows.extend(r for _, r in hours)
    return rows


def page_activity(s: Simulator, ids: Iterable[str], start: date, end: date) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid in ids:
        for d in days(start, end):
            for h in range(24):
                row = s.truth.page_hour(pid, datetime(d.year, d.month, d.day, h))
                for k, v in (row or {}).items():
                    if isinstance(v, (int, float)):
                        out[k] = out.get(k, 0) + v
    return out


def new_customers(s: Simulator, ids: Iterable[str], start: date, end: date) -> dict[str, int]:
    out: dict[str, int] = {}
    for pid in ids:
        for d in days(start, end):
            for k, v in s.truth.new_customers_day(pid, d).items():
                out[k] = out.get(k, 0) + v
    return out


def ads(s: Simulator, ids: Iterable[str], start: date, end: date) -> list[dict]:
    rows = []
    for pid in ids:
        for r in s.truth.ads(pid, start, end):
            rows.append({**r, "page_id": pid})
    return rows


def ads_sums(rows: Iterable[dict], currency: str) -> dict[str, float]:
    out = {"spend": 0.0, "purchases": 0.0, "purchases_conversion_value": 0.0}
    for r in rows:
        if r["currency"] != currency:
            continue
        for k in out:
            out[k] += r[k] or 0
    out["cost_per_purchase"] = out["spend"] / out["purchases"] if out["purchases"] else math.nan
    out["roas"] = out["purchases_conversion_value"] / out["spend"] if out["spend"] else math.nan
    return out


def standup_day_values(s: Simulator, ids: list[str], d: date) -> dict[tuple[str, str | None], float]:
    """The numbers behind "yesterday in five lines" for one day, keyed as views.kiosk.day_values."""
    e = engagement(s, ids, d, d)
    p = page_activity(s, ids, d, d)
    c = new_customers(s, ids, d, d)
    out: dict[tuple[str, str | None], float] = {(f, None): float(e[f]) for f in ("inbox", "comment", "order_count")}
    out.update({(f, None): float(p.get(f, 0)) for f in ("customer_inbox_count", "page_inbox_count")})
    out.update({(f, None): float(c.get(f, 0)) for f in ("new_customer_count", "new_phone_number_count")})
    out[("average_response_time", None)] = weighted_ms(staff_day_rows(s, ids, d))
    for r in ads(s, ids, d, d):
        key = ("spend", r["currency"])
        out[key] = out.get(key, 0.0) + float(r["spend"] or 0)
    return out


__all__ = ["DEMO_PAGE_IDS", "sim", "engagement", "staff_totals", "weighted_ms", "page_activity",
           "new_customers", "ads", "ads_sums", "standup_day_values", "days"]
