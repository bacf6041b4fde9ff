"""Signed session tokens, tickets and link secrets (pancake.delivery.session), the session lifetime
setting, a viewer's session grant and kiosk keys' ``expires`` (pancake.delivery.access). Time is
injected; expectations are literal."""
from __future__ import annotations

import os
import stat
import tomllib
from datetime import date

import pytest

from pancake.config import ConfigError, load_settings, session_hours
from pancake.delivery import access, session

KEY = b"k" * 32
OTHER = b"o" * 32
T0 = 1_800_000_000.0


def test_a_session_token_reads_back_until_it_expires():
    token = session.issue(KEY, "shop a", "password", "scrypt$hash", T0, 12)
    got = session.read(KEY, token, T0 + 3600)
    assert (got.who, got.method, got.issued, got.expires) == ("shop a", "password", T0, T0 + 43_200)
    assert got.grant == session.digest(KEY, "scrypt$hash") != session.digest(KEY, "scrypt$other")
    assert session.read(KEY, token, T0 + 43_199.9) is not None
    assert session.read(KEY, token, T0 + 43_200) is None        # expired at its expiry, not after
    assert "scrypt$hash" not in token and "hash" not in token


@pytest.mark.parametrize("bad", [None, "", "x", "a.b.c", "....", "%%%.%%%"])
def test_malformed_tokens_are_refused_quietly(bad):
    assert session.read(KEY, bad, T0) is None


def test_another_key_an_altered_body_or_another_purpose_is_refused():
    token = session.issue(KEY, "shop a", "password", "h", T0, 12)
    assert session.read(OTHER, token, T0) is None
    body, mac = token.split(".")
    forged = session.sign(OTHER, "session", {"who": "\0owner", "m": "password", "g": "x", "iat": T0, "exp": T0 + 9})
    assert session.read(KEY, forged.split(".")[0] + "." + mac, T0) is None
    ticket = session.Tickets().make(KEY, {"exp": T0 + 99}, T0)
    assert session.read(KEY, ticket, T0) is None                 # a ticket is never a session


def test_a_ticket_is_used_once_and_expires_after_a_minute():
    tickets = session.Tickets()
    claims = session.claims(KEY, "shop a", "password", "h", T0, 12)
    ticket = tickets.make(KEY, claims, T0)
    assert tickets.take(KEY, ticket, T0 + 59) == claims
    assert tickets.take(KEY, ticket, T0 + 59) is None            # used
    late = tickets.make(KEY, claims, T0)
    assert tickets.take(KEY, late, T0 + 60) is None              # expired
    assert tickets.take(OTHER, tickets.make(KEY, claims, T0), T0) is None
    assert tickets.take(KEY, "", T0) is None


def test_the_signing_key_file_is_made_once_for_its_owner_only(tmp_path):
    k1 = session.signing_key(tmp_path, env={})
    k2 = session.signing_key(tmp_path, env={})
    path = tmp_path / "session.key"
    assert k1 == k2 and len(k1) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        session.signing_key(tmp_path, env={})


def test_the_signing_key_from_the_environment_or_secrets_wins(tmp_path):
    a = session.signing_key(tmp_path, env={"PANCAKE_SESSION_KEY": "one long shared key for replicas"})
    b = session.signing_key(tmp_path, env={}, secrets={"PANCAKE_SESSION_KEY": "one long shared key for replicas"})
    assert a == b and not (tmp_path / "session.key").exists()


def test_link_secrets_are_long_and_only_their_hash_is_kept():
    s1, s2 = session.new_link_secret(), session.new_link_secret()
    assert s1 != s2 and len(s1) >= 32
    assert session.link_hash(s1) == session.link_hash(s1) != session.link_hash(s2)
    assert s1 not in session.link_hash(s1) and len(session.link_hash(s1)) == 64


@pytest.mark.parametrize("given, hours", [(None, 12.0), ("", 12.0), ("8", 8.0), (" 0.5 ", 0.5), ("2160", 2160.0)])
def test_session_hours(given, hours):
    assert session_hours(given) == hours


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "nan", "inf", "2161"])
def test_session_hours_out_of_range_is_an_error_naming_the_value(bad):
    with pytest.raises(ConfigError, match="PANCAKE_SESSION_HOURS"):
        session_hours(bad)


def test_session_hours_read_from_env_or_secrets():
    assert load_settings(env={}).session_hours == 12.0
    assert load_settings(env={"PANCAKE_SESSION_HOURS": "24"}).session_hours == 24.0
    assert load_settings(env={}, secrets={"pancake": {"session_hours": "3"}}).session_hours == 3.0


def test_a_session_grant_follows_the_password_and_the_viewer():
    h1, h2 = access.hash_secret("pw-one", n=2), access.hash_secret("pw-two", n=2)
    v = access.Viewer(name="Shop  A", pages=frozenset({"1"}), password_hash=h1)
    cfg = access.AccessConfig(viewers=(v,), shared_password="shared")
    ident, grant = cfg.session_grant("shop a", "password")
    assert (ident.name, ident.pages, grant) == ("Shop  A", frozenset({"1"}), h1)
    changed = access.AccessConfig(viewers=(access.Viewer(name="Shop A", pages=None, password_hash=h2),))
    assert changed.session_grant("shop a", "password")[1] == h2          # the digest no longer matches
    assert access.AccessConfig().session_grant("shop a", "password") is None      # removed
    assert cfg.session_grant("shop a", "oidc") is None
    owner, text = cfg.session_grant(access.OWNER, "password")
    assert owner.admin and text == "shared:shared"
    assert access.AccessConfig(viewers=(v,)).session_grant(access.OWNER, "password") is None


def test_sign_outs_are_remembered_with_their_time():
    so = access.SignOuts()
    assert so.ended_at("x") is None and so.generation("x") == 0
    so.sign_out("x", at=T0)
    assert so.ended_at("x") == T0 and so.generation("x") == 1


def test_kiosk_keys_with_an_expiry_open_through_that_day(tmp_path):
    key = "kiosk-key-expiring-1234"
    text = f'''[[kiosk]]
name = "TV"
key_hash = "{access.hash_secret(key, n=2)}"
pages = ["1"]
expires = 2026-12-31
'''
    viewers, kiosks = access.parse_access(tomllib.loads(text), text=text)
    assert kiosks[0].expires == date(2026, 12, 31)
    cfg = access.AccessConfig(kiosks=kiosks)
    assert cfg.kiosk(key, today=date(2026, 12, 31)).name == "TV"
    assert cfg.kiosk_known(key, today=date(2027, 1, 1)) is None
    assert cfg.kiosk(key, today=date(2027, 1, 1)) is None
    assert cfg.kiosk_expired(key, today=date(2027, 1, 1)) is True
    assert cfg.kiosk_expired(key, today=date(2026, 12, 31)) is False
    held = kiosks[0].identity()
    assert cfg.current(held, date(2026, 12, 31)) is not None and cfg.current(held, date(2027, 1, 1)) is None
    assert access.parse_access({"kiosk": [{"name": "T", "key_hash": access.hash_secret(key, n=2), "pages": ["1"],
                                           "expires": "2027-02-01"}]})[1][0].expires == date(2027, 2, 1)


def test_a_malformed_kiosk_expiry_names_its_line():
    text = f'''[[kiosk]]
name = "TV"
key_hash = "{access.hash_secret("k" * 20, n=2)}"
pages = ["1"]
expires = "soon"
'''
    with pytest.raises(ConfigError, match=r"kiosk #1 \(TV\), line 5: 'expires' must be a date"):
        access.parse_access(tomllib.loads(text), text=text)
