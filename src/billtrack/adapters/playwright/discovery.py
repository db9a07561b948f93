"""Finding a Chromium for Playwright to drive: `playwright install` cannot be assumed to have run
(or to be able to download anything), so the browser is looked for where it is usually found."""

from __future__ import annotations

import enum
import importlib.util
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from billtrack.adapters.playwright.errors import ChromiumNotFound

SYSTEM_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Inside Playwright's browser folder, newest layout first: full Chromium builds ("chrome-linux64"
# from Playwright 1.57 on, "chrome-linux" before), then the headless shell, which prints PDFs too.
_PLAYWRIGHT_BUILDS = (
    ("chromium-*", ("chrome-linux64/chrome", "chrome-linux/chrome")),
    (
        "chromium_headless_shell-*",
        ("chrome-headless-shell-linux64/chrome-headless-shell", "chrome-linux/headless_shell"),
    ),
)


class ChromiumSource(enum.Enum):
    """Where a Chromium was found; the value reads well in a log line."""

    CONFIGURED = "BILLTRACK_CHROMIUM_PATH"
    PLAYWRIGHT_DOWNLOAD = "Playwright's downloaded browsers"
    SYSTEM = "the system PATH"


@dataclass(frozen=True, slots=True)
class ChromiumLocation:
    """A Chromium executable and how it was found."""

    path: Path
    source: ChromiumSource

    def describe(self) -> str:
        return f"{self.path} (found through {self.source.value})"


def find_chromium(
    configured: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> ChromiumLocation | None:
    """The Chromium to use, or None when there is none.

    An explicit `configured` path wins and must be an executable file (else `ChromiumNotFound`).
    Without one: Playwright's own downloads (PLAYWRIGHT_BROWSERS_PATH, else ~/.cache/ms-playwright),
    newest revision first, then a system Chromium or Chrome on PATH. `environ` and `home` default to
    this process's environment and home folder.
    """
    environ = os.environ if environ is None else environ
    if configured is not None:
        return ChromiumLocation(_checked_configured(configured), ChromiumSource.CONFIGURED)
    for candidate in _playwright_downloads(environ, home or Path.home()):
        if _is_executable_file(candidate):
            return ChromiumLocation(candidate, ChromiumSource.PLAYWRIGHT_DOWNLOAD)
    search_path = environ.get("PATH", os.defpath)
    for name in SYSTEM_CHROMIUM_NAMES:
        found = shutil.which(name, path=search_path)
        if found is not None:
            return ChromiumLocation(Path(found), ChromiumSource.SYSTEM)
    return None


def playwright_missing() -> str | None:
    """Why Playwright's Python package cannot drive a Chromium here, or None when it is installed.

    Looked up without importing it: Playwright is imported when the browser first launches."""
    try:
        found = importlib.util.find_spec("playwright.async_api")
    except ImportError as missing:
        return str(missing)
    return None if found is not None else "the playwright package has no async_api module"


def _checked_configured(configured: Path) -> Path:
    path = configured.expanduser()
    if not path.exists():
        raise ChromiumNotFound(f"BILLTRACK_CHROMIUM_PATH is {configured}, which does not exist")
    if not _is_executable_file(path):
        raise ChromiumNotFound(
            f"BILLTRACK_CHROMIUM_PATH is {configured}, which is not an executable file"
        )
    return path


def _playwright_downloads(environ: Mapping[str, str], home: Path) -> Iterator[Path]:
    root = _playwright_browsers_folder(environ, home)
    if root is None or not root.is_dir():
        return
    for folder_pattern, executables in _PLAYWRIGHT_BUILDS:
        for build in sorted(root.glob(folder_pattern), key=_revision, reverse=True):
            for executable in executables:
                yield build / executable


def _playwright_browsers_folder(environ: Mapping[str, str], home: Path) -> Path | None:
    """Where Playwright keeps the browsers it downloads, by its own rules."""
    configured = environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        # "0" asks Playwright to keep its browsers inside its own package.
        import playwright

        return Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"
    if configured:
        return Path(configured).expanduser()
    cache = environ.get("XDG_CACHE_HOME")
    return (Path(cache) if cache else home / ".cache") / "ms-playwright"


def _revision(build: Path) -> int:
    """The build number in a folder name such as chromium-1148 (0 when there is none)."""
    match = re.search(r"-(\d+)$", build.name)
    return int(match.group(1)) if match else 0


def _is_executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
