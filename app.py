"""Start VAU-R1 Studio: `python app.py [--model tiny] [--db URL] [--port 7860] ...`."""

from __future__ import annotations

import sys

from app.settings import from_sources
from inference.errors import StudioError


def main(argv: list[str] | None = None) -> int:
    """Parse flags and VAU_* variables, build the app, serve it until interrupted."""
    try:
        settings = from_sources(argv)
        from app.ui import build_app, serve

        demo = build_app(settings)
    except StudioError as error:
        print(f"app.py: {error}", file=sys.stderr)
        return 2
    serve(demo, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
