"""The Training tab in a real browser: the local Studio's one user (an admin) starts a short GRPO
job on the approved corrections from the tiny checkpoint, and the tab draws its metric curves,
its rollouts with their rewards, and the grounding rollouts on a timeline."""

from __future__ import annotations

import re

import pytest

from annotate.jobs import list_jobs
from tests.app_helpers import approve_corrections, launch, studio_settings
from tests.browser import NEEDS_BROWSER, browser_page, fill, pick, picture, wait_for_text

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-training")
    demo, url = launch(studio_settings(root, checkpoints=str(root / "checkpoints")))
    approve_corrections(demo.studio.store)
    yield demo, url
    demo.studio.training.close()
    demo.close()


def test_the_tab_draws_a_grpo_jobs_curves_and_rollouts(studio, tiny_checkpoint):
    demo, url = studio
    with browser_page(url) as page:
        fill(page, "annotator", "boss")
        page.get_by_role("tab", name="Training").click()
        page.locator("#train-recipe label", has_text="grpo").first.click()
        base = page.locator("#train-base input")
        base.fill(str(tiny_checkpoint))
        base.press("Enter")
        fill(page, "train-name", "grpo-browser")
        pick(page, "train-task", "grounding")
        page.locator("#train-think input").uncheck()
        said = wait_for_text(page, "train-count", "Training records now: 4 for GRPO")
        assert "4 for GRPO" in said
        page.get_by_text("Settings (each recipe's defaults)").click()
        for elem_id, value in {"train-steps": "2", "train-gens": "2", "train-length": "12",
                               "train-rollout-steps": "1"}.items():  # fmt: skip
            fill(page, elem_id, value)
        page.click("#train-start")
        wait_for_text(page, "train-msg", "Job 1 queued: grpo")
        # The job trains in another process: about 20 s here, minutes on a busy machine.
        progress = page.locator("#train-progress").filter(has_text=re.compile("finished"))
        progress.first.wait_for(timeout=600_000)
        page.locator("#train-curves .js-plotly-plot").wait_for()
        titles = svg_texts(page, "#train-curves .annotation-text")
        assert {"rewards", "KL"} <= set(titles), titles
        rows = page.locator("#train-rollouts table tr")
        assert rows.count() == 1 + 2  # the header, then each sampled completion
        assert "IoU" in rows.first.inner_text()
        page.locator("#train-rollout-plot .js-plotly-plot").wait_for()
        labels = svg_texts(page, "#train-rollout-plot .ytick text")
        assert any(label.endswith("· truth") for label in labels), labels
        page.locator("#train-progress").scroll_into_view_if_needed()
        picture(page, "training-tab.png", around=("#train-jobs", "#train-rollouts"))
    (job,) = list_jobs(demo.studio.store)
    assert job.state == "finished" and job.created_by == "boss"


def svg_texts(page, selector: str) -> list[str]:
    """The text of the SVG elements at `selector` (plotly's titles and tick labels)."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
