"""Helpers for the workspace tests: sign in through the real form, read a page's CSRF token; the browser tests'
Chromium (Debian's package, driven by Playwright) and a browser context signed in through the sign-in page."""

import re
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from marginalgains.web.demo import DEMO_PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = DEMO_PASSWORD):
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def csrf_from(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def get_paths(app) -> list[str]:
    """The path of every GET route of the app, including those of included routers."""
    paths, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        if hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
        elif "GET" in (getattr(route, "methods", None) or set()):
            paths.append(route.path)
    return paths


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium():
    """Debian's chromium under Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed for browser tests (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def record_errors(page) -> None:
    """Keep the page's console errors, uncaught exceptions and failed responses in `page.errors`."""
    page.errors = []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda response: page.errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)


def signed_in(browser, base: str, email: str, **context_options):
    """A fresh browser context (its own cookies) signed in through the sign-in form; errors recorded."""
    context = browser.new_context(base_url=base, **context_options)
    page = context.new_page()
    record_errors(page)
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page
