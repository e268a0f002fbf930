"""`python -m app.deploy OUT_DIR`: write a folder ready to push to a Hugging Face (ZeroGPU) Space.

The folder holds the code (app.py, app/, inference/, annotate/), the sample videos, a README
whose front matter configures the Space (Gradio SDK at the installed version, Python 3.12,
Hugging Face login), and requirements pinned to what ZeroGPU supports (PyTorch 2.8-2.11).
Steps: docs/spaces.md.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app.settings import ROLES, ROOT
from inference.argparsing import ArgumentParser
from inference.errors import StudioError

CODE = ("app.py", "app", "inference", "annotate", "train", "assets")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "make_samples.py")
PYTHON_VERSION = "3.12"
# ZeroGPU runs PyTorch 2.8-2.11; these are a matching torch / torchvision pair.
ZERO_GPU_PINS = {"torch": "2.8.0", "torchvision": "0.23.0"}
EXTRA = ("spaces==0.51.3",)  # ZeroGPU's decorator package (tested version); inert elsewhere
_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)")


class DeployError(StudioError):
    """The Space folder cannot be written."""


@dataclass(frozen=True)
class SpaceConfig:
    """What goes into the Space's README front matter."""

    title: str = "VAU-R1 Studio"
    org: str | None = None  # hf_oauth_authorized_org: only this organisation's members log in
    org_role: str | None = None  # the Studio role the organisation's members get (VAU_ORG_ROLES)
    sdk_version: str | None = None  # default: the installed gradio

    def checked(self) -> SpaceConfig:
        """Self, or DeployError naming what is wrong."""
        if self.org_role and not self.org:
            raise DeployError("--org-role needs --org: the organisation whose members get it")
        if self.org_role and self.org_role not in ROLES:
            raise DeployError(
                f"--org-role must be one of {', '.join(ROLES)}, not {self.org_role!r}"
            )
        return self

    @property
    def variables(self) -> dict[str, str]:
        """Space variables this configuration needs (Settings → Variables and secrets)."""
        return {"VAU_ORG_ROLES": f"{self.org}:{self.org_role}"} if self.org_role else {}

    def front_matter(self) -> dict[str, object]:
        """The README's YAML keys, in the order Spaces documents them."""
        fields: dict[str, object] = {
            "title": self.title,
            "emoji": "🎥",
            "colorFrom": "indigo",
            "colorTo": "gray",
            "sdk": "gradio",
            "sdk_version": self.sdk_version or metadata.version("gradio"),
            "python_version": PYTHON_VERSION,
            "app_file": "app.py",
            "hf_oauth": True,
            "pinned": False,
        }
        if self.org:
            fields["hf_oauth_authorized_org"] = self.org
        return fields


def _yaml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'  # quoted: "3.12" must stay a string, not the number 3.12


def readme(config: SpaceConfig) -> str:
    """The Space README: front matter, then how to use and configure the Space."""
    lines = ["---", *(f"{k}: {_yaml_value(v)}" for k, v in config.front_matter().items()), "---"]
    body = f"""
# {config.title}

Run a VAU-R1 (Qwen2.5-VL) checkpoint on a video, see where and why it finds an anomaly,
correct it, and export the corrections as training data. The Demo tab replays recorded runs
with no GPU; sign in with Hugging Face to annotate.

Configure it under Settings → Variables and secrets:

- `VAU_MODEL`: the checkpoint (a hub id); without it there are no live runs
- `VAU_BACKEND=openai` with `VAU_BASE_URL` (and `VAU_API_KEY_ENV` naming a secret): send live
  runs to a vLLM server serving `VAU_MODEL` instead of ZeroGPU
- `VAU_BACKUP`: `hf://datasets/OWNER/NAME` to snapshot the SQLite store there (restored on
  restart), and `HF_TOKEN` (secret, write access to that dataset)
- `VAU_DB_URL`: an external PostgreSQL URL (secret), instead of the local SQLite file
- `VAU_REVIEWERS`, `VAU_ADMINS`: Hugging Face accounts who review and export, or who also load
  models and choose the demo gallery; `VAU_ORG_ROLES` (`ORG:reviewer`, `ORG/admin:admin`) gives a
  role to an organisation's members
- `VAU_RUNS_PER_HOUR`, `VAU_MAX_VIDEO_S`, `VAU_MAX_UPLOAD_MB`: guard rails for live runs and uploads
"""
    if config.variables:
        wanted = "\n".join(f"    {k}={v}" for k, v in config.variables.items())
        body += f"\nSet these variables before the first start:\n\n{wanted}\n"
    return "\n".join(lines) + "\n" + body


def requirement_name(line: str) -> str | None:
    """The package name a requirements line is about (None for comments and blanks)."""
    line = line.split("#", 1)[0]
    match = _NAME.match(line)
    return match.group(1).split("[")[0].lower().replace("_", "-") if match else None


def requirements(source: Path = ROOT / "requirements.txt") -> str:
    """The runtime requirements pinned: ZeroGPU's torch pair, the rest at installed versions."""
    pins = []
    for line in source.read_text(encoding="utf-8").splitlines():
        name = requirement_name(line)
        if name is None:
            continue
        if name in ZERO_GPU_PINS:
            pins.append(f"{name}=={ZERO_GPU_PINS[name]}")
            continue
        extras = re.search(r"\[[^\]]*\]", line.split("#", 1)[0])  # e.g. gradio[oauth]
        try:
            pins.append(f"{name}{extras.group(0) if extras else ''}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(line.split("#", 1)[0].strip())  # keep the project's own bound
    named = {requirement_name(x) for x in pins}
    pins.extend(p for p in EXTRA if requirement_name(p) not in named)
    header = "# Pinned for a ZeroGPU Space (PyTorch 2.8-2.11, Python 3.12); made by app.deploy\n"
    return header + "\n".join(pins) + "\n"


def write_space(out: Path, config: SpaceConfig | None = None, root: Path = ROOT) -> list[Path]:
    """Write the Space folder at `out` (which must be empty or absent); return what was written."""
    config = (config or SpaceConfig()).checked()
    if out.exists() and any(out.iterdir()):
        raise DeployError(f"{out} is not empty; choose a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in CODE:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, out / name, ignore=IGNORED)
            elif source.is_file():
                shutil.copy2(source, out / name)
        (out / "README.md").write_text(readme(config), encoding="utf-8")
        (out / "requirements.txt").write_text(requirements(root / "requirements.txt"), "utf-8")
    except OSError as error:
        raise DeployError(f"cannot write the Space to {out}: {error.strerror or error}") from None
    return sorted(out.iterdir())


def main(argv: Sequence[str] | None = None) -> int:
    """Write the Space folder; errors print one line and exit with status 2."""
    parser = ArgumentParser(prog="python -m app.deploy", description=__doc__)
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="folder to write (new)")
    parser.add_argument("--org", help="only members of this organisation may log in")
    parser.add_argument(
        "--org-role", choices=ROLES, help="the Studio role every member of --org gets"
    )
    parser.add_argument("--title", default="VAU-R1 Studio", help="the Space's title")
    args = parser.parse_args(argv)
    config = SpaceConfig(title=args.title, org=args.org, org_role=args.org_role)
    try:
        written = write_space(args.out, config)
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {', '.join(p.name for p in written)}")
    for name, value in config.variables.items():
        print(f"set the Space variable {name}={value} (Settings → Variables and secrets)")
    print("next: push it to a Space (see docs/spaces.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
