"""The /conversations page's breakdowns of one load are made once for every session drawing it
(issue 20, ten viewers at once: each session made the same breakdowns of the same frame again,
the assignees' ~2 s of CPU for 24 pages); another load, language or period is made again."""
from __future__ import annotations

import threading

import pandas as pd

from pancake.data import conversations as dc
from ui import conversations_data as cd


def test_once_per_load_and_key():
    calls: list[str] = []

    def make(tag):
        def compute():
            calls.append(tag)
            return pd.DataFrame({"n": [len(calls)]})
        return compute
    shared, other = dc.Loaded(frame=pd.DataFrame()), dc.Loaded(frame=pd.DataFrame())
    first = cd.once(shared, ("breakdowns", "vi"), make("vi"))
    again = cd.once(shared, ("breakdowns", "vi"), make("vi again"))        # another session
    assert again is first and calls == ["vi"]
    assert cd.once(shared, ("breakdowns", "en"), make("en"))["n"].tolist() == [2]   # another language
    assert cd.once(other, ("breakdowns", "vi"), make("other"))["n"].tolist() == [3]  # another load
    assert calls == ["vi", "en", "other"]


def test_sessions_at_once_get_the_same_object():
    loaded = dc.Loaded(frame=pd.DataFrame())
    got: list = []
    gate = threading.Barrier(6)

    def session():
        gate.wait(10)
        got.append(cd.once(loaded, ("by_day",), lambda: object()))
    threads = [threading.Thread(target=session) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert len(got) == 6 and all(g is got[0] for g in got)     # the first kept is every session's
