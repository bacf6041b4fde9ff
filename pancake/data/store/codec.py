"""Frames as Arrow IPC (never pickle): typed columns in a binary columnar format.

A stored body is ``MAGIC`` then, per frame, its name and one Arrow IPC stream of its table (the
reshapers' types, nulls as Arrow nulls). Decoding gives the tables back without copying, so the
frames equal a direct fetch's exactly. A body of another layout raises :class:`CodecError`: the
store treats it as missing. :func:`split_by_day` cuts a window's frames into per-day bodies.
"""
from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from pancake.data import reshape

VERSION = 2                 # 1 was JSON; a schema bump of the store drops those bodies anyway
MAGIC = b"PNCK" + bytes([VERSION])
_NAME = struct.Struct("<H")
_SIZE = struct.Struct("<Q")


class CodecError(ValueError):
    """A body that cannot be turned back into frames (treated as missing by the store)."""


def _table(frame: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    if not frame.columns.is_unique:
        raise CodecError("a frame with repeated column names cannot be stored")
    try:
        return reshape.from_frame(frame)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as exc:
        raise CodecError(f"cannot store this frame ({type(exc).__name__})") from None


def encode(frames: Mapping[str, Any]) -> bytes:
    """Frames (Arrow tables or DataFrames of the reshapers' dtypes) by name -> one body."""
    out = [MAGIC]
    for name, frame in frames.items():
        table = _table(frame)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue()
        key = str(name).encode("utf-8")
        out += [_NAME.pack(len(key)), key, _SIZE.pack(data.size), data.to_pybytes()]
    return b"".join(out)


def readable(body: bytes) -> bool:
    """Whether ``body`` is in this codec's layout (a body of another version is not)."""
    return bytes(body[:len(MAGIC)]) == MAGIC


def decode_tables(body: bytes) -> dict[str, pa.Table]:
    """A body -> its Arrow tables by name (no copy of the columns)."""
    view = memoryview(body if isinstance(body, bytes) else bytes(body))
    if bytes(view[:len(MAGIC)]) != MAGIC:
        raise CodecError("stored body has an unknown layout")
    out: dict[str, pa.Table] = {}
    pos = len(MAGIC)
    buf = pa.py_buffer(view)
    try:
        while pos < len(view):
            (n,) = _NAME.unpack_from(view, pos)
            pos += _NAME.size
            name = bytes(view[pos:pos + n]).decode("utf-8")
            pos += n
            (size,) = _SIZE.unpack_from(view, pos)
            pos += _SIZE.size
            if pos + size > len(view):
                raise CodecError("stored body is cut short")
            out[name] = pa.ipc.open_stream(buf.slice(pos, size)).read_all()
            pos += size
    except (struct.error, UnicodeDecodeError, pa.ArrowInvalid) as exc:
        raise CodecError(f"stored body is unreadable ({type(exc).__name__})") from None
    return out


def decode(body: bytes) -> dict[str, pd.DataFrame]:
    return {n: reshape.to_frame(t) for n, t in decode_tables(body).items()}


def split_by_day(frames: Mapping[str, pd.DataFrame], time_columns: Mapping[str, str],
                 days: Sequence[date]) -> dict[date, bytes]:
    """One body per day of ``days``: each frame's rows whose ``time_columns[name]`` falls on that
    local day (every day gets a body, empty frames included, so a day with no rows is known to
    be empty). Rows outside ``days`` are dropped: they are not the days that were asked."""
    per_day: dict[date, dict[str, pa.Table]] = {d: {} for d in days}
    for name, frame in frames.items():
        col = time_columns.get(name)
        if col is None or col not in frame.columns:
            raise CodecError(f"frame {name!r} has no time column to split by day")
        table = _table(frame)
        stamps = frame[col].dt.normalize().dt.date.tolist() if len(frame) else []
        index: dict[date, list[int]] = {}
        for i, d in enumerate(stamps):
            index.setdefault(d, []).append(i)
        for d in days:
            per_day[d][name] = table.take(pa.array(index.get(d, []), type=pa.int64()))
    return {d: encode(fr) for d, fr in per_day.items()}
