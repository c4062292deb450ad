"""Headless Chromium for the live-status browser tests: Debian's /usr/bin/chromium driven by
Playwright for Python. A missing browser or Playwright fails the test with what to install;
it never skips, so CI cannot pass without having looked at a real page."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-output"
PASSWORD = "correct horse battery staple"  # every UserFactory user's

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium(**context_options) -> Iterator:
    """A new page in a fresh headless Chromium; keyword arguments go to new_context()."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium). "
            "The live-status browser tests drive it; `playwright install` is not used."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: pip install -e '.[test]' (it is in the test "
            "extra). Do not run `playwright install`; the tests use /usr/bin/chromium."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**{"viewport": DESKTOP, **context_options})
            yield context.new_page()
        finally:
            browser.close()


def outside_the_browser_loop(function: Callable, *args, **kwargs):
    """Run Django code from a test that holds a Playwright page.

    Playwright's sync API keeps an asyncio loop running in the test's thread, and there
    Django refuses ORM queries and async_to_sync (which publishing uses). A worker thread has
    neither problem; its database connection is closed when it is done.
    """

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, url: str, username: str) -> None:
    """Open `url`, which sends an anonymous visitor to a login form, and log in there."""
    page.goto(url)
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(url)


def wait_for_live(page, *, timeout_ms: int = 10_000) -> None:
    """Wait until live.js has applied the socket's snapshot, then mark the page: a reload
    would drop the mark, so whatever changes afterwards must have come over the socket."""
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("data-live", "connected", timeout=timeout_ms)
    page.evaluate("window.notReloaded = true")


def assert_not_reloaded(*pages) -> None:
    for page in pages:
        assert page.evaluate("window.notReloaded") is True, f"{page.url} was reloaded"


def fill_one_off_window_from_now(page, *, note: str) -> None:
    """The maintenance window form, for a one-off window from a minute ago to an hour from
    now in the browser's own time zone (datetime-local inputs take no typed keystrokes)."""
    page.get_by_label("One-off").check()
    page.evaluate("""() => {
        const pad = n => String(n).padStart(2, "0");
        const local = d => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
            + `T${pad(d.getHours())}:${pad(d.getMinutes())}`;
        const now = Date.now();
        document.querySelector('input[name="starts_at"]').value = local(new Date(now - 6e4));
        document.querySelector('input[name="ends_at"]').value = local(new Date(now + 36e5));
        document.querySelector('input[name="timezone"]').value =
            Intl.DateTimeFormat().resolvedOptions().timeZone;
    }""")
    page.fill('input[name="note"]', note)
