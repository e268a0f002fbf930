"""The pre-label panel in a real browser: the local Studio's one user (an admin) starts a pass
with sampled answers on the tiny checkpoint from the Model tab, watches it end, and finds the
most-uncertain-first queue in the Studio's picker."""

from __future__ import annotations

import pytest

from tests.app_helpers import launch, studio_settings
from tests.browser import NEEDS_BROWSER, browser_page, fill, picture, wait_for_text

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_checkpoint):
    settings = studio_settings(tmp_path_factory.mktemp("browser-prelabel"),
                               model=str(tiny_checkpoint))  # fmt: skip
    demo, url = launch(settings)
    assert demo.studio.models.wait(timeout=300) is not None, demo.studio.models.status().message
    yield demo, url
    demo.close()


def test_an_admin_prelabels_from_the_model_tab_and_picks_the_uncertain_queue(studio):
    demo, url = studio
    with browser_page(url) as page:
        fill(page, "annotator", "boss")
        page.get_by_role("tab", name="Model").click()
        page.get_by_text("Pre-label the queue (admins)").click()
        fill(page, "prelabel-samples", "2")
        page.click("#prelabel-btn")
        said = wait_for_text(page, "prelabel-msg", "· done")
        assert "queue 'most uncertain first: grounding' holds 4 items" in said, said
        page.locator("#prelabel-msg").scroll_into_view_if_needed()
        picture(page, "prelabel.png", around=("#prelabel-panel", "#prelabel-msg"))
        page.reload()
        page.wait_for_selector("#player")
        page.get_by_role("tab", name="Studio").click()
        page.get_by_text("Filter the list").click()
        queue = "most uncertain first: grounding"
        for _ in range(40):  # the page's load event fills the list of queues
            page.click("#queue-list input")
            if page.locator("ul[role=listbox] li", has_text=queue).count():
                break
            page.keyboard.press("Escape")
            page.wait_for_timeout(250)
        page.locator("ul[role=listbox] li", has_text=queue).first.click()
        page.click("#item-picker input")
        page.wait_for_timeout(500)  # the list fades in
        listed = [o.split(" · ")[0] for o in page.locator("ul[role=listbox] li").all_inner_texts()
                  if " · Grounding" in o]  # fmt: skip
        picture(page, "uncertain-queue.png", around=("#item-picker", "#queue-filters"))
    store = demo.studio.store
    queue = store.queue("most uncertain first: grounding")
    assert listed == [store.get_item(i).video.name for i in queue.item_ids]
