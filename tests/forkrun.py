"""The commands the tests run to completion (``python -m pancake ...``, ``python -c CODE ...``),
started from one process per test worker that has already imported what they import: a fork
server. Each command is still a process of its own, with its own environment, working directory,
arguments, standard streams and exit status, so a test sees what a scheduler would see, but it
does not pay the ~0.45 s of CPU a new interpreter spends importing pandas, pyarrow, httpx and the
product before its first line (the suite runs ~140 of them).

``run`` has ``subprocess.run``'s arguments and result. What it cannot start that way (another
program, a command the test waits for while it runs, ``Popen``) the tests start with
``subprocess`` as before: the shared limiter's and the store's real-process tests, commands
stopped by a signal, several runs at once.

The server starts no thread (Python's or the libraries' pools; pyarrow's allocator keeps one
background thread, which its own fork handlers take care of), so forking it is safe; it leaves when
the worker ends and closes its input, or is killed by its pid if it does not. A child ends as an interpreter does: the script's ``SystemExit`` (or an uncaught exception's
traceback and 1), then the non-daemon threads joined, the ``atexit`` functions run, the streams
flushed."""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# what ``python -m pancake`` imports before its first line, imported once by the server
WARM = ("pancake.delivery.cli", "pancake.delivery.cli_notify", "pancake.data.configured", "pandas",
        "pyarrow", "httpx", "logging", "runpy")

SERVER = r'''
import importlib, json, os, sys
for name in sys.argv[1].split(","):
    importlib.import_module(name)
control_in = os.fdopen(os.dup(0), "rb", buffering=0)
control_out = os.fdopen(os.dup(1), "wb", buffering=0)
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
os.close(null)
from tests.forkrun import child_main
while True:
    line = control_in.readline()
    if not line:
        break
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        control_in.close(); control_out.close()
        child_main(request)          # never returns
    control_out.write(("%d\n" % pid).encode())
    _, status = os.waitpid(pid, 0)
    control_out.write(("%d\n" % os.waitstatus_to_exitcode(status)).encode())
'''


def child_main(request: dict) -> None:
    """In the forked child: become the command ``request`` describes, run it, and end as an
    interpreter ends (see the module's docstring)."""
    import builtins
    import runpy
    import traceback
    code = 1
    try:
        for fd, path, flags in ((0, request["stdin"], os.O_RDONLY), (1, request["stdout"], os.O_WRONLY),
                                (2, request["stderr"], os.O_WRONLY)):
            target = os.open(path, flags)
            os.dup2(target, fd)
            os.close(target)
        # the standard streams of the command (they live until the process ends)
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                                              closefd=False, buffering=1)
        os.environ.clear()
        os.environ.update(request["env"])
        if "TZ" in request["env"]:
            import time
            time.tzset()
        os.chdir(request["cwd"])
        extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [request["cwd"] if request["module"] else ""] + extra + \
            [p for p in sys.path[1:] if p not in extra]
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.default_int_handler)
        try:
            if request["module"]:
                sys.argv = [request["module"], *request["args"]]
                runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            else:
                sys.argv = ["-c", *request["args"]]
                exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__",
                                                                    "__builtins__": builtins})
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:   # noqa: BLE001 - what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
        threading._shutdown()   # the interpreter's own join of the non-daemon threads
        atexit._run_exitfuncs()
    except BaseException:   # noqa: BLE001 - the child could not become the command: say why
        os.write(2, traceback.format_exc().encode())
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:   # noqa: BLE001 - a closed or broken stream: nothing more to say
                pass
        os._exit(code & 0xFF)


class _Server:
    """The worker's fork server: started at the first ``run``, stopped by its pid at exit."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def start(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
            self.proc = subprocess.Popen([sys.executable, "-c", SERVER, ",".join(WARM)], cwd=ROOT, env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        return self.proc

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def line(self, proc: subprocess.Popen, timeout: float | None) -> str | None:
        """The server's next line (unbuffered: a line already read into a buffer would leave
        ``select`` waiting for it), or None after ``timeout`` seconds."""
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        return proc.stdout.readline().decode() if ready else None


_SERVER = _Server()


def _how(cmd: list[str]) -> dict | None:
    """What the server runs for ``cmd``: ``python -m MODULE ARGS`` or ``python -c CODE ARGS``
    with this interpreter; None for anything else."""
    if not cmd or str(cmd[0]) != sys.executable or len(cmd) < 3:
        return None
    if cmd[1] == "-m":
        return {"module": str(cmd[2]), "code": None, "args": [str(a) for a in cmd[3:]]}
    if cmd[1] == "-c":
        return {"module": None, "code": str(cmd[2]), "args": [str(a) for a in cmd[3:]]}
    return None


def run(cmd, *, env=None, cwd=None, timeout=None, input=None, capture_output=False, **kw):
    """``subprocess.run(cmd, ...)`` for a Python command of this interpreter, forked from the
    worker's server; any other command (or other arguments) goes to ``subprocess.run``."""
    how = _how(list(cmd))
    if how is None or kw or not capture_output:
        return subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, input=input,
                              capture_output=capture_output, **kw)
    with tempfile.TemporaryDirectory(prefix="forkrun-") as tmp:
        paths = {name: os.path.join(tmp, name) for name in ("stdin", "stdout", "stderr")}
        Path(paths["stdin"]).write_bytes(input or b"")
        for name in ("stdout", "stderr"):
            Path(paths[name]).touch()
        request = {**how, **paths, "env": dict(os.environ if env is None else env),
                   "cwd": str(cwd or os.getcwd())}
        with _SERVER.lock:
            proc = _SERVER.start()
            pid = None
            try:
                proc.stdin.write(json.dumps(request).encode() + b"\n")
                proc.stdin.flush()
                pid = int(_SERVER.line(proc, 60) or "")
                status = _SERVER.line(proc, timeout)
                if status is None:
                    os.kill(pid, signal.SIGKILL)
                    _SERVER.line(proc, 30)
                    pid = None
                    raise subprocess.TimeoutExpired(cmd, timeout, Path(paths["stdout"]).read_bytes(),
                                                    Path(paths["stderr"]).read_bytes())
            except subprocess.TimeoutExpired:
                raise
            except BaseException:
                # interrupted (pytest-timeout, ^C) or a server that stopped answering: the command
                # killed, the server stopped (the next run starts another), never left waiting
                if pid is not None:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                _SERVER.stop()
                raise
        return subprocess.CompletedProcess(list(cmd), int(status), Path(paths["stdout"]).read_bytes(),
                                           Path(paths["stderr"]).read_bytes())
