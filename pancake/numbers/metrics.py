"""Metric catalogue (vi/en names, combination rule, better direction, unit, tooltip) and the
arithmetic that combines metrics correctly: sums for counts, weighted means for response
time, and ratios recomputed from sums (never averaged). Pure pandas, no I/O.

Units (``Metric.unit``): ``count``; ``ms`` (a duration); ``money`` (in the row's ``currency``,
its main unit); ``ratio`` (0.25 is "25 %", its change in points); ``percent`` (already times
100, its change in points); ``multiple`` (ROAS 2.5 is "2,50×", its change relative).

Some API field names mean different things on different endpoints (``order_count``...):
``METRICS`` holds each field's main meaning, ``METRICS_BY_SOURCE[source][field]`` each
endpoint's own; ``label``/``help_text``/``metric`` take an optional ``source``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "Metric", "METRICS", "METRICS_BY_SOURCE", "SOURCES", "metric", "label", "help_text",
    "weighted_response_time", "combine_users", "share_of_replies", "ads_derived",
    "ads_totals", "phone_capture_rate", "reply_ratio", "is_improvement",
    "safe_div", "AD_SUM_FIELDS", "AD_DERIVED_FIELDS", "ads_kpi_values", "currency_key",
    "total", "daily_series", "per_page_sums", "change", "Change", "comparable",
    "staff_overall", "response_time", "weekday_hour_sums", "sums_by", "hourly_sums", "replies",
    "daily_response_times",
]

Add = Literal["sum", "weighted", "none"]
Better = Literal["up", "down"] | None
Unit = Literal["count", "ms", "money", "ratio", "percent", "multiple"]


@dataclass(frozen=True)
class Metric:
    """One number the dashboard shows. Its unit is one of ``Unit``; ``add`` says how it combines."""
    field: str
    vi: str
    en: str
    add: Add
    better: Better
    help_vi: str
    help_en: str
    unit: Unit = "count"

    def label(self, lang: str) -> str:
        return self.vi if _lang(lang) == "vi" else self.en

    def help(self, lang: str) -> str:
        """The tooltip: the definition in words. The catalogue's "API field: …" sentence (the
        field and its endpoint, for developers: docs/METRICS.md) is left out of it."""
        return without_api_fields(self.help_vi if _lang(lang) == "vi" else self.help_en)


_API_SENTENCE = re.compile(r"\s*(?:Trường API|API field):.*?\.(?=\s|$)", re.S)
_API_NAMES = re.compile(r"\s*\([^()]*\b[a-z0-9]+_[a-z0-9_]+\b[^()]*\)")   # "(spend / link_click)"


def without_api_fields(text: str) -> str:
    """``text`` without its "API field: …" / "Trường API: …" sentences (up to the first full
    stop followed by a space or the end) and its parentheses naming fields ("(spend / link_click)")."""
    return _API_NAMES.sub("", _API_SENTENCE.sub("", text)).strip()


def _lang(lang: str) -> str:
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not {lang!r}")
    return lang


def _m(field, vi, en, add, better, unit, help_vi, help_en) -> Metric:
    return Metric(field=field, vi=vi, en=en, add=add, better=better, help_vi=help_vi,
                  help_en=help_en, unit=unit)


# --- catalogue ----------------------------------------------------------------------------

_ENG = "statistics/customer_engagements"
_SUM_VI = "Cộng dồn theo ngày và theo trang."
_SUM_EN = "Adds up over days and pages."

_ENGAGEMENT = [
    _m("inbox", "Tương tác tin nhắn", "Inbox engagements", "sum", "up", "count",
       f"Số lượt khách tương tác qua tin nhắn trong ngày. Trường API: inbox ({_ENG}). {_SUM_VI}",
       f"Customer engagements through inbox messages that day. API field: inbox ({_ENG}). {_SUM_EN}"),
    _m("comment", "Tương tác bình luận", "Comment engagements", "sum", "up", "count",
       f"Số lượt khách tương tác qua bình luận trong ngày. Trường API: comment ({_ENG}). {_SUM_VI}",
       f"Customer engagements through comments that day. API field: comment ({_ENG}). {_SUM_EN}"),
    _m("total", "Tổng tương tác", "Total engagements (inbox + comment)", "sum", "up", "count",
       f"Tổng tương tác = tin nhắn + bình luận. Trường API: total ({_ENG}). {_SUM_VI}",
       f"Total engagements = inbox + comment. API field: total ({_ENG}). {_SUM_EN}"),
    _m("new_customer_replied", "Khách mới được trả lời", "New customers replied", "sum", "up", "count",
       f"Số khách hàng mới đã được trang trả lời. Trường API: new_customer_replied ({_ENG}). {_SUM_VI}",
       f"New customers the page replied to. API field: new_customer_replied ({_ENG}). {_SUM_EN}"),
    _m("customer_engagement_new_inbox", "Hội thoại mới của khách mới", "New-customer inbox conversations",
       "sum", "up", "count",
       f"Số khách mới bắt đầu một hội thoại tin nhắn. Trường API: customer_engagement_new_inbox ({_ENG}). {_SUM_VI}",
       f"New customers who started an inbox conversation. API field: customer_engagement_new_inbox ({_ENG}). {_SUM_EN}"),
    _m("order_count", "Đơn hàng", "Orders", "sum", "up", "count",
       f"Số đơn hàng được tạo. Trường API: order_count ({_ENG}). {_SUM_VI}",
       f"Orders created. API field: order_count ({_ENG}). {_SUM_EN}"),
    _m("old_order_count", "Đơn của khách cũ", "Orders from returning customers", "sum", "up", "count",
       f"Số đơn hàng của khách đã từng mua. Trường API: old_order_count ({_ENG}). {_SUM_VI}",
       f"Orders from returning (existing) customers. API field: old_order_count ({_ENG}). {_SUM_EN}"),
]

_HOURLY = [
    _m("inbox", "Tương tác tin nhắn", "Inbox engagements", "sum", "up", "count",
       f"Tương tác tin nhắn trong giờ (giờ địa phương của shop). Trường API: inbox ({_ENG}, by_hour).",
       f"Inbox engagements in the hour (shop's local time). API field: inbox ({_ENG}, by_hour)."),
    _m("comment", "Tương tác bình luận", "Comment engagements", "sum", "up", "count",
       f"Tương tác bình luận trong giờ (giờ địa phương). Trường API: comment ({_ENG}, by_hour).",
       f"Comment engagements in the hour (local time). API field: comment ({_ENG}, by_hour)."),
    _m("total", "Tổng tương tác", "Total engagements (inbox + comment)", "sum", "up", "count",
       f"Tin nhắn + bình luận trong giờ. Trường API: total ({_ENG}, by_hour).",
       f"Inbox + comment in the hour. API field: total ({_ENG}, by_hour)."),
    _m("new_customer", "Khách mới", "New customers", "sum", "up", "count",
       f"Số khách hàng mới tương tác trong giờ. Trường API: new_customer ({_ENG}, by_hour).",
       f"New customers who engaged in the hour. API field: new_customer ({_ENG}, by_hour)."),
    _m("new_customer_from_inbox", "Khách mới từ tin nhắn", "New customers from inbox", "sum", "up", "count",
       f"Khách mới đến qua tin nhắn trong giờ. Trường API: new_customer_from_inbox ({_ENG}, by_hour).",
       f"New customers who came through inbox in the hour. API field: new_customer_from_inbox ({_ENG}, by_hour)."),
]

_UE = f"users_engagements ({_ENG})"
_USERS_ENGAGEMENTS = [
    _m("inbox_count", "Tương tác tin nhắn của nhân viên", "Staff inbox engagements", "sum", "up", "count",
       f"Phần tương tác tin nhắn do nhân viên này xử lý. Trường API: inbox_count, {_UE}.",
       f"Inbox engagements handled by this staff member. API field: inbox_count, {_UE}."),
    _m("order_count", "Đơn hàng của nhân viên", "Staff orders", "sum", "up", "count",
       f"Số đơn hàng nhân viên này tạo. Trường API: order_count, {_UE}.",
       f"Orders created by this staff member. API field: order_count, {_UE}."),
    _m("old_order_count", "Đơn khách cũ của nhân viên", "Staff orders from returning customers",
       "sum", "up", "count",
       f"Đơn của khách cũ do nhân viên này xử lý. Trường API: old_order_count, {_UE}.",
       f"Orders from returning customers handled by this staff member. API field: old_order_count, {_UE}."),
    _m("total_engagement", "Tổng tương tác của nhân viên", "Staff total engagements", "sum", "up", "count",
       f"Tổng tương tác do nhân viên này xử lý: phần của họ trong tổng tương tác. Trường API: total_engagement, {_UE}.",
       f"Total engagements handled by this staff member: their share of all engagements. "
       f"API field: total_engagement, {_UE}."),
]

_ST = "statistics/users"
_ST_VI = "Cộng dồn theo giờ, ngày và trang."
_ST_EN = "Adds up over hours, days and pages."
_STAFF = [
    _m("inbox_count", "Tin nhắn đã gửi", "Messages sent", "sum", "up", "count",
       f"Số tin nhắn nhân viên đã gửi cho khách. Trường API: inbox_count ({_ST}). {_ST_VI}",
       f"Messages the staff member sent to customers. API field: inbox_count ({_ST}). {_ST_EN}"),
    _m("comment_count", "Bình luận đã trả lời", "Comment replies", "sum", "up", "count",
       f"Số bình luận nhân viên đã trả lời. Trường API: comment_count ({_ST}). {_ST_VI}",
       f"Comments the staff member replied to. API field: comment_count ({_ST}). {_ST_EN}"),
    _m("unique_inbox_count", "Phiên trả lời tin nhắn", "Inbox reply sessions", "sum", "up", "count",
       f"Số lần trả lời một lượt tin nhắn của khách (thường bằng số tin nhắn của khách). "
       f"Trường API: unique_inbox_count ({_ST}). Dùng làm trọng số cho thời gian phản hồi.",
       f"Replies to a customer's message turn (usually the number of customer messages). "
       f"API field: unique_inbox_count ({_ST}). Used as the weight of response time."),
    _m("unique_comment_count", "Phiên trả lời bình luận", "Comment reply sessions", "sum", "up", "count",
       f"Số lần trả lời một bình luận của khách (thường bằng số bình luận của khách). "
       f"Trường API: unique_comment_count ({_ST}). Dùng làm trọng số cho thời gian phản hồi.",
       f"Replies to a customer's comment (usually the number of customer comments). "
       f"API field: unique_comment_count ({_ST}). Used as the weight of response time."),
    _m("private_reply_count", "Nhắn riêng từ bình luận", "Private replies from comments", "sum", "up", "count",
       f"Số lần gửi tin nhắn riêng cho khách từ một bình luận. Trường API: private_reply_count ({_ST}). {_ST_VI}",
       f"Private messages sent to a customer from a comment. API field: private_reply_count ({_ST}). {_ST_EN}"),
    _m("phone_number_count", "Số điện thoại thu được", "Phone numbers collected", "sum", "up", "count",
       f"Số điện thoại nhân viên thu được từ khách. Trường API: phone_number_count ({_ST}). {_ST_VI}",
       f"Phone numbers the staff member collected. API field: phone_number_count ({_ST}). {_ST_EN}"),
    _m("order_count", "Đơn đã chốt", "Orders closed", "sum", "up", "count",
       "Số đơn hàng nhân viên đã chốt. Trường API: order_count (chỉ có trong statistics/user "
       "của API người dùng; trống nếu API không gửi).",
       "Orders the staff member closed. API field: order_count (only sent by the user API's "
       "statistics/user; empty when the API does not send it)."),
    _m("average_response_time", "Thời gian phản hồi TB", "Average response time", "weighted", "down", "ms",
       "Thời gian trung bình từ khi khách nhắn đến khi nhân viên trả lời. Trường API: "
       f"average_response_time ({_ST}), tính bằng mili giây. Khi gộp nhiều giờ, ngày hoặc trang, "
       "mỗi dòng được tính theo số phiên trả lời của nó (tin nhắn và bình luận khác nhau đã trả lời): "
       "giờ bận nặng hơn giờ vắng; không lấy trung bình của các trung bình. Dòng có trọng số 0 không "
       "được tính. Pancake chỉ đo trong giờ làm việc: tin nhắn đến ngoài giờ được tính từ lúc mở cửa "
       "tiếp theo. Càng thấp càng tốt.",
       "Average time from a customer's message to the staff member's reply. API field: "
       f"average_response_time ({_ST}), in milliseconds. When hours, days or pages are combined, "
       "each row weighs as many as its reply sessions (the distinct messages and comments answered): "
       "a busy hour counts more than a quiet one; never a plain mean of means. Rows with zero weight add nothing. "
       "Pancake measures it within working hours: a message that arrives after hours counts from "
       "the next opening. Lower is better."),
    _m("share_of_replies", "Tỷ trọng trả lời", "Share of replies", "none", None, "ratio",
       "Phần của nhân viên trong tổng số trả lời = (tin nhắn đã gửi + bình luận đã trả lời) của nhân viên / "
       "tổng số đó của mọi nhân viên đang hiển thị.",
       "The staff member's part of all replies = their (messages sent + comments replied) / the sum "
       "of those over all staff shown."),
]

_AD = "statistics/pages_campaigns"
_CUR_VI = "Không cộng các loại tiền tệ khác nhau: tổng được tính riêng cho từng tiền tệ."
_CUR_EN = "Amounts in different currencies are never added: totals are per currency."
_DIV_VI = "Chia cho 0 hiển thị “—”."
_DIV_EN = "A division by zero shows “—”."
_BUD_VI = ("API gửi ngân sách theo đơn vị nhỏ nhất của tiền tệ (cent với USD); bảng, CSV và Excel "
           "đều quy ra đơn vị chính (30,00 US$, không phải 3000). Theo từng quảng cáo, không cộng. "
           "Quảng cáo không có tiền tệ thì không rõ đơn vị: ngân sách để trống (—).")
_BUD_EN = ("The API sends budgets in the currency's smallest unit (cents for USD); every table, CSV "
           "and workbook shows the main unit (US$30.00, not 3000). Per ad, not added. An ad without a "
           "currency has no known unit: its budget is left blank (—).")
_ADS = [
    _m("spend", "Chi tiêu", "Spend", "sum", None, "money",
       f"Số tiền đã chi cho quảng cáo. Trường API: spend ({_AD}), gửi dưới dạng chuỗi. {_CUR_VI}",
       f"Amount spent on the ad. API field: spend ({_AD}), sent as a string. {_CUR_EN}"),
    _m("impressions", "Lượt hiển thị", "Impressions", "sum", "up", "count",
       f"Số lần quảng cáo được hiển thị. Trường API: impressions ({_AD}). Cộng dồn được.",
       f"Times the ad was shown. API field: impressions ({_AD}). Adds up."),
    _m("reach", "Người tiếp cận", "Reach", "none", "up", "count",
       f"Số người (không trùng) đã thấy quảng cáo. Trường API: reach ({_AD}). Không cộng giữa các "
       "quảng cáo hay khoảng thời gian vì một người có thể thấy nhiều quảng cáo; chỉ xem theo từng quảng cáo.",
       f"Unique people who saw the ad. API field: reach ({_AD}). Not summable across ads or periods, "
       "because one person can see several ads; shown per ad only."),
    _m("link_click", "Lượt nhấp liên kết", "Link clicks", "sum", "up", "count",
       f"Số lượt nhấp vào liên kết của quảng cáo. Trường API: link_click ({_AD}).",
       f"Clicks on the ad's link. API field: link_click ({_AD})."),
    _m("purchases", "Lượt mua", "Purchases", "sum", "up", "count",
       f"Số lượt mua hàng được Facebook ghi nhận cho quảng cáo. Trường API: purchases ({_AD}).",
       f"Purchases Facebook attributes to the ad. API field: purchases ({_AD})."),
    _m("purchases_conversion_value", "Giá trị chuyển đổi", "Purchase value", "sum", "up", "money",
       f"Tổng giá trị các lượt mua được ghi nhận. Trường API: purchases_conversion_value ({_AD}). {_CUR_VI}",
       f"Total value of the attributed purchases. API field: purchases_conversion_value ({_AD}). {_CUR_EN}"),
    _m("messaging_conversation_started_7d", "Cuộc trò chuyện bắt đầu từ QC", "Conversations started from ads",
       "sum", "up", "count",
       f"Số cuộc trò chuyện tin nhắn bắt đầu trong vòng 7 ngày sau khi xem/nhấp quảng cáo. "
       f"Trường API: messaging_conversation_started_7d ({_AD}).",
       f"Messaging conversations started within 7 days of seeing or clicking the ad. "
       f"API field: messaging_conversation_started_7d ({_AD})."),
    _m("messaging_first_reply", "Tin nhắn trả lời đầu tiên", "First replies", "sum", "up", "count",
       f"Số cuộc trò chuyện mà khách đã trả lời tin nhắn đầu tiên. Trường API: messaging_first_reply ({_AD}).",
       f"Conversations in which the customer answered the first message. API field: messaging_first_reply ({_AD})."),
    _m("post_comments", "Bình luận bài viết", "Post comments", "sum", "up", "count",
       f"Số bình luận trên bài viết của quảng cáo. Trường API: post_comments ({_AD}).",
       f"Comments on the ad's post. API field: post_comments ({_AD})."),
    _m("daily_budget", "Ngân sách ngày", "Daily budget", "none", None, "money",
       f"Ngân sách mỗi ngày. Trường API: daily_budget ({_AD}). {_BUD_VI}",
       f"Budget per day. API field: daily_budget ({_AD}). {_BUD_EN}"),
    _m("lifetime_budget", "Ngân sách trọn đời", "Lifetime budget", "none", None, "money",
       f"Ngân sách cho cả đời quảng cáo (0 = không đặt). Trường API: lifetime_budget ({_AD}). {_BUD_VI}",
       f"Budget for the ad's whole life (0 = none set). API field: lifetime_budget ({_AD}). {_BUD_EN}"),
    _m("budget_remaining", "Ngân sách còn lại", "Remaining budget", "none", None, "money",
       f"Ngân sách chưa dùng. Trường API: budget_remaining ({_AD}). {_BUD_VI}",
       f"Budget not yet used. API field: budget_remaining ({_AD}). {_BUD_EN}"),
    _m("cpc", "CPC (chi phí mỗi lượt nhấp)", "CPC (cost per click)", "none", "down", "money",
       f"CPC = chi tiêu / lượt nhấp liên kết (spend / link_click). Lấy giá trị cpc của API nếu có, "
       f"nếu không thì tính từ tổng; khi gộp luôn tính lại từ tổng, không lấy trung bình. {_DIV_VI}",
       f"CPC = spend / link clicks (spend / link_click). The API's cpc when present, otherwise "
       f"computed; when combined always recomputed from the sums, never averaged. {_DIV_EN}"),
    _m("cpm", "CPM (chi phí mỗi 1000 lượt hiển thị)", "CPM (cost per 1,000 impressions)", "none", "down", "money",
       f"CPM = chi tiêu / lượt hiển thị × 1000 (spend / impressions × 1000). Lấy cpm của API nếu có, "
       f"nếu không thì tính từ tổng; không lấy trung bình. {_DIV_VI}",
       f"CPM = spend / impressions × 1000. The API's cpm when present, otherwise computed from "
       f"the sums; never averaged. {_DIV_EN}"),
    _m("ctr", "CTR (tỷ lệ nhấp)", "CTR (click-through rate)", "none", "up", "percent",
       f"CTR = lượt nhấp liên kết / lượt hiển thị × 100 % (link_click / impressions × 100). Lấy ctr "
       f"của API nếu có, nếu không thì tính từ tổng; không lấy trung bình. {_DIV_VI}",
       f"CTR = link clicks / impressions × 100 % (link_click / impressions × 100). The API's ctr "
       f"when present, otherwise computed from the sums; never averaged. {_DIV_EN}"),
    _m("purchase_roas", "ROAS (theo API)", "ROAS (from the API)", "none", "up", "multiple",
       f"ROAS do Facebook tính, như API gửi. Trường API: purchase_roas ({_AD}). Xem ROAS để có giá trị "
       "được tính lại khi API để trống.",
       f"ROAS as Facebook computes it, as the API sends it. API field: purchase_roas ({_AD}). "
       "See ROAS for the value recomputed when the API leaves it empty."),
    _m("cost_per_purchase", "Chi phí mỗi lượt mua", "Cost per purchase", "none", "down", "money",
       f"Chi phí mỗi lượt mua = chi tiêu / lượt mua (spend / purchases), tính lại từ tổng. {_DIV_VI}",
       f"Cost per purchase = spend / purchases, recomputed from the sums. {_DIV_EN}"),
    _m("roas", "ROAS (doanh thu trên chi phí QC)", "ROAS (return on ad spend)", "none", "up", "multiple",
       f"ROAS = giá trị chuyển đổi / chi tiêu (purchases_conversion_value / spend). Lấy ROAS Facebook tính "
       f"nếu có, nếu không thì tính từ tổng; không lấy trung bình. {_DIV_VI}",
       f"ROAS = purchase value / spend (purchases_conversion_value / spend). Facebook's own ROAS "
       f"when present, otherwise computed from the sums; never averaged. {_DIV_EN}"),
    _m("cost_per_conversation", "Chi phí mỗi cuộc trò chuyện", "Cost per conversation", "none", "down", "money",
       f"Chi phí mỗi cuộc trò chuyện = chi tiêu / cuộc trò chuyện bắt đầu trong 7 ngày "
       f"(spend / messaging_conversation_started_7d), tính lại từ tổng. {_DIV_VI}",
       f"Cost per conversation = spend / conversations started within 7 days "
       f"(spend / messaging_conversation_started_7d), recomputed from the sums. {_DIV_EN}"),
]

_NC = "statistics/customers"
_NEW_CUSTOMERS = [
    _m("new_customer_count", "Khách hàng mới", "New customers", "sum", "up", "count",
       f"Số khách hàng mới của trang. Trường API: new_customer_count ({_NC}). {_SUM_VI}",
       f"New customers of the page. API field: new_customer_count ({_NC}). {_SUM_EN}"),
    _m("new_page_inbox_count", "Hội thoại inbox mới", "New inbox conversations", "sum", "up", "count",
       f"Số hội thoại tin nhắn mới. Trường API: new_page_inbox_count ({_NC}). {_SUM_VI}",
       f"New inbox conversations. API field: new_page_inbox_count ({_NC}). {_SUM_EN}"),
    _m("new_phone_number_count", "Số điện thoại mới", "New phone numbers", "sum", "up", "count",
       f"Số điện thoại mới thu được. Trường API: new_phone_number_count ({_NC}). {_SUM_VI}",
       f"New phone numbers captured. API field: new_phone_number_count ({_NC}). {_SUM_EN}"),
    _m("phone_number_count", "Tổng số điện thoại", "Phone numbers", "sum", "up", "count",
       f"Tổng số điện thoại thu được (cả số đã có). Trường API: phone_number_count ({_NC}). {_SUM_VI}",
       f"All phone numbers captured (including known ones). API field: phone_number_count ({_NC}). {_SUM_EN}"),
    _m("phone_capture_rate", "Tỷ lệ thu số điện thoại", "Phone capture rate", "none", "up", "ratio",
       "Tỷ lệ thu số điện thoại = số điện thoại mới / hội thoại inbox mới "
       "(new_phone_number_count / new_page_inbox_count), tính từ tổng, không lấy trung bình. "
       "Không có hội thoại mới thì hiển thị “—”.",
       "Phone capture rate = new phone numbers / new inbox conversations "
       "(new_phone_number_count / new_page_inbox_count), from the sums, never averaged. "
       "Shows “—” when there are no new conversations."),
]

_PG = "statistics/pages"
_PAGE_ACTIVITY = [
    _m("new_customer_count", "Khách hàng mới", "New customers", "sum", "up", "count",
       f"Khách hàng mới trong giờ. Trường API: new_customer_count ({_PG}).",
       f"New customers in the hour. API field: new_customer_count ({_PG})."),
    _m("customer_inbox_count", "Tin nhắn của khách", "Customer messages", "sum", "up", "count",
       f"Số tin nhắn khách gửi đến trang trong giờ. Trường API: customer_inbox_count ({_PG}).",
       f"Messages customers sent to the page in the hour. API field: customer_inbox_count ({_PG})."),
    _m("customer_comment_count", "Bình luận của khách", "Customer comments", "sum", "up", "count",
       f"Số bình luận của khách trong giờ. Trường API: customer_comment_count ({_PG}).",
       f"Customer comments in the hour. API field: customer_comment_count ({_PG})."),
    _m("page_inbox_count", "Tin nhắn trang gửi", "Page messages sent", "sum", "up", "count",
       f"Số tin nhắn trang gửi đi trong giờ. Trường API: page_inbox_count ({_PG}).",
       f"Messages the page sent in the hour. API field: page_inbox_count ({_PG})."),
    _m("page_comment_count", "Bình luận trang trả lời", "Page comment replies", "sum", "up", "count",
       f"Số bình luận trang trả lời trong giờ. Trường API: page_comment_count ({_PG}).",
       f"Comment replies by the page in the hour. API field: page_comment_count ({_PG})."),
    _m("inbox_interactive_count", "Hội thoại có tương tác", "Interactive conversations", "sum", "up", "count",
       f"Số hội thoại có tương tác trong giờ. Trường API: inbox_interactive_count ({_PG}).",
       f"Conversations with interaction in the hour. API field: inbox_interactive_count ({_PG})."),
    _m("new_inbox_count", "Hội thoại mới", "New conversations", "sum", "up", "count",
       f"Số hội thoại mới trong giờ. Trường API: new_inbox_count ({_PG}).",
       f"New conversations in the hour. API field: new_inbox_count ({_PG})."),
    _m("phone_number_count", "Số điện thoại", "Phone numbers", "sum", "up", "count",
       f"Số điện thoại thu được trong giờ. Trường API: phone_number_count ({_PG}).",
       f"Phone numbers captured in the hour. API field: phone_number_count ({_PG})."),
    _m("uniq_phone_number_count", "Số điện thoại không trùng", "Unique phone numbers", "sum", "up", "count",
       f"Số điện thoại không trùng trong giờ. Trường API: uniq_phone_number_count ({_PG}). "
       "Cộng theo giờ như Pancake; một số có thể được đếm ở nhiều giờ.",
       f"Unique phone numbers in the hour. API field: uniq_phone_number_count ({_PG}). "
       "Added over hours as Pancake does; one number may count in several hours."),
    _m("today_uniq_website_referral", "Lượt giới thiệu từ web (không trùng)", "Unique website referrals",
       "sum", "up", "count",
       f"Khách không trùng đến từ website. Trường API: today_uniq_website_referral ({_PG}).",
       f"Unique visitors referred from the website. API field: today_uniq_website_referral ({_PG})."),
    _m("today_website_guest_referral", "Khách vãng lai từ web", "Website guest referrals", "sum", "up", "count",
       f"Khách vãng lai đến từ website. Trường API: today_website_guest_referral ({_PG}).",
       f"Guests referred from the website. API field: today_website_guest_referral ({_PG})."),
    _m("reply_ratio", "Tỷ lệ trả lời", "Reply ratio", "none", "up", "ratio",
       "Tỷ lệ trả lời = tin nhắn trang gửi / tin nhắn của khách (page_inbox_count / "
       "customer_inbox_count), tính từ tổng. Cho thấy những giờ khách nhắn mà không ai trả lời. "
       "Không có tin nhắn của khách thì hiển thị “—”.",
       "Reply ratio = page messages sent / customer messages (page_inbox_count / "
       "customer_inbox_count), from the sums. Shows the hours when customers write and nobody "
       "answers. Shows “—” when there are no customer messages."),
]

_TAGS = [
    _m("count", "Số hội thoại gắn thẻ", "Tagged conversations", "sum", None, "count",
       "Số hội thoại mang thẻ này trong ngày, theo cách Pancake đếm. Trường API: series của "
       "statistics/tags (nếu giá trị là {pin, total} thì dùng total). Cộng theo ngày và trang; "
       "một hội thoại mang thẻ nhiều ngày được đếm mỗi ngày.",
       "Conversations that carried the tag that day, as Pancake counts them. API field: the "
       "series of statistics/tags (where the value is {pin, total}, total is used). Adds up over "
       "days and pages; a conversation tagged on several days counts on each."),
]

_CONVERSATIONS = [
    _m('conversations', 'Hội thoại', 'Conversations', 'sum', None, 'count',
       'Số hội thoại được tạo trong khoảng thời gian (API conversations, theo inserted_at). Cộng dồn theo ngày và trang.',
       'Conversations created in the range (conversations API, by inserted_at). Adds up over days and pages.'),
    _m('with_phone', 'Có số điện thoại', 'Phone captured', 'sum', 'up', 'count',
       'Hội thoại có số điện thoại của khách (has_phone).',
       'Conversations where the customer left a phone number (has_phone).'),
    _m('phone_share', 'Tỷ lệ để lại số điện thoại', 'Phone capture share', 'none', 'up', 'ratio',
       'Hội thoại có số điện thoại / hội thoại đã biết có hay không có số, tính từ tổng.',
       'Conversations with a phone number / conversations where that is known, from the sums.'),
    _m('from_ads', 'Từ quảng cáo', 'From ads', 'sum', 'up', 'count',
       'Hội thoại đến từ quảng cáo (export_data, action=conversations_from_ads).',
       'Conversations that came from ads (export_data, action=conversations_from_ads).'),
    _m('waiting', 'Đang chờ trả lời', 'Waiting for a reply', 'none', 'down', 'count',
       'Hội thoại có tin nhắn cuối của khách và chưa được trả lời.',
       "Conversations whose last message is the customer's, not answered yet."),
    _m('wait_ms', 'Thời gian chờ', 'Waiting for', 'none', 'down', 'ms',
       'Từ tin nhắn chưa được trả lời của khách đến bây giờ.',
       "From the customer's unanswered message until now."),
    _m('message_count', 'Số tin nhắn', 'Messages', 'sum', None, 'count',
       'Số tin nhắn trong hội thoại (message_count).',
       'Messages in the conversation (message_count).'),
    _m('customers', 'Khách hàng', 'Customers', 'sum', 'up', 'count',
       'Khách hàng của trang được tạo trong khoảng thời gian (page_customers).',
       "The page's customers created in the range (page_customers)."),
]

# Response times from the conversations' messages (issue 21). Their arithmetic (turns, waits in
# opening hours, median/P90 over the turns, % within target) lives in pancake/numbers/replies.py.
_REPLIES = [
    _m('turns', 'Lượt khách hỏi', 'Customer turns', 'sum', None, 'count',
       'Lượt khách hỏi đã được trả lời: từ tin nhắn đầu tiên của khách sau lần trả lời trước của trang đến lần trả lời kế tiếp.',
       "Customer turns answered: from the customer's first message after the page's last reply to the page's next reply."),
    _m('median_wait', 'Thời gian chờ (trung vị)', 'Median wait', 'none', 'down', 'ms',
       'Một nửa số lượt được trả lời nhanh hơn mức này. Tính trên tất cả các lượt, không lấy trung bình của các trung vị.',
       'Half the turns were answered faster than this. Computed over all the turns, never an average of medians.'),
    _m('p90_wait', 'Thời gian chờ P90', '90th percentile wait', 'none', 'down', 'ms',
       '9 trên 10 lượt được trả lời nhanh hơn mức này.',
       '9 in 10 turns were answered faster than this.'),
    _m('mean_wait', 'Thời gian chờ trung bình', 'Mean wait', 'none', 'down', 'ms',
       'Tổng thời gian chờ / số lượt. Một vài lượt rất lâu kéo con số này lên.',
       'Total wait / turns. A few very long waits pull it up.'),
    _m('within_target', 'Tỉ lệ đạt mục tiêu', 'Within target', 'none', 'up', 'ratio',
       'Lượt được trả lời trong mục tiêu (tính trong giờ làm việc) / lượt đã xét; khách đang chờ đã quá mục tiêu tính là không đạt.',
       'Turns answered within their target (in opening hours) / turns judged; a customer still waiting past the '
       'target counts as missed.'),
    _m('waiting_turns', 'Khách đang chờ', 'Customers waiting', 'none', 'down', 'count',
       'Lượt khách hỏi chưa được trả lời.', 'Customer turns not answered yet.'),
    _m('first_median', 'Thời gian phản hồi đầu tiên', 'First response time', 'none', 'down', 'ms',
       'Trung vị thời gian chờ của lượt đầu tiên mỗi hội thoại.', "The median wait of each conversation's first turn."),
]

METRICS_BY_SOURCE: dict[str, dict[str, Metric]] = {
    "engagement": {m.field: m for m in _ENGAGEMENT},
    "engagement_hourly": {m.field: m for m in _HOURLY},
    "staff": {m.field: m for m in _STAFF},
    "users_engagements": {m.field: m for m in _USERS_ENGAGEMENTS},
    "ads": {m.field: m for m in _ADS},
    "customers": {m.field: m for m in _NEW_CUSTOMERS},
    "activity": {m.field: m for m in _PAGE_ACTIVITY},
    "tags": {m.field: m for m in _TAGS},
    "conversations": {m.field: m for m in _CONVERSATIONS},   # the conversations page (not a statistics kind)
    "replies": {m.field: m for m in _REPLIES},               # the response-times page (pancake/numbers/replies.py)
}
SOURCES = tuple(METRICS_BY_SOURCE)

# Flat catalogue: the first source (in SOURCES order) that defines a field gives its meaning.
METRICS: dict[str, Metric] = {}
for _src in SOURCES:
    for _f, _metric in METRICS_BY_SOURCE[_src].items():
        METRICS.setdefault(_f, _metric)


def metric(field: str, source: str | None = None) -> Metric | None:
    """The Metric for ``field`` (as ``source`` means it, if given and known), or None."""
    if source is not None:
        if source not in METRICS_BY_SOURCE:
            raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
        m = METRICS_BY_SOURCE[source].get(field)
        if m is not None:
            return m
    return METRICS.get(field)


def label(field: str, lang: str, source: str | None = None) -> str:
    """Display name in ``lang`` ("vi"/"en"); an unknown field (a new API series) is shown as is."""
    _lang(lang)
    m = metric(field, source)
    return m.label(lang) if m else field


def help_text(field: str, lang: str, source: str | None = None) -> str:
    """Tooltip in ``lang``; "" for an unknown field."""
    _lang(lang)
    m = metric(field, source)
    return m.help(lang) if m else ""


# --- arithmetic helpers -------------------------------------------------------------------

def safe_div(num: Any, den: Any, scale: float = 1.0) -> Any:
    """num / den * scale; NaN where den is 0, null, or a result is not finite (never inf, never 0
    in place of a missing value). Works on scalars and Series."""
    if isinstance(num, pd.Series) or isinstance(den, pd.Series):
        n = pd.to_numeric(num, errors="coerce")
        d = pd.to_numeric(den, errors="coerce")
        n = n.astype("float64") if isinstance(n, pd.Series) else float(n)
        d = d.astype("float64") if isinstance(d, pd.Series) else float(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = n / d * scale
        out = out.where(np.isfinite(out) & (d != 0))
        return out.astype("float64")
    try:
        n, d = float(num), float(den)
    except (TypeError, ValueError):
        return math.nan
    if math.isnan(n) or math.isnan(d) or d == 0:
        return math.nan
    out = n / d * scale
    return out if math.isfinite(out) else math.nan


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _count_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    return [c for c in frame.columns if c not in exclude and c != "average_response_time"
            and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]


def _groupby(frame: pd.DataFrame, by: list[str]):
    if by:
        return frame.groupby(by, dropna=False, sort=True)
    return frame.groupby(np.zeros(len(frame), dtype=int), sort=True)


# --- staff --------------------------------------------------------------------------------

def _weight(frame: pd.DataFrame) -> pd.Series:
    w = pd.Series(0.0, index=frame.index)
    for c in ("unique_inbox_count", "unique_comment_count"):
        if c in frame.columns:
            w = w + _num(frame[c]).fillna(0.0)
    return w.clip(lower=0.0)


def weighted_response_time(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Group rows by ``by``; sum every count column; combine ``average_response_time`` (ms)
    weighted by ``unique_inbox_count + unique_comment_count``.

    A row with zero weight (or a null average) adds nothing; a group whose total weight is 0
    gets NaN. Sums keep ``Int64`` and stay ``<NA>`` only when every value of the group is null.
    Columns: ``by`` + the count columns (frame order) + ``average_response_time``. Other
    non-numeric columns are dropped (see :func:`combine_users` to keep names). ``by=[]``
    gives one row for the whole frame.
    """
    by = list(by)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise KeyError(f"group columns {missing} not in frame")
    counts = _count_columns(frame, set(by))
    work = frame[by + counts].copy()
    art = _num(frame["average_response_time"]) if "average_response_time" in frame.columns \
        else pd.Series(np.nan, index=frame.index)
    w = _weight(frame).where(art.notna(), 0.0)
    work["_wx"] = (art.fillna(0.0) * w).astype("float64")
    work["_w"] = w.astype("float64")
    if frame.empty:
        out = frame[by + counts].iloc[0:0].copy()
        out["average_response_time"] = pd.Series([], dtype="float64")
        return out.reset_index(drop=True)
    g = _groupby(work, by)
    sums = g[counts + ["_wx", "_w"]].sum(min_count=1)
    out = sums[counts].copy()
    wsum = sums["_w"].fillna(0.0)
    out["average_response_time"] = (sums["_wx"] / wsum).where(wsum > 0).astype("float64")
    for c in counts:
        if str(frame[c].dtype) != str(out[c].dtype):
            try:
                out[c] = out[c].astype(frame[c].dtype)
            except (TypeError, ValueError):
                pass
    if by:
        out = out.reset_index()
    else:
        out = out.reset_index(drop=True)
    return out[by + counts + ["average_response_time"]]


def combine_users(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """:func:`weighted_response_time` for staff frames (pages, windows or hours -> per user).

    ``by`` defaults to ``["user_id"]``. Keeps ``user_name``/``user_fb_id`` (first non-null of
    the group) and, when ``page_id`` is not a group key, sets it to the group's page ids joined
    with "," (the multi-page convention). ``hour``/``date`` not in ``by`` are dropped.
    Columns follow the input order.
    """
    by = ["user_id"] if by is None else list(by)
    core = weighted_response_time(frame, by)
    keep = [c for c in ("user_name", "user_fb_id") if c in frame.columns and c not in by]
    join_pages = "page_id" in frame.columns and "page_id" not in by
    added = keep + (["page_id"] if join_pages else [])
    if added and not frame.empty:
        g = _groupby(frame, by)
        extra = {c: g[c].first() for c in keep}
        if join_pages:
            extra["page_id"] = g["page_id"].agg(
                lambda s: ",".join(sorted({str(x) for x in s.dropna()})))
        ext = pd.DataFrame(extra)
        if by:
            core = core.merge(ext.reset_index(), on=by, how="left")
        else:
            core = pd.concat([core, ext.reset_index(drop=True)], axis=1)
    for c in added:
        core[c] = core[c].astype("str") if c in core.columns else pd.Series([], dtype="str")
    order = [c for c in frame.columns if c in core.columns]
    order += [c for c in core.columns if c not in order]
    return core[order]


def share_of_replies(frame: pd.DataFrame) -> pd.Series:
    """Each row's (inbox_count + comment_count) / the same summed over all rows (0..1).
    Nulls count as 0; NaN everywhere when the total is 0."""
    part = pd.Series(0.0, index=frame.index)
    for c in ("inbox_count", "comment_count"):
        if c in frame.columns:
            part = part + _num(frame[c]).fillna(0.0)
    total = float(part.sum())
    return safe_div(part, pd.Series(total, index=frame.index)).rename("share_of_replies")


# --- ads ----------------------------------------------------------------------------------

AD_SUM_FIELDS = ("spend", "impressions", "link_click", "purchases", "purchases_conversion_value",
                 "messaging_conversation_started_7d", "messaging_first_reply", "post_comments")
AD_DERIVED_FIELDS = ("cpc", "cpm", "ctr", "cost_per_purchase", "roas", "cost_per_conversation")

# derived field -> (numerator, denominator, scale, API column whose non-null value wins)
_DERIVED = {
    "cpc": ("spend", "link_click", 1.0, "cpc"),
    "cpm": ("spend", "impressions", 1000.0, "cpm"),
    "ctr": ("link_click", "impressions", 100.0, "ctr"),
    "cost_per_purchase": ("spend", "purchases", 1.0, "cost_per_purchase"),
    "roas": ("purchases_conversion_value", "spend", 1.0, "purchase_roas"),
    "cost_per_conversation": ("spend", "messaging_conversation_started_7d", 1.0, "cost_per_conversation"),
}


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return _num(frame[name])
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def ads_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of an ads frame with ``cpc, cpm, ctr, cost_per_purchase, roas,
    cost_per_conversation`` (float64) filled: the API's value where non-null (``roas`` takes
    ``purchase_roas``), else computed from the row. Division by zero -> NaN, never inf or 0."""
    out = frame.copy()
    for field, (num, den, scale, api) in _DERIVED.items():
        computed = safe_div(_col(out, num), _col(out, den), scale)
        given = _col(out, api)
        given = given.where(np.isfinite(given))
        out[field] = given.where(given.notna(), computed).astype("float64")
    return out


def ads_totals(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """One row per currency (or per ``by`` + currency): ``ad_count``, the sums of ``AD_SUM_FIELDS``
    (NaN when every value is null) and the ratios of ``AD_DERIVED_FIELDS`` from **paired sums**
    (numerator and denominator over the same ads, those that report both: an ad with unknown
    purchases never inflates the cost per purchase), with ``<ratio>_ads`` saying how many ads each
    covers. ``reach`` is left out (one person sees several ads). Currencies are never mixed; a null
    currency is its own group (shown "—", never taken for VND).
    """
    keys = list(by or [])
    if "currency" not in keys:
        keys.append("currency")
    sums_cols = list(AD_SUM_FIELDS)
    cover_cols = [f"{f}_ads" for f in AD_DERIVED_FIELDS]
    columns = keys + ["ad_count"] + sums_cols + list(AD_DERIVED_FIELDS) + cover_cols
    if frame.empty:
        out = pd.DataFrame({c: pd.Series([], dtype="str") for c in keys})
        out["ad_count"] = pd.Series([], dtype="Int64")
        for c in sums_cols + list(AD_DERIVED_FIELDS):
            out[c] = pd.Series([], dtype="float64")
        for c in cover_cols:
            out[c] = pd.Series([], dtype="Int64")
        return out[columns]
    for c in keys:
        if c not in frame.columns:
            raise KeyError(f"ads_totals: column {c!r} not in frame")
    work = frame[keys].copy()
    for c in sums_cols:
        work[c] = _col(frame, c)
    for field, (num, den, _scale, _api) in _DERIVED.items():
        both = work[num].notna() & work[den].notna()
        work[f"_{field}_n"] = work[num].where(both)
        work[f"_{field}_d"] = work[den].where(both)
        work[f"{field}_ads"] = both.astype("int64")
    g = work.groupby(keys, dropna=False, sort=True)
    pair_cols = [f"_{f}_{x}" for f in AD_DERIVED_FIELDS for x in ("n", "d")]
    out = g[sums_cols + pair_cols].sum(min_count=1)
    covers = g[cover_cols].sum()
    out.insert(0, "ad_count", g.size().astype("Int64"))
    out = out.join(covers.astype("Int64")).reset_index()
    for field, (_num, _den, scale, _api) in _DERIVED.items():
        out[field] = safe_div(out[f"_{field}_n"], out[f"_{field}_d"], scale)
    return out[columns]


def merge_ads(df: pd.DataFrame, *, several: bool) -> pd.DataFrame:
    """Ads from several windows, their rows in one frame (of one page or several: the key holds
    ``page_id``): the additive fields (``AD_SUM_FIELDS``) added per ad, the ad described as the
    newest window does, the API's per-window ratios (cpc, cpm, ctr, purchase_roas) recomputed from
    the sums, and reach kept only when a single window reported it (reach cannot be added).
    ``several``: there is more than one window."""
    if df.empty or not several:
        return df
    key = ["page_id", "ad_id", "currency"]
    df = df.copy()
    df["_order"] = range(len(df))
    present = [c for c in AD_SUM_FIELDS if c in df.columns]
    g = df.groupby(key, dropna=False, sort=False)
    sums = g[present].sum(min_count=1)
    reach_counts = g["reach"].count()
    last = df.sort_values("_order").groupby(key, dropna=False, sort=False).tail(1).set_index(key)
    out = last.drop(columns=present + ["_order"]).join(sums)
    out.loc[reach_counts[reach_counts > 1].index, "reach"] = np.nan
    out = out.reset_index()
    for api, (num, den, scale) in {"cpc": ("spend", "link_click", 1.0),
                                   "cpm": ("spend", "impressions", 1000.0),
                                   "ctr": ("link_click", "impressions", 100.0),
                                   "purchase_roas": ("purchases_conversion_value", "spend", 1.0)}.items():
        if api in out.columns:
            out[api] = safe_div(_col(out, num), _col(out, den), scale)
    return out[[c for c in df.columns if c in out.columns]]


def ads_kpi_values(frame: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """{currency: {field: value}} of an ads frame: ``ads_totals`` per currency as plain values
    (the KPI cards of the Ads page and the standup screen). A null currency is keyed ""."""
    if frame is None or frame.empty:
        return {}
    t = ads_totals(frame.assign(currency=frame["currency"].map(currency_key)))
    return {str(r["currency"]): {k: v for k, v in r.items() if k != "currency"} for _, r in t.iterrows()}


def currency_key(value: Any) -> str:
    """A currency code as the totals group it: upper case, "" for a missing one."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip().upper()


# --- new customers, page activity ---------------------------------------------------------

def _ratio_from_sums(frame: pd.DataFrame, num: str, den: str, by: list[str] | None, name: str):
    if by is None:
        n = _col(frame, num).sum(min_count=1)
        d = _col(frame, den).sum(min_count=1)
        return safe_div(n, d)
    work = frame[list(by)].copy()
    work[num] = _col(frame, num)
    work[den] = _col(frame, den)
    sums = _groupby(work, list(by))[[num, den]].sum(min_count=1).reset_index()
    sums[name] = safe_div(sums[num], sums[den])
    return sums[list(by) + [num, den, name]]


def phone_capture_rate(frame: pd.DataFrame, by: list[str] | None = None):
    """sum(new_phone_number_count) / sum(new_page_inbox_count). A float when ``by`` is None,
    else a frame ``by + [new_phone_number_count, new_page_inbox_count, phone_capture_rate]``.
    NaN when the denominator is 0 or missing."""
    return _ratio_from_sums(frame, "new_phone_number_count", "new_page_inbox_count", by,
                            "phone_capture_rate")


def reply_ratio(frame: pd.DataFrame, by: list[str] | None = None):
    """sum(page_inbox_count) / sum(customer_inbox_count); float, or a frame per ``by``
    (e.g. ``["hour"]``) with ``reply_ratio``. NaN when customers sent nothing."""
    return _ratio_from_sums(frame, "page_inbox_count", "customer_inbox_count", by, "reply_ratio")


# --- comparisons --------------------------------------------------------------------------

def _as_float(x: Any) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def is_improvement(field: str, change: Any, source: str | None = None) -> bool | None:
    """True when ``change`` goes the metric's better way, False when the other way, None when
    there is no better direction, the field is unknown, or the change is 0/missing."""
    m = metric(field, source)
    c = _as_float(change)
    if m is None or m.better is None or c is None or c == 0:
        return None
    return (c > 0) if m.better == "up" else (c < 0)


# the neutral band: a change smaller than this is grey, with no arrow (cards, sparklines, the five
# lines, the digest): under 1 % for a count, money or duration, under 0.5 percentage points for a ratio
NEUTRAL_PCT = 1.0
NEUTRAL_PP = 0.5


@dataclass(frozen=True)
class Change:
    """How a value moved against the previous period. ``kind`` is ``"pct"`` (relative change,
    ×100), ``"pp"`` (percentage points: ratios and percentages) or ``"abs"`` (the difference,
    when the previous value was 0 and a percentage of nothing means nothing)."""
    kind: Literal["pct", "pp", "abs"]
    value: float
    difference: float
    good: bool | None

    @property
    def neutral(self) -> bool:
        """Too small to matter (``NEUTRAL_PCT`` %, ``NEUTRAL_PP`` points, or no change at all):
        every surface shows it grey, with no arrow and no colour."""
        if self.difference == 0:
            return True
        if self.kind == "pct":
            return abs(self.value) < NEUTRAL_PCT
        if self.kind == "pp":
            return abs(self.value) < NEUTRAL_PP
        return False

    @property
    def direction(self) -> Literal["up", "down", "flat"]:
        """Which way it moved, "flat" inside the neutral band."""
        if self.neutral:
            return "flat"
        return "up" if self.difference > 0 else "down"

    @property
    def tone(self) -> bool | None:
        """``good``, or None inside the neutral band (no colour)."""
        return None if self.neutral else self.good


def change(field: str, current: Any, previous: Any, source: str | None = None) -> Change | None:
    """The change of ``field`` from ``previous`` to ``current``, as a card shows it; None when
    either is unknown. Ratios (``ratio``, ``percent`` units) change in percentage points."""
    cur, prev = _as_float(current), _as_float(previous)
    if cur is None or prev is None:
        return None
    m = metric(field, source)
    diff = cur - prev
    good = is_improvement(field, diff, source)
    unit = m.unit if m is not None else "count"
    if unit == "ratio":
        return Change("pp", diff * 100.0, diff, good)
    if unit == "percent":
        return Change("pp", diff, diff, good)
    if prev == 0:
        return Change("abs", diff, diff, good)
    return Change("pct", diff / abs(prev) * 100.0, diff, good)


# --- sums over rows -------------------------------------------------------------------------

def total(frame: pd.DataFrame | None, field: str) -> int | float | None:
    """Sum of a count or money column over the rows given.

    ``None`` when the column is missing or every value is null: the API did not send that
    series, so it is unknown (shown "—"), never 0. ``0`` for a frame with the column and no
    rows (nothing happened in the range)."""
    if frame is None or field not in frame.columns:
        return None
    if frame.empty:
        return 0
    s = pd.to_numeric(frame[field], errors="coerce")
    if s.notna().sum() == 0:
        return None
    value = float(s.sum())
    return int(value) if value.is_integer() else value


def daily_series(frame: pd.DataFrame | None, field: str, start: Any, end: Any,
                 date_col: str = "date") -> list[float]:
    """One sum per day over [start, end] (over pages and hours): a sparkline's data. 0 on a day
    without rows; NaN everywhere when the series is unknown (column missing or all null)."""
    days = pd.date_range(start, end, freq="D")
    if total(frame, field) is None:
        return [math.nan] * len(days)
    s = frame[[date_col, field]].copy()
    s["_day"] = pd.to_datetime(s[date_col]).dt.normalize()
    s[field] = pd.to_numeric(s[field], errors="coerce")
    by_day = s.groupby("_day")[field].sum(min_count=0).astype("float64")
    return [float(by_day.get(d, 0.0)) for d in days]


def per_page_sums(frame: pd.DataFrame | None, fields: Sequence[str]) -> pd.DataFrame:
    """Sums of ``fields`` per ``page_id`` (index); a field the API did not send for a page stays
    ``<NA>`` (unknown), never 0."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=list(fields), index=pd.Index([], name="page_id"))
    work = frame[["page_id"]].copy()
    for f in fields:
        work[f] = pd.to_numeric(frame[f], errors="coerce") if f in frame.columns else np.nan
    return work.groupby("page_id", sort=False)[list(fields)].sum(min_count=1)


def response_time(frame: pd.DataFrame | None) -> float:
    """Weighted average response time (ms) over every staff row given (hourly rows or totals,
    any pages); NaN without any reply session: an idle member has no response time."""
    if frame is None or frame.empty or "average_response_time" not in frame.columns:
        return math.nan
    out = weighted_response_time(frame, by=[])
    value = out["average_response_time"].iloc[0] if len(out) else math.nan
    return math.nan if pd.isna(value) else float(value)


def staff_overall(frame: pd.DataFrame | None, fields: Sequence[str]) -> dict[str, Any]:
    """The staff KPI numbers of a ``statistics/users`` frame: ``fields`` summed (None when the
    API did not send one) and the weighted ``average_response_time``."""
    out: dict[str, Any] = {f: total(frame, f) for f in fields if f != "average_response_time"}
    out["average_response_time"] = response_time(frame)
    return out


def comparable(current_pages: Iterable[str], previous_pages: Iterable[str]) -> bool:
    """Whether two periods can be compared: the same pages answered in both. Otherwise a
    change would compare all pages now with only some then (never mix the two)."""
    return set(map(str, current_pages)) == set(map(str, previous_pages))


def weekday_hour_sums(frame: pd.DataFrame | None, field: str, hour_col: str = "hour") -> pd.DataFrame:
    """7 × 24 sums of ``field`` by local weekday (Mon=0) and hour of day: a heatmap's data."""
    grid = pd.DataFrame(0.0, index=range(7), columns=range(24))
    if frame is None or frame.empty or field not in frame.columns:
        return grid
    h = pd.to_datetime(frame[hour_col])
    s = pd.DataFrame({"wd": h.dt.day_of_week, "hr": h.dt.hour,
                      "v": pd.to_numeric(frame[field], errors="coerce").fillna(0).astype("float64")})
    pivot = s.pivot_table(index="wd", columns="hr", values="v", aggfunc="sum", fill_value=0.0)
    grid.loc[pivot.index, pivot.columns] = pivot.values
    return grid


# --- sums by any group, sums per local clock hour (engagement, activity, overview) ----------

def sums_by(frame: pd.DataFrame | None, by: str | Sequence[str], fields: Sequence[str]) -> pd.DataFrame:
    """Sums of ``fields`` per group of ``by`` (the index; groups in order of appearance), like
    :func:`per_page_sums` for any key (a staff member, an hour of day): a field the API did not
    send for a group stays ``<NA>`` (unknown), never 0."""
    keys = [by] if isinstance(by, str) else list(by)
    if frame is None or frame.empty:
        index = pd.MultiIndex.from_arrays([[]] * len(keys), names=keys) if len(keys) > 1 \
            else pd.Index([], name=keys[0])
        return pd.DataFrame(columns=list(fields), index=index)
    work = frame[keys].copy()
    for f in fields:
        work[f] = pd.to_numeric(frame[f], errors="coerce") if f in frame.columns else np.nan
    return work.groupby(keys, sort=False)[list(fields)].sum(min_count=1)


def hourly_sums(frame: pd.DataFrame | None, fields: Sequence[str], slots: Sequence[Any],
                hour_col: str = "hour") -> pd.DataFrame:
    """One row per slot of ``slots`` (naive local clock hours as the configured zone has them:
    a skipped spring hour absent, a repeated autumn hour twice) with ``fields`` summed over the
    rows (pages) in it: 0 in a slot no row fell in, ``<NA>`` everywhere for a series the API did
    not send (see :func:`total`).

    A row goes to the slot of its label. When the label repeats (the clock turned back), a
    page's n-th row with it goes to the n-th slot: both hours are counted, never merged into
    one and never dropped. A row whose label the zone skipped goes to the next slot; rows
    outside the slots are outside the range."""
    slots = pd.DatetimeIndex(slots)
    out = pd.DataFrame({hour_col: slots})
    out["_occ"] = out.groupby(hour_col).cumcount()
    present = [f for f in fields if total(frame, f) is not None]
    matched = pd.Series(False, index=out.index)
    if present and len(slots):
        labels = pd.to_datetime(frame[hour_col]).dt.floor("h")
        uniq = pd.DatetimeIndex(slots.unique()).sort_values()
        inside = ((labels >= uniq[0]) & (labels <= uniq[-1])).to_numpy()
        work = pd.DataFrame({hour_col: uniq[uniq.searchsorted(labels[inside])]})
        group = frame["page_id"].to_numpy()[inside] if "page_id" in frame.columns else 0
        work["_occ"] = work.assign(_g=group).groupby(["_g", hour_col]).cumcount()
        last = out.groupby(hour_col)["_occ"].max()
        work["_occ"] = np.minimum(work["_occ"].to_numpy(), last.reindex(work[hour_col]).to_numpy())
        for f in present:
            work[f] = pd.to_numeric(frame[f], errors="coerce").to_numpy()[inside]
        sums = work.groupby([hour_col, "_occ"])[present].sum(min_count=1)
        out = out.merge(sums, left_on=[hour_col, "_occ"], right_index=True, how="left", indicator=True)
        matched = out.pop("_merge") == "both"
    for f in fields:
        if f in present:
            values = pd.to_numeric(out[f], errors="coerce").astype("Float64").where(matched, 0.0)
        else:
            values = pd.Series(pd.NA, index=out.index, dtype="Float64")
        whole = values.dropna()
        out[f] = values.astype("Int64") if (whole == whole.round()).all() else values
    return out[[hour_col, *fields]]


# --- staff replies (staff page, standup screen) -------------------------------------------

def replies(frame: pd.DataFrame) -> pd.Series:
    """Each staff row's replies: ``inbox_count + comment_count`` (a null part counts as 0, as
    in :func:`share_of_replies`). The staff × hour-of-day matrix sums these."""
    part = pd.Series(0.0, index=frame.index)
    for c in ("inbox_count", "comment_count"):
        if c in frame.columns:
            part = part + _num(frame[c]).fillna(0.0)
    return part.rename("replies")


# --- staff response time per day (standup screen) -----------------------------------------

def daily_response_times(frame: pd.DataFrame, by: Sequence[str] = ("page_id", "user_id"),
                         hour_col: str = "hour") -> pd.DataFrame:
    """Hourly staff rows per ``by`` and local day (``day``): the weighted average response time
    (see :func:`weighted_response_time`) and ``sessions``, the reply sessions it weighs
    (``unique_inbox_count + unique_comment_count``, a null part counting as 0)."""
    keys = [*by, "day"]
    work = frame.assign(day=pd.to_datetime(frame[hour_col]).dt.normalize())
    cols = [c for c in ("unique_inbox_count", "unique_comment_count", "average_response_time")
            if c in work.columns]
    out = weighted_response_time(work[keys + cols], by=keys)
    out["sessions"] = _weight(out).to_numpy()
    return out[keys + ["sessions", "average_response_time"]]
