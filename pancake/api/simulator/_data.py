"""Deterministic synthetic shop data and the ground-truth API (``Truth``).

Every number comes from ``random.Random(<string seed>)`` (seeded through SHA-512 by the
stdlib, so it is stable across processes, unlike ``hash()``), keyed by
``(seed, page_id, local date)``. A day is generated once and cached; the "now" cut-off is
applied when the day is read, so the same cache serves any ``now``.

Internal consistency (what tests can rely on):

* hourly engagement: ``total = inbox + comment``; ``new_customer <= total``;
  ``new_customer_from_inbox <= min(new_customer, inbox)``.
* daily engagement = sum of the local day's hourly engagement: ``inbox, comment, total``;
  ``new_customer_replied`` = sum of hourly ``new_customer``; ``customer_engagement_new_inbox``
  = sum of hourly ``new_customer_from_inbox``; ``order_count``/``old_order_count`` = sums of the
  staff rows' ``order_count``/``old_order_count`` (``old_order_count <= order_count``).
* staff rows: ``unique_inbox_count <= inbox_count``, ``unique_comment_count <= comment_count``,
  ``private_reply_count <= unique_comment_count``; the staff's answered sessions never exceed
  the hour's engagements (``sum unique_inbox <= inbox``, ``sum unique_comment <= comment``).
  ``average_response_time`` (ms, int) is 0 when the row has no sessions.
* staff totals = sums of the hourly rows; ``average_response_time`` = weighted mean of the
  rows (weight ``unique_inbox_count + unique_comment_count``), rounded to the nearest ms
  (0 when all weights are 0); ``hour`` = the last hour with activity.
* page activity (``statistics/pages``) per hour: ``new_customer_count = new_customer``,
  ``customer_comment_count = comment``, ``inbox_interactive_count = inbox``,
  ``customer_inbox_count >= inbox``, ``new_inbox_count = new_customer_from_inbox``,
  ``page_inbox_count``/``page_comment_count``/``phone_number_count`` = sums of the staff rows'
  ``inbox_count``/``comment_count``/``phone_number_count``, ``uniq_phone_number_count <= phone_number_count``.
* new customers per hour: ``new_customer_count = new_customer``, ``new_page_inbox_count =
  new_customer_from_inbox``, ``new_phone_number_count <= new_page_inbox_count``,
  ``phone_number_count`` = page activity ``phone_number_count``; a day = sum of its hours.
* a holiday (``Simulator.holidays``; by default Vietnam's public holidays and Tết, and the day ten
  days before the simulator's first "today", so a month's range shows one) is a closed day: a
  third of the customers write, no staff answers (no staff rows, no page messages), and the
  conversations begun that day get their first answer after 08:00 on the next open day.
* an hour is visible when its start is ``<= now`` (the current hour counts in full); later
  hours and future days are zero / absent. Ads for today are scaled by the visible share of the day.
"""
from __future__ import annotations

import hashlib
import math
import random
import threading
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# --- names -------------------------------------------------------------------------------

STAFF_NAMES = [
    "Nguyễn Thị Linh", "Trần Văn Nam", "Lê Thị Hồng Nhung", "Phạm Minh Tuấn", "Hoàng Thu Trang",
    "Vũ Đức Anh", "Đặng Thị Mai", "Bùi Quốc Huy", "Đỗ Thanh Hương", "Ngô Bảo Ngọc",
    "Dương Thị Thảo", "Lý Hoàng Long", "Phan Thị Kim Chi", "Trịnh Công Sơn", "Võ Thị Ánh",
    "Huỳnh Gia Bảo", "Mai Phương Thảo", "Tạ Minh Khoa", "Lâm Ngọc Hân", "Châu Văn Phúc",
]
CUSTOMER_NAMES = [
    "Nguyễn Thu Hà", "Trần Ngọc Ánh", "Lê Minh Quân", "Phạm Thị Yến", "Hoàng Anh Thư",
    "Vũ Thị Lan", "Đặng Quang Vinh", "Bùi Thị Thu", "Đỗ Mỹ Linh", "Ngô Thanh Tâm",
    "Khánh Vy", "Bé Bông", "Mẹ Sóc", "Tuấn Kiệt", "Hà My", "Ngọc Trinh Trần", "Quỳnh Anh",
    "Phương Uyên", "Thanh Hằng Lê", "Minh Châu", "Gia Hân", "Bảo Trâm", "Cô Út Bến Tre",
]
MESSAGES_CUSTOMER = [
    "Shop ơi còn size M không ạ?", "Giá bao nhiêu vậy shop?", "Ship về Hà Nội mất mấy ngày ạ?",
    "Mình lấy 2 cái nhé", "Có freeship không shop?", "Cho mình xem thêm màu khác",
    "Đã chuyển khoản rồi nha shop", "SĐT của mình 0912345678", "Hàng có sẵn không ạ?",
    "Shop tư vấn giúp mình với", "Cảm ơn shop nhiều", "Mình muốn đổi size được không?",
]
MESSAGES_PAGE = [
    "Dạ chào chị, shop còn hàng ạ", "Dạ giá bên em là 350.000đ ạ", "Dạ ship 2-3 ngày chị nhé",
    "Chị cho em xin SĐT và địa chỉ nhận hàng ạ", "Dạ em lên đơn cho chị rồi ạ",
    "Dạ shop freeship đơn từ 500k ạ", "Em cảm ơn chị đã ủng hộ shop ạ",
]
TAG_DEFS = [  # (text, color, lighten_color, weight of the day's conversations)
    ("Đã chốt đơn", "#2e7d32", "#c8e6c9", 0.12),
    ("Hỏi giá", "#1565c0", "#bbdefb", 0.30),
    ("Chờ chuyển khoản", "#ef6c00", "#ffe0b2", 0.06),
    ("Khách sỉ", "#6a1b9a", "#e1bee7", 0.03),
    ("Đổi trả", "#c62828", "#ffcdd2", 0.02),
    ("Spam", "#616161", "#e0e0e0", 0.015),
    ("Kiểm hàng", "#4b5577", "#c9ccd6", 0.05),
    ("Khách quen", "#00838f", "#b2ebf2", 0.08),
]

# Local-hour rhythm: quiet at night, busy 9-12 and 19-23.
PROFILE = [0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.12, 0.30, 0.55, 0.95, 1.10, 1.15,
           1.00, 0.75, 0.65, 0.70, 0.75, 0.80, 0.90, 1.15, 1.30, 1.35, 1.20, 0.60]
WEEKDAY = [1.0, 0.95, 0.97, 1.0, 1.05, 1.25, 1.35]  # Monday .. Sunday

ENG_HOUR_FIELDS = ("inbox", "comment", "total", "new_customer", "new_customer_from_inbox")
ENG_DAY_FIELDS = ("inbox", "comment", "total", "new_customer_replied",
                  "customer_engagement_new_inbox", "order_count", "old_order_count")
USER_FIELDS = ("average_response_time", "comment_count", "inbox_count", "phone_number_count",
               "private_reply_count", "unique_comment_count", "unique_inbox_count")
PAGE_FIELDS = ("new_customer_count", "customer_inbox_count", "customer_comment_count",
               "page_inbox_count", "page_comment_count", "inbox_interactive_count",
               "new_inbox_count", "phone_number_count", "uniq_phone_number_count",
               "today_uniq_website_referral", "today_website_guest_referral")
NEWC_FIELDS = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count",
               "phone_number_count")
AD_NUMERIC = ("budget_remaining", "cpc", "cpm", "ctr", "daily_budget", "impressions",
              "lifetime_budget", "link_click", "messaging_conversation_started_7d",
              "messaging_first_reply", "post_comments", "purchase_roas", "purchases",
              "purchases_conversion_value", "reach", "spend")
AD_SUM_FIELDS = ("spend", "impressions", "link_click", "messaging_conversation_started_7d",
                 "messaging_first_reply", "post_comments", "purchases",
                 "purchases_conversion_value")


def rng_for(*parts) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def stable_uuid(*parts) -> str:
    h = hashlib.md5("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def stable_digits(n: int, *parts) -> str:
    h = int.from_bytes(hashlib.sha256("|".join(str(p) for p in parts).encode()).digest(), "big")
    s = str(h)
    return ("1" + s)[:n]


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def binom(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    return sum(1 for _ in range(n) if rng.random() < p)


# --- specs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffSpec:
    id: str
    name: str
    fb_id: str
    shift: tuple[int, int] = (8, 22)  # local hours, inclusive
    weight: float = 1.0
    base_response_ms: int = 180_000
    email: str = ""


@dataclass(frozen=True)
class AdSpec:
    ad_id: str
    adset_id: str
    account_id: str
    name: str
    currency: str = "VND"
    status: str = "ACTIVE"
    kind: str = "normal"  # normal | no_purchase | null_metrics | paused
    daily_spend: float = 300_000.0  # in currency units (VND đồng, USD dollars)
    daily_budget: int = 500_000  # smallest unit (đồng / cents)
    lifetime_budget: int = 0


@dataclass(frozen=True)
class PageSpec:
    """One simulated page. Variant switches (the two references disagree; real accounts do both):

    * ``category_style``: ``"dm"`` -> ``"26/8"`` (no year) or ``"dmy"`` -> ``"6/7/2026"``
      (engagement and tag statistics categories).
    * ``tag_key_style``: ``"id"`` -> ``"3"`` or ``"prefixed"`` -> ``"tag_3"`` (tag series keys).
    * ``tag_value_style``: ``"int"`` or ``"pin_total"`` -> ``{"pin": n, "total": m}``.
    * ``ads_numbers``: ``"string"`` (``"152000"``, nulls kept) or ``"number"`` (JSON numbers).
    * ``ads_wrapped``: ``False`` -> bare JSON array, ``True`` -> ``{"data": [...], "success": true}``.
    * ``new_customers_endpoints``: subset of ``("customers", "page_customers")``; the missing
      one answers HTTP 404 like an unknown route.
    """
    id: str
    name: str
    platform: str = "facebook"
    size: float = 1.0
    comment_ratio: float = 0.35
    staff: tuple[StaffSpec, ...] | None = None  # None: generated from the page id
    n_staff: int = 4
    tags: tuple[tuple[str, str, str, float], ...] = tuple(TAG_DEFS)
    ads: tuple[AdSpec, ...] = ()
    category_style: str = "dm"
    tag_key_style: str = "id"
    tag_value_style: str = "int"
    ads_numbers: str = "string"
    ads_wrapped: bool = False
    new_customers_endpoints: tuple[str, ...] = ("customers", "page_customers")
    avatar_url: str = ""
    disabled_staff: tuple[tuple[str, str, str], ...] = ()  # (id, name, fb_id)


SHIFTS = [(8, 23, 0.6, 240_000), (8, 16, 1.0, 150_000), (15, 23, 1.0, 200_000),
          (9, 18, 0.9, 120_000), (18, 23, 0.8, 300_000), (7, 14, 0.8, 180_000)]


def make_staff(page_id: str, n: int) -> tuple[StaffSpec, ...]:
    rng = rng_for("staff", page_id)
    names = rng.sample(STAFF_NAMES, n)
    out = []
    for i, name in enumerate(names):
        start, end, w, rt = SHIFTS[i % len(SHIFTS)]
        out.append(StaffSpec(
            id=stable_uuid("staff", page_id, i), name=name,
            fb_id=stable_digits(16, "fb", page_id, i), shift=(start, end), weight=w,
            base_response_ms=int(rt * rng.uniform(0.7, 1.3)),
            email=f"{stable_digits(16, 'fb', page_id, i)}@facebook.com"))
    return tuple(out)


def _ads(prefix: str, account: str, specs) -> tuple[AdSpec, ...]:
    out = []
    for i, (name, currency, status, kind, spend, budget) in enumerate(specs):
        out.append(AdSpec(ad_id=f"238{stable_digits(14, prefix, i)}",
                          adset_id=f"238{stable_digits(14, prefix, 'set', i // 2)}",
                          account_id=account if currency != "USD" else f"{account}9",
                          name=name, currency=currency, status=status, kind=kind,
                          daily_spend=spend, daily_budget=budget))
    return tuple(out)


def _demo_pages() -> list[PageSpec]:
    p1, p2, p3 = "104857392015873", "igo_17841405793187218", "231904857736412"
    p4, p5 = "zl_1993284756120394", "wa_c.us@84901234567"
    staff1 = make_staff(p1, 5)
    staff3 = (staff1[0],) + make_staff(p3, 5)  # the shop owner answers on both pages
    return [
        PageSpec(
            id=p1, name="Thời Trang Linh Chi", platform="facebook", size=1.0, staff=staff1,
            category_style="dm", tag_key_style="id", tag_value_style="int",
            ads_numbers="string", ads_wrapped=False,
            new_customers_endpoints=("customers", "page_customers"),
            disabled_staff=(("0c7d1f2e-5b6a-4c3d-9e8f-112233445566", "Trần Thị Cúc", "100004829173650"),),
            ads=_ads("lc", "11112430409201147", [
                ("QC Váy hè 2026 - Tin nhắn", "VND", "ACTIVE", "normal", 450_000, 600_000),
                ("QC Áo sơ mi công sở", "VND", "ACTIVE", "no_purchase", 180_000, 250_000),
                ("QC FB thúc đẩy doanh thu", "VND", "PAUSED", "paused", 0, 300_000),
                ("Retarget khách cũ", "VND", "ACTIVE", "null_metrics", 120_000, 150_000),
            ])),
        PageSpec(
            id=p2, name="Mỹ Phẩm Hana Beauty", platform="instagram", size=0.7, comment_ratio=0.6,
            n_staff=3, category_style="dmy", tag_key_style="prefixed", tag_value_style="pin_total",
            ads_numbers="string", ads_wrapped=True, new_customers_endpoints=("page_customers",),
            ads=_ads("hana", "22223540510312258", [
                ("Serum vitamin C - chuyển đổi", "VND", "ACTIVE", "normal", 350_000, 500_000),
                ("Son kem lì - tin nhắn", "VND", "ACTIVE", "normal", 200_000, 300_000),
                ("Hana Global - US audience", "USD", "ACTIVE", "normal", 25.0, 3000),
                ("Hana Global - retarget", "USD", "ACTIVE", "no_purchase", 8.5, 1000),
            ])),
        PageSpec(
            id=p3, name="Giày Sneaker Sài Gòn", platform="facebook", size=1.6, staff=staff3,
            category_style="dmy", tag_key_style="id", tag_value_style="pin_total",
            ads_numbers="number", ads_wrapped=False, new_customers_endpoints=("customers",),
            ads=_ads("sneaker", "33334650621423369", [
                ("Sneaker sale 9.9", "VND", "ACTIVE", "normal", 800_000, 1_000_000),
                ("Jordan mới về", "VND", "ACTIVE", "null_metrics", 250_000, 300_000),
                ("Giày chạy bộ - livestream", "VND", "PAUSED", "paused", 0, 500_000),
            ])),
        PageSpec(
            id=p4, name="Đồ Gia Dụng Minh Anh", platform="zalo", size=0.5, comment_ratio=0.0,
            n_staff=3, category_style="dm", tag_key_style="prefixed", tag_value_style="int",
            new_customers_endpoints=("customers", "page_customers")),
        PageSpec(
            id=p5, name="Bánh Tráng Cô Ba", platform="whatsapp", size=0.3, comment_ratio=0.0,
            n_staff=3, category_style="dm", tag_key_style="id", tag_value_style="int",
            new_customers_endpoints=("page_customers",)),
    ]


DEMO_PAGES: list[PageSpec] = _demo_pages()


# --- generated days ----------------------------------------------------------------------

@dataclass
class HourData:
    eng: dict
    staff: dict  # uid -> row with USER_FIELDS + order_count, old_order_count
    page: dict
    newc: dict
    answered: int  # sum of staff sessions (unique_inbox + unique_comment)


@dataclass
class Conv:
    id: str
    psid: str
    hour: int
    minute: int
    second: int
    type: str  # INBOX | COMMENT
    is_new: bool
    from_ad: bool
    name: str
    tags: tuple[int, ...]
    message_count: int
    has_phone: bool
    update_minutes: int


@dataclass(frozen=True)
class Thread:
    """A conversation's messages sent so far (``Truth.thread``): local times, oldest first."""
    times: tuple[datetime, ...]
    from_customer: tuple[bool, ...]
    last_customer_at: datetime | None


@dataclass
class DayData:
    day: date
    hours: list[HourData]
    convs: list[Conv] | None = None  # generated on first use
    # derived from ``convs`` on first use: (local inserted time, Conv) by time (ties in generation
    # order), those times alone (for bisect), and the conversations by id
    timed: list[tuple[datetime, Conv]] | None = None
    times: list[datetime] | None = None
    by_id: dict[str, Conv] | None = None


def resolved_staff(spec: PageSpec) -> tuple[StaffSpec, ...]:
    return spec.staff if spec.staff is not None else make_staff(spec.id, spec.n_staff)


# Vietnam's public holidays (fixed dates) and Tết: shops closed (``Simulator(holidays=...)``)
VN_HOLIDAYS = frozenset(
    [date(y, m, d) for y in (2025, 2026, 2027, 2028) for m, d in ((1, 1), (4, 30), (5, 1), (9, 2))]
    + [date(2026, 2, 16) + timedelta(days=i) for i in range(5)]      # Tết Bính Ngọ
    + [date(2027, 2, 5) + timedelta(days=i) for i in range(5)])      # Tết Đinh Mùi
HOLIDAY_DAYS_AGO = 10   # the shop's own day off, this many days before the simulator's first today
HOLIDAY_SHARE = 0.3     # the customers who still write on a closed day
REOPEN_HOUR = 8
MAX_UPDATE_MINUTES = 600   # a thread's messages span at most this long (after the reopening: its second on)


def default_holidays(today: date) -> frozenset[date]:
    """The public holidays and a day off ``HOLIDAY_DAYS_AGO`` days before ``today`` (a demo's
    last 30 days show a closed day; the last 7 days and the week before them stay ordinary)."""
    return VN_HOLIDAYS | {today - timedelta(days=HOLIDAY_DAYS_AGO)}


def gen_day(seed, spec: PageSpec, staff: tuple[StaffSpec, ...], d: date, closed: bool = False) -> DayData:
    """One page's day; ``closed`` (a holiday): fewer customers, nobody answers."""
    rng = rng_for(seed, "day", spec.id, d.isoformat())
    day_factor = rng.uniform(0.8, 1.2) * WEEKDAY[d.weekday()] * (HOLIDAY_SHARE if closed else 1.0)
    hours = []
    for h in range(24):
        lam = spec.size * 10 * PROFILE[h] * day_factor
        inbox = poisson(rng, lam)
        comment = poisson(rng, lam * spec.comment_ratio)
        total = inbox + comment
        new_customer = binom(rng, total, 0.35)
        nfi = min(binom(rng, new_customer, inbox / total) if total else 0, inbox)
        on_duty = [] if closed else [s for s in staff if s.shift[0] <= h <= s.shift[1]]
        ans_in = binom(rng, inbox, 0.93) if on_duty else 0
        ans_cm = binom(rng, comment, 0.85) if on_duty else 0
        weights = [s.weight for s in on_duty]
        c_in = Counter(s.id for s in rng.choices(on_duty, weights, k=ans_in)) if ans_in else Counter()
        c_cm = Counter(s.id for s in rng.choices(on_duty, weights, k=ans_cm)) if ans_cm else Counter()
        rows = {}
        for s in on_duty:
            ui, uc = c_in[s.id], c_cm[s.id]
            if ui + uc == 0:
                continue
            orders = binom(rng, ui + uc, 0.12)
            backlog = 3.0 if h == s.shift[0] else 1.0
            rows[s.id] = {
                "average_response_time": int(s.base_response_ms * (1 + 0.6 * PROFILE[h]) * backlog
                                             * rng.uniform(0.5, 1.6)),
                "comment_count": uc + poisson(rng, uc * 0.3),
                "inbox_count": ui + poisson(rng, ui * 1.6),
                "phone_number_count": binom(rng, ui, 0.18),
                "private_reply_count": binom(rng, uc, 0.4),
                "unique_comment_count": uc,
                "unique_inbox_count": ui,
                "order_count": orders,
                "old_order_count": binom(rng, orders, 0.35),
            }
        phones = sum(r["phone_number_count"] for r in rows.values())
        web = poisson(rng, 0.05 * spec.size)
        eng = {"inbox": inbox, "comment": comment, "total": total,
               "new_customer": new_customer, "new_customer_from_inbox": nfi,
               "order_count": sum(r["order_count"] for r in rows.values()),
               "old_order_count": sum(r["old_order_count"] for r in rows.values())}
        page = {
            "new_customer_count": new_customer,
            "customer_inbox_count": inbox + poisson(rng, inbox * 1.8),
            "customer_comment_count": comment,
            "page_inbox_count": sum(r["inbox_count"] for r in rows.values()),
            "page_comment_count": sum(r["comment_count"] for r in rows.values()),
            "inbox_interactive_count": inbox,
            "new_inbox_count": nfi,
            "phone_number_count": phones,
            "uniq_phone_number_count": binom(rng, phones, 0.85),
            "today_uniq_website_referral": web,
            "today_website_guest_referral": web + poisson(rng, 0.05),
        }
        newc = {"new_customer_count": new_customer, "new_page_inbox_count": nfi,
                "new_phone_number_count": binom(rng, nfi, 0.3), "phone_number_count": phones}
        hours.append(HourData(eng, rows, page, newc, ans_in + ans_cm))
    return DayData(d, hours)


def gen_convs(seed, spec: PageSpec, d: date, hours: list[HourData]) -> list[Conv]:
    """Conversations: one per engagement of the hour (the first ``new_customer`` are new customers)."""
    rng = rng_for(seed, "convs", spec.id, d.isoformat())
    convs = []
    weights = [t[3] for t in spec.tags]
    day = f"{d:%Y%m%d}"
    post = None   # the day's post (its comments' conversations), drawn once
    for h, hd in enumerate(hours):
        n = hd.eng["total"]
        for i in range(n):
            typ = "INBOX" if i < hd.eng["inbox"] else "COMMENT"
            psid = f"{day}{h:02d}{i:05d}{stable_digits(2, spec.id, d, h, i)}"
            if spec.platform == "whatsapp":
                cid = f"wa_{spec.id.rsplit('@', 1)[-1]}@c.us_{psid}@c.us"
            elif typ == "COMMENT":
                post = post or stable_digits(15, 'post', spec.id, d)
                cid = f"{spec.id}_{post}_{psid}"
            else:
                cid = f"{spec.id}_{psid}"
            tags = tuple([t for t, w in enumerate(weights) if rng.random() < w])   # ascending, as drawn
            convs.append(Conv(
                id=cid, psid=psid, hour=h, minute=rng.randrange(60), second=rng.randrange(60),
                type=typ, is_new=i < hd.eng["new_customer"], from_ad=(typ == "INBOX" and bool(spec.ads)
                                                                      and rng.random() < 0.2),
                name=rng.choice(CUSTOMER_NAMES), tags=tags, message_count=rng.randint(2, 75),
                has_phone=rng.random() < 0.25, update_minutes=rng.randint(1, MAX_UPDATE_MINUTES)))
    return convs


class Truth:
    """Ground truth, independent of the HTTP layer. All datetimes are naive LOCAL time.

    Applies the same "now" cut-off as the HTTP answers (hours after now count as zero).
    """

    def __init__(self, sim) -> None:
        self._sim = sim
        self._cache: OrderedDict = OrderedDict()   # (page id, day) -> DayData, oldest first
        self._lock = threading.Lock()

    # -- plumbing --
    def spec(self, page_id: str) -> PageSpec:
        return self._sim._specs[page_id]

    def staff(self, page_id: str) -> tuple[StaffSpec, ...]:
        return self._sim._staff[page_id]

    # (page, day)s kept: a day is generated again (the same numbers: seeded by page and day) when
    # it was dropped. Unbounded, 24 pages x 180 days with their conversations held 450 MB in the
    # dashboard's process in demo mode (bench.pages --api in-process).
    MAX_DAYS = 2048

    def day_data(self, page_id: str, d: date) -> DayData:
        key = (page_id, d)
        # read without the lock (one dict read; every window of every page reads here at once,
        # and a lock taken per read doubled bench.run's engagement case); oldest first out
        got = self._cache.get(key)
        if got is not None:
            return got
        got = gen_day(self._sim.seed, self.spec(page_id), self.staff(page_id), d, closed=self.closed(d))
        with self._lock:
            got = self._cache.setdefault(key, got)
            while len(self._cache) > self.MAX_DAYS:
                self._cache.popitem(last=False)
        return got

    def closed(self, d: date) -> bool:
        """Whether local day ``d`` is a holiday (the shop closed all day)."""
        return d in self._sim.holidays

    def reopening(self, d: date) -> datetime:
        """08:00 of the first open day after ``d``."""
        nxt = d + timedelta(days=1)
        while self.closed(nxt):
            nxt += timedelta(days=1)
        return datetime(nxt.year, nxt.month, nxt.day, REOPEN_HOUR)

    def convs_of(self, page_id: str, d: date) -> list[Conv]:
        dd = self.day_data(page_id, d)
        if dd.convs is None:
            dd.convs = gen_convs(self._sim.seed, self.spec(page_id), d, dd.hours)
        return dd.convs

    def _timed(self, page_id: str, d: date) -> DayData:
        """The day with ``timed``, ``times`` and ``by_id`` filled (see :class:`DayData`)."""
        dd = self.day_data(page_id, d)
        if dd.by_id is None:
            convs = self.convs_of(page_id, d)
            timed = sorted(((datetime(d.year, d.month, d.day, c.hour, c.minute, c.second), c) for c in convs),
                           key=lambda x: x[0])
            by_id: dict[str, Conv] = {}
            for c in convs:
                by_id.setdefault(c.id, c)
            # by_id last and whole: a reader in another thread sees it only once the rest is there
            dd.timed, dd.times = timed, [t for t, _ in timed]
            dd.by_id = by_id
        return dd

    def conv_by_id(self, page_id: str, d: date, conv_id: str) -> Conv | None:
        """The conversation of local day ``d`` with this id (the first generated), or None."""
        return self._timed(page_id, d).by_id.get(conv_id)

    def visible(self, hour_dt: datetime) -> bool:
        return hour_dt <= self._sim.now()

    def _hour(self, page_id: str, hour_dt: datetime) -> HourData | None:
        hour_dt = hour_dt.replace(minute=0, second=0, microsecond=0)
        if not self.visible(hour_dt):
            return None
        return self.day_data(page_id, hour_dt.date()).hours[hour_dt.hour]

    # -- engagement --
    def engagement_hour(self, page_id: str, hour_dt: datetime, user_ids=None) -> dict:
        """``{inbox, comment, total, new_customer, new_customer_from_inbox, order_count, old_order_count}``
        (the by_hour payload has the first five). ``user_ids`` filters like the API does:
        inbox/comment = those staff's sessions, orders = their orders, new customers apportioned
        by their share of the answered sessions."""
        hd = self._hour(page_id, hour_dt)
        if hd is None:
            return {k: 0 for k in ENG_HOUR_FIELDS + ("order_count", "old_order_count")}
        if user_ids is None:
            return dict(hd.eng)
        rows = [hd.staff[u] for u in user_ids if u in hd.staff]
        inbox = sum(r["unique_inbox_count"] for r in rows)
        comment = sum(r["unique_comment_count"] for r in rows)
        share = (inbox + comment) / hd.answered if hd.answered else 0.0
        nc = min(int(round(hd.eng["new_customer"] * share)), inbox + comment)
        nfi = min(int(round(hd.eng["new_customer_from_inbox"] * share)), nc, inbox)
        return {"inbox": inbox, "comment": comment, "total": inbox + comment, "new_customer": nc,
                "new_customer_from_inbox": nfi,
                "order_count": sum(r["order_count"] for r in rows),
                "old_order_count": sum(r["old_order_count"] for r in rows)}

    def engagement_day(self, page_id: str, d: date, user_ids=None, start: datetime | None = None,
                       end: datetime | None = None) -> dict:
        """Daily series values: the sum of the local day's hours (optionally clipped to [start, end])."""
        out = dict.fromkeys(ENG_DAY_FIELDS, 0)
        for h in range(24):
            hdt = datetime(d.year, d.month, d.day, h)
            if (start is not None and hdt < start.replace(minute=0, second=0, microsecond=0)) or \
                    (end is not None and hdt > end):
                continue
            e = self.engagement_hour(page_id, hdt, user_ids)
            out["inbox"] += e["inbox"]
            out["comment"] += e["comment"]
            out["total"] += e["total"]
            out["new_customer_replied"] += e["new_customer"]
            out["customer_engagement_new_inbox"] += e["new_customer_from_inbox"]
            out["order_count"] += e["order_count"]
            out["old_order_count"] += e["old_order_count"]
        return out

    # -- staff --
    def user_hour(self, page_id: str, user_id: str, hour_dt: datetime) -> dict | None:
        """The staff member's hourly row (USER_FIELDS + order_count, old_order_count), or None
        when the hour has no activity for them."""
        hd = self._hour(page_id, hour_dt)
        if hd is None or user_id not in hd.staff:
            return None
        return dict(hd.staff[user_id])

    def user_rows(self, page_id: str, start: datetime, end: datetime) -> dict[str, list[tuple[datetime, dict]]]:
        """``{uid: [(hour, row), ...]}`` oldest first, for hours in [start, end]."""
        out: dict[str, list] = {}
        for hdt in hours_between(start, end):
            hd = self._hour(page_id, hdt)
            if hd is None:
                continue
            for uid, row in hd.staff.items():
                out.setdefault(uid, []).append((hdt, row))
        return out

    def user_totals(self, page_id: str, start: datetime, end: datetime) -> dict[str, dict]:
        """``{uid: totals}`` as ``statistics/users`` ``data.users`` (plus order counts)."""
        staff = {s.id: s for s in self.staff(page_id)}
        return {uid: totals_of(rows, staff.get(uid))
                for uid, rows in self.user_rows(page_id, start, end).items()}

    # -- page activity / new customers --
    def page_hour(self, page_id: str, hour_dt: datetime) -> dict | None:
        """``statistics/pages`` row (without ``hour``), or None for an hour after now."""
        hd = self._hour(page_id, hour_dt)
        return None if hd is None else dict(hd.page)

    def new_customers_hour(self, page_id: str, hour_dt: datetime) -> dict:
        hd = self._hour(page_id, hour_dt)
        return dict.fromkeys(NEWC_FIELDS, 0) if hd is None else dict(hd.newc)

    def new_customers_day(self, page_id: str, d: date) -> dict:
        out = dict.fromkeys(NEWC_FIELDS, 0)
        for h in range(24):
            for k, v in self.new_customers_hour(page_id, datetime(d.year, d.month, d.day, h)).items():
                out[k] += v
        return out

    # -- tags --
    def tag_day_detail(self, page_id: str, tag_id: int, d: date) -> dict:
        """``{"pin": n, "total": m}``: conversations of the (visible part of the) day carrying the tag."""
        convs = self.convs_of(page_id, d)
        total = pin = 0
        now = self._sim.now()
        for c in convs:
            if int(tag_id) in c.tags and datetime(d.year, d.month, d.day, c.hour) <= now:
                total += 1
                if c.minute % 4 == 0:
                    pin += 1
        return {"pin": pin, "total": total}

    def tag_day(self, page_id: str, tag_id: int, d: date) -> int:
        return self.tag_day_detail(page_id, tag_id, d)["total"]

    # -- conversations --
    def conversations(self, page_id: str, start: datetime, end: datetime) -> list[tuple[datetime, Conv]]:
        """(local inserted time, Conv) for conversations inserted in [start, end] and <= now, oldest first
        (the same time: in the order they were generated)."""
        out = []
        last = min(end, self._sim.now())
        d = start.date()
        while d <= end.date():
            dd = self._timed(page_id, d)
            out.extend(dd.timed[bisect_left(dd.times, start):bisect_right(dd.times, last)])
            d += timedelta(days=1)
        return out

    def _schedule(self, t_local: datetime, c: Conv) -> tuple[timedelta, datetime, int, int]:
        """``(step, base, first, length)``: message ``i`` (``first <= i < length``) is sent at
        ``base + step * (i - first)``; on a closed day message 0 is sent at ``t_local`` and
        ``first`` is 1 (the rest wait for the reopening)."""
        step = timedelta(minutes=c.update_minutes) / max(1, c.message_count)
        if self.closed(t_local.date()):
            reopen = self.reopening(t_local.date()) + timedelta(minutes=c.minute % 30)
            return step, reopen, 1, max(1, c.message_count)
        return step, t_local, 0, max(0, c.message_count)

    def _visible(self, t_local: datetime, c: Conv, now: datetime) -> tuple[timedelta, datetime, int, int]:
        """``(step, base, first, n)``: as :meth:`_schedule`, ``n`` the messages sent by ``now``
        (at least the first one, as ``thread`` says)."""
        step, base, first, length = self._schedule(t_local, c)
        n = 1 if first and t_local <= now else 0
        if now >= base and length > first:
            n += length - first if not step else min(length - first, (now - base) // step + 1)
        return step, base, first, max(n, min(1, length))

    @staticmethod
    def _sent_at(i: int, t_local: datetime, step: timedelta, base: datetime, first: int) -> datetime:
        """When message ``i`` is sent (``_schedule``'s ``step``, ``base`` and ``first``)."""
        return t_local if i < first else base + step * (i - first)

    @staticmethod
    def _from_customer(i: int, n: int, c: Conv) -> bool:
        """Whether message ``i`` of the ``n`` sent so far is the customer's: senders alternate, the
        customer first, and a finished thread ends with the page's answer."""
        return i % 2 == 0 and not (n == c.message_count and i == n - 1)

    def last_sent(self, page_id: str, t_local: datetime, c: Conv, now: datetime | None = None) -> datetime:
        """``thread(...).times[-1]`` without building the thread: the latest message sent by ``now``
        (default: the simulator's now)."""
        step, base, first, n = self._visible(t_local, c, self._sim.now() if now is None else now)
        return self._sent_at(n - 1, t_local, step, base, first)

    def thread(self, page_id: str, t_local: datetime, c: Conv, now: datetime | None = None) -> Thread:
        """A conversation's messages as they stand at ``now`` (default: the simulator's now; an
        answer listing many conversations reads its "now" once) (local times, oldest first).

        Message ``i`` is sent at ``t_local + i * update_minutes / message_count``; only those sent
        by now exist yet. Senders alternate, the customer first; a finished thread (every message
        sent) ends with the page's answer, so a customer is left waiting only in a thread still
        going on: when the last message sent so far is the customer's. A conversation begun on a
        holiday waits for the shop to reopen: from its second message on, it starts again at 08:00
        (plus up to half an hour) of the next open day."""
        step, base, first, n = self._visible(t_local, c, self._sim.now() if now is None else now)
        times = tuple(self._sent_at(i, t_local, step, base, first) for i in range(n))
        senders = tuple(self._from_customer(i, n, c) for i in range(n))
        last_customer = max((t for t, cust in zip(times, senders) if cust), default=None)
        return Thread(times=times, from_customer=senders, last_customer_at=last_customer)

    # -- who sent each message, and the customer turns (issue 21) --
    BOT_NAME = "BotcakeAI"
    BOT_SHARE = 0.3     # inbox conversations whose first page answer is the bot's

    def senders(self, page_id: str, t_local: datetime, c: Conv) -> list[tuple[bool, StaffSpec | None, bool]]:
        """Per message of ``thread``: (from the customer, the staff member who answered or None,
        sent by the bot). In a share of inbox conversations BotcakeAI answers the customer's first
        message at once (``is_automated``), a person the next time. The staff draws are the same
        with or without the bot (the page's texts and names stay as they were)."""
        return self.senders_of(page_id, c, self.thread(page_id, t_local, c))

    def senders_of(self, page_id: str, c: Conv, th: Thread) -> list[tuple[bool, StaffSpec | None, bool]]:
        """``senders`` for the conversation's ``thread`` as already read."""
        staff = self.staff(page_id) or ()
        who = rng_for(self._sim.seed, "msg-staff", page_id, c.id)
        botted = c.type == "INBOX" and rng_for(self._sim.seed, "msg-bot", page_id, c.id).random() < self.BOT_SHARE
        out = []
        for i, from_customer in enumerate(th.from_customer):
            member = who.choice(staff) if staff and not from_customer else None
            is_bot = botted and i == 1 and not from_customer
            out.append((from_customer, None if is_bot else member, is_bot))
        return out

    def turns(self, page_id: str, t_local: datetime, c: Conv, *, bots_count: bool = False) -> list[dict]:
        """The truth of each customer turn of a conversation as it stands now (local times):
        ``start`` (the customer's first message after the page's last answer), ``end`` (the answer
        that ends it: a person's, or also the bot's when ``bots_count``; None while waiting),
        ``by`` (who answered), ``automated``, ``first`` and ``wait_seconds`` (calendar; to ``now``
        while waiting)."""
        th = self.thread(page_id, t_local, c)
        out: list[dict] = []
        start = None
        for sent, (from_customer, member, is_bot) in zip(th.times, self.senders_of(page_id, c, th)):
            if from_customer:
                start = start or sent
            elif start is not None and (bots_count or not is_bot):
                out.append({"start": start, "end": sent, "by": self.BOT_NAME if is_bot else (member.name if member else ""),
                            "automated": is_bot, "first": not out,
                            "wait_seconds": (sent - start).total_seconds()})
                start = None
        if start is not None:
            out.append({"start": start, "end": None, "by": "", "automated": None, "first": not out,
                        "wait_seconds": (self._sim.now() - start).total_seconds()})
        return out

    def waiting(self, page_id: str, since: datetime) -> list[tuple[str, datetime]]:
        """``(conversation id, local time of the customer's unanswered message)`` for the
        conversations inserted from ``since`` to now whose last message is the customer's,
        longest wait first."""
        now = self._sim.now()
        # a finished thread ends with the page's answer: the days whose every thread was over by
        # now are skipped (however long ago ``since`` is, only the last days are generated)
        d = since.date()
        while d < now.date() and self._all_over(d) <= now:
            d += timedelta(days=1)
        out = []
        for t, c in self.conversations(page_id, max(since, datetime(d.year, d.month, d.day)), now):
            step, base, first, n = self._visible(t, c, now)
            if self._from_customer(n - 1, n, c):          # thread(...).from_customer[-1]
                out.append((c.id, self._sent_at(n - 1, t, step, base, first)))
        out.sort(key=lambda x: (x[1], x[0]))
        return out

    def _all_over(self, d: date) -> datetime:
        """A time by which every thread begun on local day ``d`` has sent its last message (with
        an hour to spare): the end of the day, or of a closed day's reopening, plus the longest thread."""
        start = self.reopening(d) + timedelta(minutes=30) if self.closed(d) else datetime(d.year, d.month, d.day) + timedelta(days=1)
        return start + timedelta(minutes=MAX_UPDATE_MINUTES + 60)

    # -- ads --
    def ad_day(self, page_id: str, ad: AdSpec, d: date) -> dict | None:
        """One ad's metrics on one local day (None when it did not run). Today is scaled by the
        visible share of the day."""
        now = self._sim.now()
        if ad.kind == "paused" or d > now.date():
            return None
        frac = 1.0 if d < now.date() else (now.hour + 1) / 24
        rng = rng_for(self._sim.seed, "ad", page_id, ad.ad_id, d.isoformat())
        usd = ad.currency == "USD"
        spend = ad.daily_spend * WEEKDAY[d.weekday()] * rng.uniform(0.7, 1.2) * frac
        spend = round(spend, 2) if usd else float(int(round(spend)))
        cpm = (4.5 if usd else 45_000) * rng.uniform(0.8, 1.25)
        impressions = int(spend / cpm * 1000)
        reach = int(impressions * rng.uniform(0.55, 0.8))
        clicks = int(impressions * rng.uniform(0.01, 0.025))
        msgs = int(clicks * rng.uniform(0.2, 0.35))
        purchases = 0 if ad.kind == "no_purchase" else int(msgs * rng.uniform(0.1, 0.25))
        value = purchases * (30.0 if usd else 350_000.0) * rng.uniform(0.8, 1.4)
        value = round(value, 2) if usd else float(int(round(value)))
        return {"spend": spend, "impressions": impressions, "reach": reach, "link_click": clicks,
                "messaging_conversation_started_7d": msgs,
                "messaging_first_reply": int(msgs * 0.8), "post_comments": poisson(rng, clicks * 0.02),
                "purchases": purchases, "purchases_conversion_value": value}

    def ads(self, page_id: str, start: date, end: date) -> list[dict]:
        """One dict per ad, numbers as int/float or None, exactly the values the API serves
        (before string formatting) for local days [start, end]."""
        spec = self.spec(page_id)
        out = []
        for ad in spec.ads:
            days = [x for x in (self.ad_day(page_id, ad, start + timedelta(days=i))
                                for i in range((end - start).days + 1)) if x]
            row = {"account_id": ad.account_id, "ad_id": ad.ad_id, "adset_id": ad.adset_id,
                   "currency": ad.currency, "name": ad.name, "status": ad.status,
                   "daily_budget": ad.daily_budget, "lifetime_budget": ad.lifetime_budget,
                   "budget_remaining": ad.daily_budget}
            if not days:
                row.update({k: None for k in AD_SUM_FIELDS + ("reach", "cpc", "cpm", "ctr", "purchase_roas")})
            else:
                usd = ad.currency == "USD"
                for k in AD_SUM_FIELDS:
                    v = sum(x[k] for x in days)
                    row[k] = round(v, 2) if isinstance(v, float) and usd else v
                if not usd:
                    row["spend"] = int(row["spend"])
                    row["purchases_conversion_value"] = int(row["purchases_conversion_value"])
                mx = max(x["reach"] for x in days)
                row["reach"] = min(sum(x["reach"] for x in days),
                                   int(mx * (1 + 0.35 * math.log(len(days)))))
                today_spend = days[-1]["spend"] if end >= self._sim.now().date() else 0
                unit = 100 if usd else 1
                row["budget_remaining"] = max(0, ad.daily_budget - int(round(today_spend * unit)))
                sp, imp, clk = row["spend"], row["impressions"], row["link_click"]
                if ad.kind == "normal":
                    row["cpc"] = round(sp / clk, 4) if clk else None
                    row["cpm"] = round(sp / imp * 1000, 4) if imp else None
                    row["ctr"] = round(clk / imp * 100, 4) if imp else None
                    row["purchase_roas"] = (round(row["purchases_conversion_value"] / sp, 4)
                                            if sp and row["purchases"] else None)
                else:
                    row.update(cpc=None, cpm=None, ctr=None, purchase_roas=None)
                if ad.kind == "null_metrics":
                    for k in ("messaging_conversation_started_7d", "messaging_first_reply",
                              "purchases", "purchases_conversion_value", "post_comments"):
                        row[k] = None
            out.append(row)
        return out


def hours_between(start: datetime, end: datetime):
    h = start.replace(minute=0, second=0, microsecond=0)
    while h <= end:
        yield h
        h += timedelta(hours=1)


def totals_of(rows: list[tuple[datetime, dict]], staff: StaffSpec | None, *,
              with_orders: bool = True) -> dict:
    tot = {k: 0 for k in USER_FIELDS}
    if with_orders:
        tot["order_count"] = 0
    wsum = 0
    wavg = 0.0
    last = None
    for hdt, r in rows:
        for k in USER_FIELDS:
            if k != "average_response_time":
                tot[k] += r[k]
        if with_orders:
            tot["order_count"] += r["order_count"]
        w = r["unique_inbox_count"] + r["unique_comment_count"]
        if w:
            wsum += w
            wavg += r["average_response_time"] * w
        last = hdt if last is None or hdt > last else last
    tot["average_response_time"] = int(round(wavg / wsum)) if wsum else 0
    tot["hour"] = last.strftime("%Y-%m-%dT%H:00:00") if last else None
    tot["user_fb_id"] = staff.fb_id if staff else None
    tot["user_name"] = staff.name if staff else None
    return tot
