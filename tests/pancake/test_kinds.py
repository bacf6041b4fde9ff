"""The registry of statistics kinds: every kind is described once and read by the data layer,
the CLI and the screens; plus the numbers a kind's merge and CSV must get right (regressions
of issue "one number, one home")."""
from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pancake import i18n
from pancake.api.client import Chunk
from pancake.data import kinds, reshape
from pancake.delivery import cli, export
from pancake.numbers import metrics


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(export.to_csv_bytes(frame)), encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)


@pytest.mark.parametrize("name", kinds.names())
def test_every_kind_is_complete(name):
    k = kinds.get(name)
    assert k.name == name and k.frames and k.csv_frame in k.frames and k.help
    assert k.source in metrics.SOURCES                      # its fields have a meaning
    for lang in i18n.LANGS:
        assert i18n.has(f"kind.{name}") and k.label(lang) != f"kind.{name}"


def test_kind_names_are_the_only_names():
    assert kinds.names() == ("engagement", "staff", "activity", "tags", "customers", "ads")
    with pytest.raises(ValueError, match="unknown kind 'users'"):
        kinds.get("users")


def test_cli_reads_the_registry():
    parser = cli.build_parser()
    help_text = parser._subparsers._group_actions[0].choices["export"].format_help()
    for k in kinds.REGISTRY.values():
        assert k.name in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "pages", "--page", "1", "--since", "2026-01-01", "--until", "2026-01-02"])


def _staff_payload(users: dict) -> dict:
    return {"success": True, "data": {"statistics": {}, "users": users}}


IDLE = {"user_name": "Ngủ Đông", "inbox_count": 0, "comment_count": 0, "unique_inbox_count": 0,
        "unique_comment_count": 0, "phone_number_count": 0, "private_reply_count": 0,
        "average_response_time": 0}
BUSY = {"user_name": "Chăm Chỉ", "inbox_count": 30, "comment_count": 5, "unique_inbox_count": 10,
        "unique_comment_count": 2, "phone_number_count": 1, "private_reply_count": 0,
        "average_response_time": 60000}


@pytest.mark.parametrize("windows", [1, 2])
def test_an_idle_staff_member_has_no_response_time_in_the_export(windows):
    """Regression: 0 on one window (the API's 0 was kept), empty on several. Now empty on both."""
    staff = kinds.get("staff")
    chunk = Chunk(date(2026, 11, 1), date(2026, 11, 7), _staff_payload({"u1": IDLE, "u2": BUSY}))
    frames = staff.merge([staff.reshape(chunk, "P", hourly=False) for _ in range(windows)], hourly=False)
    rows = _csv(staff.csv(frames)).set_index("user_id")
    assert rows.loc["u1", "average_response_time"] == ""
    assert rows.loc["u2", "average_response_time"] == "60000"
    assert rows.loc["u2", "inbox_count"] == str(30 * windows)


def test_budgets_are_in_the_currencys_main_unit_in_the_csv():
    """Regression: the CLI wrote USD daily_budget in cents (3000), the dashboard in dollars."""
    ads = kinds.get("ads")
    chunk = Chunk(date(2026, 11, 1), date(2026, 11, 7), [
        {"ad_id": "1", "currency": "USD", "daily_budget": "3000", "spend": "12.5"},
        {"ad_id": "2", "currency": "VND", "daily_budget": "500000", "spend": "100000"}])
    rows = _csv(ads.csv(ads.merge([ads.reshape(chunk, "P", hourly=False)], hourly=False))).set_index("ad_id")
    assert rows.loc["1", "daily_budget"] == "30" and rows.loc["2", "daily_budget"] == "500000"


def test_ads_over_several_windows_recompute_the_api_ratios_from_sums():
    """Regression: CLI ads over more than 31 days left CPC, CPM, CTR and ROAS blank."""
    ads = kinds.get("ads")
    w1 = [{"ad_id": "1", "currency": "VND", "spend": "1000", "impressions": "100", "link_click": "10",
           "purchases_conversion_value": "5000", "cpc": "100", "cpm": "10000", "ctr": "10", "purchase_roas": "5"}]
    w2 = [{"ad_id": "1", "currency": "VND", "spend": "3000", "impressions": "900", "link_click": "20",
           "purchases_conversion_value": "3000", "cpc": "150", "cpm": "3333", "ctr": "2.2", "purchase_roas": "1"}]
    parts = [ads.reshape(Chunk(date(2026, 1, 1), date(2026, 1, 31), w1), "P", hourly=False),
             ads.reshape(Chunk(date(2026, 2, 1), date(2026, 2, 28), w2), "P", hourly=False)]
    row = ads.merge(parts, hourly=False)["ads"].iloc[0]
    assert row["spend"] == 4000 and row["link_click"] == 30
    assert row["cpc"] == pytest.approx(4000 / 30)
    assert row["cpm"] == pytest.approx(4000 / 1000 * 1000)
    assert row["ctr"] == pytest.approx(3.0)
    assert row["purchase_roas"] == pytest.approx(8000 / 4000)


def test_money_sums_carry_no_float_noise_in_csv_and_xlsx():
    seven_tenths = 0.2 + 0.1 + 0.4      # what adding three spends gives
    frame = pd.DataFrame({"spend": [seven_tenths, 1234567.89 + 0.01]})
    assert seven_tenths != 0.7          # the noise is real: 0.7000000000000001
    text = export.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text[1] == "0.7" and text[2] == "1234567.9"
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(export.xlsx_bytes({"t": frame}))).active
    assert ws["A2"].value == 0.7


def test_an_hourly_csv_whose_only_hour_is_midnight_is_still_a_date_time():
    frame = pd.DataFrame({"page_id": ["P"], "hour": [pd.Timestamp("2026-11-01 00:00")], "inbox": [3]})
    assert export.to_csv_bytes(frame).decode("utf-8-sig").splitlines()[1] == "P,2026-11-01T00:00:00,3"
    daily = pd.DataFrame({"date": [pd.Timestamp("2026-11-01")]})
    assert export.to_csv_bytes(daily).decode("utf-8-sig").splitlines()[1] == "2026-11-01"


def test_two_api_hours_with_the_same_local_label_are_both_counted():
    """A clock turned back repeats a local hour: both rows of the window are kept; only a
    later window's repeat of a key is dropped."""
    payload = {"data": [
        {"hour": "2026-10-25T02:00:00", "customer_inbox_count": 4, "page_inbox_count": 1},
        {"hour": "2026-10-25T02:00:00", "customer_inbox_count": 6, "page_inbox_count": 2},
        {"hour": "2026-10-25T03:00:00", "customer_inbox_count": 1, "page_inbox_count": 1}]}
    activity = kinds.get("activity")
    part = activity.reshape(Chunk(date(2026, 10, 25), date(2026, 10, 25), payload), "P", hourly=False)
    merged = activity.merge([part, part], hourly=False)["hourly"]   # the same day from two windows
    assert len(merged) == 3
    assert metrics.total(merged, "customer_inbox_count") == 11


def test_merge_windows_drops_only_a_later_windows_repeat():
    a = pd.DataFrame({"page_id": ["P", "P"], "date": pd.to_datetime(["2026-01-30", "2026-01-31"]), "n": [1, 2]})
    b = pd.DataFrame({"page_id": ["P", "P"], "date": pd.to_datetime(["2026-01-31", "2026-02-01"]), "n": [9, 3]})
    out = reshape.drop_repeated(pd.concat([a, b], ignore_index=True), np.array([0, 0, 1, 1]), ["page_id", "date"])
    assert list(out["n"]) == [1, 2, 3]


def test_every_kind_fetches_and_exports_on_demo_data():
    from pancake.config import load_settings
    from pancake.data import core
    client = core.make_client(load_settings(env={"PANCAKE_DEMO": "1"}, secrets={}))
    pid = str(core.list_pages(client)["page_id"].iloc[0])
    for k in kinds.REGISTRY.values():
        for hourly in ([False, True] if k.hourly else [False]):
            frames = k.fetch(client, pid, date(2026, 11, 1), date(2026, 11, 3), hourly=hourly)
            table = k.csv(frames, hourly=hourly)
            assert not table.empty and table.columns[0] == "page_id", (k.name, hourly)
            assert not math.isnan(len(table))
