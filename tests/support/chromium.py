"""A Chromium for the tests that print PDFs, and a look at its processes.

The browser is found where billtrack itself looks (BILLTRACK_CHROMIUM_PATH, Playwright's
downloads, PATH); when there is none, or the fonts an invoice's names need are missing, Debian's
packages are installed with apt-get (root only), as `postgres.py` does for PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from billtrack.adapters.playwright.discovery import find_chromium
from billtrack.adapters.playwright.errors import ChromiumNotFound
from tests.support.apt import AptUnavailable, apt_install, can_install

CHROMIUM_PACKAGES = ("chromium",)
# Latin, Greek and Cyrillic (DejaVu, Liberation) and Chinese, Japanese and Korean (Noto CJK).
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-dejavu-core", "fonts-liberation")
REQUIRED_FONT_FAMILIES = ("DejaVu Sans", "Liberation Sans", "Noto Sans CJK SC")


class ChromiumUnavailable(Exception):
    """No Chromium (or not the fonts) could be found or installed here."""


def install_chromium() -> Path:
    """The Chromium executable to test with, installing it and the fonts first if needed."""
    configured = os.environ.get("BILLTRACK_CHROMIUM_PATH")
    try:
        location = find_chromium(Path(configured) if configured else None)
    except ChromiumNotFound as not_found:
        raise ChromiumUnavailable(str(not_found)) from not_found
    missing = [] if location is not None else list(CHROMIUM_PACKAGES)
    if missing_font_families():
        missing += FONT_PACKAGES
    if missing:
        if not can_install():
            raise ChromiumUnavailable(
                f"{' and '.join(missing)} missing, and installing them needs apt-get as root "
                "(or set BILLTRACK_CHROMIUM_PATH to a Chromium of your own)"
            )
        try:
            apt_install(missing)
        except AptUnavailable as failed:
            raise ChromiumUnavailable(str(failed)) from failed
        location = location or find_chromium()
    if location is None:
        raise ChromiumUnavailable("apt-get installed chromium, but no Chromium was found")
    return location.path


def missing_font_families() -> list[str]:
    """The families an invoice's font stack relies on that fontconfig does not know."""
    if shutil.which("fc-list") is None:
        return list(REQUIRED_FONT_FAMILIES)
    listed = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    known = {family.strip() for line in listed.splitlines() for family in line.split(",")}
    return [family for family in REQUIRED_FONT_FAMILIES if family not in known]


@dataclass(frozen=True, slots=True)
class Process:
    pid: int
    parent: int
    arguments: tuple[str, ...]

    @property
    def is_chromium_browser(self) -> bool:
        """The browser process Playwright talks to (its helpers are started with --type=...)."""
        return "--remote-debugging-pipe" in self.arguments and not any(
            argument.startswith("--type=") for argument in self.arguments
        )


def descendants(root: int | None = None) -> list[Process]:
    """The live processes below `root` (this process by default), read from /proc."""
    root = os.getpid() if root is None else root
    children: dict[int, list[Process]] = {}
    for process in _all_processes():
        children.setdefault(process.parent, []).append(process)
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child.pid)
    return found


def chromium_browser_pids() -> set[int]:
    return {process.pid for process in descendants() if process.is_chromium_browser}


def still_running(processes: list[Process]) -> list[Process]:
    """Those of `processes` that are still alive: not gone, not a zombie, not a new process
    that happens to have the same pid."""
    alive = {process.pid: process for process in _all_processes()}
    return [p for p in processes if p.pid in alive and alive[p.pid].arguments == p.arguments]


def _all_processes() -> list[Process]:
    processes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # ended while we looked
        # The command name in parentheses may contain spaces and parentheses: split after it.
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state == "Z":
            continue
        processes.append(
            Process(
                int(entry.name),
                int(parent),
                tuple(a.decode(errors="replace") for a in arguments if a),
            )
        )
    return processes
