"""Issue 17: the TV (AppTest), the digest (``--dry-run`` output) and ``alert`` (``--dry-run``) say
the same about ads that spent with no purchase, on a day when no ad qualifies (Giày Sneaker:
an ad with 19 purchases, one whose purchases are unknown, a paused one; the bug flagged all
three, named "nan") and on a day when one does (Linh Chi: "QC Áo sơ mi công sở"), in both
languages, and never say "nan" or "None". Expectations are worked out by hand from the
simulator's truth (spend > 0, purchases exactly 0, not paused)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pancake import fmt
from pancake.simulator import DEMO_PAGE_IDS, Simulator, serve
from tests.browser import truth
from tests.conftest import app_test
from tests.pancake import notify_cli

LINH_CHI, _, SNEAKER = DEMO_PAGE_IDS[:3]
BAD = re.compile(r"\b(nan|None)\b")
WORDS = {"vi": ("Quảng cáo “{ad}” ({page}) đã chi {spend} {when} nhưng chưa có lượt mua nào",
                {"yesterday": "hôm qua", "today": "hôm nay"}),
         "en": ("Ad “{ad}” ({page}) spent {spend} {when} with no purchase",
                {"yesterday": "yesterday", "today": "today"})}


@pytest.fixture(scope="module")
def sim_server():
    """The simulator over HTTP on loopback, for the commands (``digest``, ``alert``)."""
    sim = Simulator()
    server, _ = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()


def qualifying(sim, page: str, day) -> list[tuple[str, float, str]]:
    """(name, spend, currency) of the ads that spent with no purchase on ``day``, by hand."""
    return [(r["name"], float(r["spend"]), r["currency"]) for r in sim.truth.ads(page, day, day)
            if r["spend"] is not None and float(r["spend"]) > 0 and r["purchases"] is not None
            and float(r["purchases"]) == 0 and r["status"] != "PAUSED"]


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
    assert qualifying(sim, SNEAKER, y) == [] and qualifying(sim, SNEAKER, sim.today()) == []
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
    assert all(said) and [m.group(1) for m in said] == [a for a, _, _ in qualifying(sim, page, sim.today())]
    assert not any(re.fullmatch(r"[^\d]*0([.,]00)?[^\d]*", m.group(2)) for m in said)   # never "spent 0.00"
    assert not BAD.search(text)
