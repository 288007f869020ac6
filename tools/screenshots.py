"""Retake the README's screenshots from a demo atlas, in Debian's chromium (Playwright).

    .venv/bin/python tools/screenshots.py [--atlas atlas]    # after `make demo`

Writes docs/atlas-ae-4hr.png (the real A&E view with a provider chosen) and
docs/atlas-map-synthetic.png (the SYNTHETIC eye screening map), 1366 x 900 each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZE = {"width": 1366, "height": 900}


def synthetic_map_address(atlas: Path) -> str:
    """The address of the SYNTHETIC eye screening indicator's map, from the atlas's own data."""
    document = json.loads((atlas / "atlas.json").read_text(encoding="utf-8"))
    for indicator_id in document["synthetic_indicators"]:
        if "eye-screening" in indicator_id:
            return f"#{indicator_id}"
    raise SystemExit(f"{atlas / 'atlas.json'}: no SYNTHETIC screening indicator; build it with `make demo`")


def shoot(page, url: str, out: Path, section: str | None = None) -> None:
    page.goto(url)
    page.wait_for_selector("svg", timeout=30_000)
    page.wait_for_timeout(1_500)  # let every landing chart draw
    if section:  # its heading just below the sticky controls
        page.evaluate("""s => { const top = document.querySelector(s).getBoundingClientRect().top;
            window.scrollBy(0, top - document.querySelector('nav.controls').offsetHeight - 16); }""", section)
        page.wait_for_timeout(500)
    page.screenshot(path=str(out))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, default=Path("atlas"), help="the folder `gains demo` wrote")
    atlas = parser.parse_args().atlas.resolve()
    index = (atlas / "index.html").as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=SIZE)
        shoot(page, index + "#ae-4hr/2018-19/RR8", DOCS / "atlas-ae-4hr.png")
        shoot(page, index + synthetic_map_address(atlas), DOCS / "atlas-map-synthetic.png", section="#map")
        browser.close()


if __name__ == "__main__":
    main()
