"""The morning digest: its numbers equal the simulator's truth (in process, and end to end over
HTTP to a webhook receiver on loopback), a failing page is named while the others are reported,
a failing channel does not stop the others, and no secret is ever shown."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from pancake import fmt, i18n
from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import core
from pancake.data.store import memory_store
from pancake.delivery import digest
from pancake.numbers import metrics
from pancake.numbers.views import briefing as bf
from tests import forkrun
from tests.clock import FakeClock
from tests.pancake import notify_cli

LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS
NOW = datetime(2026, 11, 24, 9, 30)          # a Tuesday morning, the shops' local time
TOKEN_CANARY = "CANARY-DIGEST-PAGE-TOKEN-5c2e9a"
BOT_CANARY = "CanaryDigestBotKey7e1f0b"
PASS_CANARY = "CanaryDigestPassw0rd3a"


# --- in process: the numbers ------------------------------------------------------------------------

def sim_loader(now=NOW, **sim_kw):
    clock = FakeClock()
    sim = Simulator(now=now, clock=clock, **sim_kw)
    client = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                           transport=sim.transport(), clock=clock, sleep=clock.sleep, jitter=lambda: 0.5)
    return sim, core.Loader(client, memory_store(), source="test", today=lambda: now.date())


def names_of(sim):
    return {p.id: p.name for p in sim.pages}


def truth_totals(sim, pids, day):
    """The key totals of ``day`` from the simulator's ground truth, computed here on their own."""
    out = {"total": 0, "new_customer_count": 0, "phone_number_count": 0}
    wx = w = 0.0
    spend = defaultdict(float)
    start, end = datetime.combine(day, datetime.min.time()), datetime.combine(day, datetime.min.time()).replace(hour=23)
    for pid in pids:
        out["total"] += sim.truth.engagement_day(pid, day)["total"]
        nc = sim.truth.new_customers_day(pid, day)
        out["new_customer_count"] += nc["new_customer_count"]
        out["phone_number_count"] += nc["phone_number_count"]
        for rows in sim.truth.user_rows(pid, start, end).values():
            for _, row in rows:
                weight = (row["unique_inbox_count"] or 0) + (row["unique_comment_count"] or 0)
                if row["average_response_time"] is not None and weight > 0:
                    wx += row["average_response_time"] * weight
                    w += weight
        for ad in sim.truth.ads(pid, day, day):
            if ad["spend"] is not None:
                spend[(ad["currency"] or "").upper()] += ad["spend"]
    out["average_response_time"] = wx / w if w else None
    return out, dict(spend)


def test_key_totals_equal_the_truth_for_the_day_and_the_same_weekday_last_week():
    sim, loader = sim_loader()
    pids = [LINH_CHI, HANA, SNEAKER]
    y = NOW.date() - timedelta(days=1)
    data = digest.load_day(loader, pids, names_of(sim), y, now_local=NOW)
    assert data.errors == [] and data.last_week == y - timedelta(days=7)
    kpis = digest.key_totals(data)
    (now_t, now_spend), (lw_t, lw_spend) = truth_totals(sim, pids, y), truth_totals(sim, pids, data.last_week)
    by_field = {(k.field, k.currency): k for k in kpis}
    for f in ("total", "new_customer_count", "phone_number_count"):
        assert by_field[(f, None)].value == now_t[f] and by_field[(f, None)].previous == lw_t[f], f
    rt = by_field[("average_response_time", None)]
    assert rt.value == pytest.approx(now_t["average_response_time"], rel=1e-9)
    assert rt.previous == pytest.approx(lw_t["average_response_time"], rel=1e-9)
    spends = {k.currency or "": k for k in kpis if k.field == "spend"}
    assert set(spends) == set(now_spend) == {"VND", "USD"}      # never added across currencies
    for cur, k in spends.items():
        assert k.value == pytest.approx(now_spend[cur]) and k.previous == pytest.approx(lw_spend.get(cur, 0))
    assert [k.field for k in kpis] == ["total", "new_customer_count", "phone_number_count",
                                       "average_response_time", "spend", "spend"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_message_reads_in_the_language_with_the_cards_numbers(lang):
    sim, loader = sim_loader()
    pids, names = [LINH_CHI, HANA], names_of(sim)
    y = NOW.date() - timedelta(days=1)
    data = digest.load_day(loader, pids, names, y, now_local=NOW)
    d = digest.build(data, lang, pids, names, today=NOW.date(), link_base="https://dash.example.com")
    text = d.message.text()
    title = text.splitlines()[0]
    assert fmt.date(y, lang) in title and bf.weekday_word(y, lang) in title
    assert names[LINH_CHI] in title and names[HANA] in title
    truth, _ = truth_totals(sim, pids, y)
    total_label = metrics.label("total", lang, "engagement")
    line = next(ln for ln in text.splitlines() if ln.startswith("• " + total_label[:1].upper() + total_label[1:]))
    assert f": {fmt.number(truth['total'], lang)} (" in line
    assert bf.lines_title(y, NOW.date(), lang) in text           # yesterday in five lines, titled as on the screen
    for ln in d.lines:
        assert "• " + ln.text in text
    assert i18n.t("kiosk.flags.title", lang) in text and i18n.t("kiosk.attention.title", lang) in text
    assert len(d.flag_texts) == len(d.flags)
    for f, t in zip(d.flags, d.flag_texts):
        assert t == bf.flag_text(f, lang, names, today=NOW.date())
        assert "• " + t in text
    assert text.splitlines()[-1] == i18n.t(
        "digest.link", lang, url=f"https://dash.example.com/overview?pages={LINH_CHI},{HANA}"
                                 f"&from={y}&to={y}&lang={lang}")


def test_flags_of_an_earlier_day_name_that_day_not_yesterday():
    sim, loader = sim_loader()
    pids, names = [LINH_CHI, HANA], names_of(sim)
    day = NOW.date() - timedelta(days=5)
    d = digest.build(digest.load_day(loader, pids, names, day, now_local=NOW), "en", pids, names,
                     today=NOW.date())
    ads_flags = [f for f in d.flags if f.kind == "ads_no_purchase"]
    assert ads_flags, "the simulator's no-purchase ads spend every day"
    for f in ads_flags:
        text = bf.flag_text(f, "en", names, today=NOW.date())
        assert fmt.date(day, "en") in text and "yesterday" not in text
    assert "Yesterday" not in d.message.text()
    assert d.message.footer == []       # no PANCAKE_PUBLIC_URL: no link


def test_a_failing_page_is_named_and_left_out_of_the_totals_the_others_still_count():
    clock = FakeClock()
    sim = Simulator(now=NOW, clock=clock)
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = TOKEN_CANARY
    client = PancakeClient(page_tokens=tokens, transport=sim.transport(), clock=clock, sleep=clock.sleep,
                           jitter=lambda: 0.5)
    loader = core.Loader(client, memory_store(), source="test", today=lambda: NOW.date())
    names = names_of(sim)
    y = NOW.date() - timedelta(days=1)
    d = digest.build(digest.load_day(loader, [LINH_CHI, MINH_ANH], names, y, now_local=NOW), "vi",
                     [LINH_CHI, MINH_ANH], names, today=NOW.date())
    assert {e.page_id for e in d.errors} == {MINH_ANH}
    text = d.message.text()
    assert i18n.t("digest.missing", "vi", pages=names[MINH_ANH]) in text
    assert d.flags[0].kind == "token" and d.flags[0].page_id == MINH_ANH
    total = next(k for k in d.totals if k.field == "total")
    assert total.value == truth_totals(sim, [LINH_CHI], y)[0]["total"]
    assert TOKEN_CANARY not in text


# --- end to end over HTTP ----------------------------------------------------------------------------

def _line(text: str, field: str, source: str, lang: str, currency: str | None = None) -> str:
    label = metrics.label(field, lang, source)
    label = label[:1].upper() + label[1:] + (f" ({currency})" if currency else "")
    return next(ln for ln in text.splitlines() if ln.startswith(f"• {label}: "))


def test_digest_end_to_end_numbers_equal_the_truth(sim_server, receiver, tmp_path):
    sim, url = sim_server
    pids = [LINH_CHI, SNEAKER]
    proc = notify_cli.run(["digest", "--page", *pids, "--notify", receiver.url("/digest")], url, tmp_path,
                          env_extra={"PANCAKE_PUBLIC_URL": "https://dash.example.com/"})
    assert proc.returncode == 0, proc.stderr.decode()
    (req,) = receiver.posts("/digest")
    y = sim.today() - timedelta(days=1)
    names = names_of(sim)
    title, text = req.json["title"], req.json["message"]
    assert title == i18n.t("digest.title", "vi", weekday=bf.weekday_word(y, "vi"), day=fmt.date(y, "vi"),
                           pages=f"{names[LINH_CHI]}, {names[SNEAKER]}")
    (t, spend), (lw, lw_spend) = truth_totals(sim, pids, y), truth_totals(sim, pids, y - timedelta(days=7))
    for f, src in (("total", "engagement"), ("new_customer_count", "customers"),
                   ("phone_number_count", "customers")):
        line = _line(text, f, src, "vi")
        assert f": {fmt.number(t[f], 'vi')} (" in line and line.endswith(f": {fmt.number(lw[f], 'vi')})"), line
    rt = _line(text, "average_response_time", "staff", "vi")
    assert f": {fmt.duration_ms(t['average_response_time'], 'vi')} (" in rt
    for cur, value in spend.items():
        line = _line(text, "spend", "ads", "vi", cur)
        assert f": {fmt.money(value, cur, 'vi')} (" in line
        assert line.endswith(f": {fmt.money(lw_spend.get(cur, 0), cur, 'vi')})"), line
    assert text.splitlines()[-1] == i18n.t("digest.link", "vi", url=(
        f"https://dash.example.com/overview?pages={LINH_CHI},{SNEAKER}&from={y}&to={y}&lang=vi"))
    assert f"sent to #1 json://127.0.0.1:{receiver.port}" in proc.stderr.decode()


def test_digest_in_english_for_a_given_date_dry_run_sends_nothing(sim_server, receiver, tmp_path):
    sim, url = sim_server
    day = sim.today() - timedelta(days=3)
    proc = notify_cli.run(["digest", "--page", HANA, "--date", day.isoformat(), "--lang", "en", "--dry-run",
                           "--notify", receiver.url("/never")], url, tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert receiver.requests == []
    text = proc.stdout.decode()
    assert text.startswith(f"Pancake · Digest for {bf.weekday_word(day, 'en')} {fmt.date(day, 'en')}")
    t, _ = truth_totals(sim, [HANA], day)
    assert f": {fmt.number(t['total'], 'en')} (" in _line(text, "total", "engagement", "en")


def test_a_failing_page_and_a_failing_channel_are_contained_and_no_secret_shows(sim_server, receiver, tmp_path):
    sim, url = sim_server
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[MINH_ANH] = TOKEN_CANARY                      # refused (102): a dead token
    failing = receiver.url(f"/fail/{BOT_CANARY}", auth=f"shop:{PASS_CANARY}")
    good = receiver.url("/ok", auth=f"shop:{PASS_CANARY}")
    broken = f"zalo://not-a-bot-key-{BOT_CANARY}/chat"     # apprise refuses it (no network)
    proc = notify_cli.run(["digest", "--page", LINH_CHI, MINH_ANH, "--notify", failing, "--notify", broken,
                           "--notify", good], url, tmp_path, access_token=None, page_tokens=tokens)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert f"error: page {MINH_ANH} ({MINH_ANH}) failed" in err     # no user token: pages known by id
    assert f"channel #1 json://127.0.0.1:{receiver.port} failed" in err and "channel #2 zalo failed" in err
    assert f"sent to #3 json://127.0.0.1:{receiver.port}" in err
    (req,) = receiver.posts("/ok")
    text = req.json["message"]
    assert i18n.t("digest.missing", "vi", pages=MINH_ANH) in text
    y = sim.today() - timedelta(days=1)
    t, _ = truth_totals(sim, [LINH_CHI], y)
    assert f": {fmt.number(t['total'], 'vi')} (" in _line(text, "total", "engagement", "vi")
    everything = [proc.stdout.decode(), err] + [r.body.decode() for r in receiver.requests] + \
                 [r.path.replace(f"/fail/{BOT_CANARY}", "") for r in receiver.requests]
    for secret in (TOKEN_CANARY, BOT_CANARY, PASS_CANARY, *DEMO_PAGE_TOKENS.values(), DEMO_USER_TOKEN):
        for text in everything:
            assert secret not in text


def test_channels_from_the_environment_and_the_secrets_and_none_is_a_usage_error(sim_server, receiver, tmp_path):
    sim, url = sim_server
    proc = notify_cli.run(["digest", "--page", HANA], url, tmp_path,
                          env_extra={"PANCAKE_NOTIFY": f"{receiver.url('/env1')}, {receiver.url('/env2')}"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(receiver.posts("/env1")) == 1 and len(receiver.posts("/env2")) == 1
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[pancake]\nnotify = ["{receiver.url("/sec")}"]\n')
    proc = notify_cli.run(["digest", "--page", HANA, "-q"], url, tmp_path)
    assert proc.returncode == 0 and len(receiver.posts("/sec")) == 1 and proc.stderr == b""
    (tmp_path / ".streamlit" / "secrets.toml").unlink()
    proc = notify_cli.run(["digest", "--page", HANA], url, tmp_path)
    assert proc.returncode == 2 and b"no notification channel" in proc.stderr
    proc = notify_cli.run(["digest", "--page", HANA, "--date", "2026-13-01", "--dry-run"], url, tmp_path)
    assert proc.returncode == 2 and b"YYYY-MM-DD" in proc.stderr


@pytest.mark.skipif(not notify_cli.wired(), reason="needs the lead's cli.py wiring of pancake.delivery.cli_notify")
def test_python_m_pancake_has_digest_and_alert(tmp_path):
    import sys
    for cmd in ("digest", "alert"):
        proc = forkrun.run([sys.executable, "-m", "pancake", cmd, "--help"], capture_output=True,
                           cwd=notify_cli.ROOT, timeout=60)
        assert proc.returncode == 0 and b"--notify" in proc.stdout and b"--dry-run" in proc.stdout


def test_today_is_not_reported_before_it_is_over(sim_server, tmp_path):
    sim, url = sim_server
    future = (sim.today() + timedelta(days=1)).isoformat()
    proc = notify_cli.run(["digest", "--page", HANA, "--date", future, "--dry-run"], url, tmp_path)
    assert proc.returncode == 2 and b"future" in proc.stderr
    assert date.fromisoformat(future) > sim.today()


def test_today_is_refused_in_one_line_a_part_of_a_day_is_not_compared_with_a_whole_one(sim_server, receiver,
                                                                                       tmp_path):
    sim, url = sim_server
    today = sim.today()
    for extra in (["--dry-run"], ["--notify", receiver.url("/today")]):
        proc = notify_cli.run(["digest", "--page", HANA, "--date", today.isoformat(), *extra], url, tmp_path)
        assert proc.returncode == 2 and proc.stdout == b""
        assert proc.stderr.decode().splitlines() == [
            f"error: --date {today} is today, which is not over: a part of a day is not compared with a whole "
            f"one (give {today - timedelta(days=1)} or an earlier day)"]
    assert receiver.requests == []


@pytest.mark.parametrize("public,line", [
    ("https://boss:PubPassw0rd-77@dash.example.com",
     "warning: PANCAKE_PUBLIC_URL must not carry a user name or password (they would be printed in every "
     "message): messages go out without the link to the dashboard"),
    ("javascript:alert(1)//dash.example.com",
     "warning: PANCAKE_PUBLIC_URL must be an http:// or https:// address with a host and no ?… or #… "
     "(e.g. https://stats.example.com): messages go out without the link to the dashboard"),
])
def test_a_refused_public_url_is_said_in_one_line_and_the_message_has_no_link(sim_server, receiver, tmp_path,
                                                                             public, line):
    sim, url = sim_server
    for cmd in (["digest"], ["alert"]):
        proc = notify_cli.run([*cmd, "--page", HANA, "-q", "--notify", receiver.url(f"/{cmd[0]}")], url, tmp_path,
                              env_extra={"PANCAKE_PUBLIC_URL": public})
        err = proc.stderr.decode()
        assert proc.returncode == 0 and err.splitlines() == [line], err
    for req in receiver.requests:
        body = req.body.decode()
        assert "dash.example.com" not in body and "PubPassw0rd" not in body and "javascript" not in body
        assert "boss" not in body
    assert len(receiver.requests) == 2


def test_a_hostile_page_name_arrives_escaped_in_markdown_and_as_written_in_plain_text():
    hostile = "**B** [lnk](http://x) <b>bold</b> ![i](http://x/t.png)"
    sim, loader = sim_loader()
    pids = [LINH_CHI, HANA]
    names = {**names_of(sim), LINH_CHI: hostile}
    y = NOW.date() - timedelta(days=1)
    d = digest.build(digest.load_day(loader, pids, names, y, now_local=NOW), "en", pids, names, today=NOW.date(),
                     link_base="https://dash.example.com")
    _, md = d.message.render(markdown=True, title_in_body=True)
    assert "[lnk](http://x)" not in md and "<b>" not in md and "**B**" not in md
    assert "\\*\\*B\\*\\* \\[lnk\\](http://x) \\<b\\>bold\\</b\\> !\\[i\\](http://x/t.png)" in md.splitlines()[0]
    title, text = d.message.render(markdown=False)
    assert hostile in title
    assert md.splitlines()[-1] == text.splitlines()[-1] == i18n.t(
        "digest.link", "en", url=f"https://dash.example.com/overview?pages={LINH_CHI},{HANA}&from={y}&to={y}&lang=en")


def test_a_digest_sent_and_never_answered_is_reported_as_an_unknown_outcome_not_a_failure(sim_server, receiver,
                                                                                           tmp_path):
    sim, url = sim_server
    receiver.delay = 2.0
    proc = notify_cli.run(["digest", "--page", HANA, "-q", "--notify", receiver.url("/slow/d?rto=0.5"),
                           "--notify", receiver.url("/ok")], url, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == [
        f"error: channel #1 json://127.0.0.1:{receiver.port}: sent, but no answer within 0.5 s: the message may "
        f"have arrived; not sent again: look in the channel before sending it by hand"]
    assert len(receiver.posts("/slow/d")) == 1 and len(receiver.posts("/ok")) == 1
