"""``python -m pancake access hash``: read a password or kiosk key on stdin, print the salted
scrypt hash to paste into the access file (``pancake.delivery.access``). The secret is never echoed,
logged or written anywhere.

Wired into ``pancake.delivery.cli``: ``cli_access.add_parsers(sub)`` in ``build_parser`` and
``if args.command in cli_access.COMMANDS: return cli_access.run(args, stdin, stdout, stderr)``.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from pancake.delivery import access

COMMANDS = ("access",)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ac = sub.add_parser("access", help="sign-in helpers: hash a password or a kiosk key",
                        description="Viewers and kiosk keys are stored as salted scrypt hashes only.")
    asub = ac.add_subparsers(dest="access_command", required=True, metavar="COMMAND")
    h = asub.add_parser("hash", help="read a password or key on stdin, print the line to paste",
                        description="Reads one line from stdin (asked without echo on a terminal) and prints "
                                    "password_hash = \"scrypt$...\" (or key_hash with --key).")
    h.add_argument("--key", action="store_true", help="print key_hash = ... (a [[kiosk]] entry)")


def run(args: argparse.Namespace, stdin: TextIO | None, stdout: TextIO, stderr: TextIO) -> int:
    stdin = stdin or sys.stdin
    what = "key" if args.key else "password"
    try:
        if stdin.isatty():
            secret = getpass.getpass(f"{what}: ", stream=stderr)
        else:
            secret = stdin.readline().rstrip("\r\n")
    except UnicodeError:      # bytes that are not UTF-8: one line, never a traceback
        print(f"error: the {what} on stdin is not UTF-8 text", file=stderr)
        return 2
    if not secret:
        print(f"error: no {what} on stdin", file=stderr)
        return 2
    if len(secret) < 8 and not args.key:
        print("warning: a password under 8 characters is easy to guess", file=stderr)
    field = "key_hash" if args.key else "password_hash"
    print(f'{field} = "{access.hash_secret(secret)}"', file=stdout)
    return 0
