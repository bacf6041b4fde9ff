"""pancake.delivery.notify: channels from --notify / PANCAKE_NOTIFY / secrets, secrets in notification URLs
never shown (labels, errors, apprise's and urllib3's logs), per-channel results, each channel's
length limit and format. Real sends go to a receiver on loopback only (apprise's json://, and the
Telegram and Zalo plugins pointed at it)."""
from __future__ import annotations

import base64
import logging

import pytest

from pancake import i18n
from pancake.delivery import notify
from pancake.redact import redact
from tests.pancake.receiver import Receiver, guard_network

TG_KEY = "987654321:AAHcanaryTelegramBotKey_4f2a"
ZALO_KEY = "123456789:ZaloCanaryBotKey8c1d"
PASSWORD = "CanaryPassw0rd-71b"
PATH_KEY = "CanaryWebhookKey9d3e0a"
SLACK = ("T1CANARY9", "B2CANARY8", "CanarySlackToken7x7x7x7x")
DISCORD_TOKEN = "CanaryDiscordWebhookToken_5k5k"
CANARIES = (TG_KEY, TG_KEY.split(":")[1], ZALO_KEY, ZALO_KEY.split(":")[1], PASSWORD, PATH_KEY, *SLACK,
            DISCORD_TOKEN)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    guard_network(monkeypatch)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def assert_no_canary(*texts):
    for text in texts:
        for c in CANARIES:
            assert c not in str(text), f"secret {c[:6]}… leaked"


def message(n_items=3, lang="en"):
    return notify.Message("Digest *title*", [
        notify.Section("Totals", [f"total {i}" for i in range(3)], keep=3, drop=8),
        notify.Section("Flags", [f"flag number {i} about page_{i}" for i in range(n_items)], keep=2, drop=0),
        notify.Section("Pages", [f"page {i}" for i in range(n_items)], keep=1, drop=1,
                       more_key="kiosk.attention.more"),
    ], footer=["Details: https://dash.example.com/overview?pages=a,b&lang=en"], lang=lang)


# --- channels -------------------------------------------------------------------------------------

def test_urls_split_on_commas_but_a_comma_inside_a_url_stays():
    text = "json://127.0.0.1:1/a, mailto://u:p@example.com?to=a@x.com,b@y.com ,\n tgram://1:AB12/3"
    assert notify.split_urls(text) == ["json://127.0.0.1:1/a", "mailto://u:p@example.com?to=a@x.com,b@y.com",
                                       "tgram://1:AB12/3"]
    assert notify.split_urls("") == [] and notify.split_urls(None) == []


def test_targets_come_from_the_command_line_else_the_environment_else_the_secrets():
    env = {notify.ENV: "json://127.0.0.1:1/env1,json://127.0.0.1:1/env2"}
    secrets = {"pancake": {"notify": ["json://127.0.0.1:1/s1", "json://127.0.0.1:1/s2"]}}
    assert [t.url for t in notify.targets(["json://127.0.0.1:1/cli"], env=env, secrets=secrets)] == \
        ["json://127.0.0.1:1/cli"]
    assert [t.url for t in notify.targets(None, env=env, secrets=secrets)] == \
        ["json://127.0.0.1:1/env1", "json://127.0.0.1:1/env2"]
    assert [t.url for t in notify.targets([], env={}, secrets=secrets)] == \
        ["json://127.0.0.1:1/s1", "json://127.0.0.1:1/s2"]
    assert [t.url for t in notify.targets(None, env={}, secrets={notify.ENV: "json://127.0.0.1:1/x"})] == \
        ["json://127.0.0.1:1/x"]
    assert notify.targets(None, env={}, secrets={}) == []
    # each channel once, numbered in order
    ts = notify.targets(["json://127.0.0.1:1/a", "json://127.0.0.1:1/a", "json://127.0.0.1:1/b"], env={})
    assert [t.label for t in ts] == ["#1 json://127.0.0.1:1", "#2 json://127.0.0.1:1"]


@pytest.mark.parametrize("url,secrets", [
    (f"tgram://{TG_KEY}/-1001234567", (TG_KEY, TG_KEY.split(":")[1])),
    (f"zalo://{ZALO_KEY}/chat42", (ZALO_KEY, ZALO_KEY.split(":")[1])),
    (f"slack://{SLACK[0]}/{SLACK[1]}/{SLACK[2]}/#general", SLACK),
    (f"discord://4174216298/{DISCORD_TOKEN}", (DISCORD_TOKEN,)),
    (f"mailtos://shop:{PASSWORD}@gmail.com", (PASSWORD,)),
    (f"json://127.0.0.1:9/hooks/{PATH_KEY}", (PATH_KEY,)),
    (f"json://127.0.0.1:9/hooks?token={PATH_KEY}", (PATH_KEY,)),
])
def test_the_secrets_of_a_url_are_masked_everywhere_and_the_label_shows_none(url, secrets):
    (target,) = notify.targets([url], env={})
    text = f"error at {url}: POST /bot{secrets[0]}/sendMessage failed; key {secrets[-1]}"
    for s in secrets:
        assert s not in redact(text)
        assert s not in target.label and s not in repr(target)
    assert target.label.startswith("#1 " + url.split("://")[0])
    assert url not in repr(target) and target.key not in url


def test_a_url_apprise_cannot_use_fails_alone_and_leaks_nothing(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    bad = f"zalo://not-a-valid-{ZALO_KEY.split(':')[1]}/chat"   # an invalid bot token: refused
    ts = notify.targets([bad, "nosuchservice://" + PATH_KEY, receiver.url("/ok")], env={})
    out = notify.send(message(), ts)
    assert [d.ok for d in out] == [False, False, True]
    assert out[0].error and i18n.t("notify.bad_url", "en") in out[0].error
    assert len(receiver.posts("/ok")) == 1
    assert_no_canary(*(str(d) for d in out), caplog.text, *(t.label for t in ts))


# --- the message: formats and limits ---------------------------------------------------------------

def test_plain_text_has_the_title_bullets_and_the_link():
    text = message().text()
    lines = text.splitlines()
    assert lines[0] == "Digest *title*" and "• total 0" in lines and "• flag number 1 about page_1" in lines
    assert lines[-1] == "Details: https://dash.example.com/overview?pages=a,b&lang=en"


def test_markdown_escapes_names_but_never_the_link():
    title, body = message().render(markdown=True, title_in_body=True)
    assert title == "" and body.startswith("Digest \\*title\\*\n")     # escaped: never inside bold
    assert "- flag number 1 about page\\_1" in body and "**Flags**" in body
    assert body.endswith("Details: https://dash.example.com/overview?pages=a,b&lang=en")
    title, body = message().render(markdown=False, title_in_body=False)
    assert title == "Digest *title*" and "Digest" not in body


def test_a_long_message_loses_the_least_important_lines_first_down_to_what_is_kept():
    msg = message(n_items=200)
    full = msg.text()
    limit = 900
    _, body = msg.render(limit=limit, title_in_body=True)
    assert len(full) > limit >= len(body)
    # the flags (drop 0) go first, down to their 2 kept lines, then the pages
    assert "• flag number 1 about page_1" in body and "• flag number 2 about page_2" not in body
    assert i18n.t("notify.more", "en", n=198) in body
    assert "• total 2" in body and body.rstrip().endswith("lang=en")
    assert i18n.t("kiosk.attention.more", "en", n=200 - body.count("• page ")) in body
    # nothing left to drop: cut, never over the limit
    _, tiny = msg.render(limit=60, title_in_body=True)
    assert len(tiny) <= 60 and tiny.endswith("…")


def test_each_channel_gets_its_format_and_limit():
    import apprise
    obj = apprise.Apprise()
    for url in ("json://127.0.0.1:9/x", f"tgram://{TG_KEY}/-100123", f"zalo://{ZALO_KEY}/chat",
                f"slack://{SLACK[0]}/{SLACK[1]}/{SLACK[2]}/#general"):
        notify.protect(url)
        assert obj.add(url)
    json_ch, tg, zalo, slack = (notify.channel(p) for p in obj)
    assert not json_ch.markdown and json_ch.title
    assert tg.markdown and tg.limit == int(4096 * notify.HTML_MARGIN) and not tg.title
    assert zalo.markdown and zalo.limit == 2000 and not zalo.title
    assert slack.markdown and slack.title


# --- sending ----------------------------------------------------------------------------------------

def test_json_webhook_receives_title_and_message_and_the_password_is_used_not_shown(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    (t,) = notify.targets([receiver.url(f"/hook/{PATH_KEY}", auth=f"shop:{PASSWORD}")], env={})
    (d,) = notify.send(message(), [t])
    assert d.ok and d.error is None
    (req,) = receiver.posts("/hook")
    assert PATH_KEY in req.path and req.headers.get("Authorization", "").startswith("Basic ")
    assert req.json["title"] == "Digest *title*"
    assert req.json["message"] == message().render(markdown=False)[1]
    assert_no_canary(str(d), t.label, caplog.text)


def test_a_failing_channel_does_not_stop_the_others_and_its_reason_is_safe(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    ts = notify.targets([receiver.url(f"/fail/{PATH_KEY}"), receiver.url("/ok"),
                         f"json://127.0.0.1:1/{PATH_KEY}x"], env={})    # port 1: refused
    out = notify.send(message(), ts)
    assert [d.ok for d in out] == [False, True, False]
    assert "500" in out[0].error
    assert len(receiver.posts("/ok")) == 1 and len(receiver.posts("/fail")) == 1
    assert_no_canary(*(str(d) for d in out), caplog.text)


@pytest.fixture
def bots_on_loopback(monkeypatch, receiver):
    """Telegram's and Zalo's plugins post to the receiver instead of their services."""
    from apprise.plugins.telegram import NotifyTelegram
    from apprise.plugins.zalo import NotifyZalo
    monkeypatch.setattr(NotifyTelegram, "notify_url", f"http://127.0.0.1:{receiver.port}/tg/bot")
    monkeypatch.setattr(NotifyZalo, "notify_url", f"http://127.0.0.1:{receiver.port}/zalo/bot{{token}}/sendMessage")
    return receiver


def test_telegram_and_zalo_get_markdown_within_their_limits_and_their_bot_keys_stay_hidden(bots_on_loopback,
                                                                                           caplog):
    caplog.set_level(logging.DEBUG)
    receiver = bots_on_loopback
    ts = notify.targets([f"tgram://{TG_KEY}/-1001234567", f"zalo://{ZALO_KEY}/chat42"], env={})
    out = notify.send(message(n_items=400), ts)
    assert all(d.ok for d in out), [str(d) for d in out]
    (tg,) = receiver.posts("/tg/")
    (zl,) = receiver.posts("/zalo/")
    assert TG_KEY in tg.path and ZALO_KEY in zl.path          # the keys were used ...
    assert_no_canary(*(str(d) for d in out), caplog.text, *(t.label for t in ts))   # ... and never shown
    zalo_text = zl.json["text"]
    assert len(zalo_text) <= 2000 and zalo_text.startswith("Digest \\*title\\*\n")
    assert out[1].length == len(zalo_text)
    assert len(tg.json["text"]) <= 4096 and tg.json["parse_mode"].lower() == "markdown"
    assert "*Totals*" in tg.json["text"]   # apprise's Telegram Markdown: bold is one star


def test_a_failing_bot_reports_a_reason_without_its_key(bots_on_loopback, caplog):
    caplog.set_level(logging.DEBUG)
    receiver = bots_on_loopback
    from apprise.plugins.zalo import NotifyZalo
    NotifyZalo.notify_url = f"http://127.0.0.1:{receiver.port}/fail/bot{{token}}/sendMessage"
    (d,) = notify.send(message(), notify.targets([f"zalo://{ZALO_KEY}/chat42"], env={}))
    assert not d.ok and d.error
    assert len(receiver.posts("/fail/")) == 1
    assert_no_canary(str(d), caplog.text)


# --- timeouts and unknown outcomes (issue 23) --------------------------------------------------------

def test_a_channel_connects_within_5_s_and_has_30_s_to_answer_unless_its_url_says_otherwise():
    import apprise
    for url, expected in ((f"json://127.0.0.1:9/{PATH_KEY}", (5.0, 30.0)),
                          ("json://127.0.0.1:9/x?rto=2", (5.0, 2.0)),
                          ("json://127.0.0.1:9/x?cto=1&rto=90", (1.0, 90.0))):
        obj = apprise.Apprise()
        assert obj.add(url)
        assert notify.set_timeouts(obj[0], url) == expected
        assert (obj[0].socket_connect_timeout, obj[0].socket_read_timeout) == expected


def test_a_webhook_answering_after_4_s_is_sent_once_and_ok(receiver):
    receiver.delay = 4.5                  # apprise's own read timeout (4 s) called this a connection error
    (t,) = notify.targets([receiver.url(f"/slow/{PATH_KEY}")], env={})
    (d,) = notify.send(message(), [t])
    assert d.ok and d.outcome == "sent" and not d.unknown
    assert len(receiver.posts("/slow/")) == 1


def test_no_answer_after_sending_is_an_unknown_outcome_a_refused_connection_a_failure(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.delay = 2.0
    ts = notify.targets([receiver.url(f"/slow/{PATH_KEY}?rto=0.5"), f"json://127.0.0.1:1/{PATH_KEY}x",
                         receiver.url(f"/fail/{PATH_KEY}")], env={})
    slow, refused, failing = notify.send(message(), ts)
    assert (slow.ok, slow.outcome, slow.unknown) == (False, "unknown", True)
    assert slow.error == "sent, but no answer within 0.5 s: the message may have arrived"
    assert (refused.outcome, failing.outcome) == ("failed", "failed")   # safe to send again
    assert len(receiver.posts("/slow/")) == 1
    assert_no_canary(str(slow), str(refused), str(failing), caplog.text)
    vi = notify.send(message(lang="vi"), ts[:1])[0]
    assert vi.error == "đã gửi nhưng không có trả lời sau 0.5 giây: tin có thể đã đến"


# --- every part of a URL that can carry a secret (issue 23) ------------------------------------------

@pytest.mark.parametrize("path,hidden", [
    ("/path/s3cr3t", ("s3cr3t", "/path/s3cr3t")),                   # a short key with a digit
    ("/hooks/qwertyzx", ("/hooks/qwertyzx",)),                      # letters only: the path as logged
    ("/in?sig=abcd&topic=plainword", ("abcd", "plainword")),        # the query, every value of it
])
def test_a_secret_in_the_path_or_query_never_reaches_the_debug_logs(receiver, caplog, path, hidden):
    caplog.set_level(logging.DEBUG)
    for name in ("", "apprise", "urllib3", "urllib3.connectionpool"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    url = receiver.url(path, auth="usr9x:pw-Kx7q")
    (t,) = notify.targets([url], env={})
    (d,) = notify.send(message(), [t])
    assert d.ok
    (req,) = receiver.requests
    assert req.path.startswith(path.split("?")[0])                  # the key was used ...
    assert "JSON POST URL" in caplog.text                           # ... apprise logged where it posted ...
    for secret in (*hidden, "usr9x", "pw-Kx7q"):                   # ... and no part of it shows
        assert secret not in caplog.text and secret not in t.label and secret not in str(d)


def test_the_secret_of_a_path_is_masked_and_the_words_of_a_service_path_are_not():
    notify.protect("json://127.0.0.1:9/hooks/s3cr3tW0rd?token=zz11")
    text = redact("POST /hooks/s3cr3tW0rd?token=zz11 sent to hooks at /hooks; s3cr3tW0rd")
    assert "s3cr3tW0rd" not in text and "zz11" not in text
    assert text.endswith("sent to hooks at /hooks; ***")


# --- names from the API arrive as written (issue 23) -------------------------------------------------

HOSTILE = "**B** [lnk](http://x) <b>bold</b> ![i](http://x/t.png) &amp; _i_ `c` # h | ~s~ \\"


def hostile_message(name, lang="en"):
    return notify.Message(f"Digest · {name}", [
        notify.Section("Flags", [f"page {name} is silent", f"ad “{name}” spent"], keep=2),
    ], footer=["Details: https://dash.example.com/overview?pages=1&lang=en"], lang=lang)


def test_a_hostile_name_is_escaped_for_markdown_and_literal_in_plain_text():
    _, md = hostile_message(HOSTILE).render(markdown=True, title_in_body=True)
    assert md.splitlines()[0] == ("Digest · \\*\\*B\\*\\* \\[lnk\\](http://x) \\<b\\>bold\\</b\\> !\\[i\\](http://x/t.png) "
                                  "&amp; \\_i\\_ \\`c\\` \\# h \\| \\~s\\~ \\\\")
    title, text = hostile_message(HOSTILE).render(markdown=False)
    assert title == f"Digest · {HOSTILE}" and f"• page {HOSTILE} is silent" in text.splitlines()
    # a line break in a name never makes a line (or a bullet) of its own
    _, text = hostile_message("Shop\n• FAKE FLAG\r\n# big").render(markdown=False, title_in_body=True)
    assert "• page Shop • FAKE FLAG # big is silent" in text.splitlines()
    assert not any(ln.startswith("• FAKE") or ln.startswith("# big") for ln in text.splitlines())
    # the footer's link is left as it is
    assert md.splitlines()[-1] == "Details: https://dash.example.com/overview?pages=1&lang=en"


def _html_of(markdown_text):
    """What apprise makes of Markdown for an HTML channel (email, Telegram): (tags, visible text)."""
    import html
    from html.parser import HTMLParser

    from apprise.conversion import convert_between
    tags, texts = [], []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, tuple(attrs)))

        def handle_data(self, data):
            texts.append(data)

    P(convert_charrefs=True).feed(convert_between("markdown", "html", markdown_text))
    return tags, html.unescape("".join(texts))


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NAME_PARTS = st.sampled_from(["**", "*", "_", "__", "`", "```", "[", "]", "(", ")", "![i](http://x/t.png)",
                              "[lnk](http://x)", "<b>", "</b>", "<img src=x onerror=alert(1)>", "<a href='x'>",
                              "&amp;", "&lt;", "&#60;", "#", "## ", "> ", "- ", "1. ", "|", "~~", "\\", "\\*",
                              ":red[RED]", "$x^2$", "http://bare.example/p", "@everyone", " ", "Shop", "Linh Chi",
                              "Cửa hàng", "😀", "\n", "\t", "<", ">", "&", "=", "==", "---", "+", "!", "{", "}"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAME_PARTS, min_size=1, max_size=12).map("".join))
def test_any_name_arrives_as_written_through_markdown_to_html(name):
    msg = hostile_message(name)
    _, md = msg.render(markdown=True, title_in_body=True)
    tags, text = _html_of(md)
    # only the message's own structure: a list of plain items, no link, image, emphasis or raw HTML
    assert {t for t, _ in tags} <= {"p", "ul", "li", "strong", "br"} and all(not attrs for _, attrs in tags)
    import html
    flat = " ".join(text.split())
    shown = html.unescape(notify.one_line(name))          # an entity may show as its character
    assert " ".join(f"page {shown} is silent".split()) in flat
    assert " ".join(f"ad “{shown}” spent".split()) in flat
    assert flat.startswith(" ".join(f"Digest · {shown}".split()))
    # plain text: literally, on one line
    _, plain = msg.render(markdown=False, title_in_body=True)
    assert f"• page {notify.one_line(name)} is silent" in plain.splitlines()


def test_discord_renders_plain_text_as_markdown_so_it_gets_escaped_markdown_with_the_title_inside(receiver):
    import apprise
    from apprise.plugins.discord import NotifyDiscord
    obj = apprise.Apprise()
    url = f"discord://4174216298/{DISCORD_TOKEN}"
    notify.protect(url)
    assert obj.add(url)
    assert notify.channel(obj[0]) == notify.Channel(markdown=True, limit=2000, title=False)
    old = NotifyDiscord.notify_url
    NotifyDiscord.notify_url = f"http://127.0.0.1:{receiver.port}/discord"
    try:
        (d,) = notify.send(hostile_message(HOSTILE), notify.targets([url], env={}))
    finally:
        NotifyDiscord.notify_url = old
    assert d.ok, str(d)
    content = receiver.posts("/discord")[0].json["content"]
    assert "[lnk](http://x)" not in content and "**B**" not in content and "<b>" not in content
    assert content.startswith("Digest · \\*\\*B\\*\\* \\[lnk\\](http://x) \\<b\\>")


PNG = b"\x89PNG\r\n\x1a\n" + b"picture bytes"


def test_a_picture_goes_with_the_message_where_the_channel_takes_files_and_the_text_alone_elsewhere(
        bots_on_loopback):
    receiver = bots_on_loopback
    ts = notify.targets([receiver.url("/hook"), f"tgram://{TG_KEY}/-1001234567", f"zalo://{ZALO_KEY}/chat42"],
                        env={})
    out = notify.send(message(), ts, attachment=notify.Attachment("standup.png", PNG))
    assert [d.ok for d in out] == [True, True, True], [str(d) for d in out]
    assert [d.attached for d in out] == [True, True, False]      # Zalo's plugin takes no file
    (hook,) = receiver.posts("/hook")
    (att,) = hook.json["attachments"]
    assert (att["filename"], att["mimetype"]) == ("standup.png", "image/png")
    assert base64.b64decode(att["base64"]) == PNG
    tg = receiver.posts("/tg/")
    assert any(b"standup.png" in r.body and PNG in r.body for r in tg)   # sendPhoto/sendDocument, multipart
    (zl,) = receiver.posts("/zalo/")
    assert zl.json["text"].startswith("Digest")                      # the text, as without a picture


def test_without_a_picture_nothing_is_attached(receiver):
    (d,) = notify.send(message(), notify.targets([receiver.url("/plain")], env={}))
    assert d.ok and not d.attached
    (hook,) = receiver.posts("/plain")
    assert not hook.json.get("attachments")
