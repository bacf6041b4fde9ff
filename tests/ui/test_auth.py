"""The gate (ui/auth.py) in AppTest: nothing but the sign-in form before sign-in, a viewer sees
only their pages whatever the URL says, Settings is for admins, a kiosk key opens only its
standup screen and a wrong one nothing, echoed input never becomes markup, and no canary
password or key reaches the screen."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from pancake import i18n
from pancake.api.simulator import DEMO_PAGES
from pancake.delivery import access
from tests.conftest import ROOT, drawn_text
from tests.pancake.test_access import Clock
from ui import cache

PW = "CANARY-PASSWORD-5e1f9a"
VIEWER_PW = "CANARY-VIEWER-PW-22d0"
KEY = "CANARY-KIOSK-KEY-0b7c"
A, B = DEMO_PAGES[0], DEMO_PAGES[1]
OTHERS = [p for p in DEMO_PAGES if p.id != A.id]


texts = drawn_text


def run(params=None, timeout=30) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    return at


@pytest.fixture
def access_file(tmp_path, monkeypatch):
    path = tmp_path / "access.toml"
    path.write_text(f'''
[[viewer]]
name = "Shop A"
password_hash = "{access.hash_secret(VIEWER_PW)}"
pages = ["{A.id}"]

[[kiosk]]
name = "TV"
key_hash = "{access.hash_secret(KEY)}"
pages = ["{B.id}"]
''', encoding="utf-8")
    monkeypatch.setenv("PANCAKE_ACCESS_FILE", str(path))
    monkeypatch.setenv("PANCAKE_DASHBOARD_PASSWORD", PW)
    yield path


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    if at.text_input(key="w_auth_name") is not None and name:
        at.text_input(key="w_auth_name").input(name)
    at.text_input(key="w_auth_password").input(password)
    submit = [b for b in at.button if "FormSubmitter" in b.id]
    (submit[0] if submit else at.button[0]).click().run()
    return at


def test_nothing_but_the_sign_in_form_before_sign_in(access_file):
    at = run({"pages": A.id, "range": "last_7"})
    body = texts(at)
    assert i18n.t("auth.title", "vi") in body
    for page in DEMO_PAGES:
        assert page.name not in body and page.id not in body
    assert not at.metric and not at.sidebar.children and not at.dataframe
    assert PW not in body and VIEWER_PW not in body


def test_a_wrong_password_is_refused_and_the_shared_one_lets_the_owner_in(access_file):
    at = run({"lang": "en"})
    sign_in(at, "Shop A", "wrong")
    assert i18n.t("auth.failed", "en") in texts(at)
    assert not at.metric
    sign_in(at, "", PW)
    body = texts(at)
    assert at.metric                                     # the overview's cards
    assert at.toggle(key="w_all").label == i18n.t("sb.all_pages", "en", n=len(DEMO_PAGES))  # every page
    at.switch_page("app_pages/settings.py").run()        # and Settings
    assert i18n.t("set.recheck", "en") in texts(at)
    assert PW not in body


def test_a_viewer_sees_only_their_pages_whatever_the_url_says(access_file):
    at = run({"lang": "en", "pages": ",".join(p.id for p in DEMO_PAGES)})
    sign_in(at, "shop a", VIEWER_PW)
    body = texts(at)
    assert at.metric and A.name in body
    assert at.toggle(key="w_all").label == i18n.t("sb.all_pages", "en", n=1)
    for p in OTHERS:
        assert p.name not in body                        # never named, not even in the notice
    assert i18n.t("auth.signed_in_as", "en", name="Shop A") in body
    assert VIEWER_PW not in body
    assert cache.SCOPE not in body


def test_a_viewer_opening_settings_directly_is_stopped(access_file):
    at = run({"lang": "en"})
    sign_in(at, "Shop A", VIEWER_PW)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/settings.py")        # not even registered for a viewer
    # and the page stops by itself for anyone who is not an admin
    settings = (ROOT / "app_pages" / "settings.py").read_text()
    assert settings.index("auth.require_admin()") < settings.index("open_page(")


def test_a_kiosk_key_opens_only_its_standup_screen_and_a_wrong_key_nothing(access_file):
    at = run({"kiosk": "1", "key": KEY, "lang": "en"})
    body = texts(at)
    assert i18n.t("kiosk.title", "en") in body and at.metric
    assert KEY not in body
    for p in DEMO_PAGES:
        if p.id != B.id:
            assert p.name not in body
    wrong = run({"kiosk": "1", "key": "nope", "lang": "en"})
    assert texts(wrong).strip() == "" or i18n.t("kiosk.title", "en") not in texts(wrong)
    assert not wrong.metric and not wrong.text_input   # nothing at all, not even a form


def test_the_sign_out_button_closes_the_session(access_file):
    at = run({"lang": "en"})
    sign_in(at, "", PW)
    assert at.metric
    at.button(key="w_sign_out").click().run()
    assert not at.metric and i18n.t("auth.title", "en") in texts(at)


def test_a_broken_access_file_closes_the_dashboard_with_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "access.toml"
    path.write_text('[[viewer]]\nname = "A"\npassword = "CANARY-PASSWORD-5e1f9a"\npages = ["1"]\n')
    monkeypatch.setenv("PANCAKE_ACCESS_FILE", str(path))
    at = run({"lang": "en"})
    body = texts(at)
    assert "never a password" in body and PW not in body
    assert not at.metric and not at.sidebar.children


def test_with_no_gate_the_dashboard_stays_open():
    at = run({"lang": "en"})
    assert at.metric and i18n.t("auth.title", "en") not in texts(at)
    assert i18n.t("auth.open_warning", "en") not in texts(at)      # demo data: no warning


@pytest.mark.parametrize("value", [
    "![x](http://evil.test/track.png)", "[Your token expired - CLICK HERE](http://evil.test/)",
    "<img src=http://evil.test/a.png>", ":red[**boom**]", "`code` $x^2$",
])
def test_echoed_standup_values_never_become_markup(value):
    # one page (the one with the fewest conversations): the echo does not depend on the data, and
    # the run stays well inside its timeout on a busy machine
    at = run({"kiosk": "1", "theme": value, "section": value, "rotate": value, "lang": "en",
              "pages": DEMO_PAGES[4].id})
    echoed = 0
    for md in list(at.markdown) + list(at.caption) + list(at.warning) + list(at.error):
        text = md.value
        if r"evil\.test" in text or "boom" in text or r"x\^2" in text:
            echoed += 1
            # escaped as text (fmt.literal): never a link, image, colour, formula or bare URL
            bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", text)          # the escaped marks taken out
            assert not any(bad in bare for bad in ("](", "<", ":red[", "$", "evil.test"))
            assert "://" not in text.replace("\\", "")
    assert echoed, "the ignored values are named on screen (as plain text)"


PAGES = ["overview", "engagement", "staff", "conversations", "ads", "tags", "customers", "activity", "settings"]


def test_no_canary_password_or_key_on_any_page_or_in_the_logs(access_file, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    at = run({"lang": "en"})
    sign_in(at, "", PW)
    seen = []
    for name in PAGES:
        at.switch_page(f"app_pages/{name}.py").run()
        assert not at.exception, name
        seen.append(texts(at))
    kiosk = run({"kiosk": "1", "key": KEY})
    seen.append(texts(kiosk))
    everything = "\n".join(seen) + caplog.text
    for canary in (PW, VIEWER_PW, KEY):
        assert canary not in everything


# --- issue 20 / 23: failing closed, throttles, ended sessions, deep links -------------------------

@pytest.mark.parametrize("text", ["", "[[kiosk]]\nname = \"TV\"\nkey_hash = \"{kh}\"\npages = [\"{b}\"]\n",
                                  "[[viewers]]\nname = \"A\"\nemail = \"a@b.vn\"\npages = [\"*\"]\n"])
def test_an_access_file_that_grants_nobody_keeps_the_dashboard_closed(tmp_path, monkeypatch, text):
    path = tmp_path / "access.toml"
    path.write_text(text.format(kh=access.hash_secret(KEY), b=B.id), encoding="utf-8")
    monkeypatch.setenv("PANCAKE_ACCESS_FILE", str(path))
    at = run({"lang": "en", "pages": A.id})
    body = texts(at)
    assert not at.metric and not at.sidebar.children and not at.dataframe
    for page in DEMO_PAGES:
        assert page.name not in body
    if "viewers" in text:        # a misspelt table: the error names it and its line
        shown = " ".join(e.value for e in at.error).replace("\\", "")     # the message is escaped markdown
        assert "line 1: unknown table or key 'viewers'" in shown
    else:
        assert i18n.t("auth.nobody_granted", "en") in body
    if "kiosk" in text:          # the TV still opens with its key
        tv = run({"kiosk": "1", "key": KEY, "lang": "en"})
        assert tv.metric and i18n.t("kiosk.title", "en") in texts(tv)


def test_a_wrong_kiosk_key_is_a_clear_sentence_and_guessing_is_slowed(access_file, monkeypatch):
    from ui import auth
    clock = Clock()
    slept = clock.slept
    monkeypatch.setattr(auth, "THROTTLE", access.Throttle(free=2, cap=30, clock=clock, sleep=clock.sleep))
    for i in range(4):
        wrong = run({"kiosk": "1", "key": f"guess-{i}", "lang": "en"})
        assert [e.value for e in wrong.error] == [i18n.t("auth.kiosk_wrong", "en")]
        assert not wrong.metric and not wrong.text_input
    assert slept == [1.0, 2.0]                  # the 3rd and 4th wrong keys wait 1 s, then 2 s
    tv = run({"kiosk": "1", "key": KEY, "lang": "en"})     # the right key also waits (4 failures: 4 s) ...
    assert slept == [1.0, 2.0, 4.0] and tv.metric
    run({"kiosk": "1", "key": KEY, "lang": "en"})          # ... but once known it never waits again
    assert slept == [1.0, 2.0, 4.0]


def test_an_insiders_own_sign_ins_do_not_reset_guessing_at_another_name(tmp_path, monkeypatch):
    from ui import auth
    path = tmp_path / "access.toml"
    path.write_text(f'''
[[viewer]]
name = "Shop A"
password_hash = "{access.hash_secret(VIEWER_PW)}"
pages = ["{A.id}"]

[[viewer]]
name = "Boss"
password_hash = "{access.hash_secret(PW)}"
pages = ["*"]
role = "admin"
''', encoding="utf-8")
    monkeypatch.setenv("PANCAKE_ACCESS_FILE", str(path))
    clock = Clock()
    slept = clock.slept
    monkeypatch.setattr(auth, "THROTTLE", access.Throttle(free=1, cap=30, clock=clock, sleep=clock.sleep))
    for _ in range(3):       # own sign-in, then a guess at the boss, same address
        assert sign_in(run({"lang": "en"}), "Shop A", VIEWER_PW).metric
        assert not sign_in(run({"lang": "en"}), "Boss", "guess").metric
    # before: each own sign-in cleared the address's count, so no guess ever waited
    assert slept == [1.0, 1.0, 2.0, 2.0]


def test_signing_out_in_one_tab_ends_the_other_tabs(access_file):
    one = sign_in(run({"lang": "en"}), "Shop A", VIEWER_PW)
    two = sign_in(run({"lang": "en"}), "shop a", VIEWER_PW)
    assert one.metric and two.metric
    one.button(key="w_sign_out").click().run()
    assert not one.metric
    two.run()                                   # the other tab's next run
    assert not two.metric and not two.sidebar.children
    assert i18n.t("auth.ended", "en") in texts(two) and i18n.t("auth.title", "en") in texts(two)
    assert sign_in(two, "Shop A", VIEWER_PW).metric   # signing in again works


def test_removing_a_viewer_ends_their_open_tab(access_file):
    at = sign_in(run({"lang": "en"}), "Shop A", VIEWER_PW)
    assert at.metric
    text = access_file.read_text(encoding="utf-8")
    access_file.write_text(text.replace('name = "Shop A"', 'name = "Shop B"'), encoding="utf-8")
    at.run()
    assert not at.metric and i18n.t("auth.ended", "en") in texts(at)


def test_a_deep_link_outside_the_scope_shows_the_linked_page_and_says_an_id_was_left_out(access_file):
    from tests.conftest import app_test
    at = app_test("app_pages/staff.py", params={"lang": "en", "pages": f"{A.id},{B.id}"})
    sign_in(at, "Shop A", VIEWER_PW)
    body = texts(at)
    assert not at.exception
    assert [t.value for t in at.title] == [i18n.t("nav.staff", "en")]     # the page the link names
    shown_id = B.id.replace("_", "\\_")                                   # as text: igo\_1784...
    assert any(shown_id in w.value for w in at.warning)                  # the id is named ...
    assert B.name not in body                                             # ... never its page
    assert dict(at.query_params)["pages"] == A.id


def test_removing_a_kiosk_ends_its_tv(access_file):
    tv = run({"kiosk": "1", "key": KEY, "lang": "en"})
    assert tv.metric
    text = access_file.read_text(encoding="utf-8")
    access_file.write_text(text.split("[[kiosk]]")[0], encoding="utf-8")
    tv.run()                                    # the TV's next refresh
    assert not tv.metric and [e.value for e in tv.error] == [i18n.t("auth.kiosk_wrong", "en")]


def test_a_key_whose_turn_is_too_far_away_is_refused_unchecked_in_one_sentence(access_file, monkeypatch):
    from ui import auth
    clock = Clock()
    monkeypatch.setattr(auth, "THROTTLE", access.Throttle(free=0, cap=30, clock=clock, sleep=clock.sleep,
                                                          max_wait=1))
    first = run({"kiosk": "1", "key": "guess-1", "lang": "en"})
    assert [e.value for e in first.error] == [i18n.t("auth.kiosk_wrong", "en")]
    checked = []
    monkeypatch.setattr(access.AccessConfig, "kiosk", lambda self, key: checked.append(key))
    second = run({"kiosk": "1", "key": "guess-2", "lang": "en"})    # its turn is 2 s away: over 1 s
    assert [e.value for e in second.error] == [i18n.t("auth.too_many", "en")]
    assert checked == [] and not second.metric
