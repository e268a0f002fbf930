"""What made a predictions file: checkpoint and weights, prompt wording, sampling, backend,
seed, package versions and the project's revision, recorded with every `eval` line.

The weights' fingerprint is a digest of each weight file's name, size and first and last MiB
(and the safetensors header that names every tensor): it tells two checkpoints apart without
reading gigabytes. Nothing here fails a run: a fact that cannot be read is recorded as None.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from inference.models.loading import WEIGHT_PATTERNS

PACKAGES = ("torch", "transformers", "accelerate", "bitsandbytes", "openai", "vllm")
EDGE_BYTES = 1 << 20
ROOT = Path(__file__).resolve().parents[2]


def weights_fingerprint(directory: str | Path) -> str | None:
    """A short digest of a checkpoint folder's weight files; None for a hub id or no weights."""
    folder = Path(directory)
    if not folder.is_dir():
        return None
    files = sorted({p for pattern in WEIGHT_PATTERNS for p in folder.glob(pattern)})
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        size = path.stat().st_size
        digest.update(f"{path.name}:{size}".encode())
        with path.open("rb") as handle:
            digest.update(handle.read(EDGE_BYTES))
            if size > EDGE_BYTES:
                handle.seek(max(size - EDGE_BYTES, EDGE_BYTES))
                digest.update(handle.read(EDGE_BYTES))
    return digest.hexdigest()[:16]


def template_digest(templates: Any | None) -> str:
    """A short digest of the prompt wording used (the default templates when None)."""
    from inference.core.prompts import DEFAULT, TEMPLATES

    text = (templates or TEMPLATES[DEFAULT]).to_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def git_revision(root: Path = ROOT) -> str | None:
    """The project's checked-out commit, read from .git without running git; None if unknown."""
    try:
        head = (root / ".git" / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head or None
        ref = head[5:]
        loose = root / ".git" / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip()
        for line in (root / ".git" / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        return None
    return None


def versions() -> dict[str, str | None]:
    """The installed versions of the packages that shape an answer."""
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def provenance(facts: dict[str, Any], templates: Any | None, sampling: Any) -> dict[str, Any]:
    """Everything an `eval` line records of what made it (`facts`: the engine's own)."""
    source = str(facts.get("model_source") or "")
    return {
        "engine": facts,
        "weights": weights_fingerprint(source) if source else None,
        "template": template_digest(templates),
        "sampling": json.loads(json.dumps(sampling.__dict__, default=str)),
        "versions": versions(),
        "git": git_revision(),
    }
