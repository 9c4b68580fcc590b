"""`python -m flows.cli`: the `fir` command."""

import sys

from flows.cli import main

sys.exit(main())
