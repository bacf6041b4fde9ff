"""Issue 17: the TV (AppTest), the digest (``--dry-run`` output) and ``alert`` (``--dry-run``) say
the same about ads that spent with no purchase, on a day when no ad qualifies (Giày Sneaker:
an ad with 19 purchases, one whose purchases are unknown, a paused one; the bug flagged all
three, named "nan") and on a day when one does (Linh Chi: "QC Áo sơ mi công sở"), in both
languages, and never say "nan" or "None". Expectations are worked out by hand from the
simulator's truth (spend > 0, purchases exactly 0, not paused)."""
from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from pancake import fmt
from pancake.api.simulator import DEMO_PAGE_IDS, Simulator, serve
from pancake.data import filler
from pancake.data import replies as dr
from tests.browser import truth
from tests.conftest import app_test, pin_dashboard_now
from tests.pancake import notify_cli
from ui import replies_data as rd

LINH_CHI, _, SNEAKER = DEMO_PAGE_IDS[:3]
BAD = re.compile(r"\b(nan|None)\b")
WORDS = {"vi": ("Quảng cáo “{ad}” ({page}) đã chi {spend} {when} nhưng chưa có lượt mua nào",
                {"yesterday": "hôm qua", "today": "hôm nay"}),
         "en": ("Ad “{ad}” ({page}) spent {spend} {when} with no purchase",
                {"yesterday": "yesterday", "today": "today"})}


@pytest.fixture(scope="module")
def sim_server():
    """The simulator over HTTP on loopback, for the commands (``digest``, ``alert``; unpaced:
    ``tests.pancake.unpaced``)."""
    sim = Simulator(rate_limit_per_second=0)
    server, _ = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()


def qualifying(sim, page: str, day, *, not_over: bool = False) -> list[tuple[str, float, str]]:
    """(name, spend, currency) of the ads that spent with no purchase on ``day``, by hand. A day
    ``not_over`` (today, for the alert): only the ads whose spend reached three times what a
    purchase cost them over the 7 days before (their spend / their purchases), or that bought
    nothing then."""
    cost = {}
    if not_over:
        cost = {r["ad_id"]: 3 * float(r["spend"]) / float(r["purchases"])
                for r in sim.truth.ads(page, day - timedelta(days=7), day - timedelta(days=1))
                if r["spend"] and r["purchases"]}
    return [(r["name"], float(r["spend"]), r["currency"]) for r in sim.truth.ads(page, day, day)
            if r["spend"] is not None and float(r["spend"]) > 0 and r["purchases"] is not None
            and float(r["purchases"]) == 0 and r["status"] != "PAUSED"
            and float(r["spend"]) >= cost.get(r["ad_id"], 0.0)]


def expected(sim, page: str, day, lang: str, when: str) -> list[str]:
    text, whens = WORDS[lang]
    name = next(p.name for p in sim.pages if p.id == page)
    return [text.format(ad=ad, page=name, spend=fmt.money(spend, cur, lang), when=whens[when])
            for ad, spend, cur in qualifying(sim, page, day)]


def ad_lines(text: str) -> list[str]:
    return [ln[2:] for ln in text.splitlines() if ln.startswith("• ") and "“" in ln]


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_days_chosen_are_a_day_with_none_and_a_day_with_one():
    sim = truth.sim()
    y = sim.today() - timedelta(days=1)
    assert qualifying(sim, SNEAKER, y) == []        # today, not over, depends on the hour: the alert's test
    assert [a for a, _, _ in qualifying(sim, LINH_CHI, y)] == ["QC Áo sơ mi công sở"]
    rows = {r["name"]: r for r in sim.truth.ads(SNEAKER, y, y)}
    assert rows["Sneaker sale 9.9"]["purchases"] > 0 and rows["Jordan mới về"]["purchases"] is None
    assert rows["Giày chạy bộ - livestream"]["status"] == "PAUSED"


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("page", [SNEAKER, LINH_CHI], ids=["no_ad_qualifies", "one_ad_qualifies"])
def test_the_tv_the_digest_and_the_alert_agree(sim_server, tmp_path, page, lang):
    sim, url = sim_server
    y = sim.today() - timedelta(days=1)
    want_y = expected(sim, page, y, lang, "yesterday")
    assert (want_y == []) == (page == SNEAKER)

    at = app_test(params={"kiosk": "1", "pages": page, "lang": lang}, timeout=120)
    assert not at.exception
    shown = [unescape(m.value) for m in at.markdown]
    tv = [re.sub(r"^:\w+\[:material/money_off:\] ", "", t) for t in shown if ":material/money_off:" in t]
    assert tv == want_y
    assert not any(BAD.search(t) for t in shown + [c.value for c in at.caption] + [h.value for h in at.subheader])

    digest = notify_cli.run(["digest", "--page", page, "--lang", lang, "--dry-run"], url, tmp_path)
    assert digest.returncode == 0, digest.stderr.decode()
    text = digest.stdout.decode()
    assert ad_lines(text) == want_y and not BAD.search(text)

    alert = notify_cli.run(["alert", "--page", page, "--lang", lang, "--dry-run"], url, tmp_path)
    assert alert.returncode == 0, alert.stderr.decode()
    text = alert.stdout.decode()
    # today is partial (the ads keep spending): the same ads, each with a real amount
    template = re.escape(WORDS[lang][0]).replace(r"\{ad\}", "(.+)").replace(r"\{page\}", ".+") \
        .replace(r"\{spend\}", "(.+)").replace(r"\{when\}", WORDS[lang][1]["today"])
    said = [re.fullmatch(template, ln) for ln in ad_lines(text)]
    assert all(said) and [m.group(1) for m in said] == [a for a, _, _ in qualifying(sim, page, sim.today(),
                                                                                      not_over=True)]
    assert not any(re.fullmatch(r"[^\d]*0([.,]00)?[^\d]*", m.group(2)) for m in said)   # never "spent 0.00"
    assert not BAD.search(text)


# --- issue 21: response times on the TV, in the digest and in the alert ------------------------------

WA = DEMO_PAGE_IDS[4]        # the page with the fewest conversations: its messages are read in seconds
HOURS_FILE = """timezone = "Asia/Ho_Chi_Minh"
[hours]
mon = ["08:00-12:00", "13:30-22:00"]
tue = ["08:00-12:00", "13:30-22:00"]
wed = ["08:00-12:00", "13:30-22:00"]
thu = ["08:00-12:00", "13:30-22:00"]
fri = ["08:00-12:00", "13:30-22:00"]
sat = ["09:00-17:00"]
sun = ["09:00-17:00"]
[targets]
first_reply_minutes = 15
next_reply_minutes = 30
within_target_percent = 90
"""
REPLY_TITLES = {"vi": "Thời gian trả lời hôm qua", "en": "Response times yesterday"}
WHEN = {"vi": "Hôm qua", "en": "Yesterday"}


@pytest.fixture(autouse=True)
def _filler_leaves_when_done(monkeypatch, unpaced_filler):
    """The store's filler process leaves as soon as its queue is empty (``wait_started``), and
    fills unpaced (``unpaced_filler``)."""
    monkeypatch.setattr(filler, "IDLE_SECONDS", 0.0)
    monkeypatch.setattr(rd, "PARTIAL_TTL_SECONDS", 0)     # the rerun after the fill sees all of it
    yield
    filler.stop_started()


def forget_background() -> None:
    for _, fut in list(dr.BACKGROUND.items.values()):
        try:
            fut.result(timeout=300)
        except Exception:  # noqa: BLE001 - a fill whose store was closed with its test
            pass
    dr.BACKGROUND.items.clear()
    filler.stop_started()


def tv_replies(lang: str) -> list[str]:
    """The TV's response-times card once every conversation's messages are read: its lines,
    unescaped, the icon and "Yesterday:" taken off the first."""
    forget_background()    # a fill of a test before (the TVs above start them) went with its store
    at = app_test(params={"kiosk": "1", "pages": WA, "lang": lang}, timeout=180)
    assert not at.exception
    for _, fut in list(dr.BACKGROUND.items.values()):
        fut.result(timeout=300)
    filler.wait_started(timeout=300)     # the store's filler process leaves once its queue is empty
    at.run()
    assert not at.exception
    shown = [unescape(m.value) for m in at.markdown]
    assert not any(BAD.search(t) for t in shown)
    first = next(i for i, t in enumerate(shown) if t.startswith(":material/timer:"))
    card = shown[first:first + 3]
    card[0] = card[0].removeprefix(f":material/timer: **{WHEN[lang]}:** ")
    return card


def digest_replies(text: str, lang: str) -> list[str]:
    lines = text.splitlines()
    at = lines.index(REPLY_TITLES[lang])
    out = []
    for ln in lines[at + 1:]:
        if not ln.startswith("• "):
            break
        out.append(ln[2:])
    return out


def truth_line(sim, lang: str) -> str:
    """Yesterday's line without an hours file, by hand from the simulator: the answered turns
    that started yesterday (a person's reply ends a turn, the bot's does not), their count and
    the median of their calendar waits."""
    y = sim.today() - timedelta(days=1)
    lo = datetime.combine(y, datetime.min.time())
    waits = [t["wait_seconds"] for ts, c in sim.truth.conversations(WA, lo, lo + timedelta(days=1, seconds=-1))
             for t in sim.truth.turns(WA, ts, c) if t["start"].date() == y and t["end"] is not None]
    words = {"vi": "{n} lượt trả lời, trung vị {m} (thời gian thực: chưa có tệp giờ làm việc nên chưa có mục tiêu)",
             "en": "{n} replies, median {m} (calendar time: no opening hours file, so no target)"}
    return words[lang].format(n=fmt.number(len(waits), lang), m=fmt.duration_ms(statistics.median(waits) * 1000, lang))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_response_times_without_an_hours_file_the_tv_and_the_digest_agree_with_the_truth(sim_server, tmp_path,
                                                                                           monkeypatch, one_now, lang):
    sim, url = sim_server
    monkeypatch.delenv("PANCAKE_HOURS_FILE", raising=False)
    want = truth_line(sim, lang)
    assert "%" not in want
    tv = tv_replies(lang)
    assert tv[0] == want
    digest = notify_cli.run(["digest", "--page", WA, "--lang", lang, "--dry-run", "--fill-replies"], url, tmp_path,
                            env_extra=one_now, timeout=300)
    assert digest.returncode == 0, digest.stderr.decode()
    said = digest_replies(digest.stdout.decode(), lang)
    assert said[0] == want and not BAD.search(digest.stdout.decode())
    # the longest wait of the day, still going on: the TV's first one is the digest's first one, at the
    # same "now" (``one_now``; on the real clock it grew by a minute between the two: CI, 23:57)
    assert tv[1].removeprefix(":material/hourglass_bottom: ").split(": ", 1)[1] == said[1].split(": ", 1)[1].split("; ")[0]


@pytest.fixture
def one_now(sim_server, monkeypatch):
    """One "now" for every surface compared: the TV (its demo simulator and ``ui.cache.now_utc``),
    the commands (``cli_notify.now_utc``, through ``notify_cli``'s ``TEST_NOW_UTC``) and the
    commands' simulator; the loaders' today from it too. Without it a wait grew by a minute or two
    between the TV and the alert on a busy machine. Yields the commands' environment."""
    from pancake.api import simulator
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    class PinnedSimulator(simulator.Simulator):
        def __init__(self, **kw):
            super().__init__(**{**kw, "now": now})
    monkeypatch.setattr(simulator, "Simulator", PinnedSimulator)
    pin_dashboard_now(monkeypatch, now)
    sim, _ = sim_server
    sim.set_now(now)
    yield {"TEST_NOW_UTC": now.isoformat()}
    sim.set_now(None)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_response_times_with_targets_the_tv_the_digest_and_the_alert_agree(sim_server, tmp_path, monkeypatch,
                                                                            one_now, lang):
    sim, url = sim_server
    hours = tmp_path / "hours.toml"
    hours.write_text(HOURS_FILE, encoding="utf-8")
    monkeypatch.setenv("PANCAKE_HOURS_FILE", str(hours))
    tv = tv_replies(lang)
    env = {"PANCAKE_HOURS_FILE": str(hours), **one_now}
    digest = notify_cli.run(["digest", "--page", WA, "--lang", lang, "--dry-run", "--fill-replies"], url, tmp_path,
                            env_extra=env, timeout=300)
    assert digest.returncode == 0, digest.stderr.decode()
    said = digest_replies(digest.stdout.decode(), lang)
    assert said[0] == tv[0]                                   # the same % within target, count, median
    pct = re.match(r"(\d+) ?%", said[0])
    assert pct and re.search({"vi": r"\(mục tiêu 90 %\)", "en": r"\(target 90%\)"}[lang], said[0])
    assert {"vi": "15 phút làm việc", "en": "15 min of opening hours"}[lang] in said[0]
    alert = notify_cli.run(["alert", "--page", WA, "--lang", lang, "--dry-run", "--before-target", "5"], url,
                           tmp_path, env_extra=env, timeout=300)
    assert alert.returncode == 0, alert.stderr.decode()
    text = alert.stdout.decode()
    assert not BAD.search(text)
    mine = [ln[2:] for ln in text.splitlines() if ln.startswith("• ")]
    icon = ":material/alarm:] "
    due = [t for t in tv if t.startswith(":red[") and icon in t]
    if not due:                   # nobody at or near their target on the TV: nor in the alert
        assert tv[-1].endswith({"vi": "Không khách nào đang chờ quá mục tiêu.",
                                "en": "No customer is waiting past their target."}[lang])
        return
    first = re.sub(r" \(\+\d+\)$", "", due[0].split(icon, 1)[1])
    # the TV's longest waiting customer is in the alert, in the same words and the same wait (one "now")
    assert first in mine, (tv, mine)
