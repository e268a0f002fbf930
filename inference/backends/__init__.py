"""Where generation runs: a name -> BackendSpec registry (`transformers`, `openai`).

Every backend returns an engine with the same surface: `stream` / `run` (Partials, then a
Generation), `facts()` (what a stored run records about what ran) and `describe()` (the model
status line). Callers pick one by name and never branch on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class BackendOptions:
    """The backend and, for a server, where it is: validated on creation."""

    backend: str = "transformers"
    base_url: str | None = None
    api_key_env: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            names = ", ".join(BACKENDS)
            raise ValueError(f"--backend must be one of {names}, not {self.backend!r}")
        if BACKENDS[self.backend].needs_server and not self.base_url:
            raise ValueError(f"--backend {self.backend} needs --base-url (the server's /v1 URL)")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"--base-url must be an http(s) URL, not {self.base_url!r}")
        if self.timeout_s <= 0:
            raise ValueError("--timeout must be positive")


@dataclass(frozen=True)
class BackendSpec:
    """How to open an engine for a model name under these options."""

    help: str
    open: Callable[..., Any]
    needs_server: bool = False
    takes_quant: bool = True


def _open_transformers(
    model: str, quant: str, device: str, options: BackendOptions, prefix_cache: bool
) -> Any:
    from inference.backends.engine import Engine
    from inference.models.loading import LoadOptions, load_model, resolve_model

    loaded = load_model(LoadOptions(model=resolve_model(model), quant=quant, device=device))
    return Engine(loaded, prefix_cache=prefix_cache)


def _open_openai(
    model: str, quant: str, device: str, options: BackendOptions, prefix_cache: bool
) -> Any:
    from inference.backends.remote import RemoteEngine, ServerOptions, api_key_from

    server = ServerOptions(
        base_url=options.base_url or "",
        model=model,
        api_key=api_key_from(options.api_key_env),
        timeout_s=options.timeout_s,
    )
    return RemoteEngine(server).connect()


BACKENDS: dict[str, BackendSpec] = {
    "transformers": BackendSpec(
        help="load the checkpoint in this process (GPU or CPU)", open=_open_transformers
    ),
    "openai": BackendSpec(
        help="send the work to an OpenAI-compatible server (vLLM) serving --model",
        open=_open_openai,
        needs_server=True,
        takes_quant=False,
    ),
}


def open_engine(
    model: str,
    quant: str = "none",
    device: str = "auto",
    options: BackendOptions | None = None,
    prefix_cache: bool = True,
) -> Any:
    """An engine for `model` on the chosen backend; ModelUnavailable when it cannot be had."""
    options = options or BackendOptions()
    spec = BACKENDS[options.backend]
    if quant != "none" and not spec.takes_quant:
        raise ValueError(f"--quant is the server's choice with --backend {options.backend}")
    return spec.open(model, quant, device, options, prefix_cache)
