"""Real-browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live_server.

Skipped, with the reason printed, when Playwright or Chromium is missing;
with REQUIRE_BROWSER_TESTS=1 (CI sets it) a missing browser fails the run
instead, so CI can never pass without having run them.
"""
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401 - only whether it imports
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    return None


def pytest_report_header(config):
    why = missing()
    if why is None:
        return f"browser tests: on (Chromium at {CHROMIUM})"
    required = os.environ.get("REQUIRE_BROWSER_TESTS") == "1"
    return f"browser tests: {'FAIL, required' if required else 'SKIPPED'}: {why}"


@pytest.fixture
def browser(monkeypatch):
    """Chromium for one test (about half a second to start).

    Per test rather than per session: Playwright's sync API keeps an event loop
    running in the test thread while it is open, and Django refuses ORM calls
    from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
    Set here for the browser tests only (the tests' own ORM calls between
    browser steps are plain synchronous calls) and unset after each, so it
    never leaks into the rest of the suite or the subprocesses it starts
    (`manage.py check --deploy` refuses it).
    """
    why = missing()
    if why is not None:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"browser tests are required (REQUIRE_BROWSER_TESTS=1) but {why}", pytrace=False)
        pytest.skip(f"browser tests skipped: {why}")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page that fails the test on any script error or failed request it saw."""
    page = context.new_page()
    problems = []

    def on_console(message):
        if message.type == "error" and "409" not in message.text and "net::ERR_FAILED" not in message.text:
            problems.append(f"console {message.type}: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", on_console)
    page.problems = problems
    yield page
    assert not problems, "\n".join(problems)
