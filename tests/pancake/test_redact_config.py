"""config.py, redact.py, errors.py and timeutil.py."""
from __future__ import annotations

import logging
import pickle
from datetime import date, datetime

import pytest

from pancake import config, redact, timeutil
from pancake.api import errors
from pancake.config import ConfigError, Settings, load_settings, parse_page_tokens

TOK = "CANARY-CFG-5b7d1f3a9e"
PTOK = "CANARY-CFGPAGE-8c2e4a6f0d"


# --------------------------------------------------------------------------- config

def test_env_wins_over_secrets_and_defaults():
    env = {"PANCAKE_ACCESS_TOKEN": TOK, "PANCAKE_TIMEZONE": "Asia/Bangkok"}
    secrets = {"PANCAKE_ACCESS_TOKEN": "SECRET-OTHER-1234", "PANCAKE_PAGE_TOKENS": f"p1:{PTOK}",
               "PANCAKE_BASE_URL": "https://example.test/api/"}
    s = load_settings(env, secrets)
    assert s.access_token == TOK and s.page_tokens == {"p1": PTOK}
    assert s.base_url == "https://example.test/api" and s.timezone == "Asia/Bangkok"
    assert not s.use_demo


def test_secrets_table_and_mapping_tokens():
    s = load_settings({}, {"pancake": {"access_token": TOK, "page_tokens": {"p1": PTOK, "p2": " "},
                                       "demo": "true"}})
    assert s.access_token == TOK and s.page_tokens == {"p1": PTOK} and s.demo and s.use_demo


def test_defaults_mean_demo():
    s = load_settings({}, {})
    assert s.base_url == "https://pages.fm/api" and s.timezone == "Asia/Ho_Chi_Minh"
    assert not s.has_token and s.use_demo


def test_settings_repr_hides_tokens():
    s = Settings(access_token=TOK, page_tokens={"p1": PTOK})
    text = repr(s) + str(s)
    assert TOK not in text and PTOK not in text and "1 page(s)" in text


@pytest.mark.parametrize("bad", ["p1", "p1:", ":SECRETXYZ", "p1:SECRETXYZ,SECRETXYZ"])
def test_bad_page_tokens_message_has_no_token(bad):
    with pytest.raises(ConfigError) as info:
        parse_page_tokens(bad)
    assert "SECRETXYZ" not in str(info.value) and "PANCAKE_PAGE_TOKENS" in str(info.value)


def test_page_tokens_parsing():
    assert parse_page_tokens(f" p1:{PTOK} ,\n p2:abcd1234 ,") == {"p1": PTOK, "p2": "abcd1234"}
    assert parse_page_tokens(None) == {} and parse_page_tokens("") == {}


def test_bad_timezone():
    with pytest.raises(ConfigError):
        Settings(timezone="Mars/Olympus")


# --------------------------------------------------------------------------- redact

def test_redact_query_params_and_known_secrets():
    redact.register_secret(TOK)
    url = f"https://pages.fm/api/v1/pages?access_token={TOK}&x=1"
    assert redact.redact(url) == "https://pages.fm/api/v1/pages?access_token=***&x=1"
    assert redact.redact("page_access_token=abc123&since=1") == "page_access_token=***&since=1"
    assert TOK not in redact.redact(f"the token is {TOK}")
    assert redact.redact("nothing here") == "nothing here"
    assert "zz-extra-zz" not in redact.redact("a zz-extra-zz b", extra=["zz-extra-zz"])
    assert redact.mask_token(TOK) == "set (hidden)" and redact.mask_token(None) == "(not set)"


def test_log_filter_on_child_loggers(caplog):
    redact.register_secret(PTOK)
    redact.install_log_redaction()
    redact.install_log_redaction()  # idempotent
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore.http11", "pancake.api.client"):
        logging.getLogger(name).debug("GET %s", f"https://h/x?page_access_token={PTOK}")
        logging.getLogger(name).info(f"token {PTOK}")
    assert PTOK not in caplog.text
    assert all(PTOK not in r.getMessage() for r in caplog.records)
    assert len(caplog.records) == 6
    assert sum(1 for f in logging.getLogger("httpx").filters if isinstance(f, redact.RedactingFilter)) == 1


# --------------------------------------------------------------------------- errors

def test_error_message_names_endpoint_and_page_and_redacts():
    redact.register_secret(TOK)
    e = errors.AuthError(f"bad token {TOK}", endpoint="statistics/users", page_id="123", error_code=102)
    assert str(e) == "[statistics/users · page 123] bad token ***"
    assert TOK not in repr(e) and TOK not in repr(e.args)
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is errors.AuthError and str(again) == str(e) and again.error_code == 102


def test_error_tree():
    assert issubclass(errors.EndpointNotFound, errors.ApiError)
    for cls in (errors.AuthError, errors.RateLimitError, errors.ApiError, errors.ServerError,
                errors.TransportError, errors.BadResponseError):
        assert issubclass(cls, errors.PancakeError)
    e = errors.RateLimitError("slow down", retry_after=3.0, endpoint="tags", page_id="9")
    assert e.retry_after == 3.0 and str(e) == "[tags · page 9] slow down"


# --------------------------------------------------------------------------- timeutil

def test_format_and_parse_date_range():
    a, b = date(2021, 7, 27), date(2021, 8, 26)
    assert timeutil.format_date_range(a, b) == "27/07/2021 00:00:00 - 26/08/2021 23:59:59"
    assert timeutil.format_date_range(a, b, with_time=False) == "27/07/2021 - 26/08/2021"
    assert timeutil.parse_date_range("20/07/2020 - 20/08/2020") == (
        datetime(2020, 7, 20), datetime(2020, 8, 20, 23, 59, 59))
    with pytest.raises(ValueError):
        timeutil.format_date_range(b, a)
    with pytest.raises(ValueError):
        timeutil.parse_date_range("2020-07-20 to 2020-08-20")


def test_day_bounds_unix_vietnam():
    since, until = timeutil.day_bounds_unix(date(2024, 1, 1), date(2024, 1, 1), "Asia/Ho_Chi_Minh")
    assert since == 1704042000 and until == since + 86399
    assert timeutil.unix_to_local(since, "Asia/Ho_Chi_Minh") == datetime(2024, 1, 1)


@pytest.mark.parametrize("start,end", [(date(2024, 1, 1), date(2024, 1, 1)),
                                        (date(2023, 11, 15), date(2024, 7, 14)),
                                        (date(2024, 2, 1), date(2024, 3, 2))])
def test_split_windows_every_day_once(start, end):
    wins = timeutil.split_windows(start, end)
    days = [d for a, b in wins for d in timeutil.daterange(a, b)]
    assert days == timeutil.daterange(start, end)
    assert all((b - a).days + 1 <= 31 for a, b in wins)


def test_parse_category_across_new_year():
    start, end = date(2023, 12, 20), date(2024, 1, 10)
    assert timeutil.parse_category("31/12", start, end) == date(2023, 12, 31)
    assert timeutil.parse_category("1/1", start, end) == date(2024, 1, 1)
    assert timeutil.parse_category("6/7/2026", start, end) == date(2026, 7, 6)
    assert timeutil.parse_category("2026-07-06", start, end) == date(2026, 7, 6)
    with pytest.raises(ValueError):
        timeutil.parse_category("hello", start, end)


def test_presets_and_previous_period():
    today = date(2024, 3, 15)
    assert timeutil.preset_range("last_7", today) == (date(2024, 3, 8), date(2024, 3, 14))  # ends yesterday
    assert timeutil.preset_range("last_month", today) == (date(2024, 2, 1), date(2024, 2, 29))
    assert timeutil.previous_period(date(2024, 3, 9), today) == (date(2024, 3, 2), date(2024, 3, 8))
    assert timeutil.includes_today(date(2024, 3, 1), today, today)


# --------------------------------------------------------------------------- PANCAKE_PUBLIC_URL (issue 20)

@pytest.mark.parametrize("value,expected", [
    ("https://stats.example.com/", ("https://stats.example.com", None)),
    ("  http://10.0.0.5:8501/dash  ", ("http://10.0.0.5:8501/dash", None)),
    ("HTTPS://Stats.Example.com", ("HTTPS://Stats.Example.com", None)),
    ("https://user:PubPw-4471@stats.example.com", (None, "credentials")),
    ("https://PubUser-4471@stats.example.com", (None, "credentials")),
    ("https://:PubPw-4471@stats.example.com", (None, "credentials")),
    ("javascript:alert(document.cookie)", (None, "not_http")),
    ("JavaScript://stats.example.com/%0aalert(1)", (None, "not_http")),
    ("file:///etc/passwd", (None, "not_http")),
    ("data:text/html,<b>x</b>", (None, "not_http")),
    ("stats.example.com", (None, "not_http")),
    ("https://", (None, "not_http")),
    ("https://stats.example.com/?x=1", (None, "not_http")),
    ("https://stats.example.com/#top", (None, "not_http")),
    ("https://stats.example.com:99999", (None, "not_http")),
    ("https://stats.exa mple.com", (None, "not_http")),
    ("https://[::1", (None, "not_http")),
])
def test_public_url_is_http_without_credentials(value, expected):
    assert config.public_url({"PANCAKE_PUBLIC_URL": value}, {}) == expected
    s = load_settings({"PANCAKE_PUBLIC_URL": value}, {})
    assert (s.public_url, s.public_url_problem) == expected
    assert "4471" not in repr(s) and "4471" not in redact.redact(f"link {value}")


def test_public_url_from_the_environment_then_the_secrets_and_unset():
    assert config.public_url({}, {}) == (None, None)
    assert config.public_url({"PANCAKE_PUBLIC_URL": "   "}, {}) == (None, None)
    assert config.public_url({}, {"PANCAKE_PUBLIC_URL": "https://a.example"}) == ("https://a.example", None)
    assert config.public_url({}, {"pancake": {"public_url": "https://b.example"}}) == ("https://b.example", None)
    assert config.public_url({"PANCAKE_PUBLIC_URL": "javascript:x"}, {"pancake": {"public_url": "https://b.example"}}) \
        == (None, "not_http")          # the environment wins, even refused: never a silent other link
    s = load_settings({}, {})
    assert s.public_url is None and s.public_url_problem is None
