"""Downloads a person can read: headers in the UI's language (with units), dates as dates,
true/false as words, no empty id column, no internal key; the CLI's frame keeps the API's names."""
from __future__ import annotations

import pandas as pd

from pancake.delivery import export
from pancake.numbers.views import conversations as v
from pancake.numbers.views import tables as vt


def customers() -> pd.DataFrame:
    return pd.DataFrame({
        "page_id": ["p1", "p1"], "customer_id": ["", ""], "name": ["Lan", "Minh"],
        "created_at": pd.to_datetime(["2026-12-06 23:59:15", "2026-12-05 08:00:00"]).astype("datetime64[ns]"),
        "updated_at": pd.to_datetime(["2026-12-07 01:02:03", None]).astype("datetime64[ns]"),
        "phone_numbers": ["0901", ""], "has_phone": pd.array([True, False], dtype="boolean"),
        "can_inbox": pd.array([True, None], dtype="boolean"), "gender": ["female", None]})


def test_the_customers_sheet_reads_in_words():
    out = vt.for_download(v.customers_table(customers(), "vi", {"p1": "Shop"}), "vi")
    assert list(out.columns) == ["Khách hàng", "Trang", "Mã trang", "Tạo lúc", "Có số điện thoại", "Số điện thoại",
                                 "Cập nhật lúc", "Nhắn tin được", "Giới tính"]   # no empty customer_id
    assert out["Cập nhật lúc"][0] == pd.Timestamp("2026-12-07 01:02:03")        # a date, not 1796...000
    assert list(out["Có số điện thoại"]) == ["Có", "Không"]
    assert list(out["Nhắn tin được"]) == ["Có", ""] and list(out["Giới tính"]) == ["Nữ", ""]
    csv = export.to_csv_bytes(out).decode("utf-8-sig").splitlines()
    assert csv[1] == "Lan,Shop,p1,2026-12-06T23:59:15,Có,0901,2026-12-07T01:02:03,Có,Nữ"
    en = vt.for_download(v.customers_table(customers(), "en", {"p1": "Shop"}), "en")
    assert {"Updated", "Can be messaged", "Gender"} <= set(en.columns) and list(en["Gender"]) == ["Female", ""]


def waiting() -> pd.DataFrame:
    return pd.DataFrame({
        "page_id": ["p1", "p2"], "conversation_id": ["c1", "c2"], "type": ["INBOX", "COMMENT"],
        "customer_name": ["Lan", "Minh"], "tag_names": ["", "Khách mới"], "assignee_names": ["", "An"],
        "waiting_since": pd.to_datetime(["2026-12-07 08:00:00", "2026-12-07 09:30:00"]),
        "snippet": ["alo", "giá?"], "wait_ms": [5_400_000.0, 1_800_000.0], "breach": [True, False]})


def test_the_waiting_sheet_has_its_ids_and_the_breach_in_words():
    out = vt.for_download(v.waiting_table(waiting(), "vi", {"p1": "A", "p2": "B"}), "vi")
    assert list(out["Mã hội thoại"]) == ["c1", "c2"]
    assert list(out["Quá ngưỡng chờ"]) == ["Có", "Không"]
    assert list(out["Thời gian chờ (giây)"]) == [5400, 1800]
    assert out.iloc[1].tolist()[:8] == ["", 1800, "Minh", "B", "p2", "Bình luận", "Khách mới", "An"]
    assert out["Chờ từ"][0] == pd.Timestamp("2026-12-07 08:00:00")
    assert not any(c in out.columns for c in ("conversation_id", "breach", "type"))


def test_a_breakdown_sheet_has_no_raw_key():
    b = pd.DataFrame({"label": ["Khách mới", "(không có thẻ)"], "conversations": [3, 1], "share": [0.75, 0.25],
                      "key": ["Khách mới", "-"]})
    out = vt.for_download(v.breakdown_table(b, "vi", "conv.col.tags"), "vi")
    assert list(out.columns) == ["Thẻ", "Hội thoại", "Tỷ lệ (0–1)"]


def test_the_conversations_sheet_says_the_type_and_yes_no_in_words_and_the_cli_keeps_the_api_names():
    frame = pd.DataFrame({
        "page_id": ["p1"], "conversation_id": ["c1"], "type": ["COMMENT"], "customer_id": ["u1"],
        "customer_name": ["Lan"], "created_at": pd.to_datetime(["2026-12-06 10:00:00"]),
        "updated_at": pd.to_datetime(["2026-12-06 11:00:00"]), "tag_names": [""], "assignee_names": ["An"],
        "has_phone": pd.array([False], dtype="boolean"), "message_count": pd.array([4], dtype="Int64"),
        "from_ads": pd.array([None], dtype="boolean")})
    out = vt.for_download(v.export_table(frame, "vi", {"p1": "Shop"}), "vi")
    assert out.iloc[0].to_dict() == {
        "Mã hội thoại": "c1", "Mã trang": "p1", "Trang": "Shop", "Loại": "Bình luận",
        "Tạo lúc": pd.Timestamp("2026-12-06 10:00:00"), "Cập nhật lúc": pd.Timestamp("2026-12-06 11:00:00"),
        "Thẻ": "", "Nhân viên phân công": "An", "Có số điện thoại": "Không", "Số tin nhắn": 4, "Từ quảng cáo": "",
        "Mã khách hàng": "u1", "Khách hàng": "Lan"}
    cli = v.export_frame(frame, {"p1": "Shop"})
    assert list(cli.columns)[:4] == ["conversation_id", "page_id", "page_name", "type"]
    assert cli["type"][0] == "COMMENT" and not bool(cli["has_phone"][0])
