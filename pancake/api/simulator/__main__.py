import sys

from pancake.api.simulator.server import main

sys.exit(main())
