"""Playwright driving Debian's Chromium (/usr/bin/chromium) against live_server.

No browser is downloaded: the launch names the system binary. With CI=true a missing browser
fails the run instead of skipping it.
"""

import json
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in one
# unless told that this is deliberate (the test thread never shares connections with it).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; CI must run the browser tests (see scripts/install-system-deps.sh).")
    pytest.skip(f"{what} is missing; run `make browser` to install it.")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    if not AXE.exists():
        _missing("node_modules/axe-core (run `npm ci`)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    # A phone-sized viewport: the product is meant for a nurse on her phone after a shift.
    # bypass_csp lets the test inject axe-core; the site's own pages never need it.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 812},
        bypass_csp=True,
        accept_downloads=True,
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page):
    """axe-core finds no WCAG 2.x A/AA violation, and every radio/checkbox sits in a fieldset with a legend."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: {json.dumps(violations, indent=1)}"
    orphans = page.evaluate(
        """() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
            .filter(input => {
              const fieldset = input.closest('fieldset');
              const legend = fieldset && fieldset.querySelector(':scope > legend');
              return !(legend && legend.textContent.trim());
            })
            .map(input => input.name || input.id)"""
    )
    assert orphans == [], f"{page.url}: choice inputs outside a fieldset with a legend: {orphans}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(el => el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 40))"""
        )
        raise AssertionError(
            f"{page.url}: the page scrolls sideways at 375 px ({overflow}px too wide): {culprits}"
        )
