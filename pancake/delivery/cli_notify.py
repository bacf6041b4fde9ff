"""``python -m pancake digest`` and ``python -m pancake alert``: messages for scheduled jobs (their
options in ``add_parsers`` and the README).

- ``digest``: one day's key totals against the same weekday a week before, "yesterday in five
  lines", the flags, the pages needing attention and the response times from the messages the
  store keeps (``--fill-replies`` fetches the missing ones first) (``pancake.delivery.digest``).
  Today is refused (a part of a day is not compared with a whole one). ``--picture`` attaches
  the standup screen as a PNG (``pancake.delivery.picture``); without Chromium one line says why
  and the digest goes without it.
- ``alert``: the standup flags now, only those not already sent to that channel
  (``pancake.delivery.alerts``; the state in the store). Each channel's turn runs under the
  store's ``alert_lock``, so runs at once send each flag once; a message a channel took and never
  answered is not sent again.

``--dry-run`` prints the message and sends or remembers nothing. A failing page is named and the
others reported; a failing channel does not stop the others; exit 1 when any page or channel
failed, 2 for a usage error. No secret is ever printed.
"""
from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO

from pancake import config, i18n, timeutil
from pancake.config import load_settings
from pancake.data import configured
from pancake.data import replies as dr
from pancake.data.store import StoreError, memory_store
from pancake.delivery import notify, picture
from pancake.delivery.cli_common import open_pages, parse_day, read_secrets
from pancake.delivery.export import AtomicFile, OutputPathError
from pancake.delivery.export_replies import hours_for
from pancake.redact import redact

# pancake.delivery.cli imports this module for every command: what only digest and alert need (pandas
# views, plotly through the standup module, apprise) is imported when they run
DEFAULT_SILENT_HOURS = 3     # pancake.numbers.views.briefing.DEFAULT_SILENT_HOURS (a test checks they agree)

COMMANDS = ("digest", "alert")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _hours(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours") from None
    if not 1 <= value <= 48:
        raise argparse.ArgumentTypeError("between 1 and 48 hours")
    return value


def _minutes_from(low: int):
    """An argparse type: a number of minutes from ``low`` to a day (1440)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
        if not low <= value <= 24 * 60:
            raise argparse.ArgumentTypeError(f"between {low} and 1440 minutes")
        return value
    return parse


_minutes = _minutes_from(1)           # --waiting-minutes
_target_minutes = _minutes_from(0)    # --before-target: 0 = only past the target


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--page", action="append", required=True, nargs="+", metavar="ID",
                   help="page ids, or 'all' = every page the user token sees (or the configured pages)")
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG, help="language of the message")
    p.add_argument("--notify", action="append", metavar="URL",
                   help="an apprise notification URL (repeat for several): tgram://, zalo://, slack://, "
                        "discord://, mailto://, json://host:port/path ...; default: PANCAKE_NOTIFY "
                        "(comma-separated) or the secrets")
    p.add_argument("--dry-run", action="store_true", help="print the message, send nothing")
    p.add_argument("--silent-hours", type=_hours, default=DEFAULT_SILENT_HOURS, metavar="N",
                   help=f"flag a page with customer messages and no reply for N hours (default "
                        f"{DEFAULT_SILENT_HOURS})")
    p.add_argument("--quiet", "-q", action="store_true", help="only errors on stderr")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``digest`` and ``alert`` to the CLI's subcommands."""
    d = sub.add_parser(
        "digest", help="send one day's digest to chat apps, email or webhooks (cron: 07:30)",
        description="One day's key totals against the same weekday last week, yesterday in five lines, "
                    "the flags and the pages needing attention, sent through apprise. Exit 1 when a page "
                    "or a channel failed (the others are still reported and sent).")
    _common(d)
    d.add_argument("--date", type=parse_day, metavar="YYYY-MM-DD",
                   help="the day reported (default: yesterday in the configured time zone)")
    d.add_argument("--picture", action="store_true",
                   help="attach the standup screen of the pages and the day as a PNG sized for a phone "
                        "(headless Chromium: PANCAKE_CHROMIUM, else /usr/bin/chromium) on the channels that "
                        "take files; without Chromium the digest goes without it")
    d.add_argument("--picture-out", metavar="FILE",
                   help="write that picture to FILE and send nothing")
    d.add_argument("--theme", choices=("light", "dark"), default="light", help="the picture's theme")
    r = d.add_mutually_exclusive_group()
    r.add_argument("--fill-replies", action="store_true",
                   help="fetch the day's messages the store does not keep yet before computing the response "
                        "times (default: only what the store keeps, e.g. after `sync`; the digest says "
                        "'computed over N of M conversations' when some are missing)")
    r.add_argument("--no-replies", action="store_true", help="leave the response-times section out")
    a = sub.add_parser(
        "alert", help="send the standup flags that are new since the last run (cron: every 10 min)",
        description="Evaluate the standup flags now (response-time jump, spend with no purchase, no reply "
                    "for N hours, dead token, customers waiting) and send only those not sent before to "
                    "each channel (the state is kept in the statistics store).")
    _common(a)
    a.add_argument("--waiting-minutes", type=_minutes, metavar="M",
                   help="also flag customers waiting M minutes or more for an answer (reads the "
                        "conversations of the last two days)")
    a.add_argument("--before-target", type=_target_minutes, metavar="M",
                   help="also flag each customer waiting past their reply target (PANCAKE_HOURS_FILE, in "
                        "opening hours) or within M minutes of it (0: only past it), once per customer turn; "
                        "reads the conversations of yesterday and today and fetches their new messages")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.command == "digest":
        return run_digest(args, stdout, stderr)
    return run_alert(args, stdout, stderr)


# --- shared ---------------------------------------------------------------------------------------

def _say(args: argparse.Namespace, stderr: TextIO):
    return (lambda msg: None) if args.quiet else (lambda msg: print(redact(msg), file=stderr, flush=True))


def _setup(args: argparse.Namespace, stderr: TextIO):
    """(settings, secrets, targets, loader, page_ids, names, asked) or an exit status."""
    secrets = read_secrets()
    channels = notify.targets(args.notify, secrets=secrets)
    if not channels and not args.dry_run and not getattr(args, "picture_out", None):
        print("error: no notification channel: give --notify URL, or set PANCAKE_NOTIFY (or notify in the "
              "secrets); --dry-run prints the message instead", file=stderr)
        return EXIT_USAGE
    asked = [p for group in args.page for p in group]
    opened = open_pages(asked, args.command, stderr)
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    settings = load_settings(secrets=secrets)
    return settings, secrets, channels, loader, page_ids, names, asked


def _link_base(settings, stderr: TextIO) -> str | None:
    """The dashboard's address for the links (``PANCAKE_PUBLIC_URL``), or None; a refused one is
    said in one line (even with -q: the messages go out without their link) and dropped."""
    if settings.public_url_problem:
        print("warning: " + i18n.t(f"config.public_url.{settings.public_url_problem}", "en"), file=stderr)
    return settings.public_url


def _page_errors(errors, stderr: TextIO) -> None:
    for e in errors:
        print(redact(f"error: page {e.page_name} ({e.page_id}) failed: {e.message}"), file=stderr)


def _deliver(msg, channels, say, stderr: TextIO, *, notify_type: str, unknown_note: str = "not sent again",
             attachment=None) -> list:
    """Send to each channel and say how each went: sent, failed, or sent with an unknown outcome
    (the channel had the message and never answered: it may have arrived)."""
    out = notify.send(msg, channels, notify_type=notify_type, attachment=attachment)
    for d in out:
        if d.ok:
            extra = "" if attachment is None else (" with the picture" if d.attached
                                                   else " (text only: this channel takes no file)")
            say(f"sent to {d.target.label}{extra}")
        elif d.unknown:   # said in English, as every line of the command is
            said = i18n.t("notify.unknown", "en", s=notify.fmt_seconds(d.waited)) if d.waited else d.error
            print(redact(f"error: channel {d.target.label}: {said}; {unknown_note}"), file=stderr)
        else:
            print(redact(f"error: channel {d.target.label} failed: {d.error}"), file=stderr)
    return out


def now_utc() -> datetime:
    """The commands' one "now" (a test pins it here, as the dashboard's ``ui.cache.now_utc``)."""
    return datetime.now(UTC)


def _now_local(loader, utc: datetime | None = None) -> datetime:
    return timeutil.wall_clock(utc or now_utc(), loader.client.tz)


# --- digest ---------------------------------------------------------------------------------------

def run_digest(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    setup = _setup(args, stderr)
    if isinstance(setup, int):
        return setup
    settings, secrets, channels, loader, page_ids, names, asked = setup
    say = _say(args, stderr)
    out_file = None
    if args.picture_out:
        try:
            out_file = AtomicFile(args.picture_out)   # a bad path is said before any work
        except OutputPathError as exc:
            print(f"error: --picture-out: {exc}", file=stderr)
            return EXIT_USAGE
    try:
        return _digest(args, settings, channels, loader, page_ids, names, asked, say, stdout, stderr, out_file)
    finally:
        if out_file is not None:
            out_file.discard()


def _digest(args, settings, channels, loader, page_ids, names, asked, say, stdout, stderr, out_file) -> int:
    from pancake.delivery import digest  # start-up: the digest's views (plotly) only for this command
    today = loader.today()
    day = args.date or today - timedelta(days=1)
    if day > today:
        print(f"error: --date {day} is in the future (today is {today})", file=stderr)
        return EXIT_USAGE
    if day == today:
        print(f"error: --date {day} is today, which is not over: a part of a day is not compared with a "
              f"whole one (give {today - timedelta(days=1)} or an earlier day)", file=stderr)
        return EXIT_USAGE
    say(f"digest: {len(page_ids)} page(s), {day}")
    data = digest.load_day(loader, page_ids, names, day, now_local=_now_local(loader))
    if not args.no_replies:
        data.replies, data.hours = _replies(loader, page_ids, names, day, day, stderr,
                                            fill=args.fill_replies, say=say)
    result = digest.build(data, args.lang, page_ids, names, today=today,
                          link_base=_link_base(settings, stderr), asked_all="all" in asked,
                          silent_hours=args.silent_hours)
    _page_errors(result.errors, stderr)
    if out_file is not None:
        png = _picture(args, loader, page_ids, names, day, say, stderr)
        if png is None:
            return EXIT_FAILED
        out_file.commit(png)
        say(f"picture written to {args.picture_out}")
        return EXIT_FAILED if result.errors else EXIT_OK
    if args.dry_run:
        print(result.message.text(), file=stdout)
        return EXIT_FAILED if result.errors else EXIT_OK
    attachment = None
    if args.picture:
        png = _picture(args, loader, page_ids, names, day, say, stderr)
        if png is not None:
            attachment = notify.Attachment(picture.file_name(page_ids, day, args.lang), png)
    deliveries = _deliver(result.message, channels, say, stderr, notify_type="info",
                          unknown_note="not sent again: look in the channel before sending it by hand",
                          attachment=attachment)
    failed = result.errors or any(not d.ok for d in deliveries)
    return EXIT_FAILED if failed else EXIT_OK


def _replies(loader, page_ids, names, start, end, stderr: TextIO, *, fill: bool, say):
    """The customer turns that started in [start, end] (``data.replies.RangeTurns``) and the
    opening hours (a bad hours file said on stderr, calendar time used)."""
    tz = loader.client.tz.key
    hours = hours_for(tz, stderr)
    got = dr.load_range(loader.client, loader.store if loader.store is not None else memory_store(), loader.source,
                        page_ids, start, end, tz, hours, now_utc(), page_names=names, fill_messages=fill)
    say(f"replies: {got.kept.complete} of {got.kept.total} conversation(s) with their messages")
    return got, hours


def _picture(args, loader, page_ids, names, day, say, stderr: TextIO) -> bytes | None:
    """The standup screen of the digest's pages and day as a PNG, or None after one line saying
    why (no Chromium, or the render failed): the digest is then sent without it. Its data is put
    in the store first, through this command's loader; the screen reads it from there."""
    chromium, why = config.chromium()
    if chromium is None:
        print(redact(f"warning: no picture: {why}"), file=stderr)
        return None
    started = time.monotonic()
    picture.warm(loader, page_ids, names, day, day, day)
    try:
        pic = picture.render(page_ids, day, day, lang=args.lang, theme=args.theme, day=day, chromium=chromium)
    except picture.PictureError as exc:
        print(redact(f"warning: no picture: {exc}"), file=stderr)
        return None
    say(f"picture: {len(pic.png) // 1024} KiB in {time.monotonic() - started:.1f} s")
    return pic.png


# --- alert ----------------------------------------------------------------------------------------

def _state_store(settings, loader, stderr: TextIO):
    st = loader.store
    if st is None or st.backend == "memory":
        st = configured.open_store(settings, persistent=True)
    if st.backend == "memory":
        print("warning: the statistics store is unavailable: alert state kept in memory only, alerts may "
              "repeat on the next run", file=stderr)
    return st


def run_alert(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from pancake.delivery import alerts  # start-up: the alerts' views (plotly) only for these commands
    setup = _setup(args, stderr)
    if isinstance(setup, int):
        return setup
    settings, secrets, channels, loader, page_ids, names, asked = setup
    say = _say(args, stderr)
    utc = now_utc()
    now = _now_local(loader, utc)
    targets = None
    if args.before_target is not None:
        tz = loader.client.tz.key
        hours = hours_for(tz, stderr)
        got = dr.load_waiting_turns(loader.client, loader.store if loader.store is not None else memory_store(),
                                    loader.source, page_ids, tz, hours, utc, now, page_names=names)
        say(f"replies: {got.kept.complete} of {got.kept.total} waiting conversation(s) with their messages")
        targets = alerts.ReplyTargets(got, hours, args.before_target)
    check = alerts.evaluate(loader, page_ids, names, now_local=now, lang=args.lang,
                            silent_hours=args.silent_hours, waiting_minutes=args.waiting_minutes,
                            reply_targets=targets)
    _page_errors(check.errors, stderr)
    link = _link_base(settings, stderr)
    state = _state_store(settings, loader, stderr)
    failed = bool(check.errors)
    for target in (channels or [None]):
        scope = alerts.scope(loader.source, asked, target)
        try:
            if args.dry_run:
                _alert_dry_run(args, check, state, scope, target, page_ids, names, now, link, asked, stdout, say)
                continue
            # read the state, send, write the state: one run at a time per channel, so two runs
            # at once send each flag once
            with state.alert_lock(scope):
                failed |= not _alert_channel(args, check, state, scope, target, page_ids, names, now, link,
                                             asked, say, stderr)
        except StoreError as exc:
            print(redact(f"error: channel {target.label if target else 'stdout'}: alert state: {exc}; "
                         f"nothing sent"), file=stderr)
            failed = True
    return EXIT_FAILED if failed else EXIT_OK


def _nothing_new(check, state, scope: str, where: str, say) -> None:
    from pancake.delivery import alerts  # start-up: the alerts' views (plotly) only for these commands
    active = alerts.current_keys(check)
    unknown = sum(1 for k, o in state.alert_outcomes(scope).items() if o == "unknown" and k in active)
    say(f"alert: nothing new for {where} ({len(check.flags)} flag(s) active, already sent"
        + (f"; {unknown} of them with an unknown outcome: the channel never answered" if unknown else "") + ")")


def _alert_dry_run(args, check, state, scope, target, page_ids, names, now, link, asked, stdout, say) -> None:
    from pancake.delivery import alerts  # start-up: the alerts' views (plotly) only for these commands
    new = alerts.new_flags(check, state.alert_state(scope))
    if not new:
        _nothing_new(check, state, scope, target.label if target is not None else "stdout", say)
        return
    msg = alerts.message(new, args.lang, page_ids, names, now=now, link_base=link, asked_all="all" in asked)
    if target is not None:
        print(f"== {target.label} ==", file=stdout)
    print(msg.text(), file=stdout)


def _alert_channel(args, check, state, scope, target, page_ids, names, now, link, asked, say,
                   stderr: TextIO) -> bool:
    """One channel's turn (under its lock): the flags not sent to it yet, sent and remembered.
    False when it failed or its outcome is unknown."""
    from pancake.delivery import alerts  # start-up: the alerts' views (plotly) only for these commands
    remembered = state.alert_state(scope)
    new = alerts.new_flags(check, remembered)
    if not new:
        _nothing_new(check, state, scope, target.label, say)
        state.save_alert_state(scope, alerts.next_state(check, remembered), time.time())
        return True
    msg = alerts.message(new, args.lang, page_ids, names, now=now, link_base=link, asked_all="all" in asked)
    note = (f"its {len(new)} flag(s) are remembered as sent with an unknown outcome and are not sent "
            f"again: look in the channel")
    delivery = _deliver(msg, [target], say, stderr, notify_type="warning", unknown_note=note)[0]
    if delivery.ok:
        state.save_alert_state(scope, alerts.next_state(check, remembered), time.time())
        return True
    if delivery.unknown:
        # it may have arrived: remembered (as unknown), never sent again blindly
        keys = [k for k, f in alerts.current_keys(check).items() if any(f is n for n in new)]
        state.save_alert_state(scope, alerts.next_state(check, remembered), time.time(), unknown=keys)
    # a failure: nothing remembered, this channel gets these flags on the next run
    return False
