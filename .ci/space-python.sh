#!/bin/sh
# Prints the Python a Space runs (3.12, the deploy's python_version) when this machine has it,
# else this machine's python3 with a warning on stderr: the pins are still the Space's.
for candidate in /root/.pyenv/versions/3.12*/bin/python /usr/bin/python3.12 \
    /usr/local/bin/python3.12 python3.12; do
    if "$candidate" -c "import sys, venv; assert sys.version_info[:2] == (3, 12)" 2>/dev/null; then
        command -v "$candidate"
        exit 0
    fi
done
echo "warning: no Python 3.12 here; the Space environment uses $(python3 --version)" >&2
command -v python3
