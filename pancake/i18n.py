"""UI strings in Vietnamese (default) and English.

``t(key, lang, **kw)`` looks a key up; page modules add their own strings with
``add({"key": {"vi": "...", "en": "..."}})`` at import time. A missing key shows
the key itself (visible in review, never an exception on screen). Metric names and
tooltips live in ``pancake.metrics``.
"""
from __future__ import annotations

from typing import Mapping

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

_CATALOGUE: dict[str, dict[str, str]] = {}


def add(strings: Mapping[str, Mapping[str, str]]) -> None:
    for key, by_lang in strings.items():
        _CATALOGUE[key] = dict(by_lang)


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **kw: object) -> str:
    entry = _CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(norm_lang(lang)) or entry.get(DEFAULT_LANG) or key
    return text.format(**kw) if kw else text


def has(key: str) -> bool:
    return key in _CATALOGUE


add({
    # app and navigation
    "app.title": {"vi": "Thống kê Pancake", "en": "Pancake statistics"},
    "nav.overview": {"vi": "Tổng quan", "en": "Overview"},
    "nav.engagement": {"vi": "Tương tác", "en": "Engagement"},
    "nav.staff": {"vi": "Nhân viên", "en": "Staff"},
    "nav.ads": {"vi": "Quảng cáo", "en": "Ads"},
    "nav.tags": {"vi": "Thẻ hội thoại", "en": "Tags"},
    "nav.customers": {"vi": "Khách hàng mới", "en": "New customers"},
    "nav.activity": {"vi": "Hoạt động trang", "en": "Page activity"},
    "nav.settings": {"vi": "Cài đặt", "en": "Settings"},
    "nav.section.reports": {"vi": "Báo cáo", "en": "Reports"},
    "nav.section.admin": {"vi": "Quản trị", "en": "Admin"},
    # sidebar
    "sb.lang": {"vi": "Ngôn ngữ", "en": "Language"},
    "sb.pages": {"vi": "Trang", "en": "Pages"},
    "sb.all_pages": {"vi": "Tất cả trang ({n})", "en": "All pages ({n})"},
    "sb.pages_pick": {"vi": "Chọn trang", "en": "Choose pages"},
    "sb.pages_none": {"vi": "Chưa chọn trang nào: đang hiển thị tất cả.", "en": "No page chosen: showing all pages."},
    "sb.range": {"vi": "Khoảng thời gian", "en": "Date range"},
    "sb.custom_range": {"vi": "Từ ngày – đến ngày", "en": "From – to"},
    "sb.compare": {"vi": "So với kỳ trước", "en": "Compare with previous period"},
    "sb.compare_help": {"vi": "Kỳ trước dài bằng kỳ này và kết thúc ngay trước ngày bắt đầu.",
                        "en": "The previous period has the same length and ends the day before this one starts."},
    "sb.grain": {"vi": "Độ chi tiết", "en": "Grain"},
    "sb.grain.day": {"vi": "Ngày", "en": "Day"},
    "sb.grain.hour": {"vi": "Giờ", "en": "Hour"},
    "sb.tz": {"vi": "Múi giờ: {tz}", "en": "Time zone: {tz}"},
    "sb.pages_error": {"vi": "Không lấy được danh sách trang: {msg}", "en": "Could not list pages: {msg}"},
    "preset.today": {"vi": "Hôm nay", "en": "Today"},
    "preset.yesterday": {"vi": "Hôm qua", "en": "Yesterday"},
    "preset.last_7": {"vi": "7 ngày qua", "en": "Last 7 days"},
    "preset.last_30": {"vi": "30 ngày qua", "en": "Last 30 days"},
    "preset.last_90": {"vi": "90 ngày qua", "en": "Last 90 days"},
    "preset.this_month": {"vi": "Tháng này", "en": "This month"},
    "preset.last_month": {"vi": "Tháng trước", "en": "Last month"},
    "preset.custom": {"vi": "Tùy chọn", "en": "Custom"},
    # common page furniture
    "common.demo_banner": {
        "vi": "Đang hiển thị **dữ liệu mẫu** từ trình mô phỏng Pancake: chưa cấu hình token. "
              "Xem trang Cài đặt để kết nối trang thật.",
        "en": "Showing **demo data** from the Pancake simulator: no token is configured. "
              "See Settings to connect real pages."},
    "common.scope": {"vi": "{pages} · {range} · múi giờ {tz}", "en": "{pages} · {range} · time zone {tz}"},
    "common.n_pages": {"vi": "{n} trang", "en": "{n} pages"},
    "common.partial_today": {"vi": "Hôm nay chưa hết ngày: số liệu hôm nay là tạm tính.",
                             "en": "Today is not over: today's figures are partial."},
    "common.vs_prev": {"vi": "so với {range}", "en": "vs {range}"},
    "common.vs_prev_short": {"vi": "so với kỳ trước", "en": "vs previous period"},
    "common.page_failed": {"vi": "Trang **{page}** không tải được: {msg}",
                           "en": "Page **{page}** could not be loaded: {msg}"},
    "common.all_failed": {"vi": "Không trang nào tải được dữ liệu.", "en": "No page returned data."},
    "common.empty": {"vi": "Không có dữ liệu trong khoảng thời gian này.",
                     "en": "No data in this date range."},
    "common.empty_hint": {"vi": "Thử chọn khoảng thời gian dài hơn hoặc trang khác.",
                          "en": "Try a longer date range or other pages."},
    "common.loading": {"vi": "Đang tải {what}…", "en": "Loading {what}…"},
    "common.download_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "common.download_all": {"vi": "Tải tất cả", "en": "Download everything"},
    "common.download_zip": {"vi": "Tải ZIP (các CSV)", "en": "Download ZIP (CSVs)"},
    "common.download_xlsx": {"vi": "Tải Excel (.xlsx)", "en": "Download Excel (.xlsx)"},
    "common.per_page": {"vi": "Theo từng trang", "en": "By page"},
    "common.total": {"vi": "Tổng", "en": "Total"},
    "common.page": {"vi": "Trang", "en": "Page"},
    "common.date": {"vi": "Ngày", "en": "Date"},
    "common.hour": {"vi": "Giờ", "en": "Hour"},
    "common.weekday": {"vi": "Thứ", "en": "Weekday"},
    "common.staff": {"vi": "Nhân viên", "en": "Staff"},
    "common.value": {"vi": "Giá trị", "en": "Value"},
    "common.updated": {"vi": "Cập nhật lúc {time}", "en": "Updated at {time}"},
    "common.config_error": {"vi": "Cấu hình không hợp lệ: {msg}", "en": "Invalid configuration: {msg}"},
})
