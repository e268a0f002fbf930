"""Helpers for the Studio's tests: a scripted engine (the one fake: generated text), launching."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from gradio_client import Client

from app.settings import Settings
from app.ui import build_app, serve
from inference.backends.generation import Generation, Partial, Timings
from inference.core.parse import parse_response

ROOT = Path(__file__).resolve().parents[1]

# Scripted words for assets/samples/sample_fight.mp4, written by hand: no model produced them.
# Runs recorded from them carry SCRIPTED as their checkpoint name.
SCRIPTED = "scripted (no model)"
SCRIPTS = {
    "grounding": (
        "<think>1. At 00:02 a person in red and a person in blue walk towards each other.\n"
        "2. From 6.0 to 12.0 seconds they push and hit each other with swinging arms.\n"
        "3. At 12.5 s the person in red runs away, so the contact was a fight.</think>\n"
        "<answer>Anomaly</answer>\n<glue>[6.0, 12.0]</glue>"
    ),
    "classification": (
        "<think>1. Two people meet on the sidewalk at 6 s.\n2. They exchange blows until 12 s."
        "</think>\n<answer>Fighting</answer>"
    ),
    "qa": (
        "<think>1. The two people stop face to face at 6 s.\n2. They hit each other, then one "
        "runs away.</think>\n<answer>C</answer>"
    ),
    "description": (
        "Two people walk towards each other on a sidewalk. At 6 s they start pushing and "
        "hitting each other.\n\nThis is an anomaly: a fight between 6 and 12 seconds, after "
        "which one person flees."
    ),
}


class ScriptedEngine:
    """An Engine whose model 'says' a fixed text per task, streamed word by word.

    Everything else is real: the clip the app sampled, the prompt it built, the parser.
    """

    def __init__(self, scripts: dict[str, str] | None = None, delay: float = 0.0) -> None:
        self.scripts = scripts or SCRIPTS
        self.delay = delay
        self.calls: list[tuple[str, int]] = []  # (task, frames) per stream

    def stream(
        self, clip, prompt, max_new_tokens: int = 1024, stop: threading.Event | None = None
    ) -> Iterator[Partial | Generation]:
        """Yield the script's words as Partials, then a Generation parsed by the real parser."""
        stop = stop or threading.Event()
        self.calls.append((prompt.task, clip.num_frames))
        started, text = time.perf_counter(), ""
        for word in re.findall(r"\S+\s*", self.scripts[prompt.task]):
            if stop.is_set():
                break
            text += word
            yield Partial(text)
            time.sleep(self.delay)
        elapsed = time.perf_counter() - started
        timings = Timings(  # sampling time comes from the clip, as in the real engine
            clip.sampling_s, 0.0, self.delay, elapsed, len(text.split()), 0.0, clip.visual_tokens, 0
        )
        yield Generation(
            text, [text], parse_response(text, prompt.task), timings, clip, prompt, stop.is_set()
        )


# --- launching the Studio in this process -------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(settings: Settings, **build):
    """Build and launch the Studio in this process; returns (demo, url)."""
    demo = build_app(settings, **build)
    serve(demo, settings, block=False, quiet=True)
    return demo, f"http://127.0.0.1:{settings.port}/"


def scripted_studio(tmp_path, delay: float = 0.01):
    """A launched Studio whose model is a ScriptedEngine; returns (demo, url)."""
    # The model name only labels the injected engine's runs: nothing is loaded.
    settings = studio_settings(tmp_path, model="scripted test model")
    return launch(settings, engine=ScriptedEngine(delay=delay))


def studio_settings(tmp_path, **fields) -> Settings:
    """Settings that keep the database, uploads and exports under `tmp_path`; the queue holds
    the four drawn samples (the world videos only where a test names them: WORLD_SAMPLES)."""
    fields.setdefault("world_samples", "")
    return Settings(
        db_url=f"sqlite:///{tmp_path / 'studio.db'}",
        uploads=str(tmp_path / "uploads"),
        exports=str(tmp_path / "exports"),
        port=free_port(),
        max_new_tokens=24,  # the tiny model's output is noise; a short one is enough
        **fields,
    )


def call(client: Client, api: str, *args) -> dict:
    """Call an endpoint and return its outputs by component label."""
    outputs = client.predict(*args, api_name=f"/{api}")
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"][f"/{api}"]
    return {r["label"]: value for r, value in zip(info["returns"], outputs, strict=True)}


def item_id(demo, video: str, task: str) -> int:
    """The id of a bundled sample's item for `task`."""
    items = demo.studio.store.list_items(task=task, limit=None)
    return next(i.id for i in items if i.video.name == video)


def _is_update(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and "value" not in value


def call_streamed(client: Client, api: str, *args) -> dict:
    """Call a streaming endpoint; return each output's last value (skipping bare updates)."""
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"][f"/{api}"]
    labels = [r["label"] for r in info["returns"]]
    job = client.submit(*args, api_name=f"/{api}")
    job.result()
    seen: dict = {}
    for outputs in job.outputs():
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        for label, value in zip(labels, outputs, strict=True):
            if not _is_update(value):
                seen[label] = value
    return seen


WORLD_FIRE_SEED = 2_000_002  # a test-split world video: a fire at 8.8-19.3 s


def world_studio(root: Path):
    """A launched Studio serving the world model at the world's pixel bounds, with a world
    fire's grounding item in its store; returns (demo, url, item id, video id)."""
    from annotate.records import GroundTruth
    from world.generate import generate, plan
    from world.recipe import Recipe

    generate(root / "videos", 1, seed=WORLD_FIRE_SEED, split="test")
    pixels = {k: v for k, v in Recipe.read().sampling.items() if k != "fps"}
    demo, url = launch(studio_settings(root, model="world", **pixels))
    if demo.studio.models.wait(timeout=300) is None:
        demo.close()
        raise AssertionError(demo.studio.models.status().message)
    video = plan(WORLD_FIRE_SEED)
    store = demo.studio.store
    record = store.add_video(video.name, "world", path=str(root / "videos" / video.name),
                             duration=video.duration, fps=8.0)  # fmt: skip
    truth = GroundTruth(answer="Anomaly", interval=(video.event.start, video.event.end))
    item = store.add_item(record.id, "grounding", truth=truth)
    return demo, url, item.id, record.id


# What an annotator says of each bundled sample's grounding item, approved by a reviewer.
CORRECTED = {
    "sample_fall.mp4": (7.5, 15.0),
    "sample_fight.mp4": (5.0, 12.0),
    "sample_fire.mp4": (9.0, 21.0),
    "sample_normal.mp4": None,
}


def approve_corrections(store) -> None:
    """ann corrects every bundled grounding item (CORRECTED), rev approves each."""
    from annotate.records import Edit

    for item in store.list_items(task="grounding"):
        interval = CORRECTED[item.video.name]
        edit = Edit(answer="Anomaly" if interval else "Normal", interval=interval)
        saved = store.save_correction(item.id, "ann", edit, status="submitted")
        store.review(saved.id, "rev", "approved")
