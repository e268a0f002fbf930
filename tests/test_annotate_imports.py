"""`annotate` stays light: importing any of its modules loads neither torch nor Gradio."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import annotate
from tests.conftest import ROOT

MODULES = sorted(
    f"annotate.{m.name}" for m in pkgutil.iter_modules(annotate.__path__) if m.name != "__main__"
)


def test_every_annotate_module_is_listed():
    assert {"annotate.store", "annotate.cli", "annotate.export", "annotate.importer"} <= set(
        MODULES
    )


def test_importing_annotate_loads_neither_torch_nor_gradio():
    code = (
        "import sys\n"
        f"for name in {MODULES!r}: __import__(name)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'gradio'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_studio_service_layer_loads_no_ui_or_model_code():
    # The tabs' work is what the page and gradio_client call: no Gradio, plotly or torch in it.
    code = (
        "import sys\n"
        "import app.items, app.runs, app.corrections, app.review, app.progress\n"
        "import app.checkpoints, app.services, app.fields, app.labels, app.state\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'gradio', 'plotly', 'transformers'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
