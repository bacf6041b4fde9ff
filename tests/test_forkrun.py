"""``tests.forkrun.run`` answers as ``subprocess.run`` does for the commands the tests run:
arguments, environment, working directory, standard streams, exit status, threads and ``atexit``
at the end, a timeout."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests import forkrun

PY = sys.executable


def both(cmd, **kw):
    """The same command through ``subprocess.run`` and through the fork server."""
    return (subprocess.run(cmd, capture_output=True, **kw), forkrun.run(cmd, capture_output=True, **kw))


def test_arguments_environment_directory_and_exit_status_as_a_new_process(tmp_path):
    code = "import os, sys; print(sys.argv, os.getcwd(), os.environ.get('X'), 'Y' in os.environ); sys.exit(3)"
    real, forked = both([PY, "-c", code, "a", "b"], env={"X": "ê"}, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)
    assert forked.returncode == 3 and forked.stdout.decode() == f"['-c', 'a', 'b'] {tmp_path} ê False\n"


def test_a_module_its_bytes_and_its_help():
    real, forked = both([PY, "-m", "pancake", "export", "--help"])
    assert forked.returncode == real.returncode == 0 and forked.stdout == real.stdout
    _, raw = both([PY, "-c", "import sys; sys.stdout.buffer.write(b'\\xef\\xbb\\xbfa,b'); print('é', file=sys.stderr)"])
    assert (raw.stdout, raw.stderr) == (b"\xef\xbb\xbfa,b", "é\n".encode())


def test_an_uncaught_exception_a_message_exit_and_standard_input():
    forked = forkrun.run([PY, "-c", "raise ValueError('boom')"], capture_output=True)
    assert forked.returncode == 1 and forked.stderr.rstrip().endswith(b"ValueError: boom")
    forked = forkrun.run([PY, "-c", "import sys; sys.exit('no such page')"], capture_output=True)
    assert (forked.returncode, forked.stderr) == (1, b"no such page\n")
    forked = forkrun.run([PY, "-c", "import sys; print(sys.stdin.read().upper())"], capture_output=True,
                         input=b"hello")
    assert forked.stdout == b"HELLO\n"


def test_the_end_joins_threads_and_runs_atexit():
    code = ("import atexit, threading, time\n"
            "def late():\n    time.sleep(0.05); print('thread')\n"
            "threading.Thread(target=late).start()\n"
            "atexit.register(lambda: print('atexit'))\n")
    forked = forkrun.run([PY, "-c", code], capture_output=True)
    assert (forked.returncode, forked.stdout) == (0, b"thread\natexit\n")


def test_a_timeout_kills_the_command_and_the_server_goes_on():
    with pytest.raises(subprocess.TimeoutExpired):
        forkrun.run([PY, "-c", "import time; time.sleep(60)"], capture_output=True, timeout=0.2)
    assert forkrun.run([PY, "-c", "print(1)"], capture_output=True).stdout == b"1\n"


def test_anything_else_goes_to_subprocess():
    assert forkrun.run(["echo", "hi"], capture_output=True).stdout == b"hi\n"


def test_an_interrupted_wait_kills_the_command_and_the_next_run_starts_a_new_server(monkeypatch):
    real = forkrun._SERVER.line
    looks = []

    def interrupted(proc, timeout):
        looks.append(timeout)
        if len(looks) == 2:           # waiting for the command's end: pytest-timeout, ^C
            raise KeyboardInterrupt
        return real(proc, timeout)

    forkrun.run([PY, "-c", "pass"], capture_output=True)
    before = forkrun._SERVER.proc
    monkeypatch.setattr(forkrun._SERVER, "line", interrupted)
    with pytest.raises(KeyboardInterrupt):
        forkrun.run([PY, "-c", "import time; time.sleep(60)"], capture_output=True)
    assert forkrun._SERVER.proc is None and before.wait(timeout=30) == 0
    monkeypatch.setattr(forkrun._SERVER, "line", real)
    assert forkrun.run([PY, "-c", "print(2)"], capture_output=True).stdout == b"2\n"
