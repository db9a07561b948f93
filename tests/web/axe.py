"""axe-core for the accessibility checks: an npm package, fetched with npm into a cache folder
on first use (never committed), as `tests/support/chromium.py` installs Chromium.

When npm itself is missing, Debian's `npm` package is installed with apt-get (root only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.support.apt import AptUnavailable, apt_install, can_install

AXE_VERSION = "4.14.1"
"""Pinned, so a new rule in a later axe-core never fails a run that changed nothing."""
NPM_TIMEOUT_SECONDS = 300


class AxeUnavailable(Exception):
    """axe-core could not be found or fetched here."""


def cache_folder() -> Path:
    given = os.environ.get("BILLTRACK_TEST_CACHE")
    base = Path(given) if given else Path.home() / ".cache" / "billtrack-test"
    return base / f"axe-core-{AXE_VERSION}"


def install_axe() -> Path:
    """The path of `axe.min.js`, fetched with `npm pack` the first time."""
    script = cache_folder() / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        if not can_install():
            raise AxeUnavailable("npm is missing, and installing it needs apt-get as root")
        try:
            apt_install(["npm"])
        except AptUnavailable as failed:
            raise AxeUnavailable(str(failed)) from failed
        npm = shutil.which("npm")
        if npm is None:
            raise AxeUnavailable("apt-get installed npm, but no npm is on PATH")
    script.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=script.parent) as scratch:
        done = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", scratch, "--silent"],
            capture_output=True,
            text=True,
            check=False,
            timeout=NPM_TIMEOUT_SECONDS,
            cwd=scratch,
        )
        packed = Path(scratch) / f"axe-core-{AXE_VERSION}.tgz"
        if done.returncode != 0 or not packed.is_file():
            raise AxeUnavailable(f"npm pack axe-core@{AXE_VERSION} failed:\n{done.stderr}")
        with tarfile.open(packed) as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise AxeUnavailable("the axe-core package has no axe.min.js")
            fresh = Path(scratch) / "axe.min.js"
            fresh.write_bytes(member.read())
        fresh.replace(script)  # atomic: a parallel run sees the whole file or none
    return script
