"""A Studio with a users file: the login page first, who is signed in, and logging out."""

from __future__ import annotations

import pytest

from tests.app_helpers import launch, studio_settings
from tests.browser import NEEDS_BROWSER, browser_page, wait_for_text

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = studio_settings(tmp_path_factory.mktemp("login"), users="ann:secret-a:reviewer")
    demo, url = launch(settings)
    yield demo, url
    demo.close()


def test_the_login_page_comes_first_and_log_out_returns_to_it(studio):
    _, url = studio
    with browser_page(url, ready="input[type=password]") as page:
        assert page.locator("#annotator").count() == 0  # nothing of the Studio before login
        page.locator("input[type=text]").first.fill("ann")
        page.locator("input[type=password]").fill("secret-a")
        page.keyboard.press("Enter")
        wait_for_text(page, "signed-in", "Signed in as ann")
        link = page.get_by_role("link", name="Log out")
        assert link.get_attribute("href") == "/logout"
        page.goto(url.rstrip("/") + "/logout")  # what the link opens (in a new tab: Markdown)
        page.wait_for_selector("input[type=password]")
        page.goto(url)  # the session is gone: the login page again
        page.wait_for_selector("input[type=password]")
