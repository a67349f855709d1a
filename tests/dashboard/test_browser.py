"""The dashboard and the HTML report as a person sees them: headless Chromium (Debian's
``/usr/bin/chromium``, driven by Playwright) opens every dashboard page served by ``eqf
dashboard`` and the reports with the network cut off. Any browser console error, page error or
request to a host other than 127.0.0.1 fails the test. A screenshot of each page is saved; with
``EQF_SCREENSHOTS_TO_DOCS=1`` one dashboard page and one report are copied to ``docs/``.

Skipped, with the reason, where Chromium or Playwright is not installed (``make install-test``
installs both where apt-get works)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
#: Navigation title -> least number of plotly charts the page shows on the demo data.
PAGES = {"Data": 0, "Factors": 3, "Optimization": 5, "Basket": 3, "Signals": 1, "Regime": 4,
         "Backtest": 10, "Run a workflow": 0}


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is not installed (apt-get install -y chromium chromium-driver; "
                "make install-test does it where apt-get works)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; in the test extra)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(demo_home):
    """``eqf dashboard`` on a free port over the demo data; stopped (its process group) after."""
    port = _free_port()
    env = {**os.environ, "EQF_HOME": str(demo_home)}
    proc = subprocess.Popen([sys.executable, "-m", "equity_factors", "dashboard", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"eqf dashboard did not come up: {out[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class _Watch:
    """Console errors, page errors and requests that leave 127.0.0.1 (or file:) of a page."""

    def __init__(self, page, allowed: tuple[str, ...]) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def request(r) -> None:
            parsed = urlparse(r.url)
            if parsed.scheme in ("data", "blob", "about"):
                return
            local = (parsed.scheme == "file" and "file" in allowed) or (
                parsed.scheme in ("http", "https", "ws", "wss") and "http" in allowed
                and parsed.hostname == "127.0.0.1")
            if not local:
                self.outside.append(r.url)

        page.on("request", request)


def _charts_drawn(page, least: int, timeout: float = 90.0) -> int:
    """Scroll until at least ``least`` plotly charts are drawn (Streamlit draws them as they
    come into view); returns how many."""
    deadline = time.time() + timeout
    n = 0
    while time.time() < deadline:
        n = page.locator(".js-plotly-plot .main-svg").count() // 2  # two svg layers a chart
        if n >= least:
            break
        page.mouse.move(700, 500)
        page.mouse.wheel(0, 2500)
        page.wait_for_timeout(300)
    return n


def test_every_dashboard_page_in_a_real_browser(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = _Watch(page, allowed=("http",))
    page.goto(server + "/")
    page.wait_for_selector("h1:has-text('Data')", timeout=60_000)
    for title, least in PAGES.items():
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
        if least:
            assert _charts_drawn(page, least) >= least, title
        else:
            page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=30_000)
        page.wait_for_timeout(300)
        assert page.locator("[data-testid='stException']").count() == 0, title
        shot = tmp_path / f"dashboard-{title.split()[0].lower()}.png"
        page.mouse.wheel(0, -100_000)
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if title == "Factors" and os.environ.get("EQF_SCREENSHOTS_TO_DOCS"):
            shutil.copy(shot, DOCS / "dashboard.png")
    assert watch.errors == []
    assert watch.outside == []
    page.close()


def test_reports_open_offline_with_every_chart_drawn(browser, demo_home, tmp_path):
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.report import write_report

    ctx = Context.create(str(demo_home))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    watch = _Watch(page, allowed=("file",))
    for kind in ("regime", "optimize", "backtest"):
        out = write_report(ctx, "latest", kind=kind, output=tmp_path / f"{kind}.html")
        page.goto(out.path.as_uri())
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= "
                               f"{out.n_charts}", timeout=60_000)
        drawn = page.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length")
        assert drawn >= out.n_charts, kind
        shot = tmp_path / f"report-{kind}.png"
        page.screenshot(path=str(shot), full_page=True)
        if kind == "regime" and os.environ.get("EQF_SCREENSHOTS_TO_DOCS"):
            shutil.copy(shot, DOCS / "report.png")
    assert watch.errors == [] and watch.outside == [] and blocked == []
    context.close()
