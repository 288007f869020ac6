"""Benchmark: the atlas page in Debian's chromium (Playwright), at 137 providers and at practice scale.

Run: .venv/bin/python benchmarks/bench_page.py [--demo-scale 2000000] [--repeat 3]
Builds the demo page (A&E beside the SYNTHETIC national dataset) and the practice-scale page
(21 indicators x 6,500 practices, benchmarks/practice_fixture_page.py), then opens each at
1366 x 768 and prints the medians of: page size, the first chart on screen as drawn when the page
was built (`first_chart_static_s`: the static drawing's paint, Element Timing API; n/a where the page
shows none) and drawn live (`first_chart_interactive_s`: the live chart drawn, answering clicks), every chart in the first
view drawn live (from navigation start), the longest main-thread task while loading (Long Tasks API,
wall time, in a load that is not traced; and its CPU time from Chrome's trace of a load of its own, which other
processes on a shared machine do not inflate),
a search keystroke and a sort (input to layout done), and choosing an area (until every chart,
table, profile and SPC chart shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from practice_fixture_page import write_practice_atlas  # noqa: E402

from marginalgains import sources  # noqa: E402
from marginalgains.atlas import build_atlas  # noqa: E402
from marginalgains.report.files import write_atlas  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LONG_TASKS = """window.__longTasks = []; window.__painted = {};
new PerformanceObserver(list => list.getEntries().forEach(e => window.__longTasks.push(e.duration)))
  .observe({ type: "longtask", buffered: true });
new PerformanceObserver(list => list.getEntries().forEach(e => { window.__painted[e.identifier] = e.renderTime || e.loadTime; }))
  .observe({ type: "element", buffered: true });"""
TIMED = """async ([kind, arg]) => {
  const settle = () => { document.body.offsetHeight; return performance.now(); };
  if (kind === "search") {
    const input = document.getElementById("area-search"), t0 = performance.now();
    input.value = arg; input.dispatchEvent(new Event("input")); return settle() - t0;
  }
  if (kind === "sort") {
    const button = Array.from(document.querySelectorAll("#ranked thead button")).find(b => b.textContent === arg);
    const t0 = performance.now(); button.click(); return settle() - t0;
  }
  const t0 = performance.now();
  const changed = new Promise(r => window.addEventListener("hashchange", r, { once: true }));
  window.atlas.choose(arg); await changed; await window.atlas.whenSettled();
  await new Promise(requestAnimationFrame); return performance.now() - t0;
}"""


def demo_page(out: Path, scale: int) -> Path:
    inputs = sources.demo(out / "synthetic-data", scale=scale)
    atlas = build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), areas=inputs.areas,
                        weakest_links=inputs.weakest_links)
    write_atlas(atlas, out)
    return out / "index.html"


def longest_task_cpu_ms(trace: bytes) -> float:
    """The most CPU time the page's main thread spent in one task (Chrome's trace, `tdur`): on a
    shared machine a task's wall time (the Long Tasks API) includes the time other processes ran."""
    events = json.loads(trace)["traceEvents"]
    page = {e["pid"] for e in events if e.get("name") == "ParseHTML" and "file://" in json.dumps(e.get("args"))}
    main = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name" and e["args"]["name"] == "CrRendererMain"
            and e["pid"] in page}
    return max((e.get("tdur", 0) / 1000 for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) in main
                and e["name"] in ("RunTask", "ThreadControllerImpl::RunTask")), default=0.0)


def opened(browser, page_path: Path, traced: bool = False):
    """The page opened at 1366 x 768 with every chart of its first view drawn (traced from the start if asked)."""
    page = browser.new_page(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    page.add_init_script(LONG_TASKS)
    if traced:
        browser.start_tracing(page=page, categories=["disabled-by-default-devtools.timeline"])
    page.goto(page_path.as_uri())
    page.wait_for_function("window.atlasReady === true")
    page.wait_for_function("document.querySelectorAll('#view .chart').length === "
                           "document.querySelectorAll('#view .chart[data-rendered=true]').length", timeout=120_000)
    return page


def traced_longest_task_cpu_ms(browser, page_path: Path) -> float:
    """The longest loading task's CPU time, from a load of its own: tracing slows the page it records,
    so the wall times are taken from a load that is not traced."""
    page = opened(browser, page_path, traced=True)
    trace = browser.stop_tracing()
    page.close()
    return longest_task_cpu_ms(trace)


def measure(browser, page_path: Path, queries: list[str], codes: list[str]) -> dict[str, float]:
    longest_cpu = traced_longest_task_cpu_ms(browser, page_path)
    page = opened(browser, page_path)
    landing = page.evaluate("""() => {
      const drawn = performance.getEntriesByName("atlas:chart-drawn").map(m => m.startTime);
      const inView = Array.from(document.querySelectorAll('#view .chart')).filter(c => c.getBoundingClientRect().top < innerHeight);
      return { first: Math.min(...drawn), landing: drawn.slice(0, inView.length), longest: Math.max(0, ...window.__longTasks),
               painted: window.__painted["static-chart"] || null };
    }""")
    search = [page.evaluate(TIMED, ["search", q]) for q in queries]
    page.evaluate(TIMED, ["search", ""])
    sort = [page.evaluate(TIMED, ["sort", column]) for column in ("Value", "Denominator", "Area", "Value")]
    choose = [page.evaluate(TIMED, ["choose", code]) for code in codes]
    page.close()
    static = landing["painted"] / 1000 if landing["painted"] else None  # no drawing shown: a distribution, or drawn live first
    return {"size_mb": page_path.stat().st_size / 1e6, "first_chart_static_s": static, "first_chart_interactive_s": landing["first"] / 1000,
            "landing_charts_s": max(landing["landing"]) / 1000, "longest_task_ms": landing["longest"],
            "longest_task_cpu_ms": longest_cpu,
            "search_ms": max(search), "sort_ms": max(sort), "choose_ms": statistics.median(choose)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-scale", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        pages = {"demo (137 providers)": (demo_page(Path(folder) / "demo", args.demo_scale), ["L", "Le", "Lee", "Leed", "Leeds"],
                                          ["RR8", "RCU", "RXL", "RJ1", "R1H"]),
                 "practice scale (21 x 6,500)": (write_practice_atlas(Path(folder) / "practice"), ["Y", "Yo", "Yor", "York", "York S"],
                                                 ["A81010", "B82809", "C83990", "F86967", "A81500"])}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, (path, queries, codes) in pages.items():
            loads = [os.getloadavg()[0]]
            runs = [measure(browser, path, queries, codes) for _ in range(args.repeat)]
            loads.append(os.getloadavg()[0])
            print(f"{name}, median of {args.repeat} (load average {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores):")
            for key in runs[0]:
                figures = [r[key] for r in runs if r[key] is not None]
                shown = f"{statistics.median(figures):8.2f}" if figures else "     n/a"
                print(f"  {key:<26} {shown}" + (f" ({len(figures)} of {len(runs)} runs)" if 0 < len(figures) < len(runs) else ""))
        browser.close()


if __name__ == "__main__":
    main()
