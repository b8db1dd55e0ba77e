"""``python -m simlib``: see `simlib.cli`."""

import sys

from .cli import main

sys.exit(main())
