"""pancake.access: scrypt hashes compared in constant time, the viewer/kiosk file read with clear
errors that never carry a secret, scopes, the throttle and the cooldown."""
from __future__ import annotations

import pytest

from pancake import access
from pancake.config import ConfigError

PW = "CANARY-PASSWORD-91c2e"
KEY = "CANARY-KIOSK-KEY-77ab"


def test_a_hash_verifies_its_secret_only_and_is_salted():
    h = access.hash_secret(PW)
    assert h.startswith("scrypt$16384$8$1$") and PW not in h
    assert access.verify_secret(PW, h)
    assert not access.verify_secret(PW + "x", h)
    assert not access.verify_secret("", h)
    assert access.hash_secret(PW) != h                     # a fresh salt each time
    for bad in ("", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$3$8$1$AA$BB", "scrypt$16384$8$1$!!$??"):
        assert access.verify_secret(PW, bad) is False      # malformed: False, never an exception
    with pytest.raises(ValueError):
        access.hash_secret("")


def _file(tmp_path, text):
    p = tmp_path / "access.toml"
    p.write_text(text, encoding="utf-8")
    return {"PANCAKE_ACCESS_FILE": str(p)}


def test_viewers_and_kiosks_from_a_file(tmp_path):
    env = _file(tmp_path, f'''
[[viewer]]
name = "Shop A"
password_hash = "{access.hash_secret(PW)}"
pages = ["1001", "1002"]

[[viewer]]
name = "Boss"
email = "Boss@Agency.vn"
pages = ["*"]
role = "admin"

[[kiosk]]
name = "TV"
key_hash = "{access.hash_secret(KEY)}"
pages = ["1001"]
''')
    cfg = access.load_access(env, {})
    assert cfg.gated and cfg.password_sign_in and cfg.names_asked and not cfg.oidc
    a = cfg.sign_in("  shop   a ", PW)
    assert a is not None and a.pages == frozenset({"1001", "1002"}) and not a.admin and a.name == "Shop A"
    assert a.scope(["1003", "1002", "1001"]) == ["1002", "1001"]
    assert cfg.sign_in("Shop A", "wrong") is None
    assert cfg.sign_in("Nobody", PW) is None
    boss = cfg.by_email("boss@agency.vn ")
    assert boss is not None and boss.admin and boss.pages is None and boss.allows("anything")
    assert cfg.by_email("other@agency.vn") is None and cfg.by_email(None) is None
    tv = cfg.kiosk(KEY)
    assert tv is not None and tv.kiosk and not tv.admin and tv.pages == frozenset({"1001"})
    assert cfg.kiosk("wrong") is None and cfg.kiosk("") is None and cfg.kiosk(None) is None
    assert PW not in repr(cfg) and "scrypt" not in repr(cfg)


def test_the_shared_password_lets_the_owner_in(monkeypatch):
    cfg = access.load_access({"PANCAKE_DASHBOARD_PASSWORD": PW}, {})
    assert cfg.gated and cfg.password_sign_in and not cfg.names_asked
    owner = cfg.sign_in("", PW)
    assert owner is not None and owner.admin and owner.pages is None
    assert cfg.sign_in("", PW[:-1]) is None and cfg.sign_in("", "") is None
    assert PW not in repr(cfg)
    secrets_cfg = access.load_access({}, {"pancake": {"dashboard_password": PW}})
    assert secrets_cfg.sign_in("x", PW) is not None


def test_nothing_configured_means_open_and_auth_section_means_oidc():
    assert not access.load_access({}, {}).gated
    cfg = access.load_access({}, {"auth": {"client_id": "x"}, "viewer": [
        {"name": "A", "email": "a@b.vn", "pages": ["1"]}]})
    assert cfg.oidc and cfg.gated and not cfg.password_sign_in


@pytest.mark.parametrize("text,words", [
    ('[[viewer]]\nname = "A"\npages = ["1"]\n', "password_hash"),
    ('[[viewer]]\nname = "A"\npassword = "CANARY-PASSWORD-91c2e"\npages = ["1"]\n', "never a password"),
    ('[[viewer]]\nname = "A"\npassword_hash = "plain-CANARY-PASSWORD-91c2e"\npages = ["1"]\n', "access hash"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\n', "'pages' is missing"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\npages = []\n', "non-empty"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\npages = ["1"]\nrole = "root"\n', "viewer or admin"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\npages = ["1"]\n[[viewer]]\nname = " a "\nemail = "c@d"\npages = ["1"]\n',
     "same name"),
    ('[[kiosk]]\nname = "TV"\nkey = "CANARY-KIOSK-KEY-77ab"\npages = ["1"]\n', "never a key"),
    ('[[kiosk]]\nname = "TV"\npages = ["1"]\n', "key_hash"),
    ('viewer = 3\n', "[[viewer]]"),
    ('[[viewer\n', "not valid TOML"),
])
def test_a_malformed_file_is_a_clear_error_without_secrets(tmp_path, text, words):
    with pytest.raises(ConfigError) as info:
        access.load_access(_file(tmp_path, text), {})
    message = str(info.value)
    assert words in message
    assert PW not in message and KEY not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        access.load_access({"PANCAKE_ACCESS_FILE": str(tmp_path / "nope.toml")}, {})


def test_the_throttle_slows_repeated_failures_per_client():
    slept = []
    t = access.Throttle(free=3, cap=30, sleep=slept.append)
    for _ in range(3):
        t.wait("1.2.3.4")
        t.failed("1.2.3.4")
    assert slept == []                                     # the first three are free
    for _ in range(7):
        t.wait("1.2.3.4")
        t.failed("1.2.3.4")
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # doubling, capped
    t.wait("5.6.7.8")
    assert len(slept) == 7                                 # another client is not slowed
    t.succeeded("1.2.3.4")
    assert t.delay("1.2.3.4") == 0.0


def test_the_cooldown_lets_one_press_through_per_period():
    now = [100.0]
    c = access.Cooldown(seconds=10, clock=lambda: now[0])
    assert c.take("clear") and not c.take("clear") and c.take("recheck")
    now[0] += 9.9
    assert not c.take("clear")
    now[0] += 0.2
    assert c.take("clear")


def test_the_cli_hashes_a_password_read_on_stdin_and_never_prints_it(monkeypatch):
    import io
    import tomllib

    from pancake import cli
    for flag, field in (([], "password_hash"), (["--key"], "key_hash")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["access", "hash", *flag], out, err) == 0
        line = tomllib.loads(out.getvalue())          # the line pastes into the TOML file as it is
        assert access.verify_secret(PW, line[field])
        assert PW not in out.getvalue() + err.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    err = io.StringIO()
    assert cli.main(["access", "hash"], io.StringIO(), err) == 2 and "no password" in err.getvalue()
