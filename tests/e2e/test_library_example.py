"""examples/library.py prints the contract's worked example as the API will answer it."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "library.py"


def test_the_library_example_prints_the_contracts_invoice() -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert '"amount": 347.83' in completed.stdout
    assert '"salary": 4000.00' in completed.stdout
    invoice = json.loads(completed.stdout, parse_float=Decimal)
    assert invoice["number"] == "2024-000001"
    assert (invoice["month"], invoice["year"]) == (10, 2024)
    assert invoice["totalHours"] == Decimal("16.00")
    assert str(invoice["hourlyRate"]) == "21.7391"
    assert invoice["status"] == "pending"
    assert invoice["isUrlReady"] is False
    assert invoice["employee"]["department"]["name"] == "Finance"
    assert invoice["createdAt"] == "2024-11-04T09:30:00Z"
