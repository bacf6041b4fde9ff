"""Alerts: the standup flags now, sent once per channel. The state lives in the store (SQLite, and
PostgreSQL when PANCAKE_TEST_POSTGRES_URL is set), survives the schema upgrade that added it, and
a failing channel or page does not lose or repeat anything. End to end over HTTP against the
simulator, to a webhook receiver on loopback."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

import pandas as pd

from pancake import i18n
from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import core
from pancake.data.store import SQLiteStore, memory_store
from pancake.data.store.base import ALERTS, SCHEMA_VERSION, TABLE
from pancake.delivery import alerts
from pancake.delivery.notify import Target
from pancake.numbers.views import briefing as bf
from tests.clock import FakeClock
from tests.pancake import notify_cli
from tests.pancake.store.backends import PgSchema, backend, pg_url  # noqa: F401 - fixture

LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS
NOW = datetime(2026, 11, 24, 15, 30)
TOKEN_CANARY = "CANARY-ALERT-PAGE-TOKEN-b71c04"
KEY_CANARY = "CanaryAlertWebhookKey4d4d9"


def flag(kind, page, subject="x", value=1.0):
    return bf.Flag(kind, page, subject, {"wait_ms": value, "spend": value, "x": value})


# --- what is new ----------------------------------------------------------------------------------

def test_keys_name_the_fact_and_the_day_only_for_daily_facts():
    d = date(2026, 11, 24)
    assert alerts.flag_key(flag("ads_no_purchase", "p1", "Ad A"), d) == "ads_no_purchase|p1|Ad A|2026-11-24"
    assert alerts.flag_key(flag("response_time", "p1", "An"), d) == "response_time|p1|An|2026-11-24"
    assert alerts.flag_key(flag("no_reply", "p1", "Shop"), d) == "no_reply|p1"
    assert alerts.flag_key(flag("token", "p1", "Shop"), d) == alerts.flag_key(flag("token", "p1"), d + timedelta(1))


def test_only_new_flags_are_sent_and_a_failed_page_keeps_what_was_remembered():
    d = date(2026, 11, 24)
    old = {"no_reply|p1": "p1", "token|p2": "p2", "ads_no_purchase|p3|Ad|2026-11-24": "p3"}
    check = alerts.Check([flag("no_reply", "p1"), flag("ads_no_purchase", "p1", "Ad B")],
                         errors=[core.PageError("p3", "P3", "server", "statistics/ads: 502")], day=d)
    assert [f.subject for f in alerts.new_flags(check, old)] == ["Ad B"]
    state = alerts.next_state(check, old)
    # p1's flags now; p2's token came back to life (forgotten); p3 could not be looked at (kept)
    assert state == {"no_reply|p1": "p1", "ads_no_purchase|p1|Ad B|2026-11-24": "p1",
                     "ads_no_purchase|p3|Ad|2026-11-24": "p3"}


def test_a_scope_per_source_pages_and_channel_never_holding_the_url():
    url = f"json://127.0.0.1:9/{KEY_CANARY}"
    t = Target(url=url, label="#1 json://127.0.0.1:9")
    s = alerts.scope("src", ["p2", "p1", "p2"], t)
    assert s == alerts.scope("src", ["p1", "p2"], Target(url=url, label="other"))
    assert s != alerts.scope("src", ["p1"], t) and s != alerts.scope("other", ["p1", "p2"], t)
    assert s != alerts.scope("src", ["p1", "p2"], Target(url=url + "x", label="#1"))
    assert KEY_CANARY not in s and "127.0.0.1" not in s


def test_customers_waiting_make_one_flag_per_page():
    frame = pd.DataFrame({"page_id": ["p1", "p1", "p2", "p3"], "conversation_id": ["a", "b", "c", "d"],
                          "wait_ms": [3_600_000.0, 2_000_000.0, 1_900_000.0, 60_000.0],
                          "breach": [True, True, True, False]})
    out = bf.waiting_flags(frame, 30)
    assert [(f.page_id, f.figures["count"], f.figures["longest_ms"]) for f in out] == \
        [("p1", 2, 3_600_000.0), ("p2", 1, 1_900_000.0)]
    assert bf.flag_text(out[0], "en", {"p1": "Shop 1"}, today=date(2026, 11, 24)) == \
        "Page Shop 1: 2 customers waiting 30 min or more for an answer (longest 1 h)"
    assert bf.waiting_flags(None, 30) == [] and bf.waiting_flags(frame.iloc[3:], 30) == []


# --- the state in the store ------------------------------------------------------------------------

def test_alert_state_round_trips_and_replaces(backend):  # noqa: F811
    name, store, _ = backend
    assert store.alert_state("s1") == {}
    store.save_alert_state("s1", {"a|p1": "p1", "b|p2": "p2"}, 100.0)
    store.save_alert_state("s2", {"a|p1": "p1"}, 100.0)
    assert store.alert_state("s1") == {"a|p1": "p1", "b|p2": "p2"}
    store.save_alert_state("s1", {"a|p1": "p1", "c|p3": "p3"}, 200.0)
    assert store.alert_state("s1") == {"a|p1": "p1", "c|p3": "p3"}
    assert store.alert_state("s2") == {"a|p1": "p1"}          # scopes apart
    rows = dict((k, (f, last)) for k, f, last in store._query(
        f"SELECT flag_key, first_seen, last_seen FROM {ALERTS} WHERE scope = ?", ["s1"]))
    assert rows == {"a|p1": (100.0, 200.0), "c|p3": (200.0, 200.0)}   # first sighting kept
    store.clear()                                              # cache clear: statistics only
    assert store.alert_state("s1") == {"a|p1": "p1", "c|p3": "p3"}
    store.save_alert_state("s1", {}, 300.0)
    assert store.alert_state("s1") == {}


def _v1_sqlite(path):
    """A store as version 1 of the schema left it, with one statistics entry."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE pancake_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO pancake_store_meta VALUES ('schema_version', '1')")
    conn.execute(f"""CREATE TABLE {TABLE} (source TEXT NOT NULL, kind TEXT NOT NULL, variant TEXT NOT NULL,
        grain TEXT NOT NULL, page_id TEXT NOT NULL, start_day TEXT NOT NULL, end_day TEXT NOT NULL,
        closed INTEGER NOT NULL, fetched_at DOUBLE PRECISION NOT NULL, bytes INTEGER NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (source, kind, variant, grain, page_id, start_day, end_day))""")
    conn.execute(f"INSERT INTO {TABLE} VALUES ('s','tags','','day','p1','2026-11-01','2026-11-01',1,1.0,2,'{{}}')")
    conn.commit()
    conn.close()


def test_a_version_1_sqlite_store_is_upgraded_in_place_its_json_statistics_dropped(tmp_path):
    path = tmp_path / "store.sqlite3"
    _v1_sqlite(path)
    store = SQLiteStore(path)
    assert store.warning is None and store.schema_version() == SCHEMA_VERSION == 7
    assert store.page_token("s", "p1") is None          # version 3: the shared page tokens table is there too
    assert store.messages_get("s", "p1", ["c1"]) == {}   # version 5: the conversations' messages
    assert store.info().entries == 0                    # version 6: Arrow bodies; the JSON ones are fetched again
    store.save_alert_state("s", {"k|p1": "p1"}, 1.0, unknown=["k|p1"])   # version 4: the outcome
    store.put("s", "tags", "", "day", "p1", [(date(2026, 11, 1), date(2026, 11, 1), True, b"PNCK\x02")], 1.0)
    store.close()
    store = SQLiteStore(path)                 # reopened: nothing to do, nothing lost
    assert store.alert_state("s") == {"k|p1": "p1"} and store.info().entries == 1 and store.warning is None
    assert store.alert_outcomes("s") == {"k|p1": "unknown"}
    store.close()


def test_a_version_3_store_keeps_its_alert_state_which_reads_as_sent(tmp_path):
    path = tmp_path / "store.sqlite3"
    _v1_sqlite(path)
    conn = sqlite3.connect(path)
    conn.execute(f"""CREATE TABLE {ALERTS} (scope TEXT NOT NULL, flag_key TEXT NOT NULL, page_id TEXT NOT NULL,
        first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL, PRIMARY KEY (scope, flag_key))""")
    conn.execute(f"INSERT INTO {ALERTS} VALUES ('s', 'k|p1', 'p1', 1.0, 2.0)")
    conn.execute("""CREATE TABLE pancake_page_tokens (source TEXT NOT NULL, page_id TEXT NOT NULL,
        token TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (source, page_id))""")
    conn.execute("UPDATE pancake_store_meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert store.warning is None and store.schema_version() == SCHEMA_VERSION and store.info().entries == 0
    assert store.alert_state("s") == {"k|p1": "p1"} and store.alert_outcomes("s") == {"k|p1": "sent"}
    store.close()


def test_a_version_1_postgres_store_is_upgraded_in_place_its_json_statistics_dropped():
    pg = PgSchema()
    try:
        import psycopg
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE pancake_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("INSERT INTO pancake_store_meta VALUES ('schema_version', '1')")
            conn.execute(f"""CREATE TABLE {TABLE} (source TEXT NOT NULL, kind TEXT NOT NULL,
                variant TEXT NOT NULL, grain TEXT NOT NULL, page_id TEXT NOT NULL, start_day TEXT NOT NULL,
                end_day TEXT NOT NULL, closed INTEGER NOT NULL, fetched_at DOUBLE PRECISION NOT NULL,
                bytes INTEGER NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (source, kind, variant, grain, page_id, start_day, end_day))""")
            conn.execute(f"INSERT INTO {TABLE} VALUES ('s','tags','','day','p1','2026-11-01','2026-11-01',"
                         f"1,1.0,2,'{{}}')")
        from pancake.data.store.postgres import PostgresStore
        store = PostgresStore(pg.url)
        assert store.warning is None and store.schema_version() == SCHEMA_VERSION
        assert store.info().entries == 0                # version 6: Arrow bodies (BYTEA); JSON ones dropped
        store.save_alert_state("s", {"k|p1": "p1"}, 1.0)
        store.put("s", "tags", "", "day", "p1", [(date(2026, 11, 1), date(2026, 11, 1), True, b"PNCK\x02\x00")], 1.0)
        assert store.get("s", "tags", "", "day", ["p1"], date(2026, 11, 1), date(2026, 11, 1))[0].body == b"PNCK\x02\x00"
        store.close()
        store = PostgresStore(pg.url)
        assert store.alert_state("s") == {"k|p1": "p1"} and store.info().entries == 1
        store.close()
    finally:
        pg.drop()


def test_an_unknown_version_is_still_rebuilt_and_drops_the_alert_state(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    store.save_alert_state("s", {"k|p1": "p1"}, 1.0)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE pancake_store_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert "schema version 99" in store.warning and store.alert_state("s") == {}
    store.close()


# --- evaluating now (in process) -------------------------------------------------------------------

def test_the_flags_of_now_are_said_for_today():
    clock = FakeClock()
    sim = Simulator(now=NOW, clock=clock)
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = TOKEN_CANARY
    client = PancakeClient(page_tokens=tokens, transport=sim.transport(), clock=clock, sleep=clock.sleep,
                           jitter=lambda: 0.5)
    loader = core.Loader(client, memory_store(), source="test", today=lambda: NOW.date())
    names = {p.id: p.name for p in sim.pages}
    check = alerts.evaluate(loader, [LINH_CHI, HANA, MINH_ANH], names, now_local=NOW, lang="vi")
    assert check.day == NOW.date() and check.failed_pages == {MINH_ANH}
    kinds = [f.kind for f in check.flags]
    assert kinds[0] == "token" and check.flags[0].page_id == MINH_ANH
    assert kinds == sorted(kinds, key=bf.SEVERITY.index)
    ads = [f for f in check.flags if f.kind == "ads_no_purchase"]
    assert {f.page_id for f in ads} == {LINH_CHI, HANA}
    msg = alerts.message(check.flags, "vi", [LINH_CHI, HANA, MINH_ANH], names, now=NOW).text()
    for f in ads:
        text = bf.flag_text(f, "vi", names, today=NOW.date())
        assert i18n.t("digest.when.today", "vi") in text and "hôm qua" not in text and text in msg
    assert TOKEN_CANARY not in msg


# --- end to end over HTTP ----------------------------------------------------------------------------

def no_purchase_ads(sim, pids):
    """Today's ads that spent with no purchase, by hand: today is not over, so only those whose
    spend reached three times what a purchase cost them over the 7 days before (spend / purchases), or that
    bought nothing then either (just after midnight every spending ad has no purchase yet)."""
    day = sim.today()
    out = set()
    for p in pids:
        week = sim.truth.ads(p, day - timedelta(days=7), day - timedelta(days=1))
        cost = {a["ad_id"]: 3 * a["spend"] / a["purchases"] for a in week if a["spend"] and a["purchases"]}
        out |= {a["name"] for a in sim.truth.ads(p, day, day)
                if a["spend"] and a["purchases"] == 0 and a["spend"] >= cost.get(a["ad_id"], 0)}
    return out


def test_alerts_are_sent_once_and_not_repeated(sim_server, receiver, tmp_path):
    sim, url = sim_server
    pids = [LINH_CHI, HANA]
    hook = receiver.url(f"/alerts/{KEY_CANARY}")
    proc = notify_cli.run(["alert", "--page", *pids, "--notify", hook], url, tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    (req,) = receiver.posts("/alerts/")
    text = req.json["message"]
    ads = no_purchase_ads(sim, pids)
    assert ads and all(f"“{name}”" in text for name in ads)
    n = text.count("• ")
    assert req.json["title"].startswith(i18n.t("alert.title", "vi", n=n, time="", day="").split(" · ")[0])
    assert f" {n} " in req.json["title"]
    proc = notify_cli.run(["alert", "--page", *pids, "--notify", hook], url, tmp_path)
    assert proc.returncode == 0 and len(receiver.posts("/alerts/")) == 1      # nothing new: nothing sent
    assert b"nothing new" in proc.stderr
    # another channel has its own memory: it gets them once too
    other = receiver.url("/other")
    proc = notify_cli.run(["alert", "--page", *pids, "--notify", hook, "--notify", other], url, tmp_path)
    assert proc.returncode == 0 and len(receiver.posts("/other")) == 1 and len(receiver.posts("/alerts/")) == 1
    assert KEY_CANARY not in proc.stderr.decode() + proc.stdout.decode()


def test_a_failing_channel_gets_its_alerts_on_the_next_run_the_others_are_not_repeated(sim_server, receiver,
                                                                                       tmp_path, pinned_now):
    sim, url = sim_server
    ok, failing = receiver.url("/ok"), receiver.url(f"/fail/{KEY_CANARY}")
    args = ["alert", "--page", HANA, "--notify", failing, "--notify", ok, "--lang", "en"]
    proc = notify_cli.run(args, url, tmp_path, env_extra=pinned_now)
    assert proc.returncode == 1
    assert f"channel #1 json://127.0.0.1:{receiver.port} failed" in proc.stderr.decode()
    assert len(receiver.posts("/ok")) == 1 and len(receiver.posts("/fail/")) == 1
    receiver.failing = False                               # the channel is back
    proc = notify_cli.run(args, url, tmp_path, env_extra=pinned_now)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(receiver.posts("/fail/")) == 2 and len(receiver.posts("/ok")) == 1
    assert receiver.posts("/fail/")[1].json["message"] == receiver.posts("/ok")[0].json["message"]
    out = proc.stderr.decode() + proc.stdout.decode()
    assert KEY_CANARY not in out


def test_a_dead_token_is_alerted_once_and_the_run_says_the_page_failed(sim_server, receiver, tmp_path):
    sim, url = sim_server
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = TOKEN_CANARY
    args = ["alert", "--page", LINH_CHI, MINH_ANH, "--notify", receiver.url("/t")]
    for _ in range(2):
        proc = notify_cli.run(args, url, tmp_path, access_token=None, page_tokens=tokens)
        assert proc.returncode == 1                         # a page failed, every time
        err = proc.stderr.decode()
        assert f"error: page {MINH_ANH} ({MINH_ANH}) failed" in err
        for secret in (TOKEN_CANARY, *DEMO_PAGE_TOKENS.values(), DEMO_USER_TOKEN):
            assert secret not in err and secret not in proc.stdout.decode()
    (req,) = receiver.posts("/t")                           # sent once
    text = req.json["message"]
    assert text.splitlines()[0].startswith(f"• {i18n.t('kiosk.flag.token', 'vi', page=MINH_ANH, msg='')[:20]}")
    assert TOKEN_CANARY not in req.body.decode()


def test_dry_run_prints_and_remembers_nothing(sim_server, receiver, tmp_path, pinned_now):
    sim, url = sim_server
    args = ["alert", "--page", HANA, "--notify", receiver.url("/d")]
    proc = notify_cli.run([*args, "--dry-run"], url, tmp_path, env_extra=pinned_now)
    assert proc.returncode == 0 and receiver.requests == []
    out = proc.stdout.decode()
    assert out.startswith(f"== #1 json://127.0.0.1:{receiver.port} ==\nPancake · ")
    proc = notify_cli.run(args, url, tmp_path, env_extra=pinned_now)   # the real run still sends
    assert proc.returncode == 0 and len(receiver.posts("/d")) == 1
    assert receiver.posts("/d")[0].json["message"] in out
    proc = notify_cli.run([*args, "--dry-run"], url, tmp_path, env_extra=pinned_now)
    assert b"nothing new" in proc.stderr and proc.stdout == b""


def test_the_cli_default_silence_is_the_standup_screens():
    from pancake.delivery import cli_notify
    assert cli_notify.DEFAULT_SILENT_HOURS == bf.DEFAULT_SILENT_HOURS


# --- unknown outcomes and runs at once (issue 23) ----------------------------------------------------

def test_a_slow_webhook_gets_its_alert_once_over_three_runs_and_the_run_says_the_outcome_is_unknown(
        sim_server, receiver, tmp_path):
    sim, url = sim_server
    receiver.delay = 3.0                                   # answers after 3 s; this channel waits 1 s
    hook = receiver.url(f"/slow/{KEY_CANARY}?rto=1")
    args = ["alert", "--page", LINH_CHI, HANA, "--notify", hook, "--lang", "en"]
    proc = notify_cli.run(args, url, tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert (f"error: channel #1 json://127.0.0.1:{receiver.port}: sent, but no answer within 1 s: the message "
            f"may have arrived; its ") in err
    assert "remembered as sent with an unknown outcome and are not sent again" in err
    n = receiver.posts("/slow/")[0].json["message"].count("• ")
    assert n >= 1
    for _ in range(2):
        proc = notify_cli.run(args, url, tmp_path)
        err = proc.stderr.decode()
        assert proc.returncode == 0, err
        assert f"nothing new for #1 json://127.0.0.1:{receiver.port}" in err
        assert f"; {n} of them with an unknown outcome: the channel never answered)" in err
        assert KEY_CANARY not in err + proc.stdout.decode()
    assert len(receiver.posts("/slow/")) == 1              # 3 runs, 1 delivery


def test_the_state_remembers_which_flags_went_out_with_an_unknown_outcome(backend):  # noqa: F811
    name, store, _ = backend
    store.save_alert_state("s", {"a|p1": "p1", "b|p1": "p1"}, 10.0, unknown=["b|p1"])
    assert store.alert_state("s") == {"a|p1": "p1", "b|p1": "p1"}
    assert store.alert_outcomes("s") == {"a|p1": "sent", "b|p1": "unknown"}
    # a later successful run keeps what is known about a flag still active; a new one is "sent"
    store.save_alert_state("s", {"b|p1": "p1", "c|p2": "p2"}, 20.0)
    assert store.alert_outcomes("s") == {"b|p1": "unknown", "c|p2": "sent"}
    store.save_alert_state("s", {}, 30.0)
    assert store.alert_outcomes("s") == {}


def test_the_alert_lock_is_held_by_one_holder_at_a_time(backend):  # noqa: F811
    import threading
    name, store, _ = backend
    order = []
    go = threading.Event()

    def second():
        go.wait(30)
        with store.alert_lock("scope-1"):
            order.append("second")

    t = threading.Thread(target=second)
    t.start()
    with store.alert_lock("scope-1"):
        go.set()
        with store.alert_lock("scope-2"):          # another channel is not held up
            order.append("other scope")
        order.append("first")
    t.join(30)
    assert order == ["other scope", "first", "second"]


def test_two_alert_runs_at_once_send_each_flag_once(sim_server, receiver, tmp_path, backend):  # noqa: F811
    sim, url = sim_server
    name, store, env = backend
    receiver.delay = 1.5                                   # a slow channel: the runs overlap while sending
    hook = receiver.url("/slow/at-once")
    args = ["alert", "--page", LINH_CHI, HANA, "--notify", hook, "--lang", "en"]
    procs = [notify_cli.start(args, url, tmp_path, env_extra=env) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode() for o in outs]
    posts = receiver.posts("/slow/at-once")
    lines = [ln for r in posts for ln in r.json["message"].splitlines() if ln.startswith("• ")]
    assert lines and len(lines) == len(set(lines))         # each flag delivered once
    assert len(posts) == 1
    errs = sorted(o[1].decode() for o in outs)
    assert sum("nothing new for #1" in e for e in errs) == 1


def test_a_secret_in_a_notify_url_never_shows_in_any_commands_output_or_debug_log(sim_server, receiver,
                                                                                   tmp_path):
    sim, url = sim_server
    path_url = receiver.url("/path/s3cr3t", auth="usr9x:pw-Kx7q")
    letters = receiver.url("/hooks/qwertyzx?sig=abcd")
    canaries = ("s3cr3t", "usr9x", "pw-Kx7q", "qwertyzx", "abcd")
    runs = []
    for cmd in (["alert", "--page", HANA], ["digest", "--page", HANA]):
        for extra in (["--dry-run"], []):
            for how in ("--notify", "env"):
                args = [*cmd, *extra] + (["--notify", path_url, "--notify", letters] if how == "--notify" else [])
                env = {} if how == "--notify" else {"PANCAKE_NOTIFY": f"{path_url},{letters}"}
                (tmp_path / how).mkdir(exist_ok=True)
                proc = notify_cli.run(args, url, tmp_path / how, env_extra=env, debug=True)
                assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
                runs.append(proc.stdout.decode() + proc.stderr.decode())
    assert any("DEBUG" in r for r in runs) and any("/path/" in r.path for r in receiver.requests)
    for text in runs:
        for c in canaries:
            assert c not in text, f"{c} leaked"
