"""The CLI never loses a file and says what it did: the output is checked before any call, a
failed or interrupted export leaves the previous file as it was, Ctrl-C stops at once with no
traceback, dates follow the help text (``YYYY-MM-DD``, 2015-01-01 to tomorrow), a range past
today is cut at today and says so, and each failing page is printed once."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, FaultRule, Faults, Simulator
from pancake.delivery import cli
from tests import forkrun

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
A, B = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[1]


def env_for(url: str, monkeypatch) -> None:
    monkeypatch.setenv("PANCAKE_BASE_URL", url)
    monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", ",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()))


def run(args, monkeypatch, tmp_path) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    try:
        code = cli.main(list(args), stdout=io.StringIO(), stderr=err)
    except SystemExit as exc:      # argparse's usage errors
        code = exc.code
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


def export_args(output, since, until, *pages):
    return ["export", "activity", *[a for p in (pages or (A,)) for a in ("--page", p)],
            "--since", str(since), "--until", str(until), "-o", str(output), "-q"]


def days_ago(sim: Simulator, n: int):
    return sim.today() - timedelta(days=n)


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


# --------------------------------------------------------------------------- the output path

@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_a_bad_output_path_fails_before_any_call_in_one_line(where, server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    target = tmp_path / "no-such-folder" / "out.csv" if where == "missing folder" else tmp_path
    code, err = run(export_args(target, days_ago(sim, 3), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: --output")
    assert sim.calls == []          # nothing fetched for an output that cannot be written


def test_an_unwritable_folder_fails_before_any_call(server, monkeypatch, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write in a read-only folder")
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, err = run(export_args(folder / "x.csv", days_ago(sim, 3), days_ago(sim, 1)), monkeypatch, tmp_path)
    finally:
        folder.chmod(0o700)
    assert code == 2 and "cannot write" in err and sim.calls == []


def test_a_complete_export_replaces_the_file_atomically(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    target = tmp_path / "act.csv"
    target.write_bytes(b"old")
    code, err = run(export_args(target, days_ago(sim, 2), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 0, err
    df = pd.read_csv(target, encoding="utf-8-sig")
    assert len(df) == 48
    assert leftovers(tmp_path) == [] and not (tmp_path / "act.incomplete.csv").exists()


def test_a_failed_export_never_destroys_the_previous_file(server, monkeypatch, tmp_path):
    sim = Simulator(faults=Faults(rules=[FaultRule("500", every=1, retry_after=0, path_contains="statistics")]))
    env_for(server(sim), monkeypatch)
    target = tmp_path / "act.csv"
    target.write_bytes(b"yesterday's complete export\r\n")
    code, err = run(export_args(target, days_ago(sim, 2), days_ago(sim, 1), A, B), monkeypatch, tmp_path)
    assert code == 1
    assert target.read_bytes() == b"yesterday's complete export\r\n"
    assert leftovers(tmp_path) == [] and not (tmp_path / "act.incomplete.csv").exists()
    assert "nothing written" in err and err.count("failed:") == 2


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("bad", ["20261101", "2026-W44-1", "2026-11-1", "2026-11-01T00:00", "0001-01-01",
                                 "2014-12-31", "2026-02-30"])
def test_dates_follow_the_help_text(bad, server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)     # argparse writes its usage error there
    code, _ = run(["export", "activity", "--page", A, "--since", bad, "--until", str(days_ago(sim, 1))],
                  monkeypatch, tmp_path)
    assert code == 2
    assert "YYYY-MM-DD" in err.getvalue() or "2015-01-01" in err.getvalue() or "valid day" in err.getvalue()
    assert sim.calls == []


def test_dates_past_tomorrow_are_refused_naming_the_valid_range(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    for until in ("9999-12-31", str(sim.today() + timedelta(days=2))):
        code, err = run(export_args(tmp_path / "x.csv", days_ago(sim, 1), until), monkeypatch, tmp_path)
        assert code == 2 and "2015-01-01 .. " in err and "outside" in err
    assert sim.calls == []


def test_a_range_past_today_is_cut_at_today_and_says_so(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    tomorrow = sim.today() + timedelta(days=1)
    target = tmp_path / "tags.csv"
    code, err = run(["export", "tags", "--page", A, "--since", str(days_ago(sim, 1)), "--until", str(tomorrow),
                     "-o", str(target)], monkeypatch, tmp_path)
    assert code == 0, err
    assert f"--until {tomorrow} is after today" in err
    dates = set(pd.read_csv(target, encoding="utf-8-sig")["date"])
    assert max(dates) == str(sim.today())      # no row of 0 for a day to come
    code, err = run(["export", "tags", "--page", A, "--since", str(tomorrow), "--until", str(tomorrow)],
                    monkeypatch, tmp_path)
    assert code == 2 and "no data yet" in err


def test_sync_refuses_days_before_2015(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    code, err = run(["sync", "--page", A, "--days", "99999999"], monkeypatch, tmp_path)
    assert code == 2 and "2015-01-01" in err and sim.calls == []


# --------------------------------------------------------------------------- as a process

def _env(url: str, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(PANCAKE_BASE_URL=url, PANCAKE_ACCESS_TOKEN=DEMO_USER_TOKEN, PANCAKE_CACHE_DIR=str(cache),
               PANCAKE_PAGE_TOKENS=",".join(f"{k}:{v}" for k, v in DEMO_PAGE_TOKENS.items()),
               PYTHONPATH=str(ROOT))
    return env


def test_each_page_failure_is_printed_once(server, tmp_path):
    """The data layer's log line and the CLI's own line used to say it twice."""
    sim = Simulator(faults=Faults(rules=[FaultRule("no_data", every=1, page_id=A, path_contains="statistics")]))
    url = server(sim)
    d = sim.today() - timedelta(days=1)
    proc = forkrun.run([sys.executable, "-m", "pancake", "export", "activity", "--page", A, "--page", B,
                        "--since", str(d), "--until", str(d), "-q"], capture_output=True,
                       env=_env(url, tmp_path / "cache"), cwd=tmp_path, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert len([line for line in err.splitlines() if A in line]) == 1, err
    assert "Traceback" not in err


def test_ctrl_c_stops_at_once_with_no_traceback_and_no_partial_file(server, tmp_path):
    # long enough to be interrupted on a busy machine: 49 windows a page, paced at 5 calls/s, 1 s each
    arrived = []                                      # every statistics call, as it reaches the server

    def answer_slowly(seconds: float) -> None:
        arrived.append(1)
        time.sleep(seconds)                           # the server's 1 s answer (not the test waiting)
    sim = Simulator(faults=Faults(rules=[FaultRule("slow", latency=1.0, every=1, path_contains="statistics")],
                                  sleep=answer_slowly))
    url = server(sim)
    target = tmp_path / "eng.csv"
    target.write_bytes(b"previous export")
    today = sim.today()
    proc = subprocess.Popen([sys.executable, "-m", "pancake", "export", "engagement", "--page", A, "--page", B,
                             "--since", str(today - timedelta(days=1500)), "--until", str(today - timedelta(days=1)),
                             "-o", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(url, tmp_path / "cache"), cwd=tmp_path, start_new_session=True,
                            # Ctrl-C at a terminal: SIGINT at its default. A CI runner that started us in
                            # the background hands down SIGINT ignored, and the export then ran to the end.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not any(c.path.endswith("customer_engagements") for c in sim.calls):   # fetching has begun
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        asked_before = len(arrived)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)     # a guard against a hang on a busy machine, not a speed figure
        asked_after = len(arrived) - asked_before
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == cli.EXIT_INTERRUPTED
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert b"interrupted" in err
    assert target.read_bytes() == b"previous export"
    assert leftovers(tmp_path) == [] and not (tmp_path / "eng.incomplete.csv").exists()
    # between Ctrl-C and the end of the process, only calls already on their way reached the
    # server (the two pages' slots: 5 each); a dead process asks nothing more
    assert asked_after <= 10


# --------------------------------------------------------------------------- what the output path is (#23)
# Every path here is in the test's temporary folder: nothing under /dev is ever written or made.

def test_a_symlink_keeps_its_link_and_its_target_is_replaced(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    link = tmp_path / "latest.csv"
    link.symlink_to("real.csv")
    code, err = run(export_args(link, days_ago(sim, 2), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "real.csv"
    assert len(pd.read_csv(real, encoding="utf-8-sig")) == 48          # 2 days x 24 hours
    assert leftovers(tmp_path) == []


def test_a_dangling_symlink_makes_its_target(server, monkeypatch, tmp_path):
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    (tmp_path / "out").mkdir()
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "out" / "new.csv")
    code, err = run(export_args(link, days_ago(sim, 1), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 0, err
    assert link.is_symlink()
    assert len(pd.read_csv(tmp_path / "out" / "new.csv", encoding="utf-8-sig")) == 24


def test_a_fifo_is_written_through_never_replaced(server, monkeypatch, tmp_path):
    import stat
    import threading
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:       # blocks until the export opens it
            got.append(fh.read())
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    code, err = run(export_args(fifo, days_ago(sim, 1), days_ago(sim, 1)), monkeypatch, tmp_path)
    t.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)                       # still a FIFO
    assert got and got[0].startswith(b"\xef\xbb\xbfpage_id,hour,")
    assert got[0].count(b"\r\n") == 25                                  # header + 24 hours
    assert leftovers(tmp_path) == [] and not (tmp_path / "pipe.incomplete.csv").exists()


def _null_device_in(folder: Path) -> Path | None:
    """A character device node for the null device (1, 3), made in the test's folder; None when
    this user may not make one."""
    import stat
    node = folder / "nul"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        return None
    try:
        with open(node, "wb") as fh:       # a folder mounted nodev refuses devices
            fh.write(b"")
    except OSError:
        node.unlink()
        return None
    return node


def test_a_character_device_is_written_through_never_replaced(server, monkeypatch, tmp_path):
    import stat
    node = _null_device_in(tmp_path)
    if node is None:
        # no device can be made here: classify the real one, reading it only (never written)
        from pancake.delivery.export import THROUGH, output_target
        assert output_target("/dev/null")[0] == THROUGH
        return
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    code, err = run(export_args(node, days_ago(sim, 1), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 0, err
    st = os.lstat(node)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)  # still the device
    assert leftovers(tmp_path) == []


def test_a_failed_export_to_a_fifo_writes_what_came_back_and_says_so(server, monkeypatch, tmp_path):
    """As stdout does: a stream cannot be 'left as it was'; no '.incomplete.csv' is made beside it."""
    import threading
    sim = Simulator(faults=Faults(rules=[FaultRule("500", every=1, retry_after=0, page_id=B,
                                                   path_contains="statistics")]))
    env_for(server(sim), monkeypatch)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    code, err = run(export_args(fifo, days_ago(sim, 1), days_ago(sim, 1), A, B), monkeypatch, tmp_path)
    t.join(timeout=30)
    assert code == 1
    assert got and got[0].count(b"\r\n") == 25          # page A's 24 hours
    assert err.count("failed:") == 1 and B in err
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_stdout_through_a_link_works_for_a_normal_user(server, tmp_path):
    """``-o /dev/stdout`` is a link to ``/proc/self/fd/1``: the same link is made in the test's folder."""
    sim = Simulator()
    url = server(sim)
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    d = sim.today() - timedelta(days=1)
    proc = forkrun.run([sys.executable, "-m", "pancake", "export", "activity", "--page", A,
                        "--since", str(d), "--until", str(d), "-q", "-o", str(link)], capture_output=True,
                       env=_env(url, tmp_path / "cache"), cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.startswith(b"\xef\xbb\xbfpage_id,hour,") and proc.stdout.count(b"\r\n") == 25
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert proc.stderr == b""


def test_a_full_disk_is_one_line_naming_the_path_and_the_file_is_kept(server, monkeypatch, tmp_path):
    import errno

    from pancake.delivery import export as export_mod
    sim = Simulator()
    env_for(server(sim), monkeypatch)
    target = tmp_path / "act.csv"
    target.write_bytes(b"yesterday's complete export\r\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(export_mod.os, "fsync", full)
    code, err = run(export_args(target, days_ago(sim, 1), days_ago(sim, 1)), monkeypatch, tmp_path)
    assert code == 1
    assert err.splitlines() == [f"error: --output: could not write {target}: No space left on device; "
                                f"{target} left as it was"]
    assert target.read_bytes() == b"yesterday's complete export\r\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("args", [["export", "tags", "--page", "", "--since", "2026-01-01", "--until", "2026-01-02"],
                                  ["export", "conversations", "--page", " ", "--since", "2026-01-01",
                                   "--until", "2026-01-02"],
                                  ["sync", "--page", A, "", "--days", "3"]])
def test_an_empty_page_id_is_refused_in_one_line_before_any_call(args, monkeypatch, tmp_path):
    """#23: ``--page ''`` sent a token-generation POST for an empty page id. Nothing listens at
    the base URL: a call would end in another message."""
    monkeypatch.setenv("PANCAKE_BASE_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
    code, err = run(args, monkeypatch, tmp_path)
    assert code == 2
    bad = "''" if "" in args else "' '"
    assert err.splitlines() == [f"error: --page {bad} is not a page id"]
