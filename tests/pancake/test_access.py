"""pancake.delivery.access: scrypt hashes compared in constant time, the viewer/kiosk file read with clear
errors that never carry a secret, scopes, the throttle and the cooldown."""
from __future__ import annotations

import pytest

from pancake.config import ConfigError
from pancake.delivery import access

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


class Clock:
    """Time that moves only when the throttle sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_the_throttle_slows_repeated_failures_per_client():
    clock = Clock()
    slept = clock.slept
    t = access.Throttle(free=3, cap=30, clock=clock, sleep=clock.sleep, max_wait=60)
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

    from pancake.delivery import cli
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


# --- issue 20 / 23: failing closed, line numbers, capped cost, throttles that cannot be reset ---

@pytest.mark.parametrize("text", ["", "# nothing yet\n",
                                  f'[[kiosk]]\nname = "TV"\nkey_hash = "{access.hash_secret(KEY)}"\npages = ["1"]\n'])
def test_an_access_file_that_grants_nobody_closes_rather_than_opens(tmp_path, text):
    cfg = access.load_access(_file(tmp_path, text), {})
    assert cfg.closed and not cfg.gated
    # with a shared password in the environment the file need grant nobody itself
    env = {**_file(tmp_path, text), "PANCAKE_DASHBOARD_PASSWORD": PW}
    assert not access.load_access(env, {}).closed
    assert not access.load_access({}, {}).closed             # no file at all: open, as on demo data


@pytest.mark.parametrize("text,words", [
    ('# viewers\n\n[[viewers]]\nname = "A"\nemail = "a@b"\npages = ["1"]\n', "line 3: unknown table or key 'viewers'"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\npages = ["1"]\n\n[[viewer]]\nname = "B"\nemial = "b@c"\npages = ["1"]\n',
     "viewer #2 (B), line 8: unknown key 'emial'"),
    ('[[kiosk]]\nname = "TV"\nkey_hash = "x"\nrole = "admin"\npages = ["1"]\n', "line 4: unknown key 'role'"),
    ('title = "access"\n[[viewer]]\nname = "A"\nemail = "a@b"\npages = ["1"]\n', "line 1: unknown table or key 'title'"),
    ('[[viewer]]\nname = "A"\nemail = "a@b"\npages = ["1"]\nrole = "root"\n', "line 1: 'role'"),
])
def test_unknown_tables_and_keys_are_errors_naming_the_line(tmp_path, text, words):
    with pytest.raises(ConfigError) as info:
        access.load_access(_file(tmp_path, text), {})
    assert words in str(info.value)


def test_a_costly_scrypt_hash_is_refused_when_the_file_is_read_naming_the_line(tmp_path):
    good = access.hash_secret(PW)
    salt, digest = good.split("$")[4:]
    costly = f"scrypt$131072$32$16${salt}${digest}"          # 19.5 s of CPU per check
    text = f'[[viewer]]\nname = "A"\npages = ["1"]\npassword_hash = "{costly}"\n'
    with pytest.raises(ConfigError) as info:
        access.load_access(_file(tmp_path, text), {})
    message = str(info.value)
    assert "line 4" in message and "scrypt work" in message and "524288" in message and costly not in message
    assert access.verify_secret(PW, costly) is False            # never run, even if handed one
    at_cap = access.hash_secret(PW, n=2**16, r=8, p=1)          # 4x the default: still accepted
    assert access.verify_secret(PW, at_cap)
    assert access.verify_secret(PW, f"scrypt$65536$8$2${salt}${digest}") is False   # 8x: refused


def test_the_file_is_read_again_when_it_changes(tmp_path):
    env = _file(tmp_path, f'[[viewer]]\nname = "A"\npassword_hash = "{access.hash_secret(PW)}"\npages = ["1"]\n')
    assert access.load_access(env, {}).sign_in("A", PW) is not None
    (tmp_path / "access.toml").write_text("", encoding="utf-8")
    cfg = access.load_access(env, {})
    assert cfg.closed and cfg.sign_in("A", PW) is None


def test_a_session_ends_when_its_grant_goes_or_its_name_signs_out(tmp_path):
    text = (f'[[viewer]]\nname = "Shop A"\npassword_hash = "{access.hash_secret(PW)}"\npages = ["1"]\n'
            f'[[viewer]]\nname = "Boss"\nemail = "boss@x.vn"\npages = ["*"]\nrole = "admin"\n')
    cfg = access.load_access(_file(tmp_path, text), {})
    a = cfg.sign_in("Shop A", PW)
    again = cfg.sign_in("shop a", PW)                          # the same person in another tab
    assert cfg.current(a) == a and cfg.current(again) == again
    access.SIGN_OUTS.sign_out(again.key)                      # signs out there
    assert cfg.current(a) is None and cfg.current(again) is None
    fresh = cfg.sign_in("Shop A", PW)
    assert cfg.current(fresh) == fresh                        # signing in again works
    # pages changed in the file: the session follows them; removed or new password: ended
    cfg2 = access.load_access(_file(tmp_path, text.replace('pages = ["1"]', 'pages = ["2"]')), {})
    assert cfg2.current(fresh).pages == frozenset({"2"})
    cfg3 = access.load_access(_file(tmp_path, f'[[viewer]]\nname = "Shop A"\npassword_hash = '
                                               f'"{access.hash_secret(PW)}"\npages = ["1"]\n'), {})
    assert cfg3.current(fresh) is None                        # same password, new hash: sign in again
    cfg4 = access.load_access(_file(tmp_path, text.split("[[viewer]]\nname = \"Boss\"")[0]), {})
    assert cfg4.current(cfg.by_email("boss@x.vn")) is None     # Boss removed
    owner_cfg = access.load_access({"PANCAKE_DASHBOARD_PASSWORD": PW}, {})
    owner = owner_cfg.sign_in("", PW)
    assert owner_cfg.current(owner) == owner
    assert access.load_access({"PANCAKE_DASHBOARD_PASSWORD": PW + "-new"}, {}).current(owner) is None


def test_a_success_clears_only_its_own_name_and_one_name_is_slowed_from_any_address():
    clock = Clock()
    slept = clock.slept
    t = access.Throttle(free=3, cap=30, clock=clock, sleep=clock.sleep)
    for _ in range(6):     # an insider: own sign-in, then a guess at the boss, from one address
        t.wait("name:shop a", "addr:10.0.0.5")
        t.succeeded("name:shop a")
        t.wait("name:boss", "addr:10.0.0.5")
        t.failed("name:boss", "addr:10.0.0.5")
    # after 3 free guesses, the own sign-in (same address) and the 4th-6th guesses wait 1, 2, 4 s
    assert slept == [1.0, 1.0, 2.0, 2.0, 4.0, 4.0]
    slept.clear()
    t.wait("name:boss", "addr:192.0.2.9")      # the boss's name from another address: still slowed
    assert slept == [8.0]


def test_failures_are_forgotten_after_a_quiet_period():
    now = [0.0]
    t = access.Throttle(free=0, cap=30, clock=lambda: now[0], sleep=lambda s: None, forget_after=900)
    t.failed("k")
    assert t.delay("k") == 2.0
    now[0] = 899.0
    assert t.delay("k") == 2.0
    now[0] = 900.0
    assert t.delay("k") == 0.0


def test_a_kiosk_key_costs_one_scrypt_per_kiosk_only_the_first_time(tmp_path, monkeypatch):
    keys = [f"{KEY}-{i}" for i in range(4)]
    text = "".join(f'[[kiosk]]\nname = "TV{i}"\nkey_hash = "{access.hash_secret(k)}"\npages = ["1"]\n'
                   for i, k in enumerate(keys))
    cfg = access.load_access(_file(tmp_path, text), {})
    calls = []
    real = access.verify_secret
    monkeypatch.setattr(access, "verify_secret", lambda s, h: calls.append(1) or real(s, h))
    assert cfg.kiosk(keys[3]).name == "TV3" and len(calls) == 4
    assert cfg.kiosk(keys[3]).name == "TV3" and len(calls) == 4      # remembered: no scrypt
    assert cfg.kiosk_known(keys[3]).name == "TV3"
    assert cfg.kiosk("wrong-one") is None and len(calls) == 8
    assert cfg.kiosk("wrong-one") is None and len(calls) == 8        # a repeated wrong key: none either
    assert cfg.kiosk_known("wrong-one") is None
    # a removed kiosk's remembered key opens nothing
    fewer = access.load_access(_file(tmp_path, text.split("[[kiosk]]\nname = \"TV3\"")[0]), {})
    assert fewer.kiosk_known(keys[3]) is None and fewer.kiosk(keys[3]) is None


def test_the_cli_says_non_utf8_input_in_one_line(monkeypatch):
    import io

    from pancake.delivery import cli
    raw = io.TextIOWrapper(io.BytesIO(b"\xff\xfe-not-utf8\n"), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", raw)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["access", "hash"], out, err) == 2
    assert err.getvalue() == "error: the password on stdin is not UTF-8 text\n" and out.getvalue() == ""


def test_attempts_at_once_take_turns_and_those_too_far_ahead_are_refused_unchecked():
    clock = Clock()
    t = access.Throttle(free=0, cap=30, clock=clock, sleep=lambda s: clock.slept.append(s), max_wait=60)
    for _ in range(5):
        t.failed("kiosk:*")                     # 5 failures: the delay is at its cap, 30 s
    # ten browsers at the same moment (the clock does not move between them)
    waits = [t.wait(f"kiosk-addr:10.0.0.{i}", "kiosk:*") for i in range(10)]
    assert waits == [30.0, 60.0] + [None] * 8   # two turns within a minute; the rest refused at once
    assert clock.slept == [30.0, 60.0]
    clock.now += 90.0                            # after both turns
    assert t.wait("kiosk-addr:10.0.0.99", "kiosk:*") == 30.0
