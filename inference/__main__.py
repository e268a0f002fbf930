"""`python -m inference ...` entry point."""

import sys

from inference.cli import main

sys.exit(main())
