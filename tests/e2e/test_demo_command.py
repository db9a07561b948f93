"""`billtrack demo`, the README's first line: the demo company's month, invoiced and rendered."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from billtrack.adapters.memory.clock import ManualClock
from billtrack.domain.model.calculation import amount_for
from billtrack.domain.model.period import YearMonth
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.cli.demo import run_demo
from billtrack.entrypoints.cli.demo_company import EMPLOYEES
from billtrack.entrypoints.cli.main import main
from billtrack.entrypoints.settings import Settings


def test_the_demo_invoices_last_month_for_every_employee() -> None:
    services = bootstrap(Settings(), clock=ManualClock(datetime(2024, 11, 15, 9, tzinfo=UTC)))
    text = run_demo(services)
    lines = text.splitlines()
    assert lines[0].split() == ["Number", "Employee", "Hours", "Hourly", "rate", "Amount", "PDF"]
    rows = [line for line in lines if line.startswith("2024-")]
    assert [row.split()[0] for row in rows] == [f"2024-{n:06d}" for n in range(1, 13)]
    assert all(row.endswith("generated") for row in rows)
    total = next(line for line in lines if "Total" in line).split()[-1]
    assert Decimal(total) == sum(Decimal(row.split()[-2]) for row in rows)
    assert "12 invoices for 2024-10, 12 PDFs rendered" in text


def test_the_demos_json_follows_the_contracts_formula() -> None:
    services = bootstrap(Settings(), clock=ManualClock(datetime(2024, 11, 15, 9, tzinfo=UTC)))
    invoices = json.loads(
        run_demo(services, YearMonth(2024, 10), as_json=True), parse_float=Decimal
    )
    assert len(invoices) == len(EMPLOYEES)
    for invoice in invoices:
        assert (invoice["year"], invoice["month"]) == (2024, 10)
        assert invoice["status"] == "generated"
        assert invoice["isUrlReady"] is invoice["hasInvoiceUrl"] is True
        salary = invoice["employee"]["salary"]
        assert invoice["amount"] == amount_for(salary, YearMonth(2024, 10), invoice["totalHours"])
        assert Decimal(0) < invoice["totalHours"] <= Decimal(31 * 24)


def test_the_demo_saves_its_pdfs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--month", "2024-09", "--save-pdfs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == len(EMPLOYEES)
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert "for 2024-09" in result.output


def test_a_bad_month_is_refused_with_a_clear_message() -> None:
    result = CliRunner().invoke(main, ["demo", "--month", "October"])
    assert result.exit_code == 2
    assert "is not a month like 2024-10" in result.output


def test_the_installed_command_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "billtrack", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Total" in completed.stdout
    assert "12 PDFs rendered" in completed.stdout
