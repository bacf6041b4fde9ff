"""The messages of a busy agency's day within the limit: ``make bench-replies``
(``python -m bench.replies``).

Setup: ``bench.sim_server`` in its own process (the simulator over HTTP, 200 ms latency, the
5 calls/s/page limit enforced), 24 pages, the day of 24/11/2026 at 15:30; each page's 300
newest conversations of the day (7,200 conversations). The client is the product's
(``PancakeClient``: its own pace of 5 calls/s/page), the fill is ``pancake.data.replies.fill``
into an empty SQLite store.

1. cold: every conversation's messages, 30 a call, newest first: wall time, message calls,
   calls over the limit as the server counts them (a call arriving while 5 others of its page
   arrived in the second before, plus any 429);
2. the same day again, two hours later (a new server at 17:30: the same shops, later): only the
   conversations whose ``updated_at`` moved are asked, each only back to a message already kept.

Targets: 0 calls over the limit; the refill asks only the conversations that moved. The figures
are printed and written with the command that made them to ``--out`` (default
/tmp/bench-replies.md); exit 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.sim_server import SimProcess, page_ids, token
from pancake.api.client import PancakeClient
from pancake.data import conversations as dc
from pancake.data import replies as dr
from pancake.data.store.sqlite import SQLiteStore

PAGES = 24
PER_PAGE = 300
LATENCY = 0.2
DAY = date(2026, 11, 24)
BACK = 6        # the quieter page shapes have fewer than 300 conversations a day: their newest 300 go back up to 3 days
TZ = "Asia/Ho_Chi_Minh"


def over_limit(calls: list, limit: int = 5, period: float = 1.0) -> tuple[int, int]:
    """(calls arriving while ``limit`` others of their page arrived in the ``period`` before, 429s)."""
    n = 0
    by_page: dict[str, list[float]] = {}
    for t, _path, pid, _status in calls:
        by_page.setdefault(pid, []).append(t)
    for times in by_page.values():
        times.sort()
        for i, t in enumerate(times):
            if sum(1 for u in times[max(0, i - limit):i] if t - u < period) >= limit:
                n += 1
    return n, sum(1 for c in calls if c[3] == 429)


def client(url: str, ids: list[str]) -> PancakeClient:
    return PancakeClient(page_tokens={p: token(p) for p in ids}, base_url=url, timezone=TZ)


def conversations(cl: PancakeClient, ids: list[str], keep: dict[str, list[str]] | None = None):
    loaded = dc.load_conversations(cl, ids, DAY - timedelta(days=BACK), DAY, TZ)
    frame = loaded.frame
    if keep is None:
        return frame.groupby("page_id", sort=False).head(PER_PAGE).reset_index(drop=True)
    wanted = {c for cs in keep.values() for c in cs}
    return frame[frame["conversation_id"].isin(wanted)].reset_index(drop=True)


def run(now: str, store, ids: list[str], keep=None) -> tuple[dict, object]:
    server = SimProcess(PAGES, LATENCY, "--now", now, memo=False)
    try:
        cl = client(server.url, ids)        # one client: its pace covers the listing's calls too
        convs = conversations(cl, ids, keep)
        server.reset()
        t0 = time.monotonic()
        fill = dr.fill(cl, store, "bench", convs)
        wall = time.monotonic() - t0
        calls = [c for c in server.raw_calls() if c[1].endswith("/messages")]
    finally:
        server.stop()
    per_page = max((sum(1 for c in calls if c[2] == p) for p in ids), default=0)
    return {"conversations": len(convs), "asked": fill.asked, "calls": len(calls), "wall": wall,
            "over": over_limit(calls), "errors": len(fill.errors), "busiest_page_calls": per_page,
            "floor": per_page / 5.0}, convs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.replies")
    ap.add_argument("--out", default="/tmp/bench-replies.md")
    args = ap.parse_args(argv)
    ids = page_ids(PAGES)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "store.sqlite3")
        cold, convs = run(f"{DAY}T15:30:00", store, ids)
        keep = {p: list(g["conversation_id"]) for p, g in convs.groupby("page_id")}
        before = dict(zip(convs["conversation_id"], convs["updated_at"]))
        warm, later = run(f"{DAY}T17:30:00", store, ids, keep)
        moved = sum(before.get(c) != u for c, u in zip(later["conversation_id"], later["updated_at"]))
        store.close()
    lines = [f"# bench.replies ({' '.join(['python -m bench.replies', *(argv or sys.argv[1:])])})", "",
             f"{PAGES} pages x their {PER_PAGE} newest conversations on {DAY} 15:30 (up to {BACK} days back), "
             f"{LATENCY * 1000:.0f} ms latency, 5 calls/s/page.", "",
             "| run | conversations | asked | message calls | busiest page | its floor at 5/s | wall | over 5/s (server's count) | 429 | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in (("cold (15:30)", cold), ("again (17:30)", warm)):
        lines.append(f"| {name} | {r['conversations']} | {r['asked']} | {r['calls']} | {r['busiest_page_calls']} | "
                     f"{r['floor']:.0f} s | {r['wall']:.0f} s | {r['over'][0]} | {r['over'][1]} | {r['errors']} |")
    lines.append("")
    lines.append(f"Conversations whose updated_at moved between the runs: {moved}.")
    ok = cold["over"] == warm["over"] == (0, 0) and warm["asked"] == moved and not cold["errors"] + warm["errors"]
    lines.append("targets: " + ("met" if ok else "MISSED"))
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
