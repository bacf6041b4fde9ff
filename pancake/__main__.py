"""``python -m pancake``: see ``pancake.delivery.cli``."""
import sys

from pancake.delivery.cli import main

if __name__ == "__main__":
    sys.exit(main())
