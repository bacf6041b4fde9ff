"""`python -m pancake export` end to end: a real subprocess talking HTTP to the simulator's
server on loopback. Each KIND's numbers are checked against the simulator's ground truth."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
from tests import forkrun
from tests.pancake.unpaced import PANCAKE

ROOT = Path(__file__).resolve().parents[2]
LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS
CANARY = "CANARY-CLI-PAGE-TOKEN-3e7b1f"


def run_cli(args, base_url, *, access_token=DEMO_USER_TOKEN, page_tokens=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env["PANCAKE_CACHE_DIR"] = tempfile.mkdtemp(prefix="pancake-cli-store-")  # each run starts empty
    env["PANCAKE_BASE_URL"] = base_url
    if access_token:
        env["PANCAKE_ACCESS_TOKEN"] = access_token
    tokens = DEMO_PAGE_TOKENS if page_tokens is None else page_tokens
    if tokens:
        env["PANCAKE_PAGE_TOKENS"] = ",".join(f"{k}:{v}" for k, v in tokens.items())
    env["PYTHONPATH"] = str(ROOT)
    proc = forkrun.run([*PANCAKE, *args], capture_output=True, env=env,
                       cwd=cwd or ROOT, timeout=120)
    return proc


def read_csv(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"page_id": str, "user_id": str,
                                                                       "tag_id": str, "ad_id": str})


def days(start: date, end: date):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_help_works():
    proc = forkrun.run([sys.executable, "-m", "pancake", "--help"], capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and b"export" in proc.stdout
    proc = forkrun.run([sys.executable, "-m", "pancake", "export", "--help"], capture_output=True,
                       cwd=ROOT, timeout=60)
    assert proc.returncode == 0
    for kind in (b"engagement", b"staff", b"activity", b"tags", b"customers", b"ads"):
        assert kind in proc.stdout


def test_engagement_export_equals_truth(sim_server, tmp_path):
    sim, url = sim_server
    today = sim.today()
    start, end = today - timedelta(days=9), today - timedelta(days=1)
    out = tmp_path / "eng.csv"
    proc = run_cli(["export", "engagement", "--page", LINH_CHI, "--page", SNEAKER, "--since", str(start),
                    "--until", str(end), "--output", str(out)], url)
    assert proc.returncode == 0, proc.stderr.decode()
    df = read_csv(out.read_bytes())
    assert list(df.columns[:9]) == ["page_id", "date", "inbox", "comment", "total", "new_customer_replied",
                                    "customer_engagement_new_inbox", "order_count", "old_order_count"]
    assert len(df) == 2 * 9
    for pid in (LINH_CHI, SNEAKER):
        for d in days(start, end):
            row = df[(df["page_id"] == pid) & (df["date"] == d.isoformat())]
            truth = sim.truth.engagement_day(pid, d)
            assert int(row["inbox"].iloc[0]) == truth["inbox"]
            assert int(row["comment"].iloc[0]) == truth["comment"]
    assert b"exporting engagement" in proc.stderr


def test_engagement_by_hour_to_stdout(sim_server):
    sim, url = sim_server
    d = sim.today() - timedelta(days=2)
    proc = run_cli(["export", "engagement", "--page", HANA, "--since", str(d), "--until", str(d), "--by-hour", "-q"], url)
    assert proc.returncode == 0, proc.stderr.decode()
    df = read_csv(proc.stdout)
    assert list(df.columns) == ["page_id", "hour", "inbox", "comment", "total", "new_customer",
                                "new_customer_from_inbox"]
    for _, row in df.iterrows():
        truth = sim.truth.engagement_hour(HANA, datetime.fromisoformat(row["hour"]))
        assert int(row["inbox"]) == truth["inbox"]
    assert int(df["inbox"].sum()) == sim.truth.engagement_day(HANA, d)["inbox"]
    assert proc.stderr == b""


def test_users_export_one_row_per_staff_with_weighted_time(sim_server):
    sim, url = sim_server
    end = sim.today() - timedelta(days=1)
    start = end - timedelta(days=40)       # two windows: totals combined, weighted
    proc = run_cli(["export", "staff", "--page", LINH_CHI, "--since", str(start), "--until", str(end), "-q"], url)
    assert proc.returncode == 0, proc.stderr.decode()
    df = read_csv(proc.stdout)
    assert list(df.columns[:3]) == ["page_id", "user_id", "user_name"]
    assert "average_response_time" in df.columns and "user_fb_id" not in df.columns
    truth = sim.truth.user_totals(LINH_CHI, datetime.combine(start, datetime.min.time()),
                                  datetime.combine(end, datetime.max.time()).replace(microsecond=0))
    assert set(df["user_id"]) == set(truth)
    for _, row in df.iterrows():
        t = truth[row["user_id"]]
        assert int(row["inbox_count"]) == t["inbox_count"]
        if t["average_response_time"]:
            assert float(row["average_response_time"]) == pytest.approx(t["average_response_time"], rel=1e-6, abs=1)


def test_pages_tags_customers_ads_exports(sim_server):
    sim, url = sim_server
    end = sim.today() - timedelta(days=1)
    start = end - timedelta(days=2)

    proc = run_cli(["export", "activity", "--page", SNEAKER, "--since", str(start), "--until", str(end), "-q"], url)
    df = read_csv(proc.stdout)
    assert proc.returncode == 0 and list(df.columns[:3]) == ["page_id", "hour", "new_customer_count"]
    assert len(df) == 72
    h = df.iloc[30]
    truth = sim.truth.page_hour(SNEAKER, datetime.fromisoformat(h["hour"]))
    assert int(h["customer_inbox_count"]) == truth["customer_inbox_count"]

    proc = run_cli(["export", "tags", "--page", LINH_CHI, "--since", str(start), "--until", str(end), "-q"], url)
    df = read_csv(proc.stdout)
    assert proc.returncode == 0 and list(df.columns) == ["page_id", "date", "tag_id", "tag_name", "count"]
    for _, row in df.head(8).iterrows():
        assert int(row["count"]) == sim.truth.tag_day(LINH_CHI, int(row["tag_id"]), date.fromisoformat(row["date"]))

    proc = run_cli(["export", "customers", "--page", HANA, "--page", SNEAKER, "--since", str(start),
                    "--until", str(end), "-q"], url)
    df = read_csv(proc.stdout)
    assert proc.returncode == 0 and list(df.columns) == ["page_id", "date", "new_customer_count",
                                                         "new_page_inbox_count", "new_phone_number_count",
                                                         "phone_number_count"]
    for pid in (HANA, SNEAKER):
        expect = sum(sim.truth.new_customers_day(pid, d)["new_customer_count"] for d in days(start, end))
        assert int(df.loc[df["page_id"] == pid, "new_customer_count"].sum()) == expect

    proc = run_cli(["export", "ads", "--page", HANA, "--since", str(start), "--until", str(end), "-q"], url)
    df = read_csv(proc.stdout)
    assert proc.returncode == 0 and df.columns[0] == "page_id" and "spend" in df.columns
    truth = {str(a["ad_id"]): a for a in sim.truth.ads(HANA, start, end)}
    assert set(df["ad_id"]) == set(truth)
    for _, row in df.iterrows():
        assert float(row["spend"] if not pd.isna(row["spend"]) else 0) == pytest.approx(float(truth[row["ad_id"]]["spend"] or 0))
    assert pd.api.types.is_numeric_dtype(df["spend"])   # numbers as numbers, not strings


def test_page_all_and_a_dead_token_page(sim_server):
    sim, url = sim_server
    d = sim.today() - timedelta(days=1)
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = CANARY
    proc = run_cli(["export", "engagement", "--page", "all", "--since", str(d), "--until", str(d)], url,
                   access_token=None, page_tokens=tokens)
    # without a user token, "all" means the configured pages
    assert proc.returncode == 1
    df = read_csv(proc.stdout)
    assert set(df["page_id"]) == set(DEMO_PAGE_IDS) - {MINH_ANH}
    err = proc.stderr.decode()
    assert MINH_ANH in err and "102" in err
    assert CANARY not in err and CANARY.encode() not in proc.stdout
    for token in (*DEMO_PAGE_TOKENS.values(), DEMO_USER_TOKEN):
        assert token not in err and token.encode() not in proc.stdout


def test_page_all_with_user_token_lists_pages(sim_server):
    sim, url = sim_server
    d = sim.today() - timedelta(days=1)
    proc = run_cli(["export", "customers", "--page", "all", "--since", str(d), "--until", str(d), "-q"], url,
                   page_tokens={})
    assert proc.returncode == 0, proc.stderr.decode()
    df = read_csv(proc.stdout)
    assert set(df["page_id"]) <= set(DEMO_PAGE_IDS) and len(set(df["page_id"])) >= 3
    assert DEMO_USER_TOKEN not in proc.stderr.decode()


def test_usage_errors(sim_server, tmp_path):
    _, url = sim_server
    proc = run_cli(["export", "engagement", "--page", LINH_CHI, "--since", "2026-11-10", "--until", "2026-11-01"], url)
    assert proc.returncode == 2 and b"before" in proc.stderr
    proc = run_cli(["export", "engagement", "--page", LINH_CHI, "--since", "10/11/2026", "--until", "2026-11-01"], url)
    assert proc.returncode == 2 and b"YYYY-MM-DD" in proc.stderr
    proc = run_cli(["export", "ads", "--page", LINH_CHI, "--since", "2026-11-01", "--until", "2026-11-01",
                    "--by-hour"], url)
    assert proc.returncode == 2 and b"--by-hour" in proc.stderr
    # no token at all: refuse rather than export demo data by surprise
    proc = run_cli(["export", "engagement", "--page", LINH_CHI, "--since", "2026-11-01", "--until", "2026-11-01"],
                   url, access_token=None, page_tokens={}, cwd=tmp_path)
    assert proc.returncode == 2 and b"no token configured" in proc.stderr


def test_demo_mode_needs_no_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(PANCAKE_DEMO="1", PYTHONPATH=str(ROOT))
    proc = forkrun.run([sys.executable, "-m", "pancake", "export", "tags", "--page", LINH_CHI,
                        "--since", "2026-11-01", "--until", "2026-11-02", "-q"],
                       capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(read_csv(proc.stdout)) > 0
