"""The Studio's settings: one dataclass, built from flags and `VAU_*` environment variables."""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from app.gpu import on_space
from inference.argparsing import PIXEL_HELP, ArgumentParser
from inference.backends import BACKENDS, BackendOptions
from inference.backends.generation import DEFAULT_MAX_NEW_TOKENS
from inference.core.tasks import DEFAULT_MAX_FRAMES, DEFAULT_PIXELS, pixels_of
from inference.errors import StudioError
from inference.models.loading import DEVICES, QUANTS
from inference.models.named import WORLD_NOTE

ROOT = Path(__file__).resolve().parents[1]
LANDINGS = ("demo", "studio")


class SettingsError(StudioError):
    """A flag or environment variable has a value the Studio cannot use."""


def _opt(default, help: str, env: str | None = None, flag: str | None = None):
    """A dataclass field carrying its help text, environment variable and flag name."""
    return field(default=default, metadata={"help": help, "env": env, "flag": flag})


@dataclass(frozen=True)
class Settings:
    """Everything the Studio can be configured with; `validate()` checks it in one place."""

    model: str | None = _opt(
        None,
        f"checkpoint to load: a hub id, a local directory, 'world' (a {WORLD_NOTE}) or 'tiny' "
        "(offline test model); "
        "without one the Studio starts for annotation and review only",
        "VAU_MODEL",
    )
    quant: str = _opt("none", "weight quantization: none, 4bit or 8bit (bitsandbytes)", "VAU_QUANT")
    device: str = _opt("auto", "where the model runs: auto, cpu or cuda", "VAU_DEVICE")
    backend: str = _opt(
        "transformers",
        "transformers: load --model in this process; openai: send runs to an OpenAI-compatible "
        "server (vLLM) at --base-url that serves --model",
        "VAU_BACKEND",
    )
    base_url: str | None = _opt(
        None, "the server's URL for --backend openai, e.g. http://gpu-host:8000/v1", "VAU_BASE_URL"
    )
    api_key_env: str | None = _opt(
        None,
        "name of the environment variable holding the server's API key (e.g. a Space secret)",
        "VAU_API_KEY_ENV",
    )
    db_url: str = _opt(
        "sqlite:///var/studio.db",
        "annotation database: a SQLAlchemy URL or a SQLite file path (default: ./var/studio.db)",
        "VAU_DB_URL",
        "--db",
    )
    users: str | None = _opt(
        None,
        "require login: a users file (one 'user:password[:role,role]' per line; roles "
        "annotator (default), reviewer, admin) or 'user:pass,user2:pass2:reviewer'; without "
        "it the Studio is single-user and the typed name is recorded",
        "VAU_USERS",
    )
    host: str | None = _opt(
        None,
        "address to listen on (default: 0.0.0.0 on a Hugging Face Space, where the platform's "
        "proxy connects, else 127.0.0.1; 0.0.0.0 serves the network)",
        "VAU_HOST",
    )
    port: int = _opt(7860, "port to listen on", "VAU_PORT")
    share: bool = _opt(False, "also open a public gradio.live link", "VAU_SHARE")
    mcp: bool = _opt(
        False,
        "also serve list_videos, run_video and score_predictions as MCP tools at "
        "/gradio_api/mcp/ (needs the mcp package, in requirements.txt)",
        "VAU_MCP",
    )
    samples: str = _opt(
        str(ROOT / "assets" / "samples.csv"),
        "VAU-Bench CSV of bundled samples imported at start-up ('' to skip)",
        "VAU_SAMPLES",
    )
    videos: str | None = _opt(
        None,
        "folder holding the videos named in the samples CSV (default: beside the CSV, in samples/)",
        "VAU_VIDEOS",
    )
    world_samples: str = _opt(
        str(ROOT / "assets" / "world-samples" / "world.csv"),
        "VAU-Bench CSV of the bundled world videos (test-split seeds the world model never saw; "
        "videos beside it), imported at start-up beside the samples ('' to skip)",
        "VAU_WORLD_SAMPLES",
    )
    uploads: str = _opt(
        "var/uploads", "folder where uploaded videos are kept for later annotation", "VAU_UPLOADS"
    )
    exports: str = _opt(
        "var/exports", "folder where exported training data is written", "VAU_EXPORTS"
    )
    checkpoints: str = _opt(
        "var/checkpoints",
        "folder of trained checkpoints (python -m train --out ...) listed in the Model tab",
        "VAU_CHECKPOINTS",
    )
    backup: str | None = _opt(
        None,
        "snapshot the SQLite store every 5 minutes to a folder or hf://datasets/OWNER/NAME, "
        "and restore the latest snapshot when the store is empty at start-up",
        "VAU_BACKUP",
    )
    max_new_tokens: int = _opt(
        DEFAULT_MAX_NEW_TOKENS, "longest model answer, in tokens", "VAU_MAX_NEW_TOKENS"
    )
    min_pixels: int = _opt(DEFAULT_PIXELS["min_pixels"], PIXEL_HELP["min_pixels"], "VAU_MIN_PIXELS")
    max_pixels: int = _opt(DEFAULT_PIXELS["max_pixels"], PIXEL_HELP["max_pixels"], "VAU_MAX_PIXELS")
    total_pixels: int = _opt(
        DEFAULT_PIXELS["total_pixels"], PIXEL_HELP["total_pixels"], "VAU_TOTAL_PIXELS"
    )
    max_upload_mb: int = _opt(500, "largest accepted upload, in megabytes", "VAU_MAX_UPLOAD_MB")
    max_video_s: float = _opt(
        0.0, "longest accepted upload, in seconds of video (0: no limit)", "VAU_MAX_VIDEO_S"
    )
    runs_per_hour: int = _opt(
        0, "live model runs each user may start per hour (0: no limit)", "VAU_RUNS_PER_HOUR"
    )

    reviewers: str | None = _opt(
        None,
        "comma-separated signed-in users (e.g. Hugging Face accounts) who review and export",
        "VAU_REVIEWERS",
    )
    admins: str | None = _opt(
        None,
        "comma-separated signed-in users who may also load models and change the demo gallery "
        "(a local Studio without login: if set, only these typed names)",
        "VAU_ADMINS",
    )
    org_roles: str | None = _opt(
        None,
        "roles for members of Hugging Face organisations, comma-separated: 'ORG:reviewer' for "
        "everyone in ORG, 'ORG/admin:admin' for those who are admins of ORG on the Hub",
        "VAU_ORG_ROLES",
    )
    allow_self_review: bool = _opt(
        False,
        "let a reviewer approve or reject their own corrections (a one-person Studio); such "
        "reviews are marked and left out of the 'approved' export",
        "VAU_ALLOW_SELF_REVIEW",
    )
    replay_cps: float = _opt(
        60.0,
        "reading speed of demo replays, in characters per second (0: show at once)",
        "VAU_REPLAY_CPS",
    )
    landing: str | None = _opt(
        None,
        "tab shown first: demo or studio (default: demo on a Hugging Face Space, else studio)",
        "VAU_LANDING",
    )

    def validate(self) -> Settings:
        """Return self, or raise SettingsError with a one-line message naming the bad value."""
        if self.quant not in QUANTS:
            raise SettingsError(f"--quant must be one of {', '.join(QUANTS)}, not {self.quant!r}")
        if self.device not in DEVICES:
            raise SettingsError(
                f"--device must be one of {', '.join(DEVICES)}, not {self.device!r}"
            )
        try:
            backend = self.backend_options
        except ValueError as error:
            raise SettingsError(str(error)) from None
        if self.quant != "none" and not BACKENDS[backend.backend].takes_quant:
            raise SettingsError(f"--quant is the server's choice with --backend {self.backend}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"--port must be between 1 and 65535, not {self.port}")
        if self.max_new_tokens < 1 or self.max_upload_mb < 1:
            raise SettingsError("--max-new-tokens and --max-upload-mb must be positive")
        if self.max_video_s < 0 or self.runs_per_hour < 0:
            raise SettingsError("--max-video-s and --runs-per-hour must be 0 (no limit) or more")
        try:
            self.sampling(fps=1.0, max_frames=DEFAULT_MAX_FRAMES)
        except ValueError as error:
            raise SettingsError(f"pixel settings: {error}") from None
        if self.replay_cps < 0:
            raise SettingsError("--replay-cps must be 0 (no replay) or more")
        if self.mcp and importlib.util.find_spec("mcp") is None:
            raise SettingsError("--mcp needs the mcp package: pip install -r requirements.txt")
        if self.mcp and self.users is not None:
            # Gradio's MCP server calls the app through a client of its own that cannot sign in
            # with a password (Gradio 6.31): every tool call would fail at the login.
            raise SettingsError(
                "--mcp does not work with a --users login (Gradio's MCP client cannot sign in); "
                "use it without a login, or with Hugging Face sign-in on a Space"
            )
        if self.landing is not None and self.landing not in LANDINGS:
            raise SettingsError(f"--landing must be demo or studio, not {self.landing!r}")
        if self.users is not None:
            load_users(self.users)
        org_rules(self.org_roles)
        return self

    def sampling(self, fps: float, max_frames: int):
        """How a run samples its video: the run's rate and frame cap, the Studio's pixel bounds."""
        from inference.video.sampling import SamplingOptions

        return SamplingOptions(fps=fps, max_frames=max_frames, **pixels_of(self))

    @property
    def backend_options(self) -> BackendOptions:
        """Where models load: this process, or the server at --base-url."""
        return BackendOptions(self.backend, self.base_url, self.api_key_env)

    @property
    def bundled(self) -> list[tuple[Path, Path | None]]:
        """(CSV, its videos' folder) of what is imported at start-up: the samples, the world's."""
        found = [(Path(self.samples), self.sample_videos)] if self.samples else []
        if self.world_samples:
            found.append((Path(self.world_samples), Path(self.world_samples).parent))
        return found

    @property
    def sample_videos(self) -> Path | None:
        """Where the bundled samples' videos are: --videos, else samples/ beside the samples CSV."""
        if self.videos:
            return Path(self.videos)
        return Path(self.samples).parent / "samples" if self.samples else None

    @property
    def bind_host(self) -> str:
        """The address to listen on: --host, else every interface on a Space and loopback here."""
        return self.host or ("0.0.0.0" if on_space() else "127.0.0.1")

    @property
    def first_tab(self) -> str:
        """The tab a visitor lands on: --landing, else the demo on a Space and the Studio here."""
        return self.landing or ("demo" if on_space() else "studio")

    @property
    def auth(self) -> list[tuple[str, str]] | None:
        """The (user, password) pairs for Gradio's login, or None when login is off."""
        return load_users(self.users) if self.users else None


# The roles, lowest first: each includes the ones before it (app.roles ranks by this order).
ROLES: tuple[str, ...] = ("annotator", "reviewer", "admin")


def _user_entries(spec: str) -> list[tuple[str, str, frozenset[str]]]:
    """(name, password, roles) per entry of a users file or an inline 'u:p,u2:p2:reviewer'."""
    path = Path(spec).expanduser()
    if ":" not in spec or path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsError(f"cannot read users file {spec}: {error.strerror}") from None
        entries = [line.strip() for line in text.splitlines()]
        entries = [e for e in entries if e and not e.startswith("#")]
    else:
        entries = [e.strip() for e in spec.split(",") if e.strip()]
    users = []
    for entry in entries:
        name, sep, password = entry.partition(":")
        roles: frozenset[str] = frozenset()
        head, colon, tail = password.rpartition(":")
        listed = {r.strip() for r in tail.split(",")}
        if colon and head and listed and listed <= set(ROLES):
            password, roles = head, frozenset(listed)  # name:password:role,role
        if not sep or not name.strip() or not password:
            raise SettingsError(
                f"users entry {name.strip() or entry!r} must be 'user:password[:role,role]'"
            )
        users.append((name.strip(), password, roles))
    if not users:
        raise SettingsError(f"no users in {spec!r}")
    return users


def load_users(spec: str) -> list[tuple[str, str]]:
    """Parse a users file path or an inline 'user:pass,user2:pass2' list into login pairs."""
    return [(name, password) for name, password, _ in _user_entries(spec)]


@functools.lru_cache(maxsize=4)
def user_roles(spec: str | None) -> dict[str, frozenset[str]]:
    """The roles a users file gives each name (a line `name:password:reviewer`).

    Read once per spec, like the login pairs Gradio takes at launch: handlers ask on every call.
    """
    return {name: roles for name, _, roles in _user_entries(spec)} if spec else {}


@dataclass(frozen=True)
class OrgRule:
    """Members of `org` (only those holding `org_role` there, when set) get `role`."""

    org: str
    org_role: str | None
    role: str


HUB_ORG_ROLES = ("admin", "write", "contributor", "read")  # a member's role in a Hub organisation


@functools.lru_cache(maxsize=4)
def org_rules(spec: str | None) -> tuple[OrgRule, ...]:
    """The rules of --org-roles ('acme:reviewer,acme/admin:admin'); SettingsError when bad."""
    rules = []
    for entry in (e.strip() for e in (spec or "").split(",")):
        if not entry:
            continue
        who, _, role = entry.rpartition(":")
        org, _, org_role = who.partition("/")
        if not org.strip() or role not in ROLES or (org_role and org_role not in HUB_ORG_ROLES):
            raise SettingsError(
                f"--org-roles entry {entry!r} must be ORG:ROLE or ORG/HUB_ROLE:ROLE, with ROLE "
                f"one of {', '.join(ROLES)} and HUB_ROLE one of {', '.join(HUB_ORG_ROLES)}"
            )
        rules.append(OrgRule(org.strip(), org_role or None, role))
    return tuple(rules)


def names(listing: str | None) -> set[str]:
    """The names in a comma-separated setting such as --admins."""
    return {name.strip() for name in (listing or "").split(",") if name.strip()}


def _flag(f) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


NUMBERS = {"int": (int, "a whole number"), "float": (float, "a number")}


def _convert(f, raw: str):
    """Turn an environment variable's text into the field's type."""
    if f.type == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if f.type in NUMBERS:
        kind, words = NUMBERS[f.type]
        try:
            return kind(raw)
        except ValueError:
            raise SettingsError(f"{f.metadata['env']} must be {words}, not {raw!r}") from None
    return raw or None if f.default is None else raw


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python app.py`, with one flag per Settings field."""
    parser = ArgumentParser(
        prog="app.py",
        description="VAU-R1 Studio: run, inspect and correct video anomaly "
        "understanding. Every flag also reads the environment variable named in its help.",
    )
    for f in fields(Settings):
        env = f.metadata.get("env")
        help_text = f.metadata["help"] + (f" [env {env}]" if env else "")
        if f.type == "bool":
            parser.add_argument(
                _flag(f), dest=f.name, action="store_true", default=None, help=help_text
            )
        else:
            kind = NUMBERS.get(f.type, (str,))[0]
            parser.add_argument(_flag(f), dest=f.name, type=kind, default=None, help=help_text)
    return parser


def from_sources(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from flags, then environment variables, then defaults; validated."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        env = f.metadata.get("env")
        if env and env in environ:
            values[f.name] = _convert(f, environ[env])
    args = build_parser().parse_args(argv)
    values.update({k: v for k, v in vars(args).items() if v is not None})
    return replace(Settings(), **values).validate()
