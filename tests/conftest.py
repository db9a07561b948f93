"""Suite-wide rules: under CI=true nothing may be skipped."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """With CI=true a skipped test is a failed one: a missing service must not pass unseen."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if running_in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {report.longrepr}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Catch what the hook above cannot see: whole modules skipped at collection."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if running_in_ci() and skipped:
        reporter.write_line(f"CI=true: {len(skipped)} skipped, which counts as failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
