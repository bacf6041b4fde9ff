"""One escaping rule (``fmt.literal``) for every text from Pancake or the URL wherever Streamlit
renders markdown (issue 23): names and link parameters carrying markdown, HTML, LaTeX, colour
directives and bare URLs are shown as they read, on the header caption, the TV, the Tags card,
the conversations warnings and the "Filtered:" box."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pancake import fmt
from pancake.api.simulator import DEMO_PAGES
from tests.conftest import app_test

WJ = "\u2060"
PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
HOSTILE = ("**B** ![i](http://evil.test/t.png) [lnk](http://evil.test/x) :red[RED] $x^2$ "
           "<img src=http://evil.test/a.png> www.evil.test a@evil.test")
# the same, escaped by hand
HOSTILE_SHOWN = ("\\*\\*B\\*\\* \\!\\[i\\]\\(http\\:" + WJ + "\\/\\/evil\\.test\\/t\\.png\\) "
                 "\\[lnk\\]\\(http\\:" + WJ + "\\/\\/evil\\.test\\/x\\) \\:red\\[RED\\] \\$x\\^2\\$ "
                 "\\<img src\\=http\\:" + WJ + "\\/\\/evil\\.test\\/a\\.png\\> www" + WJ + "\\.evil\\.test "
                 "a" + WJ + "\\@evil\\.test")

pieces = st.sampled_from(["**", "__", "*", "_", "~~", "`", "```", "[", "]", "(", ")", "![", "](", "<", ">",
                          "<img src=x>", "<a href='http://e.vn'>", "$", "$$", "\\(", "\\[", ":red[", ":blue-background[",
                          ":material/home:", ":smile:", "http://evil.test/p?q=1&r=2", "https://x.vn", "www.evil.test",
                          "mailto:a@b.vn", "a@b.vn", "# ", "> ", "- ", "1. ", "|", "---", "\\", "&amp;", "&#60;",
                          "\n", "\r\n", "\t", "\x00", "Khách mới", "Đã chốt", " ", "x", "^", "{", "}", "=", "%"])
texts = st.lists(st.one_of(pieces, st.text(max_size=6)), max_size=12).map("".join)


def readable(text: str) -> str:
    """What a reader sees of the escaped form: escapes undone, the word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", text).replace(WJ, "")


@settings(max_examples=400, deadline=None)
@given(texts)
def test_literal_escapes_every_mark_and_reads_as_the_original(text):
    shown = fmt.literal(text)
    i = 0
    while i < len(shown):       # every ASCII punctuation mark comes escaped, nothing else is
        if shown[i] == "\\":
            assert i + 1 < len(shown) and shown[i + 1] in PUNCT
            i += 2
            continue
        assert shown[i] not in PUNCT and shown[i] not in "\n\r\x00"
        i += 1
    assert readable(shown) == re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text.replace(WJ, "")) or WJ in text
    # no bare URL or address for GFM to autolink (it works on the text after escapes)
    plain = shown.replace("\\", "")
    assert "://" not in plain and not re.search(r"(?i)www\.", plain) and not re.search("[^" + WJ + "]@|^@", plain)


def test_literal_by_hand():
    assert fmt.literal(HOSTILE) == HOSTILE_SHOWN
    assert fmt.literal(None) == "" and fmt.literal(12.5) == "12\\.5"
    assert fmt.literal("Thời Trang Linh Chi") == "Thời Trang Linh Chi"


# --- in the app: hostile names from the simulator -----------------------------------------------------

def no_markup(text: str) -> bool:
    """No markup left once the escaped marks are taken out (``\\<img`` is text; ``<img`` is not),
    and no bare URL or address for the autolinker."""
    if "evil" not in text:
        return True                     # our own strings (their markdown is ours)
    text = re.sub(r"^:[a-z]+\[:material/[a-z_]+:\]|:material/[a-z_]+:", "", text)   # our own icons
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", text)
    unescaped = text.replace("\\", "")
    return (not any(bad in bare for bad in ("](", "<", ":red[", "$", "**"))
            and "://" not in unescaped and not re.search(r"(?i)www\.", unescaped)
            and not re.search("[^" + WJ + "]@", unescaped))


def bodies(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "warning", "info", "error", "success", "title", "subheader"):
        out += [e.value for e in getattr(at, kind)]
    out += [m.label for m in at.metric]
    return out


@pytest.fixture
def hostile(monkeypatch):
    import pancake.api.simulator as simulator
    from pancake.api.simulator import _data
    pages = [replace(p, name=f"{HOSTILE} {i}") for i, p in enumerate(DEMO_PAGES)]
    tags = [(HOSTILE if i == 1 else text, *rest) for i, (text, *rest) in enumerate(_data.TAG_DEFS)]

    class HostileSimulator(simulator.Simulator):
        def __init__(self, **kw):
            kw.setdefault("pages", [replace(p, tags=tuple(tags)) for p in pages])
            super().__init__(**kw)
    monkeypatch.setattr(simulator, "Simulator", HostileSimulator)
    return pages


def check(at, must_show: str) -> None:
    assert not at.exception
    shown = bodies(at)
    assert any(must_show in b for b in shown), shown
    bad = [b for b in shown if not no_markup(b)]
    assert bad == []


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/staff.py", "app_pages/tags.py"])
def test_a_hostile_page_name_in_the_header_caption_is_text(hostile, page):
    at = app_test(page, params={"pages": hostile[0].id, "lang": "en", "range": "last_7"}, timeout=60)
    check(at, HOSTILE_SHOWN + " 0")


def test_a_hostile_tag_name_on_the_tags_card_is_text(hostile):
    at = app_test("app_pages/tags.py", params={"pages": hostile[0].id, "lang": "en", "range": "last_30"}, timeout=60)
    check(at, "Most used tag: " + HOSTILE_SHOWN)


def test_hostile_names_on_the_tv_are_text(hostile):
    at = app_test(params={"kiosk": "1", "pages": hostile[0].id, "lang": "en"}, timeout=90)
    check(at, HOSTILE_SHOWN + " 0")


def test_a_capped_conversations_warning_names_hostile_pages_as_text(hostile, monkeypatch):
    from pancake.data import conversations as dc
    monkeypatch.setattr(dc, "MAX_TOTAL", 5)
    at = app_test("app_pages/conversations.py", params={"pages": hostile[0].id, "lang": "en", "range": "last_7"},
                  timeout=90)
    check(at, HOSTILE_SHOWN + " 0")
    assert any(HOSTILE_SHOWN + " 0" in w.value for w in at.warning)


def test_a_phishing_drill_link_is_shown_as_text():
    drill = "tag:[Your session expired - sign in again](http://evil.test/phish) ![i](http://evil.test/t.png)"
    at = app_test("app_pages/conversations.py", params={"lang": "en", "range": "last_7", "drill": drill},
                  timeout=90)
    assert not at.exception
    filtered = [i.value for i in at.info if i.value.startswith("Filtered")]
    assert filtered and all(no_markup(f) for f in filtered)
    assert ("\\[Your session expired \\- sign in again\\]\\(http\\:" + WJ + "\\/\\/evil\\.test\\/phish\\)"
            in filtered[0])
