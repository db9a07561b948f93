"""`billtrack demo`, the README's first line: the demo company's month, invoiced and rendered,
kept in a SQLite file in the data folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from billtrack.domain.model.calculation import amount_for
from billtrack.domain.model.period import YearMonth
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.cli.demo import run_demo
from billtrack.entrypoints.cli.demo_company import EMPLOYEES
from billtrack.entrypoints.cli.main import main
from billtrack.entrypoints.settings import Settings
from tests.fakes.clock import ManualClock

NOVEMBER = datetime(2024, 11, 15, 9, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Application]:
    running = bootstrap(Settings(data_dir=tmp_path), clock=ManualClock(NOVEMBER))
    yield running
    running.close()


def test_the_demo_invoices_last_month_for_every_employee(app: Application) -> None:
    text = run_demo(app)
    lines = text.splitlines()
    assert lines[0].split() == ["Number", "Employee", "Hours", "Hourly", "rate", "Amount", "PDF"]
    rows = [line for line in lines if line.startswith("2024-")]
    assert [row.split()[0] for row in rows] == [f"2024-{n:06d}" for n in range(1, 13)]
    assert all(row.endswith("generated") for row in rows)
    total = next(line for line in lines if "Total" in line).split()[-1]
    assert Decimal(total) == sum(Decimal(row.split()[-2]) for row in rows)
    assert "12 invoices for 2024-10, 12 PDFs rendered now" in text


def test_the_demos_json_follows_the_contracts_formula(app: Application) -> None:
    invoices = json.loads(run_demo(app, YearMonth(2024, 10), as_json=True), parse_float=Decimal)
    assert len(invoices) == len(EMPLOYEES)
    for invoice in invoices:
        assert (invoice["year"], invoice["month"]) == (2024, 10)
        assert invoice["status"] == "generated"
        assert invoice["isUrlReady"] is invoice["hasInvoiceUrl"] is True
        salary = invoice["employee"]["salary"]
        assert invoice["amount"] == amount_for(salary, YearMonth(2024, 10), invoice["totalHours"])
        assert Decimal(0) < invoice["totalHours"] <= Decimal(31 * 24)


def test_running_the_demo_again_finds_what_it_made(tmp_path: Path) -> None:
    first = bootstrap(Settings(data_dir=tmp_path), clock=ManualClock(NOVEMBER))
    before = run_demo(first, as_json=True)
    first.close()
    again = bootstrap(Settings(data_dir=tmp_path), clock=ManualClock(NOVEMBER))
    text = run_demo(again)
    after = run_demo(again, as_json=True)
    again.close()
    assert "12 invoices for 2024-10, 0 PDFs rendered now" in text
    assert json.loads(after) == json.loads(before)
    assert (tmp_path / "billtrack.sqlite3").is_file()
    assert len(list((tmp_path / "files").rglob("*.pdf"))) == 12
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 12


def test_the_demo_saves_its_pdfs(tmp_path: Path) -> None:
    runner = CliRunner(env={"BILLTRACK_DATA_DIR": str(tmp_path / "data")})
    folder = tmp_path / "pdfs"
    result = runner.invoke(
        main, ["demo", "--no-serve", "--month", "2024-09", "--save-pdfs", str(folder)]
    )
    assert result.exit_code == 0, result.output
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == len(EMPLOYEES)
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert "for 2024-09" in result.output


def test_a_bad_month_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    runner = CliRunner(env={"BILLTRACK_DATA_DIR": str(tmp_path)})
    result = runner.invoke(main, ["demo", "--month", "October"])
    assert result.exit_code == 2
    assert "is not a month like 2024-10" in result.output


def test_the_installed_command_survives_a_restart(tmp_path: Path) -> None:
    def demo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "billtrack", "demo", "--no-serve"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"BILLTRACK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )

    first, second = demo(), demo()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "12 PDFs rendered now" in first.stdout
    assert "0 PDFs rendered now" in second.stdout
    numbers = [
        [line.split()[0] for line in run.stdout.splitlines() if line[:2] == "20"]
        for run in (first, second)
    ]
    assert numbers[0] == numbers[1]
    assert len(numbers[0]) == 12
