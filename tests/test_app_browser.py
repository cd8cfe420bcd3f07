"""The app in a real browser: `cxrkg app` on a free port over the test session's FalkorDB
with the demo, driven by Playwright with the system Chromium; saves screenshots of each page
(into docs/screenshots/ with CXRKG_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import APP_PASSWORD, add_app_users, free_port, load_demo_with_qa, private_ontology

from cxrkg.app.collab import Collab
from cxrkg.config import Settings
from cxrkg.cypher.store import GraphStore
from cxrkg.ontology.curation import Edit

CHROMIUM = Path("/usr/bin/chromium")
# The README's screenshots are refreshed only on request (CXRKG_UPDATE_SCREENSHOTS=1), so a
# test run leaves the working tree clean; otherwise they go to a temporary folder.
DOCS_SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SHOTS = (
    DOCS_SHOTS
    if os.environ.get("CXRKG_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "cxrkg-screenshots"
)
STUDY = "s50000001"

if not CHROMIUM.exists():
    pytest.skip(
        "/usr/bin/chromium is absent: install Debian's chromium (.ci/run does) to run the "
        "browser test",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="module")
def app_url(
    session_store: GraphStore, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`cxrkg app` serving the demo (with QA and one pending proposal) on a free port."""
    ontology = contextlib.ExitStack()
    ontology.enter_context(private_ontology(tmp_path_factory.mktemp("onto")))
    load_demo_with_qa(session_store, settings)
    add_app_users(settings)
    Collab().propose(
        Edit("add_synonym", "finding", "pleural effusion", {"synonym": "pleural fluid collection"}),
        "curator",
        "wording used in our reports",
    )

    port = free_port()
    cxrkg = Path(sys.executable).with_name("cxrkg")
    proc = subprocess.Popen(
        [str(cxrkg), "app", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"`cxrkg app` did not come up on {url}:\n{out[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        # the whole process group: `cxrkg app` and anything Streamlit started
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        ontology.close()


@pytest.fixture(scope="module")
def browser_page(app_url: str):
    with playwright.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
        except Exception as exc:  # a broken Chromium must fail the test, not skip it
            pytest.fail(f"Chromium at {CHROMIUM} could not be launched: {exc}")
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(400)


def visit(page, url: str, user: str = "reviewer") -> None:
    """Open a URL as a visitor does: every new page load is a new session, which signs in
    first; the app then shows the page the URL names."""
    page.goto(url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password", exact=True).fill(APP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_an_anonymous_visitor_sees_only_the_sign_in(browser_page, app_url: str) -> None:
    page = browser_page
    page.goto(f"{app_url}/studies?study={STUDY}")
    page.get_by_role("button", name="Sign in").wait_for()
    settle(page)
    assert page.get_by_label("Password", exact=True).is_visible()
    body = page.locator("[data-testid='stApp']").inner_text()
    assert STUDY not in body and "Signed in" not in body and "Proposals" not in body
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    shot(page, "signin")


def test_overview_page_renders_the_counts(browser_page, app_url: str) -> None:
    page = browser_page
    visit(page, app_url + "/")
    page.get_by_text("Patients").first.wait_for()
    settle(page)
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() == "11"
    assert page.get_by_text("Signed in as").first.is_visible()
    shot(page, "overview")


def test_study_page_shows_the_image_with_boxes_and_the_graph(browser_page, app_url: str) -> None:
    page = browser_page
    visit(page, f"{app_url}/studies?study={STUDY}")
    page.get_by_role("heading", name=f"Study {STUDY}").wait_for()
    settle(page)
    # a page URL opened directly still runs through the app's navigation (titled pages)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Proposals" in nav and "main" not in nav.split()
    image = page.locator("[data-testid='stImage'] img").first
    image.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())
    assert page.get_by_text("No image file for 50000001-02-lateral").is_visible()
    page.locator("[data-testid='stImage']").first.scroll_into_view_if_needed()
    shot(page, "study")

    page.get_by_role("tab", name="Graph").click()
    frame_el = page.locator("iframe[title*='st_link_analysis']").first
    frame_el.wait_for()
    frame = frame_el.content_frame
    frame.locator("canvas").first.wait_for(state="attached")
    page.wait_for_timeout(2500)  # the force layout settles
    box = frame_el.bounding_box()
    assert box and box["height"] > 300
    # something was drawn: the canvas is not blank
    drawn = frame.locator("canvas").last.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert drawn > 1000
    # clicking the study node: the component's panel and the page both show its properties
    frame_el.element_handle().content_frame().evaluate(
        "() => { const cy = document.getElementById('cy')._cyreg.cy;"
        " const n = cy.nodes(\"[label = 'Study']\")[0]; n.select(); n.emit('tap'); }"
    )
    frame.locator("#infopanelProps").get_by_text("study_id").wait_for()
    assert STUDY in frame.locator("#infopanelProps").inner_text()
    page.locator("[data-testid='stJson']").get_by_text("content_hash").first.wait_for()
    frame_el.scroll_into_view_if_needed()
    shot(page, "study_graph")

    page.get_by_role("tab", name="Report").click()
    page.get_by_text("There is a moderate left pleural effusion").first.wait_for()
    shot(page, "study_report")


def test_qa_page_renders_a_question(browser_page, app_url: str) -> None:
    page = browser_page
    visit(page, f"{app_url}/qa?study={STUDY}")
    page.get_by_text("Main answers").first.wait_for()
    settle(page)
    assert page.locator("[data-testid='stImage'] img").count() >= 1  # the main answer's boxes
    shot(page, "qa")


def test_cypher_page_refuses_a_write_and_draws_a_result(browser_page, app_url: str) -> None:
    page = browser_page
    visit(page, f"{app_url}/cypher")
    page.get_by_text("Cypher console").first.wait_for()
    settle(page)
    area = page.get_by_label("Query", exact=True)
    area.fill("CREATE (:X) RETURN 1")
    area.press("Control+Enter")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("Refused: this query would write to the graph").wait_for()
    area.fill(
        "MATCH (s:Study {study_id: 's50000001'})-[r:HAS_OBSERVATION]->(o)-[l:LOCATED_AT]->(g) "
        "RETURN s, r, o, l, g"
    )
    area.press("Control+Enter")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("rows").first.wait_for()
    page.get_by_role("tab", name="Graph").click()
    graph = page.locator("iframe[title*='st_link_analysis']").first
    graph.wait_for()
    page.wait_for_timeout(2500)
    page.get_by_text("rows").first.scroll_into_view_if_needed()
    shot(page, "cypher")


def test_ontology_and_proposals_pages_render(browser_page, app_url: str) -> None:
    page = browser_page
    visit(page, f"{app_url}/ontology?concept=pleural%20effusion")
    page.get_by_role("heading", name="pleural effusion").wait_for()
    settle(page)
    assert page.get_by_text("Observations mapped").is_visible()
    shot(page, "ontology")
    visit(page, f"{app_url}/proposals")
    page.get_by_text("pleural fluid collection").first.wait_for()
    settle(page)
    shot(page, "proposals")
