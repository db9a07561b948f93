"""billtrack as the cloud deployment runs it, on SQS, S3 (moto's server) and PostgreSQL: the schema
migrated by `billtrack db upgrade` (the deploy step), the API served by `billtrack serve
--no-worker` and the PDFs rendered by `billtrack worker`, two processes that share nothing but
the database, the queues and the bucket. An invoice created over HTTP is rendered by the other
process, and its pre-signed URL downloads the PDF from S3, with the employee's Cyrillic name in it.
"""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pypdf
import pytest

from billtrack.entrypoints.bootstrap import upgrade_database
from tests.integration.aws.pipeline_helpers import (
    CloudRig,
    cli_process,
    folder_mails_by_number,
    wait_until,
)
from tests.support.databases import postgres_database
from tests.support.moto_server import MotoAws, PresignedUrlOpener, RenderAndMailQueues
from tests.support.postgres import free_port

ADMIN_EMAIL = "ops@example.com"
ADMIN_PASSWORD = "a long password for the cloud"
FIRSTNAME, LASTNAME = "Дмитро", "Шевченко"


@pytest.fixture
def own_database(postgres_admin_url: str) -> Iterator[str]:
    """A new, empty database: the deploy step migrates it."""
    with postgres_database(postgres_admin_url) as url:
        yield url


def test_the_api_and_the_worker_processes_render_an_invoice_on_sqs_s3_and_postgres(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    s3_bucket: str,
    own_database: str,
    tmp_path: Path,
) -> None:
    rig = CloudRig(aws, sqs_queues, s3_bucket, own_database, tmp_path)
    port = free_port()
    env = rig.process_environment(
        BILLTRACK_ADMIN_EMAIL=ADMIN_EMAIL,
        BILLTRACK_ADMIN_PASSWORD=ADMIN_PASSWORD,
        BILLTRACK_COMPANY_NAME="Acme Cloud GmbH",
    )
    # The deploy step (`billtrack db upgrade`, tested as a command in tests/e2e), in this process.
    before, after = upgrade_database(rig.settings())
    assert (before, after is not None) == (None, True)

    with (
        cli_process(
            ["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"
        ) as api_process,
        cli_process(["worker", "--sweep-seconds", "5"], env, tmp_path / "worker.log") as worker,
    ):
        base = f"http://127.0.0.1:{port}/api"

        def ready() -> bool:
            assert api_process.process.poll() is None, api_process.output()
            assert worker.process.poll() is None, worker.output()
            try:
                return httpx.get(f"{base}/health/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout=60, interval=0.2, message=api_process.output)
        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.post(
                "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['jwtToken']}"
            department = client.post("/departments", json={"name": "Бухгалтерія"}).json()
            project = client.post("/projects", json={"name": "Проєкт «Київ»"}).json()
            employee = client.post(
                "/employees",
                json={
                    "email": "dmytro@example.com",
                    "firstname": FIRSTNAME,
                    "lastname": LASTNAME,
                    "salary": 5234.5,
                    "departmentId": department["id"],
                    "projectId": project["id"],
                },
            )
            assert employee.status_code == 200, employee.text
            employee_id = employee.json()["id"]
            for day in ("2024-10-01", "2024-10-02", "2024-10-03", "2024-10-07"):
                logged = client.post(
                    "/workdays", json={"date": day, "hours": 7.5, "employeeId": employee_id}
                )
                assert logged.status_code == 200, logged.text

            created = client.post(
                "/invoices", json={"year": 2024, "month": 10, "employeeId": employee_id}
            )

            assert created.status_code == 200, created.text
            invoice = created.json()
            assert invoice["status"] == "pending"

            def generated() -> bool:
                current = client.get(f"/invoices/{invoice['id']}").json()
                assert current["status"] != "failed", current
                return bool(current["status"] == "generated")

            wait_until(generated, timeout=60, interval=0.2, message=worker.output)
            link = client.get(f"/invoices/{invoice['id']}/pre-signed-url")
            assert link.status_code == 200, link.text
            url = link.json()
            assert url.startswith(f"{aws.endpoint}/{s3_bucket}/")
            assert "X-Amz-Signature=" in url
            pdf = PresignedUrlOpener().open(url)

            mail_folder = tmp_path / "mail"
            wait_until(
                lambda: folder_mails_by_number(mail_folder) == {invoice["number"]: 1},
                timeout=30,
                interval=0.2,
                message=worker.output,
            )

        assert pdf.startswith(b"%PDF-")
        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert invoice["number"] in text
        assert f"{FIRSTNAME} {LASTNAME}" in text
        amount = Decimal(str(invoice["amount"])).quantize(Decimal("0.01"))
        assert amount > 0
        assert f"{amount:,f} EUR" in text, text
        (key,) = rig.stored_keys()
        assert invoice["number"] in key

        worker.process.send_signal(signal.SIGTERM)
        api_process.process.send_signal(signal.SIGTERM)
        # The worker finishes the batch in hand and returns. uvicorn shuts down gracefully, then
        # raises the signal it caught again, as its own exit status (so -SIGTERM).
        assert worker.stopped() == 0, worker.output()
        assert api_process.stopped() in {0, -signal.SIGTERM}, api_process.output()
        assert "Application shutdown complete" in api_process.output()
    assert "Traceback" not in worker.output(), worker.output()
    assert "Traceback" not in api_process.output(), api_process.output()
