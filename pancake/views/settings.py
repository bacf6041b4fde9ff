"""Settings page computations: what the configuration is, shown without any secret.

Pure (no Streamlit): the base URL without credentials or query, the token-status table in
the chosen language (never a token, not even a prefix), the age of the data on screen, and
the configuration reference (environment variables, secrets.toml example with placeholders).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pandas as pd

from .. import fmt, i18n
from ..redact import redact

i18n.add({
    "set.connection": {"vi": "Kết nối", "en": "Connection"},
    "set.mode": {"vi": "Chế độ", "en": "Mode"},
    "set.mode.demo": {"vi": "Dữ liệu mẫu (trình mô phỏng)", "en": "Demo data (simulator)"},
    "set.mode.live": {"vi": "API Pancake thật", "en": "Live Pancake API"},
    "set.user_token": {"vi": "Token người dùng (PANCAKE_ACCESS_TOKEN)", "en": "User token (PANCAKE_ACCESS_TOKEN)"},
    "set.page_tokens": {"vi": "Token trang đã cấu hình", "en": "Page tokens configured"},
    "set.yes": {"vi": "Có", "en": "Yes"},
    "set.no": {"vi": "Không", "en": "No"},
    "set.base_url": {"vi": "Địa chỉ API", "en": "API base URL"},
    "set.pages": {"vi": "Trang đã kết nối", "en": "Connected pages"},
    "set.pages_caption": {
        "vi": "Mỗi token trang được kiểm tra bằng một lệnh gọi nhẹ (GET tags). Token không bao giờ được hiển thị.",
        "en": "Each page token is checked with one light call (GET tags). Tokens are never shown."},
    "set.recheck": {"vi": "Kiểm tra lại token", "en": "Check tokens again"},
    "set.checked_at": {"vi": "Kiểm tra lúc {time}", "en": "Checked at {time}"},
    "set.token_ok": {"vi": "✅ Hoạt động", "en": "✅ Works"},
    "set.token_bad": {"vi": "❌ Lỗi", "en": "❌ Failing"},
    "set.col.status": {"vi": "Token", "en": "Token"},
    "set.col.detail": {"vi": "Chi tiết", "en": "Details"},
    "set.col.page_id": {"vi": "Mã trang", "en": "Page ID"},
    "set.n_ok": {"vi": "{ok}/{n} trang có token hoạt động.", "en": "{ok} of {n} pages have a working token."},
    "set.n_bad": {"vi": "{bad} trang có token không dùng được: dán token mới (Pancake → Cài đặt → Công cụ) "
                        "hoặc cấu hình PANCAKE_ACCESS_TOKEN để tạo lại.",
                  "en": "{bad} page(s) have a token that does not work: paste a new one (Pancake → Settings → "
                        "Tools) or configure PANCAKE_ACCESS_TOKEN to regenerate it."},
    "set.no_pages": {"vi": "Chưa có trang nào được kết nối.", "en": "No page is connected."},
    "set.pages_error": {"vi": "Không lấy được danh sách trang: {msg}", "en": "Could not list pages: {msg}"},
    "set.tz": {"vi": "Múi giờ", "en": "Time zone"},
    "set.tz_body": {
        "vi": "Ngày, giờ và \"hôm nay\" được tính theo múi giờ **{tz}** (bây giờ là {now}). "
              "Đổi bằng biến môi trường `PANCAKE_TIMEZONE` (ví dụ `Asia/Bangkok`) hoặc khóa cùng tên "
              "trong `.streamlit/secrets.toml`, rồi khởi động lại ứng dụng.",
        "en": "Dates, hours and \"today\" follow the **{tz}** time zone (it is now {now}). "
              "Change it with the `PANCAKE_TIMEZONE` environment variable (e.g. `Asia/Bangkok`) or the "
              "same key in `.streamlit/secrets.toml`, then restart the app."},
    "set.cache": {"vi": "Bộ nhớ đệm", "en": "Cache"},
    "set.cache_body": {
        "vi": "Số liệu của những ngày đã qua được giữ {past}; khoảng có hôm nay được lấy lại sau {today}.",
        "en": "Figures for past days are kept for {past}; a range that includes today is fetched again after {today}."},
    "set.fetched": {"vi": "Dữ liệu đang hiển thị được lấy lúc {time} ({age}).",
                    "en": "The data on screen was fetched at {time} ({age})."},
    "set.fetched_oldest": {"vi": "Dữ liệu cũ nhất trong phiên này: {time} ({age}).",
                           "en": "Oldest data in this session: {time} ({age})."},
    "set.not_fetched": {"vi": "Chưa tải dữ liệu nào trong phiên này.",
                        "en": "No data has been fetched in this session yet."},
    "set.clear": {"vi": "Xóa bộ nhớ đệm", "en": "Clear the cache"},
    "set.clear_help": {"vi": "Quên mọi số liệu đã lưu: trang tiếp theo sẽ hỏi lại API Pancake.",
                       "en": "Forget every stored figure: the next page asks the Pancake API again."},
    "set.cleared": {"vi": "Đã xóa bộ nhớ đệm. Số liệu sẽ được tải lại từ API khi bạn mở một báo cáo.",
                    "en": "Cache cleared. Figures will be fetched from the API again when you open a report."},
    "set.age.now": {"vi": "vừa xong", "en": "just now"},
    "set.age.min": {"vi": "{n} phút trước", "en": "{n} min ago"},
    "set.age.hour": {"vi": "{h} giờ {m} phút trước", "en": "{h} h {m} min ago"},
    "set.age.day": {"vi": "{n} ngày trước", "en": "{n} day(s) ago"},
    "set.config": {"vi": "Cấu hình token", "en": "Configuring tokens"},
    "set.demo_body": {
        "vi": "**Chế độ demo** hiển thị dữ liệu mẫu từ một trình mô phỏng Pancake chạy ngay trong ứng dụng: "
              "5 trang bán hàng giả lập, số liệu ổn định và nhất quán, không gọi API thật. Ứng dụng dùng chế độ "
              "này khi chưa cấu hình token nào, hoặc khi `PANCAKE_DEMO=1`.",
        "en": "**Demo mode** shows sample data from a Pancake simulator running inside the app: 5 simulated "
              "shops, stable and consistent figures, no call to the real API. The app uses it when no token "
              "is configured, or when `PANCAKE_DEMO=1`."},
    "set.live_body": {
        "vi": "Ứng dụng đang dùng API Pancake với token đã cấu hình. Token chỉ được đọc từ biến môi trường "
              "hoặc `.streamlit/secrets.toml` và không bao giờ hiển thị ở đây.",
        "en": "The app uses the Pancake API with the configured tokens. Tokens are read only from the "
              "environment or `.streamlit/secrets.toml` and are never shown here."},
    "set.config_body": {
        "vi": "Đặt các biến môi trường sau (biến môi trường được ưu tiên hơn secrets.toml), rồi khởi động lại:",
        "en": "Set these environment variables (they win over secrets.toml), then restart:"},
    "set.secrets_body": {
        "vi": "Hoặc ghi vào `.streamlit/secrets.toml` (đừng đưa file này vào git):",
        "en": "Or write them to `.streamlit/secrets.toml` (keep this file out of git):"},
    "set.var": {"vi": "Biến", "en": "Variable"},
    "set.meaning": {"vi": "Ý nghĩa", "en": "Meaning"},
    "set.example": {"vi": "Ví dụ", "en": "Example"},
    "set.env.PANCAKE_ACCESS_TOKEN": {
        "vi": "Token người dùng (pages.fm → Tài khoản). Liệt kê trang, tạo token trang, thống kê nhiều trang. Hết hạn sau tối đa 90 ngày.",
        "en": "User token (pages.fm → Account). Lists pages, generates page tokens, multi-page staff stats. Expires within 90 days."},
    "set.env.PANCAKE_PAGE_TOKENS": {
        "vi": "Token từng trang, dạng page_id:token cách nhau bằng dấu phẩy (Pancake → Cài đặt → Công cụ).",
        "en": "One token per page, as page_id:token separated by commas (Pancake → Settings → Tools)."},
    "set.env.PANCAKE_BASE_URL": {"vi": "Địa chỉ API (mặc định https://pages.fm/api).",
                                 "en": "API address (default https://pages.fm/api)."},
    "set.env.PANCAKE_TIMEZONE": {"vi": "Múi giờ của shop (mặc định Asia/Ho_Chi_Minh).",
                                 "en": "The shop's time zone (default Asia/Ho_Chi_Minh)."},
    "set.env.PANCAKE_DEMO": {"vi": "1 = luôn dùng dữ liệu mẫu, kể cả khi có token.",
                             "en": "1 = always use demo data, even with tokens."},
})

ENV_VARS = ("PANCAKE_ACCESS_TOKEN", "PANCAKE_PAGE_TOKENS", "PANCAKE_BASE_URL", "PANCAKE_TIMEZONE", "PANCAKE_DEMO")
ENV_EXAMPLES = {
    "PANCAKE_ACCESS_TOKEN": "<user token>",
    "PANCAKE_PAGE_TOKENS": "<page_id>:<page token>,<page_id>:<page token>",
    "PANCAKE_BASE_URL": "https://pages.fm/api",
    "PANCAKE_TIMEZONE": "Asia/Ho_Chi_Minh",
    "PANCAKE_DEMO": "0",
}
SECRETS_EXAMPLE = """\
# .streamlit/secrets.toml
PANCAKE_ACCESS_TOKEN = "<user token>"
PANCAKE_PAGE_TOKENS = "<page_id>:<page token>,<page_id>:<page token>"
PANCAKE_BASE_URL = "https://pages.fm/api"
PANCAKE_TIMEZONE = "Asia/Ho_Chi_Minh"
"""


def safe_base_url(url: Any) -> str:
    """The base URL as shown: no user:password, no query string, no fragment, redacted."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        text = urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        text = text.split("?", 1)[0].split("#", 1)[0]
    return redact(text)


def yes_no(value: bool, lang: str) -> str:
    return i18n.t("set.yes" if value else "set.no", lang)


def token_table(status: pd.DataFrame | None, lang: str) -> pd.DataFrame:
    """``cache.token_status`` -> the table shown: page name, page id, token works?, details.
    Details only for a failing token (the API's message, redacted); failing pages first."""
    cols = [i18n.t("common.page", lang), i18n.t("set.col.page_id", lang), i18n.t("set.col.status", lang),
            i18n.t("set.col.detail", lang)]
    if status is None or status.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
    df = status.copy()
    df["_ok"] = df["ok"].astype(bool)
    df = df.sort_values(["_ok", "name"], kind="stable")
    out = pd.DataFrame({
        cols[0]: df["name"].astype(str).tolist(),
        cols[1]: df["page_id"].astype(str).tolist(),
        cols[2]: [i18n.t("set.token_ok" if ok else "set.token_bad", lang) for ok in df["_ok"]],
        cols[3]: ["" if ok else redact(msg) for ok, msg in zip(df["_ok"], df["message"].astype(str))],
    })
    return out


def token_counts(status: pd.DataFrame | None) -> tuple[int, int]:
    """(working, total)."""
    if status is None or status.empty:
        return 0, 0
    return int(status["ok"].astype(bool).sum()), len(status)


def age_text(then: datetime | None, now: datetime, lang: str) -> str:
    """How long ago ``then`` was: "vừa xong", "3 phút trước", "2 giờ 5 phút trước", "1 ngày trước"."""
    if then is None:
        return "—"
    seconds = max(0.0, (now - then).total_seconds())
    minutes = int(seconds // 60)
    if minutes < 1:
        return i18n.t("set.age.now", lang)
    if minutes < 60:
        return i18n.t("set.age.min", lang, n=minutes)
    if minutes < 24 * 60:
        return i18n.t("set.age.hour", lang, h=minutes // 60, m=minutes % 60)
    return i18n.t("set.age.day", lang, n=minutes // (24 * 60))


def local_time(at: datetime | None, tz: str, lang: str) -> str:
    """A UTC moment as local "HH:MM:SS dd/mm/YYYY" (vi) / "HH:MM:SS, 24 Nov 2026" (en)."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    local = at.astimezone(ZoneInfo(tz))
    sep = " " if lang == "vi" else ", "
    return f"{local:%H:%M:%S}{sep}{fmt.date(local, lang)}"


def ttl_text(ttl: str, lang: str) -> str:
    """"6h" -> "6 giờ" / "6 h"; "5m" -> "5 phút" / "5 min"."""
    ttl = str(ttl).strip()
    units = {"h": ("giờ", "h"), "m": ("phút", "min"), "s": ("giây", "s"), "d": ("ngày", "days")}
    if ttl and ttl[-1] in units and ttl[:-1].isdigit():
        vi, en = units[ttl[-1]]
        return f"{ttl[:-1]} {vi if lang == 'vi' else en}"
    return ttl


def env_table(lang: str) -> pd.DataFrame:
    """The configuration reference: variable, meaning, example (placeholders, never a value in use)."""
    return pd.DataFrame({
        i18n.t("set.var", lang): list(ENV_VARS),
        i18n.t("set.meaning", lang): [i18n.t(f"set.env.{v}", lang) for v in ENV_VARS],
        i18n.t("set.example", lang): [ENV_EXAMPLES[v] for v in ENV_VARS],
    })


def leaks(texts: Iterable[str], secrets: Iterable[str | None]) -> list[str]:
    """The secrets (len >= 4) that appear in any of ``texts``: for tests and a last check."""
    found = []
    blob = "\n".join(str(t) for t in texts)
    for s in secrets:
        if s and len(s) >= 4 and s in blob:
            found.append(s)
    return found
