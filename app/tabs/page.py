"""What every tab shares: the header with the model's status, the annotator's name, the tabs."""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from app import hotkeys, views
from app.guard import signed_in_user
from app.roles import hf_sign_in, login_configured
from app.services import STORE, UI, Studio


@dataclass(slots=True, eq=False)
class Page:
    """The components outside the tabs. Slotted: a misspelt name fails when the app is built."""

    header: gr.HTML = None
    name: gr.Textbox = None  # the typed name: an input of every event that records who acted
    name_memory: gr.BrowserState = None
    signed_in: gr.Markdown = None
    tabs: gr.Tabs = None
    status_timer: gr.Timer = None


def build(studio: Studio) -> Page:
    """The header row and the keys help; the tabs follow (app.tabs.build)."""
    # A Space with `hf_oauth: true` in its front matter gets OAUTH_* variables from the platform;
    # elsewhere Gradio's login button would demand a local Hugging Face token.
    p = Page()
    login, hf_login = login_configured(studio.settings), hf_sign_in()
    with gr.Row(equal_height=True, elem_id="vau-top"):
        with gr.Column(scale=4):
            p.header = gr.HTML(views.header_html(studio.models.status()), label="Header")
        with gr.Column(scale=1, min_width=220):
            p.name = gr.Textbox(
                label="Your name",
                placeholder="who is annotating",
                visible=not login,
                elem_id="annotator",
                max_length=128,
            )
            # A local Studio without login remembers the typed name in this browser.
            p.name_memory = gr.BrowserState("", storage_key="vau-studio-name")
            p.signed_in = gr.Markdown(visible=login, elem_id="signed-in")
            if hf_login:
                gr.LoginButton()
    gr.HTML(hotkeys.help_html(), elem_id="vau-help-host", label="Keys and gestures")
    p.status_timer = gr.Timer(2.0, active=studio.models.status().state == "loading")
    return p


def wire(p: Page, studio: Studio, blocks: gr.Blocks) -> None:
    """The header's model status (polled while a load runs) and who is signed in."""

    # Gradio serves /logout for its own login (a users file); Hugging Face sign-in on a Space has
    # its own button, which becomes a logout once signed in.
    logout = " · [Log out](/logout)" if studio.settings.users is not None else ""

    def on_page(request: gr.Request):
        username = signed_in_user(request)
        updates = {p.header: views.header_html(studio.models.status())}
        if username:
            updates[p.signed_in] = f"Signed in as **{html.escape(username)}**{logout}"
        return updates

    blocks.load(on_page, None, [p.header, p.signed_in], api_visibility="undocumented", **STORE)

    def on_tick():
        status = studio.models.status()
        return views.header_html(status), gr.Timer(active=status.state == "loading")

    p.status_timer.tick(on_tick, None, [p.header, p.status_timer], **UI)

    def on_remembered(name, request: gr.Request):
        # Identity comes from the login when there is one; the typed name only without it.
        if signed_in_user(request) or not name:
            return gr.skip()
        return name

    blocks.load(on_remembered, [p.name_memory], [p.name], **UI)
    p.name.change(lambda name: name or "", [p.name], [p.name_memory], **UI)
