"""`python -m annotate ...` (see annotate.cli)."""

import sys

from annotate.cli import main

sys.exit(main())
