"""``python -m bench.fill_worker URL FOLDER [--store PATH]``: the dashboard's messages filler
(``python -m pancake fill``) against ``bench.sim_server`` at URL, its client on a fake clock as
``bench.pages.use_server`` makes the dashboard's (the bench's ``pancake.data.filler.COMMAND``)."""
from __future__ import annotations

import sys

from bench.pages import _client_factory


def main(argv: list[str]) -> int:
    from pancake.data import core
    from pancake.delivery import cli
    core.make_client = _client_factory(base_url=argv[0])
    return cli.main(["fill", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
