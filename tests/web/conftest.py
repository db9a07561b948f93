"""The web interface in a real browser: billtrack served by uvicorn on 127.0.0.1 (SQLite in a
temporary folder, the builtin PDF renderer, the worker in the same process), driven by Playwright
through Debian's Chromium, with axe-core checking every page and a screenshot of each kept.

Screenshots (and axe's findings below "serious") are written to `$BILLTRACK_TEST_ARTIFACTS`, by
default `tests/web/artifacts/` (ignored by git), one folder per test module.

One browser and one site per module: a launch and a start cost more than many pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
from pydantic import SecretStr

from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.worker.runner import start_in_background
from tests.conftest import running_in_ci
from tests.fakes.clock import ManualClock
from tests.fakes.security import FastPasswordHasher
from tests.support.server import serving
from tests.web.axe import AxeUnavailable, install_axe

NOW = datetime(2024, 11, 15, 10, 30, tzinfo=UTC)
ADMIN_EMAIL = "accounts@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
VIEWPORT: ViewportSize = {"width": 1366, "height": 900}
"""A common laptop screen."""
LAUNCH_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BLOCKING_IMPACTS = ("serious", "critical")
AXE_RUN = """async () => {
  const results = await axe.run(document, {
    // The PDF preview is Chromium's own viewer, not a page of ours: axe would wait for an
    // answer from inside it that never comes.
    iframes: false,
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""


def unavailable(what: str, reason: Exception) -> NoReturn:
    if running_in_ci():
        pytest.fail(f"{what} unavailable, and CI=true runs every test: {reason}")
    pytest.skip(f"{what} unavailable (CI=true makes this a failure): {reason}")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    try:
        return install_axe()
    except AxeUnavailable as reason:
        unavailable("axe-core", reason)


def artifacts_root() -> Path:
    given = os.environ.get("BILLTRACK_TEST_ARTIFACTS")
    return Path(given) if given else Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This module's folder of screenshots, emptied of an earlier run's."""
    module: str = request.module.__name__
    folder = artifacts_root() / module.rsplit(".", 1)[-1].removeprefix("test_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@dataclass
class Site:
    url: str
    application: Application
    clock: ManualClock
    settings: Settings

    @property
    def mail_folder(self) -> Path:
        return self.settings.data_dir / "mail"


@contextmanager
def running_site(
    data_dir: Path, seed: Callable[[Application], None] | None = None
) -> Iterator[Site]:
    """billtrack on SQLite in `data_dir`, seeded, then served with its worker until the end."""
    settings = Settings(
        data_dir=data_dir,
        jwt_secret=SecretStr(SECRET),
        pdf_renderer="builtin",
        company_name="Nordlicht Beratung GmbH",
        company_address="Friedrichstraße 123\\n10117 Berlin",
    )
    clock = ManualClock(NOW)
    application = bootstrap(settings, clock=clock, hasher=FastPasswordHasher())
    try:
        application.add_user(ADMIN_EMAIL, ADMIN_PASSWORD)
        if seed is not None:
            seed(application)
        app = create_app(
            settings,
            application,
            on_start=lambda running: start_in_background(running, wait_seconds=0.05),
        )
        with serving(app) as url:
            yield Site(url, application, clock, settings)
    finally:
        application.close()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=LAUNCH_ARGUMENTS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A browser tab on the site, which checks and photographs the pages it shows."""

    page: Page
    site: Site
    artifacts: Path
    shots: list[str] = field(default_factory=list)
    seconds: list[tuple[str, float]] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.site.url + path)

    @property
    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def check(self, name: str, *, with_pdf: bool = False) -> None:
        """Screenshot the page, and fail on axe's serious or critical findings.

        `with_pdf`: the page shows a PDF in Chromium's viewer, which a full-page screenshot
        catches half drawn (it resizes the window under the viewer): the window as a person sees
        it on opening the page is kept instead, once the viewer had time to draw."""
        started = time.monotonic()
        self.page.wait_for_load_state("load")
        number = len(list(self.artifacts.glob("*.png"))) + 1
        self.shots.append(name)
        shot = self.artifacts / f"{number:02d}-{name}.png"
        if with_pdf:
            self.page.wait_for_timeout(1500)
            self.page.screenshot(path=shot)
        else:
            self.page.screenshot(path=shot, full_page=True)
        violations: list[dict[str, Any]] = self.page.evaluate(AXE_RUN)
        if violations:
            (self.artifacts / f"{number:02d}-{name}.axe.json").write_text(
                json.dumps(violations, indent=2, ensure_ascii=False)
            )
        self.seconds.append((name, round(time.monotonic() - started, 2)))
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {name} ({self.path}):\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']}\n  "
            + "\n  ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"][:5])
            for v in blocking
        )

    def log_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()

    def sign_in(self) -> None:
        """Straight to a signed-in dashboard."""
        self.goto("/login")
        self.log_in()
        expect(self.page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()


def new_tab(browser: Browser, site: Site, artifacts: Path, axe_script: Path) -> Tab:
    context: BrowserContext = browser.new_context(
        viewport=VIEWPORT, locale="en-GB", accept_downloads=True
    )
    # Injected by the browser into every document, past the pages' Content-Security-Policy
    # (which allows no inline script, so `add_script_tag` could not add it).
    context.add_init_script(path=axe_script)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return Tab(page, site, artifacts)
