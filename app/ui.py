"""The Studio app: `build_app(settings)` returns the gr.Blocks, `launch_options` how to serve it."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from annotate.backup import Backups, restore_if_empty, target_from_spec
from annotate.store import Store
from app import api, hotkeys, items, tabs
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import ROOT, Settings

log = logging.getLogger("vau.studio")

CSS_PATH = ROOT / "assets" / "studio.css"


def _engine_name(engine, settings: Settings) -> str | None:
    loaded = getattr(engine, "loaded", None)
    return settings.model or getattr(loaded, "source", None) or "model"


def _restore_then_schedule(settings: Settings) -> Backups:
    """Restore the latest snapshot into an empty store, and return the snapshot schedule.

    Runs before the store opens: a restarted Space has an empty disk and must get its
    annotators' work back before anything writes a fresh, empty database.
    """
    target = target_from_spec(settings.backup)
    restored = restore_if_empty(settings.db_url, target)
    if restored is not None:
        log.info("restored the annotation store from snapshot %s", restored.folder.name)
    return Backups(settings.db_url, target)


def build_app(
    settings: Settings | None = None, *, engine=None, store: Store | None = None
) -> gr.Blocks:
    """The Studio as a gr.Blocks: opens the store, starts loading the model, wires the UI.

    Pass `engine` (an inference.backends.engine.Engine) or `store` to use ones already made.
    Serve it with `serve(demo, settings)`: the theme, CSS, shortcuts, login and MCP tools.
    """
    settings = (settings or Settings()).validate()
    backups = _restore_then_schedule(settings) if store is None and settings.backup else None
    store = (
        store
        if store is not None
        else Store(settings.db_url, allow_self_review=settings.allow_self_review)
    )
    if backups is not None:
        backups.start()
    name = _engine_name(engine, settings) if engine is not None else None
    studio = Studio(settings, store, ModelSlot(engine, name, settings.backend_options))
    items.import_samples(studio)
    if engine is None and settings.model:
        studio.models.load_in_background(settings.model, settings.quant, settings.device)
    with gr.Blocks(title="VAU-R1 Studio") as demo:
        tabs.build(studio, demo)
        api.wire(studio)
    demo.queue(default_concurrency_limit=4)
    demo.studio = studio  # the services, for the launcher and tests
    demo.backups = backups
    return demo


def serve(demo: gr.Blocks, settings: Settings, *, block: bool = True, **options) -> None:
    """Launch the built Studio (`launch_options` plus `options`), its MCP tools narrowed to the
    Studio's own (app.api), and serve until interrupted unless `block` is False."""
    demo.launch(prevent_thread_lock=True, **launch_options(settings, demo.studio) | options)
    api.expose_tools(demo)
    if block:
        demo.block_thread()


def allowed_paths(studio: Studio) -> list[str]:
    """Folders the browser may load videos and exports from."""
    folders = {Path(studio.settings.uploads), Path(studio.settings.exports)}
    folders |= {videos for _, videos in studio.settings.bundled if videos is not None}
    folders |= {Path(video.path).parent for video in studio.store.located_videos()}
    return sorted(str(f.resolve()) for f in folders)


def theme() -> gr.themes.Base:
    """A quiet theme with system fonts (nothing fetched from the network)."""
    fonts = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=fonts,
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def launch_options(settings: Settings, studio: Studio | None = None) -> dict:
    """Keyword arguments for `demo.launch`: server, login, theme, CSS, shortcuts, paths."""
    options = {
        "server_name": settings.bind_host,
        "server_port": settings.port,
        "share": settings.share,
        "auth": settings.auth,
        "auth_message": "VAU-R1 Studio: sign in with the name and password you were given.",
        "theme": theme(),
        "css_paths": [CSS_PATH],
        "js": hotkeys.keys_js(),
        "max_file_size": f"{settings.max_upload_mb}mb",
        "ssr_mode": False,
        "footer_links": ["api", "settings"],
        "mcp_server": settings.mcp,
    }
    if studio is not None:
        options["allowed_paths"] = allowed_paths(studio)
    return options
