"""`billtrack demo` and `billtrack serve` as a user runs them: a process that serves the API on
the embedded default, with the first user printed once; and the users and invoices commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from click.testing import CliRunner

from billtrack.domain.model.period import YearMonth
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.cli.demo_company import demo_employees, log_demo_month
from billtrack.entrypoints.cli.main import main
from billtrack.entrypoints.settings import Settings
from tests.support.postgres import free_port


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    output: str = ""


@contextmanager
def running(command: list[str], data_dir: Path) -> Iterator[Server]:
    """The command serving on a free port until the block ends; its output is kept."""
    port = free_port()
    env = {
        **os.environ,
        "BILLTRACK_DATA_DIR": str(data_dir),
        "BILLTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("BILLTRACK_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "billtrack", *command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}/api")
    try:
        deadline = time.monotonic() + 90
        while not ready(server):
            assert process.poll() is None, f"{command} stopped"
            assert time.monotonic() < deadline, f"{command} did not become ready"
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
        server.output = process.communicate(timeout=30)[0]


def ready(server: Server) -> bool:
    try:
        return httpx.get(f"{server.base}/health/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def printed_password(output: str) -> tuple[str, str]:
    found = re.search(r"Created the first user (\S+) with the password (\S+)", output)
    assert found, output
    return found[1], found[2]


def test_the_demo_serves_its_invoices_and_pdfs(tmp_path: Path) -> None:
    with running(["demo"], tmp_path) as demo:
        docs = httpx.get(f"{demo.base}/docs")
        assert docs.status_code == 200
        spec = httpx.get(f"{demo.base}/openapi.json").json()
        assert {"/api/login", "/api/invoices", "/api/invoices/{id}/pre-signed-url"} <= set(
            spec["paths"]
        )
    email, password = printed_password(demo.output)
    with running(["serve"], tmp_path) as served:
        base = served.base
        token = httpx.post(f"{base}/login", json={"username": email, "password": password}).json()[
            "jwtToken"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        invoices = httpx.get(f"{base}/invoices", params={"pageSize": 1000}, headers=headers).json()
        assert invoices["totalCount"] == 12
        first = invoices["items"][0]
        assert first["isUrlReady"] is True
        url = httpx.get(f"{base}/invoices/{first['id']}/pre-signed-url", headers=headers).json()
        pdf = httpx.get(url)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")


def test_serve_renders_what_the_api_creates(tmp_path: Path) -> None:
    runner = CliRunner(env={"BILLTRACK_DATA_DIR": str(tmp_path)})
    added = runner.invoke(
        main, ["users", "add", "ops@example.com", "--password-stdin"], input="a long password\n"
    )
    assert added.exit_code == 0, added.output
    with running(["serve"], tmp_path) as served:
        base = served.base
        login = httpx.post(
            f"{base}/login", json={"username": "OPS@example.com", "password": "a long password"}
        )
        headers = {"Authorization": f"Bearer {login.json()['jwtToken']}"}
        department = httpx.post(f"{base}/departments", json={"name": "Ops"}, headers=headers).json()
        project = httpx.post(f"{base}/projects", json={"name": "Run"}, headers=headers).json()
        employee = httpx.post(
            f"{base}/employees",
            json={
                "email": "ada@example.com",
                "firstname": "Ada",
                "lastname": "Lovelace",
                "salary": 4000,
                "departmentId": department["id"],
                "projectId": project["id"],
            },
            headers=headers,
        ).json()
        invoice = httpx.post(
            f"{base}/invoices",
            json={"month": 1, "year": 2024, "employeeId": employee["id"]},
            headers=headers,
        ).json()
        deadline = time.monotonic() + 30
        while (
            httpx.get(f"{base}/invoices/{invoice['id']}", headers=headers).json()["status"]
            != "generated"
        ):
            assert time.monotonic() < deadline, "the in-process worker did not render the invoice"
            time.sleep(0.1)
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_users_commands(tmp_path: Path) -> None:
    runner = CliRunner(env={"BILLTRACK_DATA_DIR": str(tmp_path)})
    assert (
        runner.invoke(
            main, ["users", "add", "b@example.com", "--password-stdin"], input="password-b\n"
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            main, ["users", "add", "a@example.com"], input="password-a\npassword-a\n"
        ).exit_code
        == 0
    )
    duplicate = runner.invoke(
        main, ["users", "add", "A@example.com", "--password-stdin"], input="password-x\n"
    )
    assert duplicate.exit_code == 1
    assert "exists" in duplicate.output
    short = runner.invoke(
        main, ["users", "add", "c@example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    listed = json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
    assert [u["email"] for u in listed] == ["a@example.com", "b@example.com"]
    changed = runner.invoke(
        main, ["users", "passwd", "b@example.com", "--password-stdin"], input="new-password\n"
    )
    assert changed.exit_code == 0, changed.output
    unknown = runner.invoke(
        main, ["users", "passwd", "nobody@example.com", "--password-stdin"], input="whatever-pw\n"
    )
    assert unknown.exit_code == 1


def log_hours_of_the_demo_company(data_dir: Path, month: YearMonth) -> None:
    settings = Settings(data_dir=data_dir, pdf_renderer="builtin")
    app = bootstrap(settings)
    try:
        log_demo_month(app, demo_employees(app), month)
    finally:
        app.close()


def test_invoices_run_is_safe_to_repeat(tmp_path: Path) -> None:
    runner = CliRunner(
        env={"BILLTRACK_DATA_DIR": str(tmp_path), "BILLTRACK_PDF_RENDERER": "builtin"}
    )
    seeded = runner.invoke(main, ["demo", "--no-serve", "--month", "2024-09"])
    assert seeded.exit_code == 0, seeded.output
    log_hours_of_the_demo_company(tmp_path, YearMonth(2024, 8))
    first = runner.invoke(main, ["invoices", "run", "--year", "2024", "--month", "8", "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, ["invoices", "run", "--year", "2024", "--month", "8", "--json"])
    first_run, second_run = json.loads(first.stdout), json.loads(again.stdout)
    assert len(first_run["created"]) == 12
    assert first_run["rendered"] == 12
    assert (len(second_run["created"]), second_run["alreadyInvoiced"]) == (0, 12)
    assert (second_run["run"]["created"], second_run["run"]["skipped"]) == (0, 12)
    assert second_run["run"]["status"] == "done"
    future = runner.invoke(main, ["invoices", "run", "--year", "2999", "--month", "1"])
    assert future.exit_code == 1
    assert "must not be after the current month" in future.output


def test_the_month_end_run_skips_who_logged_no_hours_and_shows_its_summary(tmp_path: Path) -> None:
    """Issue 11: the run invoices those who logged hours in the month; the others are skipped."""
    runner = CliRunner(
        env={"BILLTRACK_DATA_DIR": str(tmp_path), "BILLTRACK_PDF_RENDERER": "builtin"}
    )
    seeded = runner.invoke(main, ["demo", "--no-serve", "--month", "2024-09"])
    assert seeded.exit_code == 0, seeded.output
    empty = runner.invoke(main, ["invoices", "run", "--year", "2024", "--month", "7"])
    assert empty.exit_code == 0, empty.output
    assert "Month-end run 2024-07" in empty.output
    summary = json.loads(
        runner.invoke(main, ["invoices", "run", "--year", "2024", "--month", "7", "--json"]).stdout
    )
    assert (summary["run"]["total"], summary["run"]["created"], summary["run"]["skipped"]) == (
        12,
        0,
        12,
    )


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in (
        [], ["demo"], ["serve"], ["worker"], ["db"], ["db", "upgrade"], ["users"], ["users", "add"],
        ["users", "passwd"], ["users", "list"], ["invoices"], ["invoices", "run"],
    ):  # fmt: skip
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output
