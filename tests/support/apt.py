"""Installing Debian packages the tests need, with apt-get, when the run has the rights to."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

# Another apt-get (an image build, unattended upgrades) may hold the dpkg lock: wait for it
# rather than failing at once.
LOCK_TIMEOUT_SECONDS = 600


class AptUnavailable(Exception):
    """The packages could not be installed: no apt-get, not root, or apt-get failed."""


def can_install() -> bool:
    return shutil.which("apt-get") is not None and os.geteuid() == 0


def apt_install(packages: Sequence[str]) -> None:
    """`apt-get update` and `apt-get install` of `packages`, without recommended packages and
    without questions; raises `AptUnavailable` with apt-get's output when that fails."""
    if not can_install():
        raise AptUnavailable(f"installing {' '.join(packages)} needs apt-get as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait_for_lock = ["-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT_SECONDS}"]
    for command in (
        ["apt-get", *wait_for_lock, "update", "-qq"],
        ["apt-get", *wait_for_lock, "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise AptUnavailable(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
