"""The registry of statistics kinds: everything the code knows about one statistics endpoint
lives in its class here, registered once (``@register``; ARCHITECTURE.md's recipe adds one).

A kind says which client call fetches it, which reshaper turns a window's payload into frames,
how windows merge, the frames it yields, the metrics source of its fields, its name in both
languages, its CSV and whether it has an hourly variant. The data layer, the CLI, the spinners
and the standup screen all read it; none of them branches on a kind's name.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from pancake import i18n
from pancake.api import errors
from pancake.api.client import Chunk, PancakeClient
from pancake.data import gather, reshape
from pancake.numbers import metrics

REGISTRY: dict[str, Kind] = {}

# The CPU-bound steps of fetching (reshaping payloads, merging windows; the loader also encodes
# and composes under it) take turns in the process. Under the GIL they never run in parallel
# anyway, but dozens of fetch threads interleaving them cost more than the work: every short
# GIL release inside (pyarrow, numpy, SQLite) waits up to the 5 ms switch interval to come back,
# thousands of times per load. Network waits and store writes stay outside.
CPU_TURN = gather.Turn()     # the view waiting first, then the work asked first (``gather.Turn``)
_STR = pd.array([], dtype="str").dtype      # pandas' default text dtype, as the reshapers make it


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
    # the endpoint can be asked to a time of day (``until``: a partial today compared with the
    # same hours of the previous period); False for an endpoint that counts whole days only
    cuts_by_time: ClassVar[bool] = True

    # --- what the registry readers call -----------------------------------------------------
    def label(self, lang: str) -> str:
        return i18n.t(f"kind.{self.name}", lang)

    def fetch(self, client: PancakeClient, page_id: str, start: date, end: date, *,
              hourly: bool = False, **options: Any) -> dict[str, pd.DataFrame]:
        """One page's frames over [start, end]: every window fetched, reshaped and merged."""
        if hourly and not self.hourly:
            raise ValueError(f"{self.name} has no hourly variant")
        self.check_cut(options.get("until"))
        chunks = self.chunks(client, page_id, start, end, hourly=hourly, **options)
        with CPU_TURN:
            return self.assemble([[self.reshape(c, page_id, hourly=hourly) for c in chunks]], hourly=hourly)

    def assemble(self, pages: list[list[dict[str, pa.Table]]], *, hourly: bool,
                 merge: bool = True) -> dict[str, pd.DataFrame]:
        """Windows as Arrow tables -> one frame per name: for each page (in order) its windows
        (oldest first), all made into one frame at once, then merged (``combine``: the rows of
        every page merged as each page's alone would be). ``merge=False`` only concatenates
        (days composed from the store: disjoint by construction)."""
        names: list[str] = []
        for windows in pages:
            for part in windows:
                names.extend(n for n in part if n not in names)
        frames: dict[str, pd.DataFrame] = {}
        order: dict[str, np.ndarray] = {}
        for name in names:
            tables, window = [], []
            for windows in pages:
                for i, part in enumerate(windows):
                    if name in part:
                        tables.append(part[name])
                        window.append(np.full(part[name].num_rows, i, dtype=np.int64))
            frames[name] = _frame_of(tables)
            order[name] = np.concatenate(window) if window else np.zeros(0, dtype=np.int64)
        if not merge:
            return frames
        return self.combine(frames, order, several=any(len(w) > 1 for w in pages), hourly=hourly)

    def merge(self, parts: list[dict[str, Any]], *, hourly: bool) -> dict[str, pd.DataFrame]:
        """Windows of one page (Arrow tables or frames by name) -> one frame each: ``assemble``."""
        return self.assemble([[{n: t if isinstance(t, pa.Table) else reshape.from_frame(t) for n, t in p.items()}
                               for p in parts]], hourly=hourly)

    def combine(self, frames: dict[str, pd.DataFrame], window: dict[str, np.ndarray], *, several: bool,
                hourly: bool) -> dict[str, pd.DataFrame]:
        """The windows' rows (``window``: each row's window, counted per page) -> merged: a row of
        a later window whose ``keys`` an earlier window of its page already gave is dropped (never
        two rows of one window, such as a repeated clock hour). ``several``: some page has more
        than one window."""
        out = {}
        for name, frame in frames.items():
            keys = self.keys.get(name)
            out[name] = reshape.drop_repeated(frame, window[name], keys) if keys else frame
        return out

    def csv(self, frames: dict[str, pd.DataFrame], *, hourly: bool = False) -> pd.DataFrame:
        """The exported table: the API's field names, one row at the grain asked."""
        frame = frames.get(self.csv_frame, pd.DataFrame())
        drop = [c for c in self.csv_drop_if_empty if c in frame.columns and frame[c].isna().all()]
        return frame.drop(columns=drop)

    def check_cut(self, until: Any) -> None:
        """Refuse a cut at a time of day (``until``) that the endpoint cannot make."""
        if until is not None and not self.cuts_by_time:
            raise ValueError(f"{self.endpoint} counts whole days: it cannot be cut at {until}")

    # --- what a kind defines ---------------------------------------------------------------
    def chunks(self, client: PancakeClient, page_id: str, start: date, end: date, *,
               hourly: bool, **options: Any) -> list[Chunk]:
        raise NotImplementedError

    def reshape(self, chunk: Chunk, page_id: str, *, hourly: bool) -> dict[str, pa.Table]:
        """One window's payload -> its Arrow tables by frame name (``reshape.<fn>.table``)."""
        raise NotImplementedError


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
        return client.engagements(page_id, start, end, by_hour=hourly, user_ids=options.get("user_ids"),
                                  until=options.get("until"))

    def reshape(self, chunk, page_id, *, hourly):
        if hourly:
            return {"hourly": reshape.engagement_hourly.table(chunk.payload, page_id)}
        return {"daily": reshape.engagement_daily.table(chunk.payload, page_id, chunk.start, chunk.end),
                "staff": reshape.users_engagements.table(chunk.payload, page_id)}

    def combine(self, frames, window, *, several, hourly):
        out = super().combine(frames, window, several=several, hourly=hourly)
        staff = out.get("staff")
        if staff is not None and not staff.empty and several:
            out["staff"] = sum_staff(staff)
        return out

    def csv(self, frames, *, hourly=False):
        if hourly:
            return frames.get("hourly", pd.DataFrame())
        return super().csv(frames)


def sum_staff(staff: pd.DataFrame) -> pd.DataFrame:
    """Per-staff rows of several windows -> one row per (page_id, user_id), in order of first
    appearance: counts added (``<NA>`` when a member has none in any window), the last name
    given. Whole-number counts are added with numpy; anything else goes through pandas."""
    counts = [c for c in staff.columns if c not in ("page_id", "user_id", "user_name")]
    cols = list(staff.columns)
    types = staff.dtypes.tolist()
    simple = (staff.columns.is_unique and cols[:3] == ["page_id", "user_id", "user_name"]
              and all(isinstance(t, pd.Int64Dtype) for t in types[3:]) and all(t == _STR for t in types[:3]))
    pids = staff["page_id"].tolist() if simple else []
    uids = staff["user_id"].tolist() if simple else []
    if not simple or not all(type(v) is str for v in pids) or not all(type(v) is str for v in uids):
        # rows without a page or user id are left out by groupby: pandas does it all
        g = staff.groupby(["page_id", "user_id"], sort=False)
        sums = g[counts].sum(min_count=1)
        sums.insert(0, "user_name", g["user_name"].last())
        return sums.reset_index()[cols]
    codes_list, first = _group_codes(pids, uids)
    codes = np.array(codes_list, dtype=np.intp)
    n = len(first)
    last_name: dict[int, str] = {}
    for g, name, na in zip(codes_list, staff["user_name"].tolist(), staff["user_name"].isna().tolist()):
        if not na:
            last_name[g] = name
    data: dict[str, Any] = {
        "page_id": reshape.str_array([pids[i] for i in first]),
        "user_id": reshape.str_array([uids[i] for i in first]),
        "user_name": reshape.str_array([last_name.get(g) for g in range(n)]),
    }
    for c in counts:
        arr = staff[c].array
        missing = arr.isna()
        total = np.zeros(n, dtype=np.int64)
        np.add.at(total, codes, arr.to_numpy(dtype=np.int64, na_value=0))
        given = np.zeros(n, dtype=bool)
        given[codes[~missing]] = True
        data[c] = pd.arrays.IntegerArray(total, ~given)
    return pd.DataFrame({c: data[c] for c in cols}, copy=False)


def _group_codes(pids: list, uids: list) -> tuple[list[int], list[int]]:
    """(each row's group number, the first row of each group) for (page_id, user_id) pairs, in
    order of first appearance: the grouping both staff sums share."""
    groups: dict[tuple[str, str], int] = {}
    first: list[int] = []
    codes: list[int] = []
    for i, key in enumerate(zip(pids, uids)):
        g = groups.get(key)
        if g is None:
            g = groups[key] = len(first)
            first.append(i)
        codes.append(g)
    return codes, first


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
        return client.user_stats(page_id, start, end, until=options.get("until"))

    def reshape(self, chunk, page_id, *, hourly):
        return {"hourly": reshape.user_hourly.table(chunk.payload, page_id),
                "totals": reshape.user_totals.table(chunk.payload, page_id)}

    def combine(self, frames, window, *, several, hourly):
        out = super().combine(frames, window, several=several, hourly=hourly)
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
        return client.page_stats(page_id, start, end, until=options.get("until"))

    def reshape(self, chunk, page_id, *, hourly):
        return {"hourly": reshape.page_activity_frame.table(chunk.payload, page_id)}


@register
class Tags(Kind):
    name = "tags"
    endpoint = "statistics/tags"
    source = "tags"
    frames = ("daily",)
    keys = {"daily": ["page_id", "date", "tag_id"]}
    csv_frame = "daily"
    help = "conversations per tag per day (statistics/tags)"
    # the reference's answer is one count per tag per day: a day cannot be cut at an hour
    cuts_by_time = False

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        self.check_cut(options.get("until"))
        return client.tag_stats(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"daily": reshape.tags_frame.table(chunk.payload, page_id, chunk.start, chunk.end)}

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
        return {"data": reshape.new_customers_frame.table(chunk.payload, page_id, chunk.start, chunk.end)}

    def fetch(self, client, page_id, start, end, *, hourly=False, until=None, **options):
        """With ``until``, the range's last day ends at that local time. The endpoint takes
        dates only, so the range is asked by hour and the hours that start at or after ``until``
        are dropped (the hour under way counts whole, as the hourly API counts it); for the
        daily frame the hours are then summed back to days."""
        if until is None:
            return super().fetch(client, page_id, start, end, hourly=hourly, **options)
        frames = super().fetch(client, page_id, start, end, hourly=True, **options)
        data = frames["data"]
        cut = pd.Timestamp(datetime.combine(end, until))
        data = data[data["date"] < cut].reset_index(drop=True)
        if not hourly:
            fields = [c for c in data.columns if c not in ("page_id", "date")]
            day = data.assign(date=data["date"].dt.normalize())
            sums = metrics.sums_by(day, ["date", "page_id"], fields).reset_index()
            data = sums[list(data.columns)].astype(data.dtypes.to_dict())
        return {"data": data}


@register
class Ads(Kind):
    name = "ads"
    endpoint = "statistics/pages_campaigns"
    source = "ads"
    frames = ("ads",)
    csv_frame = "ads"
    help = "one row per ad (statistics/pages_campaigns); budgets in the currency's main unit"
    # Facebook's ads reports count whole days (statistics/ads by_time answers per date, never
    # per hour): a day cannot be cut at an hour
    cuts_by_time = False

    def chunks(self, client, page_id, start, end, *, hourly, **options):
        self.check_cut(options.get("until"))
        return client.ads_campaigns(page_id, start, end)

    def reshape(self, chunk, page_id, *, hourly):
        return {"ads": reshape.ads_frame.table(chunk.payload, page_id)}

    def combine(self, frames, window, *, several, hourly):
        return {"ads": metrics.merge_ads(frames["ads"], several=several)}


def _frame_of(tables: list[pa.Table]) -> pd.DataFrame:
    """Tables of one frame name -> one frame: columns in order of appearance (a table lacking one
    has nulls there); tables whose columns' types disagree go through ``reshape.concat``."""
    if not tables:
        return pd.DataFrame()
    try:
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return reshape.concat([reshape.to_frame(t) for t in tables])
    return reshape.to_frame(table)
