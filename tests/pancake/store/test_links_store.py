"""Read-only links and sign-outs in the statistics store (schema 7), on both backends: only a
hash of a link's secret is kept, revoking is once, "last used" is written; a version-4 or
version-5 store is upgraded in place keeping its statistics and alert state."""
from __future__ import annotations

import sqlite3

import pytest

from pancake.data.store import SQLiteStore
from pancake.data.store.base import SCHEMA_VERSION
from pancake.delivery import access

from .backends import backend  # noqa: F401 - fixture

T0 = 1_800_000_000.0


def test_links_are_kept_listed_revoked_and_touched(backend):  # noqa: F811
    _, store, _ = backend
    assert store.links() == [] and store.link_by_hash("h1") is None
    link = access.new_link("Sales <TV>", "staff", ["1001", "1002"], {"range": "last_7", "lang": "vi"},
                           downloads=False, now=T0)
    store.add_link(link.id, "h1", link.name, link.view_text(), link.downloads, link.created_at, link.expires_at)
    store.add_link("other", "h2", "Old", link.view_text(), True, T0 - 10, T0 + 5)
    rows = store.links()
    assert [r["name"] for r in rows] == ["Sales <TV>", "Old"]            # newest first
    assert "secret_hash" not in rows[0] and "h1" not in repr(rows)
    got = access.SharedLink.from_row(store.link_by_hash("h1"))
    assert (got.page, got.pages, dict(got.query)) == ("staff", ("1001", "1002"),
                                                      {"lang": "vi", "pages": "1001,1002", "range": "last_7"})
    assert got.expires_at == T0 + 30 * 86400 and got.downloads is False and got.last_used is None
    assert store.revoke_link(link.id, T0 + 1) is True
    assert store.revoke_link(link.id, T0 + 2) is False                   # once: the first time stays
    store.touch_link("other", T0 + 3)
    by_id = {r["id"]: r for r in store.links()}
    assert by_id[link.id]["revoked_at"] == T0 + 1 and by_id["other"]["last_used"] == T0 + 3
    assert access.SharedLink.from_row(by_id[link.id]).status(T0 + 1) == "revoked"
    assert access.SharedLink.from_row(by_id["other"]).status(T0 + 4.9) == "active"
    assert access.SharedLink.from_row(by_id["other"]).status(T0 + 5) == "expired"


def test_sign_outs_are_kept_per_name(backend):  # noqa: F811
    _, store, _ = backend
    assert store.sessions_ended_at("shop a") is None
    store.end_sessions("shop a", T0)
    store.end_sessions("shop a", T0 + 60)
    assert store.sessions_ended_at("shop a") == T0 + 60 and store.sessions_ended_at("shop b") is None


@pytest.mark.parametrize("version", [5, 6])
def test_a_version_5_or_6_sqlite_store_is_upgraded_in_place(tmp_path, version):
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    store.save_alert_state("s", {"k|p1": "p1"}, 1.0)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE pancake_links")
    conn.execute("DROP TABLE pancake_session_ends")
    conn.execute("UPDATE pancake_store_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert store.warning is None and store.schema_version() == SCHEMA_VERSION == 7
    assert store.alert_state("s") == {"k|p1": "p1"}                      # not rebuilt
    assert store.links() == [] and store.sessions_ended_at("x") is None
    store.close()


@pytest.mark.parametrize("bad", [{}, {"id": "x", "name": "n", "view": "not json", "downloads": 0, "created_at": 1,
                                      "expires_at": 2},
                                 {"id": "x", "name": "n", "view": '{"page": "staff"}', "downloads": 0,
                                  "created_at": 1, "expires_at": 2}])
def test_an_unreadable_link_row_opens_nothing(bad):
    assert access.SharedLink.from_row(bad) is None


def test_a_new_link_pins_its_pages_and_needs_a_name_and_a_sane_lifetime():
    link = access.new_link("  Morning   team ", "standup", ["1", "1", "2"],
                           {"pages": "all", "link": "x", "key": "y", "range": "today"}, downloads=True, now=T0, days=7)
    assert link.name == "Morning team" and link.pages == ("1", "2")
    assert dict(link.query) == {"kiosk": "1", "pages": "1,2", "range": "today"}
    assert link.expires_at == T0 + 7 * 86400 and link.identity().kiosk and link.identity().pages == {"1", "2"}
    assert link.identity().admin is False and link.identity().method == "link"
    for bad in (dict(name=" "), dict(days=0), dict(days=367), dict(pages=[])):
        kw = dict(name="x", page="staff", pages=["1"], query={}, downloads=False, now=T0, days=30) | bad
        with pytest.raises(ValueError):
            access.new_link(kw.pop("name"), kw.pop("page"), kw.pop("pages"), kw.pop("query"), **kw)
