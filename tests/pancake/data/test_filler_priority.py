"""The messages' filler process runs below the dashboard's priority (issue 20, ten viewers at
once: the fill is background work, the sessions' page loads come first): the dashboard lowers
the priority of the filler it started, by its pid; a test's stand-in process is left alone."""
from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd

from pancake.data import filler
from pancake.data.store import SQLiteStore


def test_the_started_filler_runs_ten_steps_below():
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        before = os.getpriority(os.PRIO_PROCESS, proc.pid)
        filler.lower_priority(proc.pid)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == max(before, 10)
        assert os.getpriority(os.PRIO_PROCESS, 0) == before            # the dashboard's own: unchanged
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_asked_for_that_pid_and_a_refusal_is_no_error():
    asked = []
    filler.lower_priority(4321, setpriority=lambda which, pid, value: asked.append((which, pid, value)))
    assert asked == [(os.PRIO_PROCESS, 4321, 10)]

    def refuse(*_a):
        raise PermissionError("not allowed")
    filler.lower_priority(4321, setpriority=refuse)           # runs as it is


def test_a_stand_in_process_is_not_touched(tmp_path, monkeypatch):
    lowered = []
    monkeypatch.setattr(filler, "lower_priority", lowered.append)

    class Stand:
        pid = 999_999

        def poll(self):
            return 0
    missing = pd.DataFrame({"page_id": ["p"], "conversation_id": ["c1"], "customer_id": ["k"], "updated_at": ["t"]})
    try:
        assert filler.ensure(SQLiteStore(tmp_path / "s.sqlite"), "s", missing, root=tmp_path,
                             popen=lambda *_a, **_k: Stand(), alive=lambda _pid: False) == 999_999
    finally:
        filler._STARTED.pop(999_999, None)
    assert lowered == []
