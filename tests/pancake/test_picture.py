"""The standup as a picture (issue 22, first half): finding Chromium, the screen's URL and loads,
the picture's one-time kiosk key, the digest with ``--picture`` / ``--picture-out`` end to end
(a webhook receiver on loopback, the simulator over HTTP), and the processes stopped whatever
happens. Tests that need Chromium are marked ``browser``."""
from __future__ import annotations

import base64
import os
import socket
import stat
import struct
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from pancake import config
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
from pancake.delivery import access, appserver, picture
from pancake.numbers.views import standup as sv
from tests.pancake import notify_cli

LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS
HAVE_CHROMIUM = Path(config.DEFAULT_CHROMIUM).exists()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# --- Chromium -------------------------------------------------------------------------------------

def test_pancake_chromium_when_set_is_the_only_one_looked_at(tmp_path):
    assert config.chromium({"PANCAKE_CHROMIUM": "/nonexistent"}) == (
        None, "no Chromium at PANCAKE_CHROMIUM='/nonexistent'")
    plain = tmp_path / "chromium"
    plain.write_text("not a program")
    assert config.chromium({"PANCAKE_CHROMIUM": str(plain)}) == (
        None, f"PANCAKE_CHROMIUM='{plain}' is not executable")
    plain.chmod(plain.stat().st_mode | stat.S_IXUSR)
    assert config.chromium({"PANCAKE_CHROMIUM": str(plain)}) == (str(plain), None)
    assert config.chromium({"PANCAKE_CHROMIUM": "  "})[0] in (None, "/usr/bin/chromium")  # blank = unset


def test_without_pancake_chromium_it_is_debians(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "DEFAULT_CHROMIUM", str(tmp_path / "none"))
    assert config.chromium({}) == (None, f"no Chromium at {tmp_path / 'none'} (install chromium, or set "
                                         "PANCAKE_CHROMIUM)")


# --- the screen's URL, its loads, its key ----------------------------------------------------------

def test_the_screen_of_one_past_day_in_the_url():
    q = picture.standup_query(["1", "2"], date(2026, 11, 20), date(2026, 11, 20), lang="en", theme="dark",
                              day=date(2026, 11, 20), key="k")
    assert q == {"pages": "1,2", "from": "2026-11-20", "to": "2026-11-20", "lang": "en", "kiosk": "1",
                 "theme": "dark", "waits": "0", "day": "2026-11-20", "key": "k"}
    opts, problems = sv.parse_options(q)
    assert problems == [] and opts.day == date(2026, 11, 20) and opts.waits is False and opts.theme == "dark"


@pytest.mark.parametrize("params,problem", [({"day": "20261120"}, "day='20261120'"),
                                            ({"day": "2026-02-30"}, "day='2026-02-30'"),
                                            ({"waits": "maybe"}, "waits='maybe'")])
def test_a_bad_day_or_waits_is_named_and_ignored(params, problem):
    opts, problems = sv.parse_options(params)
    assert problems == [problem] and opts.day is None and opts.waits is True


def test_the_screen_loads_of_a_day():
    d, today = date(2026, 11, 20), date(2026, 11, 21)
    assert picture.screen_loads(d, d, d, today) == [
        ("engagement", d, d, {}), ("staff", d, d, {}),
        ("engagement", date(2026, 11, 19), date(2026, 11, 19), {}), ("staff", date(2026, 11, 19), date(2026, 11, 19), {}),
        ("engagement", d, d, {"hourly": True}),
        ("engagement", date(2026, 11, 13), d, {}), ("activity", date(2026, 11, 13), today, {}),
        ("customers", date(2026, 11, 13), d, {}), ("staff", date(2026, 11, 13), d, {}),
        ("ads", d, d, {}), ("ads", date(2026, 11, 13), date(2026, 11, 13), {})]
    # an older day: activity up to that day only (the no-reply flag looks at its last hour)
    old = picture.screen_loads(date(2026, 11, 10), date(2026, 11, 10), date(2026, 11, 10), today)
    assert ("activity", date(2026, 11, 3), date(2026, 11, 10), {}) in old


def test_the_pictures_key_opens_its_pages_only(tmp_path):
    path, key = picture.scope_file(tmp_path, [LINH_CHI, 'we"ird'])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key not in path.read_text()                          # only its hash is written
    cfg = access.load_access(env={"PANCAKE_ACCESS_FILE": str(path)}, secrets={})
    assert cfg.viewers == () and cfg.shared_password is None and not cfg.gated
    ident = cfg.kiosk(key)
    assert ident.pages == frozenset({LINH_CHI, 'we"ird'}) and ident.kiosk and not ident.admin
    assert cfg.kiosk(key + "x") is None and cfg.kiosk("") is None
    # the configured gate is replaced by the picture's, never loosened
    env = picture.server_env({"PANCAKE_ACCESS_FILE": "/etc/pancake/access.toml", "X": "1"}, path)
    assert env == {"PANCAKE_ACCESS_FILE": str(path), "X": "1"}


def test_file_name():
    assert picture.file_name([LINH_CHI], date(2026, 11, 20), "vi") == f"standup-{LINH_CHI}-2026-11-20-vi.png"
    assert picture.file_name(["a", "b"], date(2026, 11, 20), "en") == "standup-2-pages-2026-11-20-en.png"
    assert picture.file_name(["../x y"], date(2026, 11, 20), "en") == "standup-___x_y-2026-11-20-en.png"


# --- the processes are stopped whatever happens ----------------------------------------------------

def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_dashboard_is_stopped_when_the_browser_fails(tmp_path, sim_server):
    """/bin/false is no browser: the launch fails; the dashboard it started is gone by its pid."""
    pytest.importorskip("playwright.sync_api")
    _, url = sim_server
    seen: dict[str, int] = {}
    env = notify_cli.environment(url, tmp_path)
    with pytest.raises(picture.PictureError, match="browser"):
        picture.render([LINH_CHI], date(2026, 11, 20), date(2026, 11, 20), lang="vi", chromium="/bin/false",
                       env=env, timeout=60, observe=lambda what, pid: seen.setdefault(what, pid))
    assert set(seen) == {"server"}
    assert _gone(seen["server"])


def test_the_dashboard_that_cannot_start_is_stopped_and_said(tmp_path):
    """Its port is taken: Streamlit exits; start() says so and nothing is left running."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = appserver.AppServer(dict(os.environ), port=taken.getsockname()[1], timeout=120)
        with pytest.raises(appserver.AppServerError, match="exited at start"):
            server.start()
    assert server.pid is not None and _gone(server.pid)


# --- end to end -------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium not installed: apt-get install chromium")
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_digest_with_a_picture_reaches_the_webhook_with_the_png(sim_server, receiver, tmp_path, lang):
    sim, url = sim_server
    sim.reset_calls()
    # --no-replies: the digest's own response-times section reads the day's conversations; this
    # test is about the picture, which is drawn from the store
    proc = notify_cli.run(["digest", "--page", LINH_CHI, SNEAKER, "--lang", lang, "--picture", "--no-replies",
                           "--notify", receiver.url("/digest")], url, tmp_path, timeout=240)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    (req,) = receiver.posts("/digest")
    (att,) = req.json["attachments"]
    y = sim.today() - timedelta(days=1)
    assert att["filename"] == f"standup-2-pages-{y.isoformat()}-{lang}.png" and att["mimetype"] == "image/png"
    width, height = png_size(base64.b64decode(att["base64"]))
    assert width == 1080 and height > 1500                       # a phone held upright
    assert f"sent to #1 json://127.0.0.1:{receiver.port} with the picture" in err
    assert "warning" not in err
    # drawn from the store: the screen asked for no conversation, and no closed window twice
    calls = [(c.path, tuple(sorted(c.params.items()))) for c in sim.calls]
    assert not [c for c in calls if "conversations" in c[0]]
    today = sim.today().isoformat()
    closed = [c for c in calls if "statistics" in c[0] and today not in str(c[1])]
    assert len(closed) == len(set(closed)), sorted(c for c in closed if closed.count(c) > 1)


def test_digest_without_chromium_is_sent_without_the_picture_and_says_why_once(sim_server, receiver, tmp_path):
    _, url = sim_server
    proc = notify_cli.run(["digest", "--page", LINH_CHI, "--picture", "--notify", receiver.url("/digest")], url,
                          tmp_path, env_extra={"PANCAKE_CHROMIUM": "/nonexistent"})
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    (req,) = receiver.posts("/digest")
    assert not req.json.get("attachments") and req.json["message"]
    assert [ln for ln in err.splitlines() if "picture" in ln] == [
        "warning: no picture: no Chromium at PANCAKE_CHROMIUM='/nonexistent'"]
    assert f"sent to #1 json://127.0.0.1:{receiver.port}\n" in err


def test_picture_out_without_chromium_writes_nothing_and_fails(sim_server, receiver, tmp_path):
    _, url = sim_server
    out = tmp_path / "standup.png"
    proc = notify_cli.run(["digest", "--page", LINH_CHI, "--picture-out", str(out)], url, tmp_path,
                          env_extra={"PANCAKE_CHROMIUM": "/nonexistent"})
    assert proc.returncode == 1
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".standup.png")]
    assert receiver.requests == []


def test_picture_out_to_a_missing_folder_is_a_usage_error_before_any_work(sim_server, tmp_path):
    sim, url = sim_server
    sim.reset_calls()
    proc = notify_cli.run(["digest", "--page", LINH_CHI, "--picture-out", str(tmp_path / "no" / "x.png")], url,
                          tmp_path)
    assert proc.returncode == 2
    assert "error: --picture-out: folder" in proc.stderr.decode()
    assert not [c for c in sim.calls if "statistics" in c.path]


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium not installed: apt-get install chromium")
def test_picture_out_writes_the_png_and_sends_nothing(sim_server, receiver, tmp_path):
    sim, url = sim_server
    out = tmp_path / "standup.png"
    out.write_bytes(b"old")
    proc = notify_cli.run(["digest", "--page", HANA, "--picture-out", str(out), "--theme", "dark"], url, tmp_path,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr.decode()
    assert png_size(out.read_bytes())[0] == 1080
    assert receiver.requests == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".standup")] == []


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium not installed: apt-get install chromium")
def test_the_picture_shows_the_digests_pages_only_even_behind_a_gate(sim_server, tmp_path):
    """A dashboard with a password and a viewer: the picture's server lets in its own key only,
    and the screen (its text and its DOM, read before the shot) names no other page."""
    sim, url = sim_server
    names = {p.id: p.name for p in sim.pages}
    acc = tmp_path / "access.toml"
    acc.write_text(f'[[viewer]]\nname = "all"\npassword_hash = "{access.hash_secret("pw")}"\npages = ["*"]\n')
    env = notify_cli.environment(url, tmp_path, env_extra={"PANCAKE_DASHBOARD_PASSWORD": "owner-pw",
                                                           "PANCAKE_ACCESS_FILE": str(acc)})
    y = sim.today() - timedelta(days=1)
    pic = picture.render([LINH_CHI, HANA], y, y, lang="en", chromium=config.DEFAULT_CHROMIUM, env=env, day=y)
    assert names[LINH_CHI] in pic.text or "2 pages" in pic.text
    assert "Standup screen" in pic.text
    for other in (SNEAKER, MINH_ANH, CO_BA):
        assert names[other] not in pic.html and other not in pic.html
    assert "password" not in pic.text.lower()                  # no sign-in form: the key let it in
    assert png_size(pic.png)[0] == 1080


def test_demo_tokens_are_not_in_the_access_file(tmp_path):
    path, key = picture.scope_file(tmp_path, [LINH_CHI])
    text = path.read_text()
    assert DEMO_USER_TOKEN not in text and all(t not in text for t in DEMO_PAGE_TOKENS.values())


PARENT = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from pancake.delivery.appserver import AppServer
server = AppServer(dict(os.environ)).spawn()
print(server.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in fh)
    except OSError:
        return False


def test_a_killed_caller_leaves_no_dashboard_running(tmp_path):
    """SIGKILL to the process that started the dashboard (a cron timeout: no ``finally`` runs
    there): the dashboard notices its parent is gone and ends itself."""
    import subprocess
    import sys
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(Path(__file__).resolve().parents[2])],
                              stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        server_pid = int(parent.stdout.readline())
        assert _alive(server_pid)
    finally:
        parent.kill()          # by its own pid
        parent.wait(timeout=10)
    deadline = time.monotonic() + 60
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.2)        # waiting for it to end, not proving an absence
    assert not _alive(server_pid)
