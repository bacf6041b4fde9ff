"""The conversations page's loads are shared across sessions: two sessions asking for the same
range at once make one load (issue 20: ten viewers at once)."""
from __future__ import annotations

import threading

import pandas as pd

from pancake.data import conversations as dc
from ui import conversations_data as cd


def test_two_sessions_asking_at_once_make_one_load(monkeypatch):
    memo = cd.new_memo()
    monkeypatch.setattr(cd, "_memo", lambda: memo)
    monkeypatch.setattr(cd, "_fingerprint", lambda: "cfg")
    started, release, loads = threading.Event(), threading.Event(), []

    def load():
        loads.append(1)
        started.set()
        release.wait(30)
        return dc.Loaded(frame=pd.DataFrame({"x": [1, 2]}))

    got = []
    first = threading.Thread(target=lambda: got.append(cd._cached("conversations", ("p",), 60.0, load)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: got.append(cd._cached("conversations", ("p",), 60.0, load)))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert len(loads) == 1 and len(got) == 2 and got[0] is got[1]
    assert cd._FLIGHTS == {}   # nothing left behind


def test_a_load_with_errors_is_not_kept_and_is_asked_again(monkeypatch):
    memo = cd.new_memo()
    monkeypatch.setattr(cd, "_memo", lambda: memo)
    monkeypatch.setattr(cd, "_fingerprint", lambda: "cfg")
    loads = []

    def load():
        loads.append(1)
        return dc.Loaded(frame=pd.DataFrame(), errors=["p: timeout"])
    cd._cached("customers", ("p",), 60.0, load)
    cd._cached("customers", ("p",), 60.0, load)
    assert len(loads) == 2
