"""Frames as JSON (never pickle): column lists with their dtypes, restored exactly.

A stored blob is ``{"v": 1, "frames": {name: {"columns": [...], "dtypes": [...], "data":
[[column values], ...]}}}``. Values are JSON-native: ``datetime64`` as integers in the
column's unit, nullable integers and floats with ``null`` for a missing value, strings with
``null`` for NaN. Decoding gives back the same dtypes, so ``pandas.testing.assert_frame_equal``
holds between a frame and its round trip (tests/test_store.py).

:func:`split_by_day` cuts a window's frames into per-day blobs, and :func:`compose` joins many
blobs into one frame per name with the semantics of :func:`pancake.reshape.concat` (columns
in order of appearance, each with the dtype of the first blob that has it), without building
a DataFrame per blob.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .. import reshape

VERSION = 1
_NAT = np.iinfo(np.int64).min


class CodecError(ValueError):
    """A blob that cannot be turned back into frames (treated as missing by the store)."""


def _values(s: pd.Series) -> list:
    dtype = s.dtype
    if len(s) == 0:
        return []
    if pd.api.types.is_datetime64_dtype(dtype):
        ints = s.to_numpy().view("int64")
        if not (ints == _NAT).any():
            return ints.tolist()
        return [None if v == _NAT else int(v) for v in ints.tolist()]
    if isinstance(dtype, pd.Int64Dtype):
        arr = s.array
        mask = arr.isna()
        ints = arr.to_numpy(dtype="int64", na_value=0).tolist()
        if not mask.any():
            return ints
        return [None if m else v for v, m in zip(ints, mask.tolist())]
    if isinstance(dtype, pd.StringDtype):
        vals = s.tolist()
        if all(type(v) is str for v in vals):
            return vals
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, pd.StringDtype):
        mask = s.isna().to_numpy()
        vals = s.astype(object).tolist()
        return [None if m else _native(v) for v, m in zip(vals, mask)]
    if pd.api.types.is_float_dtype(dtype):
        return [None if (v != v) else v for v in s.tolist()]  # NaN -> null
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return s.tolist()
    mask = s.isna().to_numpy()
    return [None if m else _native(v) for v, m in zip(s.tolist(), mask)]


def _native(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    raise CodecError(f"cannot store a {type(v).__name__} value as JSON")


def frame_to_obj(frame: pd.DataFrame) -> dict[str, Any]:
    if not frame.columns.is_unique:     # frame[c] is a frame: fails as it always did
        return {"columns": [str(c) for c in frame.columns],
                "dtypes": [str(frame[c].dtype) for c in frame.columns],
                "data": [_values(frame[c]) for c in frame.columns]}
    series = [s for _, s in frame.items()]
    return {"columns": [str(c) for c in frame.columns],
            "dtypes": [str(s.dtype) for s in series],
            "data": [_values(s) for s in series]}


def obj_to_frame(obj: Mapping[str, Any]) -> pd.DataFrame:
    try:
        return reshape.columns_frame(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"stored frame is unreadable ({type(exc).__name__})") from None


def encode(frames: Mapping[str, pd.DataFrame]) -> str:
    return json.dumps({"v": VERSION, "frames": {n: frame_to_obj(f) for n, f in frames.items()}},
                      ensure_ascii=False, separators=(",", ":"))


def encode_part(part: Mapping[str, Any]) -> str:
    """``encode`` for one window's part, whose frames are DataFrames or already in columns form
    (``Kind.reshape_columns``): the same text either way."""
    if all(isinstance(f, pd.DataFrame) for f in part.values()):
        return encode(part)
    return json.dumps({"v": VERSION, "frames": dict(part)}, ensure_ascii=False, separators=(",", ":"))


def _load(text: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except (TypeError, ValueError):
        raise CodecError("stored blob is not JSON") from None
    if not isinstance(obj, dict) or obj.get("v") != VERSION or not isinstance(obj.get("frames"), dict):
        raise CodecError("stored blob has an unknown layout")
    return obj["frames"]


def decode(text: str) -> dict[str, pd.DataFrame]:
    return {n: obj_to_frame(o) for n, o in _load(text).items()}


def split_by_day(frames: Mapping[str, pd.DataFrame], time_columns: Mapping[str, str],
                 days: Sequence[date]) -> dict[date, str]:
    """One blob per day of ``days``: each frame's rows whose ``time_columns[name]`` falls on that
    local day (every day gets a blob, empty frames included, so a day with no rows is known to
    be empty). Rows outside ``days`` are dropped: they are not the days that were asked."""
    per_day: dict[date, dict[str, Any]] = {d: {} for d in days}
    for name, frame in frames.items():
        obj = frame_to_obj(frame)
        col = time_columns.get(name)
        if col is None or col not in frame.columns:
            raise CodecError(f"frame {name!r} has no time column to split by day")
        stamps = frame[col].dt.normalize().dt.date.tolist() if len(frame) else []
        index: dict[date, list[int]] = {}
        for i, d in enumerate(stamps):
            index.setdefault(d, []).append(i)
        for d in days:
            rows = index.get(d, [])
            per_day[d][name] = {"columns": obj["columns"], "dtypes": obj["dtypes"],
                                "data": [[col_vals[i] for i in rows] for col_vals in obj["data"]]}
    return {d: json.dumps({"v": VERSION, "frames": fr}, ensure_ascii=False, separators=(",", ":"))
            for d, fr in per_day.items()}


def compose(blobs: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Blobs in order -> one frame per name, as ``reshape.concat`` of the decoded frames would
    give (columns in order of appearance, the first dtype seen, nulls where a blob lacks a
    column), with one DataFrame built per name."""
    names: list[str] = []
    columns: dict[str, list[str]] = {}
    dtypes: dict[str, dict[str, str]] = {}
    data: dict[str, dict[str, list]] = {}
    lengths: dict[str, int] = {}
    for text in blobs:
        for name, obj in _load(text).items():
            if name not in columns:
                names.append(name)
                columns[name], dtypes[name], data[name], lengths[name] = [], {}, {}, 0
            n = len(obj["data"][0]) if obj["data"] else 0
            cols, types, store = columns[name], dtypes[name], data[name]
            for c, t, vals in zip(obj["columns"], obj["dtypes"], obj["data"]):
                if c not in types:
                    cols.append(c)
                    types[c] = t
                    store[c] = [None] * lengths[name]
                store[c].extend(vals)
            lengths[name] += n
            for c in cols:  # columns this blob lacks
                if len(store[c]) < lengths[name]:
                    store[c].extend([None] * (lengths[name] - len(store[c])))
    out = {}
    for name in names:
        cols = columns[name]
        out[name] = obj_to_frame({"columns": cols, "dtypes": [dtypes[name][c] for c in cols],
                                  "data": [data[name][c] for c in cols]})
    return out
