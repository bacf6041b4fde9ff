"""Processes we started: stopped by their own pid, never by name."""
from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop one process we started: SIGTERM, then SIGKILL after ``grace`` s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
