"""The two store backends the store's tests run against: SQLite (a fresh file per test) and
PostgreSQL (a fresh schema per test in the cluster named by PANCAKE_TEST_POSTGRES_URL, which
.ci/run starts; without it those tests are skipped and say why)."""
from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest

PG_ENV = "PANCAKE_TEST_POSTGRES_URL"
PG_SKIP = (f"PostgreSQL store tests skipped: {PG_ENV} is not set "
           "(.ci/run starts a throwaway PostgreSQL 15 cluster; or `make test-postgres`)")
BACKENDS = ["sqlite", "postgresql"]


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


class PgSchema:
    """A throwaway schema: ``url`` points at it (search_path), ``drop()`` removes it."""

    def __init__(self) -> None:
        import psycopg
        base = pg_url()
        if not base:
            pytest.skip(PG_SKIP)
        self.base = base
        self.schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        self.url = schema_url(base, self.schema)

    def drop(self) -> None:
        import psycopg
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


@pytest.fixture
def pg_schema():
    s = PgSchema()
    yield s
    s.drop()


def open_backend(name: str, tmp_path, pg: PgSchema | None = None):
    if name == "sqlite":
        from pancake.data.store import SQLiteStore
        return SQLiteStore(tmp_path / "store.sqlite3")
    from pancake.data.store.postgres import PostgresStore
    assert pg is not None
    return PostgresStore(pg.url)


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """(name, store, settings env) for each backend; the store is closed afterwards."""
    pg = PgSchema() if request.param == "postgresql" else None
    store = open_backend(request.param, tmp_path, pg)
    env = {"PANCAKE_CACHE_DIR": str(tmp_path)} if pg is None else {"PANCAKE_STORE_URL": pg.url}
    yield request.param, store, env
    store.close()
    if pg is not None:
        pg.drop()
