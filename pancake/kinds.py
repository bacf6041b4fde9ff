"""The registry of statistics kinds: everything the code knows about one statistics endpoint
lives in its class here, registered once (one class per kind).

A kind says which client call fetches it, which reshaper turns a window's payload into
frames, how windows merge, the frames it yields, the metrics source of its fields, its name
in both languages, its CSV (the CLI's columns) and whether it has an hourly variant. The data
layer, the CLI (``KIND`` choices, help and CSV shape), the spinners and the standup screen all
read it; none of them branches on a kind's name.

Adding an endpoint: write its reshaper in ``pancake.reshape``, its metrics in
``pancake.metrics`` (a source named like the kind), then a class here with ``@register``.
"""
from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pandas as pd

from . import errors, i18n, metrics, reshape
from .client import Chunk, PancakeClient

REGISTRY: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: add one instance of ``cls`` to the registry under ``cls.name``."""
    if cls.name in REGISTRY:
        raise ValueError(f"kind {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> Kind:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; expected one of {', '.join(REGISTRY)}") from None


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


class Kind:
    """One statistics endpoint. Subclasses set the class attributes and ``chunks``/``reshape``;
    the defaults merge windows by ``keys`` and export ``csv_frame``."""
    name: ClassVar[str]
    endpoint: ClassVar[str]                     # the API path, for help texts
    source: ClassVar[str]                       # metrics source of the fields
    frames: ClassVar[tuple[str, ...]]           # names of the frames ``fetch`` returns
    keys: ClassVar[dict[str, list[str]]] = {}   # frame -> merge keys across windows
    csv_frame: ClassVar[str]                    # the frame the CLI writes
    hourly: ClassVar[bool] = False              # an hourly variant exists (--by-hour, grain=hour)
    csv_drop_if_empty: ClassVar[tuple[str, ...]] = ()  # optional series the API may not send
    help: ClassVar[str]                         # one line for the CLI's KIND list

    # --- what the registry readers call -----------------------------------------------------
    def label(self, lang: str) -> str:
        return i18n.t(f"kind.{self.name}", lang)

    def fetch(self, client: PancakeClient, page_id: str, start: date, end: date, *,
              hourly: bool = False, **options: Any) -> dict[str, pd.DataFrame]:
        """One page's frames over [start, end]: every window fetched, reshaped and merged."""
        if hourly and not self.hourly:
            raise ValueError(f"{self.name} has no hourly variant")
        chunks = self.chunks(client, page_id, start, end, hourly=hourly, **options)
        parts = [self.reshape(c, page_id, hourly=hourly) for c in chunks]
        return self.merge(parts, hourly=hourly)

    def csv(self, frames: dict[str, pd.DataFrame], *, hourly: bool = False) -> pd.DataFrame:
        """The exported table: the API's field names, one row at the grain asked."""
        frame = frames.get(self.csv_frame, pd.DataFrame())
        drop = [c for c in self.csv_drop_if_empty if c in frame.columns and frame[c].isna().all()]
        return frame.drop(columns=drop)

    # --- what a kind defines ---------------------------------------------------------------
    def chunks(self, client: PancakeClient, page_id: str, start: date, end: date, *,
               hourly: bool, **options: Any) -> list[Chunk]:
        raise NotImplementedError

    def reshape(self, chunk: Chunk, page_id: str, *, hourly: bool) -> dict[str, pd.DataFrame]:
        raise NotImplementedError

    def merge(self, parts: list[dict[str, pd.DataFrame]], *, hourly: bool) -> dict[str, pd.DataFrame]:
        """Windows -> one frame each: rows of a later window whose keys an earlier window already
        gave are dropped (never two rows of one window, such as a repeated clock hour)."""
        out = {}
        for name in (parts[0] if parts else {}):
            frames = [p[name] for p in parts]
            keys = self.keys.get(name)
            out[name] = reshape.merge_windows(frames, keys) if keys else reshape.concat(frames)
        return out


@register
class Engagement(Kind):
    name = "engagement"
    endpoint = "statistics/customer_engagements"
    source = "engagement"
    frames = ("daily", "staff", "hourly")
    keys = {"daily": ["page_id", "date"], "hourly": ["page_id", "hour"]}
    csv_frame = "daily"
    hourly = True
    csv_drop_if_empty = ("order_count", "old_order_count")
    help = "daily engagement series (statistics/customer_engagements); --by-hour for hourly"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.engagements(page_id, start, end, by_hour=hourly, user_ids=options.get("user_ids"))

    def reshape(self, chunk, page_id, *, hourly):
        if hourly:
            return {"hourly": reshape.engagement_hourly(chunk.payload, page_id)}
        return {"daily": reshape.engagement_daily(chunk.payload, page_id, chunk.start, chunk.end),
                "staff": reshape.users_engagements(chunk.payload, page_id)}

    def merge(self, parts, *, hourly):
        out = super().merge(parts, hourly=hourly)
        staff = out.get("staff")
        if staff is not None and not staff.empty and len(parts) > 1:
            counts = [c for c in staff.columns if c not in ("page_id", "user_id", "user_name")]
            g = staff.groupby(["page_id", "user_id"], sort=False)
            sums = g[counts].sum(min_count=1)
            sums.insert(0, "user_name", g["user_name"].last())
            out["staff"] = sums.reset_index()[list(staff.columns)]
        return out

    def csv(self, frames, *, hourly=False):
        if hourly:
            return frames.get("hourly", pd.DataFrame())
        return super().csv(frames)


STAFF_CSV_FIELDS = ["inbox_count", "comment_count", "phone_number_count", "private_reply_count",
                    "unique_inbox_count", "unique_comment_count", "average_response_time", "order_count"]


def combine_staff_totals(totals: pd.DataFrame) -> pd.DataFrame:
    """Per-user totals of one or several windows combined: counts added, response time weighted
    by reply sessions, so a member with no reply session has no response time (NaN), not 0."""
    if totals.empty:
        return totals
    names = totals.drop_duplicates(["page_id", "user_id"], keep="last").set_index(["page_id", "user_id"])
    out = metrics.combine_users(totals, by=["page_id", "user_id"])
    idx = list(zip(out["page_id"], out["user_id"]))
    for c in ("user_name", "user_fb_id"):
        if c in names.columns:
            out[c] = [names[c].get(k) for k in idx]
            out[c] = out[c].astype(totals[c].dtype)
    return out[[c for c in reshape.USER_TOTALS_COLUMNS if c in out.columns]
               + [c for c in out.columns if c not in reshape.USER_TOTALS_COLUMNS]]


@register
class Staff(Kind):
    name = "staff"
    endpoint = "statistics/users"
    source = "staff"
    frames = ("hourly", "totals")
    keys = {"hourly": ["page_id", "user_id", "hour"]}
    csv_frame = "totals"
    hourly = True
    help = "staff totals per page over the range (statistics/users); --by-hour for hourly rows"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.user_stats(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"hourly": reshape.user_hourly(chunk.payload, page_id),
                "totals": reshape.user_totals(chunk.payload, page_id)}

    def merge(self, parts, *, hourly):
        out = super().merge(parts, hourly=hourly)
        out["totals"] = combine_staff_totals(out.get("totals", pd.DataFrame()))
        return out

    def csv(self, frames, *, hourly=False):
        df = frames.get("hourly" if hourly else "totals", pd.DataFrame())
        cols = ["page_id", "user_id", "user_name"] + (["hour"] if hourly else []) + STAFF_CSV_FIELDS
        df = df[[c for c in cols if c in df.columns]]
        return df.drop(columns=[c for c in ("order_count",) if c in df.columns and df[c].isna().all()])


@register
class Activity(Kind):
    name = "activity"
    endpoint = "statistics/pages"
    source = "activity"
    frames = ("hourly",)
    keys = {"hourly": ["page_id", "hour"]}
    csv_frame = "hourly"
    help = "hourly page activity (statistics/pages)"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.page_stats(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"hourly": reshape.page_activity_frame(chunk.payload, page_id)}


@register
class Tags(Kind):
    name = "tags"
    endpoint = "statistics/tags"
    source = "tags"
    frames = ("daily",)
    keys = {"daily": ["page_id", "date", "tag_id"]}
    csv_frame = "daily"
    help = "conversations per tag per day (statistics/tags)"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.tag_stats(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"daily": reshape.tags_frame(chunk.payload, page_id, chunk.start, chunk.end)}

    def fetch(self, client, page_id, start, end, *, hourly=False, **options):
        frames = super().fetch(client, page_id, start, end, hourly=hourly, **options)
        daily = frames["daily"]
        unnamed = daily["tag_name"].astype(str).str.startswith("#") if not daily.empty else None
        if unnamed is not None and unnamed.any():
            try:  # put names on ids the statistics payload did not name
                listed = (client.tags(page_id) or {}).get("tags", [])
            except errors.PancakeError:
                listed = []
            names = {str(t.get("id")): t.get("text") for t in listed if isinstance(t, dict) and t.get("text")}
            if names:
                daily = daily.copy()
                daily.loc[unnamed, "tag_name"] = daily.loc[unnamed, "tag_id"].map(
                    lambda i: names.get(str(i), f"#{i}"))
                frames["daily"] = daily
        return frames

    def csv(self, frames, *, hourly=False):
        return frames.get("daily", pd.DataFrame())[["page_id", "date", "tag_id", "tag_name", "count"]]


@register
class Customers(Kind):
    name = "customers"
    endpoint = "statistics/customers"
    source = "customers"
    frames = ("data",)
    keys = {"data": ["page_id", "date"]}
    csv_frame = "data"
    hourly = True
    help = "new customers per day (statistics/customers); --by-hour for hourly"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.new_customers(page_id, start, end, group_by="hour" if hourly else "day")

    def reshape(self, chunk, page_id, *, hourly):
        return {"data": reshape.new_customers_frame(chunk.payload, page_id, chunk.start, chunk.end)}


@register
class Ads(Kind):
    name = "ads"
    endpoint = "statistics/pages_campaigns"
    source = "ads"
    frames = ("ads",)
    csv_frame = "ads"
    help = "one row per ad (statistics/pages_campaigns); budgets in the currency's main unit"

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        return client.ads_campaigns(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"ads": reshape.ads_frame(chunk.payload, page_id)}

    def merge(self, parts, *, hourly):
        return {"ads": metrics.merge_ad_windows([p["ads"] for p in parts])}
