"""Drawn tables shared across sessions (issue 20, ten viewers at once): a table is drawn once
per distinct content, language and scope, and every other session asking for the very same
grids gets them replayed; a viewer never gets grids drawn for another viewer's pages."""
from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from pancake.numbers.views import tables as vt
from ui import components


def shops(names, counts, total=None) -> vt.Table:
    frame = pd.DataFrame({"page_name": names, "inbox": pd.array(counts, dtype="Int64"),
                          "page_id": [f"p{i}" for i in range(len(names))]})
    return vt.Table(frame=frame, columns=[vt.Column("page_name", "Trang", unit="text"),
                                          vt.Column("inbox", "Tin nhắn")],
                    total=total)


def script():
    """One session: its viewer's table (by ``who=`` in the URL), drawn by the one renderer."""
    import pandas as pd
    import streamlit as st

    from pancake.numbers.views import tables as vt
    from ui import components
    who = st.query_params.get("who", "a")
    rows = {"a": (["Shop A", "Shop A2"], [316, 1178], ["pa"]), "b": (["Shop B"], [7], ["pb"]),
            "both": (["Shop A", "Shop A2"], [316, 1178], ["pa", "pb"])}[who]
    frame = pd.DataFrame({"page_name": rows[0], "inbox": pd.array(rows[1], dtype="Int64")})
    tbl = vt.Table(frame=frame, columns=[vt.Column("page_name", "Trang", unit="text"),
                                         vt.Column("inbox", "Tin nhắn")],
                   total={"inbox": sum(rows[1])})
    components.table(tbl, "t", rows[2], downloadable=False)


def session(who: str, lang: str = "vi") -> AppTest:
    at = AppTest.from_function(script, default_timeout=60)
    at.query_params.update({"who": who, "lang": lang})
    return at.run()


def grids(at) -> list[pd.DataFrame]:
    assert not at.exception
    return [d.value for d in at.dataframe]


def counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = components.styled

    def styled(tbl, lang):
        calls.append(len(tbl.frame))
        return real(tbl, lang)
    monkeypatch.setattr(components, "styled", styled)
    return calls


def test_sessions_with_the_same_table_draw_it_once_and_each_gets_it(monkeypatch):
    calls = counting(monkeypatch)
    first, second = session("a"), session("a")
    assert calls == [2]                       # drawn once, replayed for the second session
    for at in (first, second):
        rows, total = grids(at)
        assert list(rows["page_name"]) == ["Shop A", "Shop A2"] and list(rows["inbox"]) == [316, 1178]
        assert rows["inbox"].dtype.kind in "iu"   # still numbers: a header click sorts 316 before 1178
        assert list(total["page_name"]) == ["Tổng"] and list(total["inbox"]) == [1494]   # last, alone


def test_a_viewer_never_gets_another_viewers_grids(monkeypatch):
    calls = counting(monkeypatch)
    a, b, a_again = session("a"), session("b"), session("a")
    assert [list(g["page_name"]) for g in grids(a)] == [["Shop A", "Shop A2"], ["Tổng"]]
    assert [list(g["page_name"]) for g in grids(b)] == [["Shop B"], ["Tổng"]]
    assert [list(g["page_name"]) for g in grids(a_again)] == [["Shop A", "Shop A2"], ["Tổng"]]
    assert calls == [2, 1]
    # the same rows for a wider scope are drawn for that scope, not taken from the narrower one
    wide = session("both")
    assert [list(g["page_name"]) for g in grids(wide)] == [["Shop A", "Shop A2"], ["Tổng"]]
    assert calls == [2, 1, 2]


def test_each_language_draws_its_own_grids(monkeypatch):
    calls = counting(monkeypatch)
    vi, en = session("a", "vi"), session("a", "en")
    assert list(grids(vi)[1]["page_name"]) == ["Tổng"] and list(grids(en)[1]["page_name"]) == ["Total"]
    assert calls == [2, 2]


def test_the_key_is_the_drawn_content_the_language_and_the_scope():
    key = components.grids_key(shops(["A", "B"], [1, 2], {"inbox": 3}), "vi", ["p0", "p1"])
    # the same table built again, the scope in another order: the same key (shared)
    assert components.grids_key(shops(["A", "B"], [1, 2], {"inbox": 3}), "vi", ["p1", "p0"]) == key
    others = [
        components.grids_key(shops(["A", "B"], [1, 2], {"inbox": 3}), "en", ["p0", "p1"]),      # language
        components.grids_key(shops(["A", "B"], [1, 2], {"inbox": 3}), "vi", ["p0"]),            # scope
        components.grids_key(shops(["A", "B"], [1, 3], {"inbox": 3}), "vi", ["p0", "p1"]),      # one cell
        components.grids_key(shops(["A", "B"], [1, None], {"inbox": 3}), "vi", ["p0", "p1"]),   # a null
        components.grids_key(shops(["A", "C"], [1, 2], {"inbox": 3}), "vi", ["p0", "p1"]),      # a name
        components.grids_key(shops(["A", "B"], [1, 2], {"inbox": 4}), "vi", ["p0", "p1"]),      # the total
        components.grids_key(shops(["A", "B"], [1, 2]), "vi", ["p0", "p1"]),                    # no total
        components.grids_key(shops([], []), "vi", ["p0", "p1"]),                                # no rows
    ]
    strings = shops(["A", "B"], [1, 2], {"inbox": 3})
    strings.frame["inbox"] = ["1", "2"]                                                         # numbers as text
    others.append(components.grids_key(strings, "vi", ["p0", "p1"]))
    relabelled = shops(["A", "B"], [1, 2], {"inbox": 3})
    relabelled.columns[1] = vt.Column("inbox", "Inbox")                                         # a label
    others.append(components.grids_key(relabelled, "vi", ["p0", "p1"]))
    assert key not in others and len(set(others)) == len(others)
