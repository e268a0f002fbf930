"""The layout shows the architecture: no import circles in the five packages, and each layer
imports only what it may (inference knows no Gradio or SQL; annotate no torch or Gradio; train
no Gradio or SQL; world no model, UI or database; inference's sub-packages only those below
them). Every import counts, at the top or inside a function, typing-only included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("app", "inference", "annotate", "train", "world")
FORBIDDEN = {
    "inference": ("gradio", "sqlalchemy", "alembic", "app", "annotate", "train"),
    "annotate": ("torch", "gradio", "transformers", "app", "train"),
    "train": ("gradio", "sqlalchemy", "alembic", "app", "annotate"),
    # the world draws videos and writes CSVs: no model, no UI, no database
    "world": (
        "torch",
        "transformers",
        "gradio",
        "sqlalchemy",
        "alembic",
        "app",
        "annotate",
        "train",
    ),  # fmt: skip
}
# inference's sub-packages, each over the ones it may import (its top-level modules, errors and
# the command-line helpers, sit beside them): the protocol at the bottom, evaluation on top.
BELOW = {
    "core": (),
    "video": ("core",),
    "models": ("core",),
    "backends": ("core", "video", "models"),
    "eval": ("core", "video", "models", "backends"),
    "scan": ("core", "video", "models", "backends"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute names, anywhere in the file."""
    found = set()
    package = module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))  # fmt: skip
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    files = [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")
             if "migrations" not in p.parts]  # fmt: skip
    modules = {module_name(p): p for p in files}
    edges = {}
    for name, path in modules.items():
        edges[name] = {m for m in imports_of(path) if m in modules and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_five_packages_imports_itself_back():
    edges = {
        k: {m for m in v if not k.startswith(m + ".") and m not in PACKAGES}
        for k, v in graph().items()
    }  # fmt: skip  (a package __init__ is not a module edge)
    assert cycles(edges) == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(layer):
    wrong = {}
    for path in (ROOT / layer).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = imports_of(path)
        bad = sorted(n for n in names for f in FORBIDDEN[layer] if n == f or n.startswith(f + "."))
        if bad:
            wrong[str(path.relative_to(ROOT))] = bad
    assert wrong == {}


@pytest.mark.parametrize("sub", sorted(BELOW))
def test_each_inference_sub_package_imports_only_those_below_it(sub):
    wrong = {}
    for path in (ROOT / "inference" / sub).rglob("*.py"):
        others = {n.split(".")[1] for n in imports_of(path) if n.startswith("inference.")}
        bad = sorted(o for o in others & set(BELOW) if o != sub and o not in BELOW[sub])
        if bad:
            wrong[str(path.relative_to(ROOT))] = bad
    assert wrong == {}
