"""Project sessions: `./uvw run nox -s tests` (the README's test line), lint, typecheck, imports,
bench, and soak (run only when named).

Each session gets its own virtual environment synced from uv.lock, so it runs the exact versions
the lock pins, whatever else is installed.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "imports", "tests"]


def sync(session: nox.Session, *groups: str) -> None:
    """Install billtrack and the given dependency groups, exactly as uv.lock pins them."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-default-groups",
        *(f"--group={group}" for group in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        silent=True,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: unit, property, contract and end-to-end tests."""
    sync(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over everything; strict on the domain and the ports (see pyproject.toml)."""
    sync(session, "typecheck")
    session.run("mypy")


@nox.session
def imports(session: nox.Session) -> None:
    """The layer rules of design.md, as import-linter contracts."""
    sync(session, "imports")
    session.run("lint-imports")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, reported as ratios against a baseline measured in the same run."""
    sync(session, "test")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session(default=False)
def soak(session: nox.Session) -> None:
    """10,000 render jobs through SQS and S3 on moto's server, with duplicated messages and
    killed workers: jobs lost, duplicate objects and duplicate mails must all be 0. Not a default
    session (it runs for many minutes); `-- --jobs 500` runs a small one."""
    sync(session, "test")
    session.run("python", "-m", "bench.soak", *session.posargs)
