"""``python -m bench.fill_worker URL FOLDER [--store PATH]``: the dashboard's messages filler
(``python -m pancake fill``) against ``bench.sim_server`` at URL (the bench's
``pancake.data.filler.COMMAND``). Its client is paced on the real clock, 5 calls/s per page, as
against the real API: on a fake clock it asked the simulator as fast as it answered (45,000 calls
in a minute, where the API would take 120 a second from 24 pages), and the simulator, on this
machine's cores, then served the fill instead of the viewers."""
from __future__ import annotations

import sys

from bench.pages import _client_factory


def main(argv: list[str]) -> int:
    from pancake.data import core
    from pancake.delivery import cli
    core.make_client = _client_factory(base_url=argv[0], real_clock=True)
    return cli.main(["fill", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
